#!/usr/bin/env bash
# The servers the shared-backend suite (test/backends) keeps Pulumi's state in: Debian's PostgreSQL
# server, and versitygw, an S3-compatible server over a local directory, built from the Go module
# proxy into the per-machine cache. The tests start both on loopback; nothing runs after setup.
STEP=state-servers
source "$(dirname "$0")/lib.sh"

VERSITYGW_VERSION=v1.8.0
versitygw_dir="$BLUEGREEN_CACHE/versitygw-$VERSITYGW_VERSION"

if [ ! -x /usr/lib/postgresql/15/bin/postgres ] || ! command -v psql >/dev/null 2>&1; then
    ensure_debs postgresql-15 postgresql-client-15
fi
id postgres >/dev/null 2>&1 || die "no postgres user: the postgresql-15 package makes it (apt-get install postgresql-15)"

if [ -x "$versitygw_dir/versitygw" ]; then
    log "versitygw $VERSITYGW_VERSION in $versitygw_dir"
    exit 0
fi
command -v go >/dev/null 2>&1 || die "Go is needed to build versitygw (apt-get install golang-go)"
log "building versitygw $VERSITYGW_VERSION (about 3 min cold)"
mkdir -p "$versitygw_dir.tmp"
run_logged "$BLUEGREEN_CACHE/logs/versitygw.log" env GOBIN="$versitygw_dir.tmp" CGO_ENABLED=0 \
    go install -trimpath "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
rm -rf "$versitygw_dir" && mv "$versitygw_dir.tmp" "$versitygw_dir" # whole, or not at all
log "versitygw $VERSITYGW_VERSION in $versitygw_dir"
