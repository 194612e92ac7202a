#!/usr/bin/env bash
# The lab's build script lives in assets/lab/ (the binary embeds that folder and
# `kubetutor lab build` runs the same script). This path is kept for habits and
# scripts that call lab/build.sh.
exec bash "$(dirname "${BASH_SOURCE[0]}")/../assets/lab/build.sh" "$@"
