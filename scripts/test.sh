#!/usr/bin/env bash
# Runs the mocha suites in order (unit, providers, end to end) and closes with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
passed=0 failed=0 status=0
for suite in unit providers e2e; do
    echo "== $suite tests"
    out="$(mktemp)"
    npm run --silent "test:$suite" 2>&1 | tee "$out"
    code=${PIPESTATUS[0]}
    p=$(sed -n 's/^ *\([0-9][0-9]*\) passing.*/\1/p' "$out" | tail -n1)
    f=$(sed -n 's/^ *\([0-9][0-9]*\) failing.*/\1/p' "$out" | tail -n1)
    passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0}))
    # A suite that crashed before reporting counts as a failure too.
    if [ "$code" -ne 0 ]; then status=1; [ -z "$f" ] && failed=$((failed + 1)); fi
    if [ -z "$p" ] && [ -z "$f" ]; then echo "error: the $suite suite ran no test"; status=1; fi
    rm -f "$out"
done
echo "tests: $passed passed, $failed failed"
exit "$status"
