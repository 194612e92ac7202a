#!/usr/bin/env bash
# Resident memory of the tutor in a namespace of many Pods, split into heap
# (RssAnon) and the binary's own pages (RssFile), for one or more kubetutor
# binaries side by side (a before and an after), on the running lab.
#
#   tests/benches/rss_pods.sh [-n PODS] [-r RUNS] BINARY…
#
# Creates a namespace of its own with PODS Pods (default 5000) that carry a
# scheduling gate (never scheduled: they take no room on the lab's shared
# kwok nodes), opens each BINARY's tutor on the first lesson in it (tmux,
# 160×48), answers step 1's prediction, reads /proc after 20 s, RUNS times
# each (default 3, binaries alternating), and deletes the namespace.
#
# Each binary is read whole before its run, so every one is measured as a
# freshly built or installed binary is: the kernel's fault-around maps only
# pages already in the page cache, so a binary partly evicted by a build in
# between would otherwise look smaller than it is.
set -euo pipefail
pods=5000 runs=3
while getopts n:r: opt; do
    case $opt in
    n) pods=$OPTARG ;;
    r) runs=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-n PODS] [-r RUNS] BINARY…" >&2; exit 2; }
first=$(realpath "$1")
kubeconfig=$("$first" lab env | sed -n 's/^export KUBECONFIG=//p' | tr -d "'\"")
kubectl="$("$first" lab status | sed -n 's/^binaries: *//p')/kubectl"
export KUBECONFIG=$kubeconfig
ns="kt-rss-$$"
socket="kt-rss-$$"
tmp=$(mktemp -d)
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    "$kubectl" delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT

"$kubectl" create namespace "$ns" >/dev/null
for ((i = 0; i < pods; i++)); do
    printf -- '---\napiVersion: v1\nkind: Pod\nmetadata: {name: idle-%05d, labels: {app: idle}}\nspec:\n  schedulingGates: [{name: kubetutor.dev/bench}]\n  containers: [{name: idle, image: busybox}]\n' "$i"
done >"$tmp/pods.yaml"
[ "$pods" -eq 0 ] || "$kubectl" -n "$ns" create -f "$tmp/pods.yaml" >/dev/null
echo "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(nproc) cores; $pods gated Pods in $ns"
# How much of the linker's function order (build.rs) each binary still
# matches: any change to the crate renames some functions (LLVM's
# `.llvm.<hash>` suffixes), and a binary far from the recording keeps more
# of itself resident. Re-record with assets/link/record-order.sh.
order="$(dirname "$0")/../../assets/link/kubetutor.order"
if command -v nm >/dev/null && [ -f "$order" ]; then
    tail -n +2 "$order" | grep -v '^#' | sort -u >"$tmp/order"
    for bin in "$@"; do
        nm --defined-only "$bin" | awk '$2 ~ /^[tT]$/ {print $3}' | sort -u >"$tmp/defined"
        echo "$bin: $(comm -12 "$tmp/order" "$tmp/defined" | wc -l) of $(wc -l <"$tmp/order") functions of the link order defined"
    done
fi

kib() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$2/status"; }
for ((run = 1; run <= runs; run++)); do
    for bin in "$@"; do
        bin=$(realpath "$bin")
        state="$tmp/state-$run"
        tmux -L "$socket" kill-server 2>/dev/null || true
        cat "$bin" >/dev/null
        XDG_STATE_HOME=$state XDG_CACHE_HOME=$state tmux -L "$socket" new-session -d -s t -x 160 -y 48 \
            "XDG_STATE_HOME=$state XDG_CACHE_HOME=$state $bin --namespace $ns --lesson serviceaccount-rbac; sleep 600"
        sleep 3
        tmux -L "$socket" send-keys -t t 1
        sleep 20
        pid=$(pgrep -f "^$bin --namespace $ns" | head -n1)
        printf '%-60s RSS %6.1f MiB  heap (anon) %6.1f MiB  binary (file) %6.1f MiB\n' "$bin" \
            "$(echo "$(kib VmRSS "$pid") / 1024" | bc -l)" \
            "$(echo "$(kib RssAnon "$pid") / 1024" | bc -l)" \
            "$(echo "$(kib RssFile "$pid") / 1024" | bc -l)"
        tmux -L "$socket" kill-server
    done
done
