#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (unit tests, end-to-end tests with
# matrix-nio and matrix-js-sdk, the bad-input suite, the crash test, the layer and format
# checks) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --tests
scripts/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 600
