#!/usr/bin/env bash
# Runs the test suites and closes with one summary line. Two groups run side by side, each suite
# in its group after the other: the suites on this machine's Docker engine (unit, providers, end to
# end, library, docs), and the suites on test hosts in network namespaces of their own, with engines
# of their own (a server over SSH, a multi-node swarm). Engine-dependent end-to-end files run once
# per engine (BLUEGREEN_ENGINE), the rest once, on the first engine.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
started=$SECONDS
logs="$(mktemp -d)"
# Held shared by suites that run beside others on this machine's engine; a suite that restarts
# the engine takes it exclusively (test/e2e/failures.test.ts).
export BLUEGREEN_ENGINE_LOCK="$logs/engine.lock"
trap 'rm -rf "$logs"' EXIT

engines=(${BLUEGREEN_TEST_ENGINES:-docker-provider docker-cli})
# What depends on the engine: containers and images (release, zero downtime), pulls (registry),
# recovery from kills (failures), the ACME agent's container in nginx's namespaces.
ENGINE_E2E="release zeroDowntime registry failures acme trafficFirst"

# suite NAME COMMAND...: runs one suite, printing its output, then one `COUNT passed failed exit name` line.
suite() {
    local name=$1 out code p f
    shift
    out="$logs/suite.$BASHPID.$RANDOM"
    echo "== $name tests ($(date +%T))"
    "$@" 2>&1 | tee "$out"
    code=${PIPESTATUS[0]}
    p=$(sed -n 's/^ *\([0-9][0-9]*\) passing.*/\1/p' "$out" | tail -n1)
    f=$(sed -n 's/^ *\([0-9][0-9]*\) failing.*/\1/p' "$out" | tail -n1)
    # A suite that crashed before reporting counts as a failure too; one that ran no test fails.
    if [ "$code" -ne 0 ] && [ -z "$f" ]; then f=1; fi
    if [ -z "$p" ] && [ -z "$f" ]; then echo "error: the $name suite ran no test"; f=1; fi
    echo "COUNT ${p:-0} ${f:-0} $code $name"
    rm -f "$out"
}

# The ACME agent's own rules (renewal time, its files), in Go; counted like the mocha suites.
go_suite() {
    (cd images/acme && go test -v ./...) | awk '
        { print } /^--- PASS/ { p++ } /^--- FAIL/ { f++ }
        END { if (p) print "  " p " passing"; if (f) print "  " f " failing" }'
    return "${PIPESTATUS[0]}"
}

e2e_files() {
    local engine=$1 name files=()
    for file in bin/test/e2e/*.test.js; do
        name="$(basename "$file" .test.js)"
        if [ "$engine" = "${engines[0]}" ] || [[ " $ENGINE_E2E " == *" $name "* ]]; then files+=("$file"); fi
    done
    echo "${files[@]}"
}

this_machine() {
    suite unit npm run --silent test:unit
    suite providers npm run --silent test:providers
    suite "acme agent (go test)" go_suite
    for engine in "${engines[@]}"; do
        # shellcheck disable=SC2046 # one argument per file
        BLUEGREEN_ENGINE=$engine suite "e2e ($engine)" npx mocha --timeout 900000 $(e2e_files "$engine")
    done
    # The package as a library (a program of its own; a stack deployed by the previous main upgrades)
    # and the walk-throughs of docs/ (the README's are in e2e).
    suite library npm run --silent test:library
    suite docs npm run --silent test:docs
}

# on_harness NAME "HARNESS up [ARGS]" SUITES: brings a test host harness up, runs the suites on
# it, and takes it down again; a harness that does not come up counts as a failure.
on_harness() {
    local name=$1 up=$2 suites=$3
    if bash $up; then
        "$suites"
    else
        echo "error: the $name did not come up (bash $up)"
        echo "COUNT 0 1 1 $name"
    fi
    bash "${up%% *}" down
}

remote_suites() {
    for engine in "${engines[@]}"; do
        BLUEGREEN_ENGINE=$engine suite "remote over SSH ($engine)" \
            bash scripts/remote-harness.sh with -- npm run --silent test:remote
    done
}

swarm_suites() {
    # Inside the manager's network namespace: 127.0.0.1 is the manager there.
    for engine in "${engines[@]}"; do
        BLUEGREEN_ENGINE=$engine suite "swarm ($engine)" \
            bash scripts/swarm-harness.sh on 1 -- npm run --silent test:swarm
    done
    # The same swarm deployed from this machine's namespace, with DOCKER_HOST=ssh://root@<manager>.
    for engine in "${engines[@]}"; do
        BLUEGREEN_ENGINE=$engine suite "swarm over SSH ($engine)" bash -c \
            'eval "$(bash scripts/swarm-harness.sh env)" && DOCKER_HOST=$SWARM_MANAGER_SSH exec npm run --silent test:swarm-ssh'
    done
}

test_hosts() {
    # State in shared backends (PostgreSQL, S3), on this machine's engine: its stacks, ports and
    # servers keep it apart from the other group's suites, and a shared hold on the engine lock
    # keeps the failure suite's engine restart from stopping its containers (it comes first, so
    # that restart rarely waits; -o: no process it starts keeps the lock after it).
    suite "state backends" flock -s -o "$BLUEGREEN_ENGINE_LOCK" npm run --silent test:backends
    # A Docker host reachable only over SSH (DOCKER_HOST=ssh://…), then a 2-node swarm.
    on_harness "SSH test host" "scripts/remote-harness.sh up" remote_suites
    on_harness "multi-node swarm harness" "scripts/swarm-harness.sh up 2" swarm_suites
}

# The test hosts' group logs to a file while this machine's group prints as it goes.
test_hosts >"$logs/test-hosts.log" 2>&1 &
hosts_pid=$!
trap 'kill "$hosts_pid" 2>/dev/null; bash scripts/remote-harness.sh down; bash scripts/swarm-harness.sh down; rm -rf "$logs"' EXIT
this_machine 2>&1 | tee "$logs/this-machine.log"
echo "== waiting for the test hosts' suites ($(date +%T))"
wait "$hosts_pid"
cat "$logs/test-hosts.log"
trap 'rm -rf "$logs"' EXIT

passed=0 failed=0 status=0
echo "== summary"
while read -r _ p f code name; do
    passed=$((passed + p)) failed=$((failed + f))
    if [ "$f" -gt 0 ] || [ "$code" -ne 0 ]; then status=1; fi
    printf '  %-30s %4s passed %3s failed\n' "$name" "$p" "$f"
done < <(grep -h '^COUNT ' "$logs/this-machine.log" "$logs/test-hosts.log")
echo "tests: $passed passed, $failed failed in $(((SECONDS - started) / 60)) min"
exit "$status"
