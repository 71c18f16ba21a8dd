#!/usr/bin/env bash
# Installs what is missing, builds, and serves on http://127.0.0.1:8008 with the data (SQLite
# database, signing key, commented config) under data/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec build/myelin serve --config data/myelin.yaml
