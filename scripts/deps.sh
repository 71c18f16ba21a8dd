#!/usr/bin/env bash
# Installs what building, running and testing myelin needs on Debian 12; does nothing for what
# is already there. The one list of Debian packages the project uses. --tests adds Node.js and
# the matrix-js-sdk tests' npm packages, --bench adds wrk for bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsodium-dev libssl-dev libsqlite3-dev libspdlog-dev libyaml-cpp-dev libvips-dev
  libvips-tools
  libgtest-dev libgmock-dev clang-format
  python3 python3-matrix-nio python3-olm python3-cryptography openssl
)
# Installs, with apt, those of the given Debian packages that are not installed yet.
install_missing() {
  local missing=() package sudo=""
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
}
install_missing "${packages[@]}"

# wrk drives the benchmark's HTTP load (bench/run.sh); nothing else needs it.
if [[ "${1:-}" == "--bench" ]]; then
  install_missing wrk
fi

# Node.js and npm drive the matrix-js-sdk tests; use the machine's own when present.
if [[ "${1:-}" == "--tests" ]]; then
  if ! command -v npm >/dev/null; then
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q nodejs npm
  fi
  if [[ -f tests/e2e/js/package-lock.json ]]; then
    stamp=tests/e2e/js/node_modules/.installed-lock
    if ! cmp -s tests/e2e/js/package-lock.json "$stamp" 2>/dev/null; then
      (cd tests/e2e/js && npm ci --no-audit --no-fund --loglevel=error)
      cp tests/e2e/js/package-lock.json "$stamp"
    fi
  fi
fi
