#!/usr/bin/env bash
# Runs the release/rollback/status helper with the project's toolchain on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bluegreen_check_backend
exec node scripts/helpers.js "$@"
