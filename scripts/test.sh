#!/usr/bin/env bash
# Runs the mocha suites in order (unit, providers, end to end, then end to end on a multi-node
# swarm built for the purpose and torn down after) and closes with one summary line. The end-to-end
# and swarm suites run once per engine (BLUEGREEN_ENGINE): the same tests, not copies.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
passed=0 failed=0 status=0

# run_suite NAME COMMAND...: runs one suite, adds its counts; a suite that reports nothing fails.
run_suite() {
    local suite=$1 out code p f
    shift
    echo "== $suite tests"
    out="$(mktemp)"
    "$@" 2>&1 | tee "$out"
    code=${PIPESTATUS[0]}
    p=$(sed -n 's/^ *\([0-9][0-9]*\) passing.*/\1/p' "$out" | tail -n1)
    f=$(sed -n 's/^ *\([0-9][0-9]*\) failing.*/\1/p' "$out" | tail -n1)
    passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0}))
    # A suite that crashed before reporting counts as a failure too.
    if [ "$code" -ne 0 ]; then status=1; [ -z "$f" ] && failed=$((failed + 1)); fi
    if [ -z "$p" ] && [ -z "$f" ]; then echo "error: the $suite suite ran no test"; status=1; fi
    rm -f "$out"
}

engines=(${BLUEGREEN_TEST_ENGINES:-docker-provider docker-cli})
for suite in unit providers; do
    run_suite "$suite" npm run --silent "test:$suite"
done
# The ACME agent's own rules (renewal time, its files), in Go; counted like the mocha suites.
go_suite() {
    (cd images/acme && go test -v ./...) | tee /dev/stderr | awk '
        /^--- PASS/ { p++ } /^--- FAIL/ { f++ }
        END { if (p) print "  " p " passing"; if (f) print "  " f " failing" }'
    return "${PIPESTATUS[0]}"
}
run_suite "acme agent (go test)" go_suite
for engine in "${engines[@]}"; do
    BLUEGREEN_ENGINE=$engine run_suite "e2e ($engine)" npm run --silent test:e2e
done
# The package as a library: a program of its own installs the tarball; a stack deployed by the
# previous main upgrades (both engines inside the suite).
run_suite "library" npm run --silent test:library

# The remote suite deploys from here to a Docker host reachable only over SSH (DOCKER_HOST=ssh://…).
if bash scripts/remote-harness.sh up; then
    trap 'bash scripts/remote-harness.sh down' EXIT
    for engine in "${engines[@]}"; do
        BLUEGREEN_ENGINE=$engine run_suite "remote over SSH ($engine)" \
            bash scripts/remote-harness.sh with -- npm run --silent test:remote
    done
    bash scripts/remote-harness.sh down
    trap - EXIT
else
    echo "error: the SSH test host did not come up (scripts/remote-harness.sh up)"
    status=1 failed=$((failed + 1))
fi

# The swarm suite runs inside the manager's network namespace: 127.0.0.1 is the manager there.
if bash scripts/swarm-harness.sh up 2; then
    trap 'bash scripts/swarm-harness.sh down' EXIT
    for engine in "${engines[@]}"; do
        BLUEGREEN_ENGINE=$engine run_suite "swarm ($engine)" bash scripts/swarm-harness.sh on 1 -- npm run --silent test:swarm
    done
    # The same swarm deployed from this machine's namespace, with DOCKER_HOST=ssh://root@<manager>.
    for engine in "${engines[@]}"; do
        BLUEGREEN_ENGINE=$engine run_suite "swarm over SSH ($engine)" bash -c \
            'eval "$(bash scripts/swarm-harness.sh env)" && DOCKER_HOST=$SWARM_MANAGER_SSH exec npm run --silent test:swarm-ssh'
    done
else
    echo "error: the multi-node swarm harness did not come up (scripts/swarm-harness.sh up 2)"
    status=1 failed=$((failed + 1))
fi

echo "tests: $passed passed, $failed failed"
exit "$status"
