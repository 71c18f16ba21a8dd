#!/usr/bin/env bash
# Configures build/ (Ninja, ccache) and builds everything. CI=true turns warnings into errors.
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
[[ "${CI:-}" == "true" ]] && werror=ON
if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMYELIN_WERROR=$werror
fi
cmake --build build
