#!/usr/bin/env bash
# Runs the release/rollback/status helper with the project's toolchain on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
[ -f bin/scripts/cli.js ] && [ -z "$(find components scripts index.ts -name '*.ts' -newer bin/scripts/cli.js)" ] \
    || npx tsc -p .
exec node bin/scripts/cli.js "$@"
