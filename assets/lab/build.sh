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

# The components this build makes, in order; the total and the estimate
# (the sum of each one's last time here) are said before the first starts.
# The order is the order the lab starts in, so kubetutor starts each
# component as soon as it is installed (src/lab/arrivals.rs): etcd and the
# API server first (the tutor connects about 2 minutes before the build
# ends), kubectl next (the learner's first commands), kwok last (after the
# Kubernetes binaries it compiles in seconds: they share Go's build cache).
order=(etcd kube-apiserver kubectl kube-controller-manager kube-scheduler kwok)
plan=()
for id in "${order[@]}"; do
    case $id in
    kwok) missing kwok kwok-stages.yaml && plan+=(kwok) ;;
    *) missing "$id" && plan+=("$id") ;;
    esac
done
estimate=0
for id in "${plan[@]}"; do
    last=$(last_time "$id")
    if [ -z "$last" ]; then
        estimate=-
        break
    fi
    estimate=$((estimate + last))
done
if [ "$estimate" = - ]; then
    say "${#plan[@]} components to build (${plan[*]}); no earlier build on this machine to estimate from"
else
    say "${#plan[@]} components to build (${plan[*]}); the last build on this machine took $(minutes "$estimate")"
fi
machine plan "${#plan[@]}" "$estimate" "${plan[@]}"
index=0

# step ID "ARTIFACTS" COMMAND…: builds component ID into $tmp_bin and
# installs its ARTIFACTS (space-separated) before it says "@done": kubetutor
# starts a component once it reads that line. (The caller, in a subshell,
# counts it in $index afterwards.)
step() {
    local id=$1 artifacts=$2
    shift 2
    local n=$((index + 1))
    local label="[$n/${#plan[@]}] $id"
    local t0 last estimate="" pid rc=0
    t0=$(date +%s)
    last=$(last_time "$id")
    if [ -n "$last" ]; then
        estimate=" (last time on this machine: $(minutes "$last"))"
    fi
    say "$label: building$estimate"
    machine start "$n" "$id"
    printf '\n== %s: %s\n' "$id" "$*" >>"$log"
    "$@" >>"$log" 2>&1 &
    pid=$!
    while ! wait_for "$pid" 30; do
        say "$label: still building, $(minutes $(($(date +%s) - t0)))$estimate"
    done
    wait "$pid" || rc=$?
    if [ "$rc" -ne 0 ]; then
        tail -n 30 "$log" >&2
        die "$id failed (command: $*; the Go tool's output: $log). If a module could not be downloaded, check that the Go module proxy ($(go env GOPROXY)) is reachable, then run $again again."
    fi
    # shellcheck disable=SC2086 # a list of file names without spaces
    install_artifacts $artifacts
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

# Downloading is network, compiling is CPU: the Kubernetes and kwok modules
# download (go list loads exactly what the builds will need) while etcd
# compiles, instead of each build waiting for its own downloads. Go's module
# cache is safe for concurrent use.
prefetch_pids=()
if missing kwok || missing kwok-stages.yaml; then
    (cd "$lab_dir/kwok" && go list -deps sigs.k8s.io/kwok/cmd/kwok >/dev/null 2>>"$log.prefetch") &
    prefetch_pids+=($!)
fi
if missing "${kube_binaries[@]}"; then
    (cd "$lab_dir/kube" && go list -deps "${kube_binaries[@]/#/k8s.io/kubernetes/cmd/}" >/dev/null 2>>"$log.prefetch") &
    prefetch_pids+=($!)
fi
# A failed prefetch is not an error: the build itself downloads again and
# says what failed.
# (`|| true`: under set -e a failing command in the trap, such as killing a
# prefetch that has already ended, would turn a good build's exit into 1.)
trap 'kill "${prefetch_pids[@]}" 2>/dev/null || true; rm -rf "$tmp_bin"' EXIT

# kwok and its stages are one component: kubetutor starts kwok only with both.
build_kwok() {
    go build -trimpath -ldflags "-s -w" -o "$tmp_bin/" sigs.k8s.io/kwok/cmd/kwok || return
    local kwok_src stage
    kwok_src=$(go mod download -json sigs.k8s.io/kwok | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    if [ ! -d "$kwok_src" ]; then
        echo "could not find the source of sigs.k8s.io/kwok ${KWOK_VERSION} in the module cache"
        return 1
    fi
    for stage in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
        pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
        cat "$kwok_src/kustomize/stage/$stage.yaml"
        printf -- '---\n'
    done >"$tmp_bin/kwok-stages.yaml"
}
prefetched=false
for id in "${plan[@]}"; do
    # The downloads run while etcd compiles; the next builds need them.
    if [ "$id" != etcd ] && ! $prefetched; then
        for pid in "${prefetch_pids[@]}"; do wait "$pid" || true; done
        cat "$log.prefetch" >>"$log" 2>/dev/null && rm -f "$log.prefetch"
        prefetched=true
    fi
    # One go build per component, so each says its own time; they share
    # Go's build cache, so the packages one compiled are not compiled again,
    # and each installs as soon as it links (a stopped build keeps them).
    case $id in
    etcd) (cd "$lab_dir/etcd" && step etcd etcd go build -trimpath -ldflags "-s -w" -o "$tmp_bin/etcd" .) ;;
    kwok) (cd "$lab_dir/kwok" && step kwok "kwok kwok-stages.yaml" build_kwok) ;;
    *) (cd "$lab_dir/kube" && step "$id" "$id" go build -trimpath -ldflags "$ldflags" -o "$tmp_bin/$id" "k8s.io/kubernetes/cmd/$id") ;;
    esac
    index=$((index + 1))
done
say "lab binaries ready in $bin_dir ($(($(date +%s) - started)) s)"
echo "$bin_dir"
