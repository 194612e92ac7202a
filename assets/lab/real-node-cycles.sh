#!/usr/bin/env bash
# Start and stop a real-node lab N times in a row and count the starts that
# fail: the reproduction of issue 26's "coredns exited while starting" (one
# start in three, once). Each cycle is `kubetutor lab up --real-node` then
# `kubetutor lab down`, on a lab folder of the script's own (never the shared
# lab); a failed start keeps its output and the node's logs in the report
# folder, and the lab is taken down before the next cycle.
#
# Usage (as root, the real node built: assets/lab/build-real-node.sh):
#   assets/lab/real-node-cycles.sh [CYCLES] [KUBETUTOR_BINARY]
# CYCLES defaults to 20; the binary to target/debug/kubetutor (copied first, so
# a rebuild while the cycles run does not change what is measured).
# Prints one line per cycle and a closing "N of M starts failed"; exits 1 when
# any start or stop failed.
set -euo pipefail

cycles=${1:-20}
here=$(cd "$(dirname "$0")/../.." && pwd)
binary=${2:-$here/target/debug/kubetutor}
report=$(mktemp -d "${TMPDIR:-/tmp}/kubetutor-real-node-cycles.XXXXXX")
lab=$report/lab
cp "$binary" "$report/kubetutor"
export KUBETUTOR_LAB_DIR=$lab KUBECONFIG=$lab/kubeconfig
kt() { "$report/kubetutor" "$@"; }

up_failed=0
down_failed=0
for i in $(seq 1 "$cycles"); do
    start=$(date +%s.%N)
    if kt lab up --real-node >"$report/up-$i.log" 2>&1; then
        up=ok
    else
        up=FAILED
        up_failed=$((up_failed + 1))
        mkdir -p "$report/failed-$i"
        cp -r "$lab/logs" "$report/failed-$i/" 2>/dev/null || true
    fi
    took=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
    if kt lab down >"$report/down-$i.log" 2>&1; then
        down=ok
    else
        down=FAILED
        down_failed=$((down_failed + 1))
    fi
    printf 'cycle %2d: up %s (%.1f s), down %s\n' "$i" "$up" "$took" "$down"
    if [ "$up" = FAILED ]; then
        grep -m1 -E 'exited while starting|was not ready|Error|error' "$report/up-$i.log" | sed 's/^/          /' || true
    fi
done
kt lab down --purge >/dev/null 2>&1 || true
echo "$up_failed of $cycles starts failed, $down_failed of $cycles stops failed (outputs and logs of failed cycles: $report)"
[ "$up_failed" -eq 0 ] && [ "$down_failed" -eq 0 ]
