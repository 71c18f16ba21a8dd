#!/usr/bin/env bash
# The benchmark (bench/README.md): starts a fresh server on loopback in a temporary folder —
# build/myelin, or $MYELIN_BIN — drives it with wrk and build/bench/sync_bench, and prints one
# markdown table. Needs a build (scripts/build.sh) and wrk (scripts/deps.sh --bench).
# Knobs: BENCH_SECONDS (each wrk phase, 8), BENCH_SENDERS (1,10,50), BENCH_MEMBERS (2,100,1000),
# BENCH_SAMPLES (200), BENCH_FANOUT_MESSAGES (10), BENCH_ROOMS (500), BENCH_SEARCH_MESSAGES (100000),
# BENCH_PHASES (all).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONDONTWRITEBYTECODE=1
export MYELIN_BIN="${MYELIN_BIN:-$PWD/build/myelin}"
[[ -x $MYELIN_BIN ]] || { echo "$MYELIN_BIN is missing: run scripts/build.sh first" >&2; exit 1; }
[[ -x build/bench/sync_bench ]] || { echo "build/bench/sync_bench is missing: run scripts/build.sh first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/deps.sh --bench" >&2; exit 1; }
exec /usr/bin/python3 bench/bench.py
