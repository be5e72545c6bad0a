#!/usr/bin/env bash
# `make swarm-demo`: a 2-node Docker Swarm on this machine (scripts/swarm-harness.sh), then the
# demo of `make demo` on the `swarm` stack (Pulumi.swarm.yaml: 2 replicas per colour), run on the
# manager: deploy across the nodes, release the other version under load, report what was seen.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bluegreen_check_backend
export PULUMI_STACK=swarm
bash scripts/swarm-harness.sh up 2
on_manager() { bash scripts/swarm-harness.sh on 1 -- "$@"; }

# The harness lives only as long as this machine's session: a stack left from an earlier one
# names services that no longer exist, so it starts afresh (its config file stays).
if pulumi stack ls --json 2>/dev/null | grep -q "\"name\": \"$PULUMI_STACK\"" &&
    ! on_manager docker service inspect "$PULUMI_STACK-proxy" >/dev/null 2>&1; then
    echo "the swarm of the last swarm demo is gone: starting stack $PULUMI_STACK afresh"
    pulumi stack rm --yes --force --preserve-config "$PULUMI_STACK" >/dev/null
fi

BLUEGREEN_DEMO_ON="scripts/swarm-harness.sh on 1 --" on_manager bash scripts/demo.sh
