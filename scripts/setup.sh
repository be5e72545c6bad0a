#!/usr/bin/env bash
# `make setup`: everything `pulumi up` needs on this machine, idempotent; a warm run changes nothing.
STEP=setup
source "$(dirname "$0")/lib.sh"
started=$SECONDS
cd "$REPO_ROOT"

command -v node >/dev/null 2>&1 || die "Node.js and npm are needed (apt-get install nodejs npm)"
"$REPO_ROOT/scripts/node.sh"
source "$REPO_ROOT/scripts/lib.sh" # puts a Node fetched just now on PATH for npm ci
# npm ci only when package-lock.json changed since the last install (npm ci always reinstalls).
lock_hash="$(sha256sum package-lock.json | cut -c1-16)"
if [ "$(cat node_modules/.bluegreen-lock 2>/dev/null)" != "$lock_hash" ]; then
    STEP=npm log "npm ci (install scripts disabled by .npmrc)"
    run_logged "$BLUEGREEN_CACHE/logs/npm-ci.log" npm ci --no-audit --no-fund
    echo "$lock_hash" > node_modules/.bluegreen-lock
else
    STEP=npm log "node_modules up to date"
fi

"$REPO_ROOT/scripts/docker-engine.sh"
"$REPO_ROOT/scripts/toolchain.sh"
"$REPO_ROOT/scripts/python.sh"
"$REPO_ROOT/scripts/state-servers.sh"
"$REPO_ROOT/scripts/images.sh"
if ! command -v hey >/dev/null 2>&1; then
    ensure_debs hey # load generator for the zero-downtime tests and the benchmark
fi
if ! command -v docker-registry >/dev/null 2>&1 || ! command -v htpasswd >/dev/null 2>&1; then
    # A real registry on 127.0.0.1 for the image-pull tests, and htpasswd for its logins.
    ensure_debs docker-registry apache2-utils
fi
if ! command -v ip >/dev/null 2>&1 || ! command -v nsenter >/dev/null 2>&1 || ! command -v iptables >/dev/null 2>&1; then
    ensure_debs iproute2 util-linux iptables # the multi-node swarm harness (scripts/swarm-harness.sh)
fi
if [ ! -x /usr/sbin/sshd ] || ! command -v curl >/dev/null 2>&1; then
    ensure_debs openssh-server curl # the Docker host reached over SSH (scripts/remote-harness.sh)
fi
if ! command -v openssl >/dev/null 2>&1 || ! command -v pebble >/dev/null 2>&1; then
    # Test certificates for the HTTPS suites, and a local ACME server (and its mock DNS) for ACME's.
    ensure_debs openssl pebble
fi
log "ready in $((SECONDS - started)) s; now: . scripts/env.sh"
