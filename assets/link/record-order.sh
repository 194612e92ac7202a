#!/usr/bin/env bash
# Records which functions a learner's session runs, for the linker to put
# them side by side (assets/link/kubetutor.order; build.rs passes it to lld).
#
#   assets/link/record-order.sh            # needs the lab up and valgrind
#
# Why: the kernel maps a binary's code in 64 KiB windows around each page
# touched ("fault-around"), so a session that runs 3.6 MB of the 14 MB of
# machine code, scattered, keeps nearly all 14 MB resident. Placed together,
# the code a session runs fills a few windows instead of all of them.
#
# How: builds the release binary, runs it under valgrind's callgrind on the
# first lesson in a namespace of its own (tmux, 160×48) while keys walk all
# its steps as a learner does (answer, run the calls, solve and apply from
# the menu, reveal the token, help, type in the editor, quit), then writes every function of the binary that ran, most
# instructions first, as the linker names it (mangled). The symbol names
# depend on the exact toolchain, so the file records `rustc -V` on its first
# line and build.rs uses it only under that toolchain; functions added since
# the recording are simply placed after the recorded ones.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
# Built without the order so the recording never depends on an older one.
KUBETUTOR_NO_LINK_ORDER=1 cargo build --release --locked --quiet
bin=target/release/kubetutor
kubectl="$("$bin" lab status | sed -n 's/^binaries: *//p')/kubectl"
export KUBECONFIG
KUBECONFIG=$("$bin" lab env | sed -n 's/^export KUBECONFIG=//p' | tr -d "'\"")
ns="kt-order-$$" socket="kt-order-$$"
tmp=$(mktemp -d)
cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    "$kubectl" delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
"$kubectl" create namespace "$ns" >/dev/null

tmux -L "$socket" new-session -d -s t -x 160 -y 48 \
    "XDG_STATE_HOME=$tmp XDG_CACHE_HOME=$tmp valgrind --tool=callgrind --demangle=no \
     --callgrind-out-file=$tmp/callgrind.out $bin --namespace $ns --lesson serviceaccount-rbac \
     2>$tmp/valgrind.log; sleep 600"
# Under valgrind the tutor runs about 50 times slower: generous pauses.
key() { tmux -L "$socket" send-keys -t t "$@"; sleep 6; }
sleep 40
solve() { key F10; key Down; key Enter; sleep 6; }   # the menu's "Solve this step"
key 1; key C-n; key 2; key C-n            # steps 1-2: predictions
key F6; key 1; key F6; sleep 6; key C-n   # step 3: predict, run the token request
solve; key C-n                            # step 4: the Pod
key 3; key F6; sleep 6; key C-n           # step 5: the anonymous call
key 2; key F6; sleep 6; key C-n           # step 6: with the default token
for step in 7 8 9 10; do solve; key C-n; done
key 1; key F6; sleep 6                    # step 11: the call as demo-sa
key F8; key F8                            # reveal and mask the token
key F1; key Down; key Escape              # help
key e; key End; key Enter; key -l 'kind: Pod'; key C-z
key C-p; key C-c; sleep 20                # back a step, quit
[ -s "$tmp/callgrind.out" ] || { cat "$tmp/valgrind.log" >&2; exit 1; }

# callgrind_annotate lists "Ir  file:function [object]", most Ir first.
callgrind_annotate --threshold=100 --show-percs=no "$tmp/callgrind.out" |
    sed -n "s|^ *[0-9,]\+ *[^ ]*:\([^ ]*\) \[$(realpath "$bin")\]\$|\1|p" >"$tmp/ran"
nm --defined-only "$bin" | awk '$2 ~ /^[tT]$/ {print $3}' | sort -u >"$tmp/defined"
{
    echo "# $(rustc -V)"
    echo "# recorded $(date -u +%F) by assets/link/record-order.sh: the functions a session on the first lesson ran, most instructions first"
    awk 'NR == FNR {defined[$1] = 1; next} ($1 in defined) && !seen[$1]++' "$tmp/defined" "$tmp/ran"
} >assets/link/kubetutor.order
echo "$(($(wc -l <assets/link/kubetutor.order) - 2)) functions in assets/link/kubetutor.order"
