#!/usr/bin/env bash
# Node.js for the program: @pulumi/pulumi 3.276 needs Node >= 22. A machine whose node is older gets
# Node 22 LTS from the npm registry's node-linux-<arch> package (it ships the binary), unpacked into
# the per-machine cache; scripts/env.sh puts it first on PATH.
STEP=node
source "$(dirname "$0")/lib.sh"

system_major="$(command node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p')"
if [ -x "$NODE_BIN/node" ]; then
    log "node $("$NODE_BIN/node" --version) from the cache ($NODE_BIN)"
    exit 0
fi
if [ -n "$system_major" ] && [ "$system_major" -ge 22 ]; then
    log "using the installed node $(command node --version)"
    exit 0
fi
command -v npm >/dev/null 2>&1 || die "npm is needed to fetch Node $NODE_VERSION (apt-get install nodejs npm)"
case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) die "no Node $NODE_VERSION package for $(uname -m); install Node >= 22 yourself" ;;
esac
log "node ${system_major:+v$system_major }is older than 22: fetching node-linux-$arch@$NODE_VERSION (about 50 MB)"
staging="$(dirname "$NODE_BIN").partial"
rm -rf "$staging" && mkdir -p "$staging"
(cd "$staging" && run_logged "$BLUEGREEN_CACHE/logs/node-pack.log" npm pack --silent "node-linux-$arch@$NODE_VERSION")
tar -xzf "$staging"/node-linux-*.tgz -C "$staging" --strip-components=1 && rm -f "$staging"/node-linux-*.tgz
chmod +x "$staging/bin/node"
"$staging/bin/node" --version | grep -qx "v$NODE_VERSION" || die "the unpacked node does not report v$NODE_VERSION"
rm -rf "$(dirname "$NODE_BIN")" && mv "$staging" "$(dirname "$NODE_BIN")"
log "node v$NODE_VERSION in $NODE_BIN"
