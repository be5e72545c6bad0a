#!/usr/bin/env bash
# bluegreen's Go SDK: `bash scripts/go-sdk.sh OUT_DIR` writes the module
# example.com/pulumi-bluegreen/sdk/go (package bluegreen) into OUT_DIR, from the package schema, with
# Pulumi's Go code generator (scripts/gosdk/; built once into the cache: about 1.5 min cold).
STEP=go-sdk
source "$(dirname "$0")/lib.sh"
out="${1:?usage: go-sdk.sh OUT_DIR}"
command -v go >/dev/null 2>&1 || die "Go is needed to generate the Go SDK"
src="$REPO_ROOT/scripts/gosdk"
tool="$BLUEGREEN_CACHE/toolchain/gosdk-$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-12)/gosdk"
if [ ! -x "$tool" ]; then
    log "building the Go SDK generator (pkg/v3/codegen/go; cold: about 1.5 min; log: $BLUEGREEN_CACHE/logs/build-gosdk.log)"
    mkdir -p "$(dirname "$tool")"
    (cd "$src" && GOTOOLCHAIN=local GOFLAGS=-mod=mod run_logged "$BLUEGREEN_CACHE/logs/build-gosdk.log" \
        go build -trimpath -o "$tool.partial" .)
    mv "$tool.partial" "$tool"
fi
rm -rf "$out" && mkdir -p "$out"
"$tool" "$REPO_ROOT/components/plugin/schema.json" "$out"
cat >"$out/go.mod" <<MOD
module example.com/pulumi-bluegreen/sdk/go

go 1.24

require github.com/pulumi/pulumi/sdk/v3 v3.276.0
MOD
log "Go SDK in $out (import example.com/pulumi-bluegreen/sdk/go/bluegreen)"
