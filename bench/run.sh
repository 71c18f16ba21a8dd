#!/usr/bin/env bash
# The benchmark: starts build/myelin on loopback in a temporary folder and prints messages/s
# with 50 concurrent senders, /sync wake-up latency and RSS. Build first (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x build/myelin ]] || { echo "build/myelin is missing: run scripts/build.sh first" >&2; exit 1; }
exec /usr/bin/python3 bench/bench.py
