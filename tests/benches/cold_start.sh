#!/usr/bin/env bash
# A newcomer's first run, cold, timed: clone → `cargo run --release -- --lab`
# → the first lesson's text on screen → the tutor connected to the lab's API
# server → the whole lab up.
#
#   tests/benches/cold_start.sh [REPOSITORY [REVISION]]
#
# REPOSITORY defaults to this checkout (its committed HEAD: commit what you
# want measured). Everything a first run fills is a new, empty temp folder:
# CARGO_TARGET_DIR, Go's build cache (GOCACHE) and module cache
# (GOMODCACHE), XDG_CACHE_HOME (kubetutor's lab build cache), XDG_STATE_HOME
# and KUBETUTOR_LAB_DIR (a lab of its own, other ports; stopped at the end).
# Nothing shared is touched (~/.cache/kubetutor, ~/go, another lab). Cargo's
# registry (~/.cargo) is kept unless EMPTY_CARGO_HOME=1 (then crates are
# downloaded too). The tutor runs in tmux, whose screen is read every 0.2 s.
#
# Prints one line per milestone (seconds from the clone), the lab build's
# time per component, and the load average before and after: on a machine
# shared with other work, the figures are only as good as that load.
set -euo pipefail

repo=${1:-$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)}
revision=${2:-HEAD}
timeout_s=${TIMEOUT_S:-3600}

command -v tmux >/dev/null || { echo "cold_start: needs tmux" >&2; exit 2; }
command -v go >/dev/null || { echo "cold_start: needs Go (the lab is built from Go modules)" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kubetutor-cold.XXXXXX")
socket="kubetutor-cold-$$"
export CARGO_TARGET_DIR="$tmp/target"
export GOCACHE="$tmp/go-build"
export GOMODCACHE="$tmp/go-mod"
export XDG_CACHE_HOME="$tmp/cache"
export XDG_STATE_HOME="$tmp/state"
export KUBETUTOR_LAB_DIR="$tmp/lab"
unset KUBETUTOR_LAB_BIN KUBETUTOR_LAB_CACHE KUBETUTOR_LAB_BUILD_SCRIPT KUBECONFIG
if [ "${EMPTY_CARGO_HOME:-0}" = 1 ]; then
    export CARGO_HOME="$tmp/cargo-home"
fi

cleanup() {
    tmux -L "$socket" kill-server 2>/dev/null || true
    if [ -x "$CARGO_TARGET_DIR/release/kubetutor" ]; then
        "$CARGO_TARGET_DIR/release/kubetutor" lab down >/dev/null 2>&1 || true
    fi
    # The module cache is read-only by design: Go removes it itself.
    go clean -modcache >/dev/null 2>&1 || true
    if [ "${KEEP:-0}" = 1 ]; then
        echo "kept: $tmp"
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT

say() { printf '%s\n' "$*"; }
say "machine: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(nproc) cores, $(free -g | awk '/^Mem:/{print $2}') GB RAM, $(go version | cut -d' ' -f3), $(rustc --version)"
say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
say "date: $(date -u +%Y-%m-%dT%H:%MZ); repository: $repo @ $revision"

start=$(date +%s.%N)
since() { printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)"; }

git clone --quiet "$repo" "$tmp/src"
git -C "$tmp/src" checkout --quiet "$revision"
say "$(since) s  cloned"

# What README tells a newcomer to run, in a terminal of 160×48.
tmux -L "$socket" new-session -d -s t -x 160 -y 48 \
    "cd '$tmp/src' && cargo run --release -- --lab 2>'$tmp/stderr'; echo KUBETUTOR-EXITED \$?; sleep 600"

lesson_at="" connected_at="" whole_at=""
deadline=$(($(date +%s) + timeout_s))
while [ -z "$whole_at" ]; do
    screen=$(tmux -L "$socket" capture-pane -p -t t 2>/dev/null || true)
    flat=$(printf '%s' "$screen" | tr -d '\n')
    if [ -z "$lesson_at" ] && [[ $flat == *"The API server behind the kubernetes Service"* ]]; then
        lesson_at=$(since)
        say "$lesson_at s  first lesson text on screen"
    fi
    # Connected once the API server serves; the rest of the lab (controllers,
    # scheduler, kwok) may still be building: "connected · lab partly up: …".
    if [ -n "$lesson_at" ] && [ -z "$connected_at" ] && [[ $flat == *"│ connected"* ]]; then
        connected_at=$(since)
        say "$connected_at s  lab connected (its API server)"
    fi
    if [ -n "$connected_at" ] && [[ $flat == *"│ connected"* ]] && [[ $flat != *"partly up"* ]]; then
        whole_at=$(since)
        say "$whole_at s  whole lab up"
    fi
    if [[ $flat == *KUBETUTOR-EXITED* ]]; then
        say "kubetutor ended before the lab connected; its screen and stderr:"
        printf '%s\n' "$screen"
        cat "$tmp/stderr" 2>/dev/null || true
        exit 1
    fi
    if [ "$(date +%s)" -gt "$deadline" ]; then
        say "gave up after $timeout_s s; the screen:"
        printf '%s\n' "$screen"
        exit 1
    fi
    sleep 0.2
done
tmux -L "$socket" send-keys -t t C-c

say "lab build, per component (seconds, from build.sh's record):"
sed 's/^/  /' "$XDG_CACHE_HOME/kubetutor/lab/build-times" 2>/dev/null || say "  (no record)"
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'RESULT lesson_text_s=%s lab_connected_s=%s lab_whole_s=%s\n' "$lesson_at" "$connected_at" "$whole_at"
