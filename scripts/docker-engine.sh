#!/usr/bin/env bash
# Makes sure a Docker engine answers. Never restarts or reconfigures one that already runs.
STEP=docker
source "$(dirname "$0")/lib.sh"

if docker info >/dev/null 2>&1; then
    log "engine running ($(docker info --format '{{.ServerVersion}}, {{.Driver}}'))"
    exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
    ensure_debs docker.io
fi
is_root || die "no Docker engine answers and starting dockerd needs root; start it (or set DOCKER_HOST) and rerun"

engine_log="$BLUEGREEN_CACHE/logs/dockerd.log"
mkdir -p "$(dirname "$engine_log")"
log "starting dockerd (log: $engine_log)"
# setsid: the engine must outlive this script and the make that ran it.
setsid nohup dockerd >"$engine_log" 2>&1 </dev/null &
# So `make demo` can tell the user what it left running.
echo $! >"$BLUEGREEN_CACHE/dockerd.started"
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        log "engine up ($(docker info --format '{{.ServerVersion}}, {{.Driver}}'))"
        exit 0
    fi
    sleep 1
done
tail -n 20 "$engine_log" >&2
die "dockerd did not answer within 60 s (log: $engine_log)"
