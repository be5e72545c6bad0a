#!/usr/bin/env bash
# The Pulumi CLI and Node language host: an installed CLI when there is one, otherwise built from
# Go modules into the per-machine cache (keyed by version, so a fresh clone reuses it).
STEP=toolchain
source "$(dirname "$0")/lib.sh"

[ -f "$REPO_ROOT/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js" ] \
    || die "node_modules is missing @pulumi/pulumi; run npm ci first"
# The dynamic provider plugin: our copy of the SDK's script, without its extra node start.
dynamic_plugin="$REPO_ROOT/scripts/pulumi-resource-pulumi-nodejs"

if [ -x "$TOOLCHAIN_BIN/pulumi" ] && [ -x "$TOOLCHAIN_BIN/pulumi-language-nodejs" ]; then
    cp "$dynamic_plugin" "$TOOLCHAIN_BIN/"
    log "pulumi $("$TOOLCHAIN_BIN/pulumi" version) from the cache ($TOOLCHAIN_BIN)"
    exit 0
fi

# A user with a normal Pulumi install pays for no build: any 3.x CLI >= ours with its Node host.
if system_cli="$(command -v pulumi 2>/dev/null)" && [ -x "$(dirname "$system_cli")/pulumi-language-nodejs" ]; then
    have="$("$system_cli" version 2>/dev/null | sed 's/^v//')"
    if [ "$(printf '%s\n%s\n' "$PULUMI_CLI_VERSION" "$have" | sort -V | head -n1)" = "$PULUMI_CLI_VERSION" ] \
        && [ "${have%%.*}" = 3 ]; then
        log "using the installed pulumi $have at $system_cli (nothing to build)"
        exit 0
    fi
fi

command -v go >/dev/null 2>&1 || die "Go is needed to build the Pulumi CLI (no pulumi >= $PULUMI_CLI_VERSION on PATH)"
src="$BLUEGREEN_CACHE/src/pulumi-v$PULUMI_CLI_VERSION"
logs="$BLUEGREEN_CACHE/logs"
log "building pulumi v$PULUMI_CLI_VERSION from Go modules (cold: about 5 min on 2 cores; logs in $logs)"

# pkg/v3 replaces sdk/v3 with ../sdk, so the two module copies sit side by side.
rm -rf "$src" && mkdir -p "$src"
for module in sdk pkg; do
    dir="$(go mod download -json "github.com/pulumi/pulumi/$module/v3@v$PULUMI_CLI_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -n "$dir" ] && [ -d "$dir" ] || die "go mod download github.com/pulumi/pulumi/$module/v3@v$PULUMI_CLI_VERSION failed"
    cp -r "$dir" "$src/$module" && chmod -R u+w "$src/$module"
done

staging="$TOOLCHAIN_BIN.partial"
rm -rf "$staging" && mkdir -p "$staging"
# -checklinkname=0: a dependency (pgavlin/text) links to internal/bytealg, which Go >= 1.23 refuses.
ldflags="-checklinkname=0 -X github.com/pulumi/pulumi/pkg/v3/version.Version=v$PULUMI_CLI_VERSION \
-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_CLI_VERSION"
(cd "$src/sdk" && run_logged "$logs/build-language-nodejs.log" \
    go build -ldflags "$ldflags" -o "$staging/pulumi-language-nodejs" ./nodejs/cmd/pulumi-language-nodejs)
log "built pulumi-language-nodejs"
(cd "$src/pkg" && run_logged "$logs/build-pulumi.log" go build -ldflags "$ldflags" -o "$staging/pulumi" ./cmd/pulumi)
cp "$dynamic_plugin" "$staging/"
"$staging/pulumi" version | grep -qx "v$PULUMI_CLI_VERSION" || die "built pulumi does not report v$PULUMI_CLI_VERSION"
rm -rf "$TOOLCHAIN_BIN" && mv "$staging" "$TOOLCHAIN_BIN"
log "pulumi v$PULUMI_CLI_VERSION built into $TOOLCHAIN_BIN"
