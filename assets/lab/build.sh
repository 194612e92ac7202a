#!/usr/bin/env bash
# Builds the local lab's control-plane binaries from their published Go modules
# (pinned by the go.mod/go.sum files beside this script) into a cache keyed by version:
#
#   ${KUBETUTOR_LAB_CACHE:-${XDG_CACHE_HOME:-~/.cache}/kubetutor/lab}/<key>/bin
#
# Does nothing when that folder is already complete. Prints the bin folder on
# its last line of stdout, so callers can do: BIN=$(lab/build.sh | tail -n1).
# With --check it builds nothing: prints the bin folder, exits 0 when it is
# complete and 3 when not.
#
# The kubetutor binary embeds this folder and runs this same script from a
# copy in its cache (`kubetutor lab build`); a checkout runs it in place
# (lab/build.sh, .ci/run). Both compute the same key from the same files.
#
# Needs only the machine's Go (GOTOOLCHAIN=local) and the Go module proxy.
set -euo pipefail

lab_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$lab_dir/versions.env"

check_only=false
case "${1:-}" in
--check) check_only=true ;;
"") ;;
*)
    printf 'lab build: unknown argument %s (usage: build.sh [--check])\n' "$1" >&2
    exit 2
    ;;
esac
# What to tell people to run again: kubetutor names its own command.
again=${KUBETUTOR_LAB_BUILD_COMMAND:-lab/build.sh}

say() { printf 'lab build: %s\n' "$*" >&2; }
die() {
    printf 'lab build: error: %s\n' "$*" >&2
    exit 1
}

command -v go >/dev/null 2>&1 ||
    die "Go is not installed or not on PATH. Install Go ${GO_MIN} or newer and run $again again."

export GOTOOLCHAIN=local
export CGO_ENABLED=0
go_version=$(go env GOVERSION)
say "using $go_version ($(command -v go))"

# The cache key covers every pin: a changed go.mod/go.sum builds into a new folder.
key_input=$(cat "$lab_dir/versions.env" "$lab_dir"/{kube,etcd,kwok}/go.{mod,sum}; echo "$go_version")
key="${KUBERNETES_VERSION}-$(printf '%s' "$key_input" | sha256sum | cut -c1-12)"
cache_root="${KUBETUTOR_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubetutor/lab}"
bin_dir="$cache_root/$key/bin"

kube_binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
# kwok-stages.yaml: kwok's own "fast" stages (node Ready with lease heartbeats,
# pods Ready, completed, deleted), taken from its module at the pinned version.
artifacts=(etcd kwok kwok-stages.yaml "${kube_binaries[@]}")
missing() {
    local a
    for a in "$@"; do [ -s "$bin_dir/$a" ] || return 0; done
    return 1
}
if ! missing "${artifacts[@]}"; then
    say "binaries already built in $bin_dir"
    echo "$bin_dir"
    exit 0
fi
if $check_only; then
    say "not built yet: $bin_dir"
    echo "$bin_dir"
    exit 3
fi

mkdir -p "$bin_dir"
tmp_bin=$(mktemp -d "$cache_root/$key/tmp.XXXXXX")
# A stopped build (SIGTERM from kubetutor on quit) leaves only whole,
# installed binaries: the one being built was still in $tmp_bin.
trap 'rm -rf "$tmp_bin"' EXIT
trap 'exit 143' TERM INT

started=$(date +%s)
# The Go tool's own lines (hundreds of "go: downloading") go to a log; the
# terminal gets one line per component ("[2/6] kwok: done in 0 min 41 s"), a
# line every 30 s while it builds, and the time the same component took on
# this machine last time (kept in $times). With KUBETUTOR_LAB_PROGRESS=1 it
# also writes "@plan", "@start" and "@done" lines for kubetutor, which shows
# them as a progress line (src/lab/build_progress.rs) and not as text.
log="$cache_root/$key/build.log"
times="$cache_root/build-times"
: >"$log"
say "the Go tool's output goes to $log"
machine() { [ "${KUBETUTOR_LAB_PROGRESS:-}" != 1 ] || printf '@%s\n' "$*" >&2; }
last_time() {
    [ -f "$times" ] || return 0
    sed -n "s/^$1 //p" "$times" | tail -n1
}
minutes() { printf '%d min %d s' $(($1 / 60)) $(($1 % 60)); }

# Two builds at once when memory allows: one Go build leaves a core idle
# for long stretches on a 2-core machine (a big generated package compiles
# alone, a binary links on one core), and the other fills them. Each
# compile of Kubernetes' biggest packages takes about 1 GB; below 4 GB
# available the components build one after the other.
available_kb=$(sed -n 's/^MemAvailable: *\([0-9]*\) kB$/\1/p' /proc/meminfo 2>/dev/null || true)
lanes=2
if [ "${KUBETUTOR_LAB_BUILD_LANES:-}" = 1 ] || [ "${available_kb:-0}" -lt 4000000 ]; then
    lanes=1
fi

# The components this build makes, in order; the total and the estimate
# are said before the first starts. The estimate is the last whole build's
# time when this one builds everything again (components built side by side
# each take longer than their share of the whole), else the sum of the
# missing components' last times.
plan=()
missing etcd && plan+=(etcd)
missing kwok kwok-stages.yaml && plan+=(kwok)
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    missing "$b" && plan+=("$b")
done
whole_id="all-$lanes"
estimate=0
if [ "${#plan[@]}" -eq 6 ] && [ -n "$(last_time "$whole_id")" ]; then
    estimate=$(last_time "$whole_id")
else
    for id in "${plan[@]}"; do
        last=$(last_time "$id")
        if [ -z "$last" ]; then
            estimate=-
            break
        fi
        estimate=$((estimate + last))
    done
fi
how="one after the other"
[ "$lanes" = 2 ] && how="two at a time"
if [ "$estimate" = - ]; then
    say "${#plan[@]} components to build, $how (${plan[*]}); no earlier build on this machine to estimate from"
else
    say "${#plan[@]} components to build, $how (${plan[*]}); the last build on this machine took $(minutes "$estimate")"
fi
machine plan "${#plan[@]}" "$estimate"

# The component's number in the plan (from 1), for "[3/6]" and "@start 3".
number_of() {
    local i
    for i in "${!plan[@]}"; do
        [ "${plan[$i]}" = "$1" ] && echo $((i + 1)) && return
    done
}

# step ID COMMAND…: builds component ID. Its Go tool's lines are kept apart
# while it builds (two builds write at once) and added to the log whole.
step() {
    local id=$1
    shift
    local n
    n=$(number_of "$id")
    local label="[$n/${#plan[@]}] $id"
    local own_log="$log.$id"
    local t0 last estimate="" pid rc=0
    t0=$(date +%s)
    last=$(last_time "$id")
    if [ -n "$last" ]; then
        estimate=" (last time on this machine: $(minutes "$last"))"
    fi
    say "$label: building$estimate"
    machine start "$n" "$id"
    printf '\n== %s: %s\n' "$id" "$*" >"$own_log"
    "$@" >>"$own_log" 2>&1 &
    pid=$!
    while ! wait_for "$pid" 30; do
        say "$label: still building, $(minutes $(($(date +%s) - t0)))$estimate"
    done
    wait "$pid" || rc=$?
    cat "$own_log" >>"$log" && rm -f "$own_log"
    if [ "$rc" -ne 0 ]; then
        sed -n '/^== /,$p' "$log" | tail -n 30 >&2
        die "$id failed (command: $*; the Go tool's output: $log). If a module could not be downloaded, check that the Go module proxy ($(go env GOPROXY)) is reachable, then run $again again."
    fi
    local took=$(($(date +%s) - t0))
    printf '%s %s\n' "$id" "$took" >>"$times"
    say "$label: done in $(minutes "$took")"
    machine done "$n" "$id" "$took"
}
# Waits up to $2 seconds for process $1 to end: 0 when it has (its status
# is collected by the caller's wait), 1 when it still runs.
wait_for() {
    local pid=$1 seconds=$2 i
    for ((i = 0; i < seconds * 5; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    return 1
}
install_artifacts() {
    local a
    for a in "$@"; do
        [ -s "$tmp_bin/$a" ] || die "build finished but $a is missing from $tmp_bin"
        mv -f "$tmp_bin/$a" "$bin_dir/$a"
    done
}
# Stops process $1 and everything it started (a lane, its go build and the
# compilers under it), children first, so none is left compiling alone.
stop_tree() {
    local child
    for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
        stop_tree "$child"
    done
    kill "$1" 2>/dev/null || true
}

# Version stamps: without them the binaries report v0.0.0-master and clients
# see a bogus server version.
major=${KUBERNETES_VERSION#v}
major=${major%%.*}
minor=${KUBERNETES_VERSION#v*.}
minor=${minor%%.*}
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION"
    ldflags+=" -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done
kube_command() {
    (cd "$lab_dir/kube" && step "$1" go build -trimpath -ldflags "$ldflags" -o "$tmp_bin/$1" "k8s.io/kubernetes/cmd/$1")
    install_artifacts "$1"
}

# The small lane: etcd, kwok (and its stages), then kubectl, which by then
# finds most of its Kubernetes packages compiled by the other lane.
small_lane() {
    # Downloading is network, compiling is CPU: kwok's modules download (go
    # list loads exactly what its build will need) while etcd compiles,
    # instead of its build waiting for its own downloads. Go's module cache
    # is safe for concurrent use.
    local prefetch=""
    if missing kwok || missing kwok-stages.yaml; then
        (cd "$lab_dir/kwok" && go list -deps sigs.k8s.io/kwok/cmd/kwok >/dev/null 2>>"$log.prefetch") &
        prefetch=$!
    fi
    if missing etcd; then
        (cd "$lab_dir/etcd" && step etcd go build -trimpath -ldflags "-s -w" -o "$tmp_bin/etcd" .)
        install_artifacts etcd
    fi
    # A failed prefetch is not an error: the build downloads again and says
    # what failed.
    [ -z "$prefetch" ] || wait "$prefetch" || true
    cat "$log.prefetch" >>"$log" 2>/dev/null && rm -f "$log.prefetch"
    if missing kwok || missing kwok-stages.yaml; then
        (cd "$lab_dir/kwok" && step kwok go build -trimpath -ldflags "-s -w" -o "$tmp_bin/" sigs.k8s.io/kwok/cmd/kwok)
        install_artifacts kwok
        local kwok_src stage
        kwok_src=$(cd "$lab_dir/kwok" && go mod download -json sigs.k8s.io/kwok | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
        [ -d "$kwok_src" ] || die "could not find the source of sigs.k8s.io/kwok ${KWOK_VERSION} in the module cache"
        for stage in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
            pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
            cat "$kwok_src/kustomize/stage/$stage.yaml"
            printf -- '---\n'
        done >"$tmp_bin/kwok-stages.yaml"
        install_artifacts kwok-stages.yaml
    fi
    if missing kubectl; then kube_command kubectl; fi
}
# The Kubernetes lane: the API server (the longest), then the controller
# manager and the scheduler, which share most of its packages. One go build
# per command, so each says its own time and installs as soon as it links
# (a stopped build keeps them).
kube_lane() {
    local b
    for b in kube-apiserver kube-controller-manager kube-scheduler; do
        if missing "$b"; then kube_command "$b"; fi
    done
}

# A stopped or failed build stops the lanes still running. (`|| true` in
# stop_tree: under set -e a failing command in the trap, such as killing a
# lane that has already ended, would turn a good build's exit into 1.)
lane_pids=()
trap 'for p in "${lane_pids[@]}"; do stop_tree "$p"; done; rm -rf "$tmp_bin"' EXIT
if [ "$lanes" = 1 ]; then
    small_lane
    kube_lane
else
    small_lane &
    lane_pids+=($!)
    kube_lane &
    lane_pids+=($!)
    # The first lane to fail stops the other: its error is the build's.
    running=("${lane_pids[@]}")
    while [ "${#running[@]}" -gt 0 ]; do
        still=()
        for pid in "${running[@]}"; do
            if kill -0 "$pid" 2>/dev/null; then
                still+=("$pid")
            elif ! wait "$pid"; then
                for other in "${lane_pids[@]}"; do [ "$other" = "$pid" ] || stop_tree "$other"; done
                exit 1
            fi
        done
        running=("${still[@]}")
        [ "${#running[@]}" -eq 0 ] || sleep 0.2
    done
    lane_pids=()
fi
took=$(($(date +%s) - started))
if [ "${#plan[@]}" -eq 6 ]; then
    printf '%s %s\n' "$whole_id" "$took" >>"$times"
fi
say "lab binaries ready in $bin_dir ($took s)"
echo "$bin_dir"
