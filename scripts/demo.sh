#!/usr/bin/env bash
# `make demo`: deploy the sample on the dev stack, then release the other version while a client
# sends GET and POST requests on keep-alive connections, and report what it saw.
# `make swarm-demo` runs it on a swarm manager (scripts/swarm-demo.sh); BLUEGREEN_DEMO_ON is then
# the prefix that runs a command there, for the commands this prints.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bluegreen_check_backend
export PULUMI_STACK="${PULUMI_STACK:-dev}"
pulumi stack select "$PULUMI_STACK" 2>/dev/null || pulumi stack init "$PULUMI_STACK"

echo "== 1. deploy (pulumi up)"
pulumi up --yes --non-interactive --stack "$PULUMI_STACK"
url="$(pulumi stack output url --stack "$PULUMI_STACK")"
current="$(pulumi stack output liveImage --stack "$PULUMI_STACK")"
next=bluegreen-sample:2
[ "$current" = "$next" ] && next=bluegreen-sample:1
echo "serving: $(curl -s "$url/")"
on="${BLUEGREEN_DEMO_ON:-}"
swarm="$(pulumi config get orchestrator --stack "$PULUMI_STACK" 2>/dev/null || true)"
if [ "$swarm" = swarm ]; then
    echo "replicas (service, node, state):"
    docker service ps --filter desired-state=running --format '  {{.Name}}  {{.Node}}  {{.CurrentState}}' \
        "$PULUMI_STACK-blue" "$PULUMI_STACK-green" "$PULUMI_STACK-proxy"
fi

echo "== 2. release $next while a client polls $url (GET and POST, keep-alive, 50 rps each)"
results="$(mktemp -d)"
hey -z 20s -q 25 -c 2 "$url/" >"$results/get.txt" 2>&1 &
get_pid=$!
hey -z 20s -q 25 -c 2 -m POST -d 'demo=1' "$url/" >"$results/post.txt" 2>&1 &
post_pid=$!
sleep 2
release_code=0
npm run --silent release -- "$next" || release_code=$?
wait "$get_pid" "$post_pid"

# hey's report -> "ok non200 errors"
summarize() {
    awk '/Status code distribution:/ {mode = "s"; next}
         /Error distribution:/ {mode = "e"; next}
         mode == "s" && $1 ~ /^\[[0-9]+\]$/ {c = $1; gsub(/[][]/, "", c); if (c == 200) ok += $2; else bad += $2}
         mode == "e" && $1 ~ /^\[[0-9]+\]$/ {n = $1; gsub(/[][]/, "", n); err += n}
         END {print ok + 0, bad + 0, err + 0}' "$@"
}
read -r ok non200 errors < <(summarize "$results/get.txt" "$results/post.txt")
echo
echo "== what happened"
echo "release exit code: $release_code"
echo "requests answered 200: $ok; non-200: $non200; connection errors: $errors"
echo "now serving: $(curl -s "$url/" | tr -d '\n') ($(curl -si "$url/" | grep -i '^x-color' | tr -d '\r'))"
rm -rf "$results"

echo
echo "== left running"
if [ "$swarm" = swarm ]; then
    docker service ls --filter "label=io.bluegreen.managed=$PULUMI_STACK" --format '  service {{.Name}}  {{.Image}}  {{.Replicas}}'
    echo "  a swarm of $(docker node ls -q | wc -l) nodes: one dockerd per network namespace (scripts/swarm-harness.sh status)"
else
    docker ps --filter "label=io.bluegreen.managed=$PULUMI_STACK" --format '  {{.Names}}  {{.Image}}  {{.Ports}}'
fi
[ -f "${BLUEGREEN_CACHE:-$HOME/.cache/bluegreen}/dockerd.started" ] \
    && echo "  dockerd, started by make setup (log: ${BLUEGREEN_CACHE:-$HOME/.cache/bluegreen}/logs/dockerd.log)"
echo "  stack state: $PULUMI_BACKEND_URL (stack $PULUMI_STACK)"
echo
echo "== look around (in this shell first: . scripts/env.sh${on:+; export PULUMI_STACK=$PULUMI_STACK})"
echo "  ${on:+$on }curl -i $url/           # X-Color says which colour served you"
echo "  ${on:+$on }npm run status          # which colour serves, both images, health"
echo "  ${on:+$on }npm run preview         # what the next pulumi up would do"
echo "  ${on:+$on }npm run rollback        # traffic back to the standby colour"
echo "  README.md, Walk-throughs: release, stage, promote, roll back"
echo
echo "== clean up"
if [ "$swarm" = swarm ]; then
    echo "  make swarm-destroy      # pulumi destroy of stack $PULUMI_STACK, then the swarm's nodes and network"
else
    echo "  make destroy            # pulumi destroy of stack $PULUMI_STACK: removes its containers and network"
fi
[ "$release_code" = 0 ] && [ "$non200" = 0 ] && [ "$errors" = 0 ]
