#!/usr/bin/env bash
# The format check: every C++ source under src/ is as clang-format (.clang-format) writes it.
# Fix with: clang-format -i $(git ls-files 'src/*.cc' 'src/*.h')
set -euo pipefail
cd "$(dirname "$0")/.."
find src -name '*.cc' -o -name '*.h' | sort | xargs clang-format --dry-run --Werror
