#!/usr/bin/env bash
# The Pulumi CLI with its Node language host, and the docker and command resource plugins in the
# project's PULUMI_HOME under the versions the npm packages ask for.
# - A standard Pulumi install (CLI >= ours with its language host) is used as it is, and its own
#   plugin download fetches the plugins: nothing is built.
# - Otherwise (no internet) everything is built from the Pulumi sources in BLUEGREEN_PULUMI_SOURCES
#   (default ../shared/pulumi-sources beside the clone) into the per-machine cache, keyed by version,
#   so a fresh clone reuses it.
STEP=toolchain
source "$(dirname "$0")/lib.sh"

[ -f "$REPO_ROOT/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js" ] \
    || die "node_modules is missing @pulumi/pulumi; run npm ci first"
# Plugins and Pulumi's own files live in the machine cache, as scripts/env.sh says.
export PULUMI_HOME="${PULUMI_HOME:-$BLUEGREEN_CACHE/pulumi-home}" PULUMI_SKIP_UPDATE_CHECK=true
sources="${BLUEGREEN_PULUMI_SOURCES:-$REPO_ROOT/../shared/pulumi-sources}"
plugin_cache="$BLUEGREEN_CACHE/toolchain/plugins"
# The dynamic provider plugin: our copy of the SDK's script, without its extra node start, and what
# it preloads to start faster.
dynamic_plugin="$REPO_ROOT/scripts/pulumi-resource-pulumi-nodejs"
dynamic_preload="$REPO_ROOT/scripts/dynamic-provider-preload.js"

# "name version" of each resource plugin, from the npm packages' `pulumi` field.
plugins="$(node -e 'for (const n of ["docker", "command"]) {
    const p = require(`@pulumi/${n}/package.json`); console.log(n, (p.pulumi?.version ?? p.version).replace(/^v/, ""));
}')"

# build_from_sources: builds the four binaries once (warm Go caches: about 20 s; cold: about 7 min)
# and files each under its version in the cache.
build_from_sources() {
    [ -f "$sources/build.sh" ] && [ -f "$sources/pulumi-sources.tar.gz" ] || die "no Pulumi sources at $sources \
(build.sh and pulumi-sources.tar.gz); set BLUEGREEN_PULUMI_SOURCES to their directory, or install Pulumi \
$PULUMI_CLI_VERSION the standard way on a machine with internet"
    command -v go >/dev/null 2>&1 || die "Go is needed to build Pulumi $PULUMI_CLI_VERSION from $sources"
    # The sources build fixed versions: say so plainly if they are not the ones asked for.
    local name version want
    while read -r name version; do
        want="$name/provider/v${version%%.*}/pkg/version.Version=$version"
        [ "$name" = command ] && want="pulumi-command/provider/pkg/version.Version=$version"
        grep -q "$want" "$sources/build.sh" || die "$sources builds no $name plugin $version (npm's @pulumi/$name asks for it)"
    done <<<"$plugins"
    grep -q "Version=v$PULUMI_CLI_VERSION" "$sources/build.sh" || die "$sources builds no pulumi v$PULUMI_CLI_VERSION"
    local out="$BLUEGREEN_CACHE/toolchain/build.partial"
    log "building pulumi v$PULUMI_CLI_VERSION and the plugins from $sources (warm: about 20 s; cold: about 7 min; log: $BLUEGREEN_CACHE/logs/build-pulumi.log)"
    rm -rf "$out" "$out.work"
    run_logged "$BLUEGREEN_CACHE/logs/build-pulumi.log" bash "$sources/build.sh" "$out"
    "$out/pulumi" version | grep -qx "v$PULUMI_CLI_VERSION" || die "the built pulumi does not report v$PULUMI_CLI_VERSION"
    mkdir -p "$plugin_cache"
    while read -r name version; do
        mv "$out/pulumi-resource-$name" "$plugin_cache/pulumi-resource-$name-v$version"
    done <<<"$plugins"
    if [ ! -x "$TOOLCHAIN_BIN/pulumi" ]; then
        mkdir -p "$TOOLCHAIN_BIN.partial"
        mv "$out/pulumi" "$out/pulumi-language-nodejs" "$TOOLCHAIN_BIN.partial/"
        rm -rf "$TOOLCHAIN_BIN" && mv "$TOOLCHAIN_BIN.partial" "$TOOLCHAIN_BIN"
    fi
    rm -rf "$out"
}

have_plugin() { [ -x "$PULUMI_HOME/plugins/resource-$1-v$2/pulumi-resource-$1" ]; }

# 1. The CLI: a standard install when it is new enough, else ours from the cache (built if missing).
cli=""
if system_cli="$(command -v pulumi 2>/dev/null)" && [ "$system_cli" != "$TOOLCHAIN_BIN/pulumi" ] \
    && [ -x "$(dirname "$system_cli")/pulumi-language-nodejs" ]; then
    have="$("$system_cli" version 2>/dev/null | sed 's/^v//')"
    if [ "${have%%.*}" = 3 ] && [ "$(printf '%s\n%s\n' "$PULUMI_CLI_VERSION" "$have" | sort -V | head -n1)" = "$PULUMI_CLI_VERSION" ]; then
        cli="$system_cli"
        log "using the installed pulumi $have at $system_cli (nothing to build)"
    fi
fi
if [ -z "$cli" ]; then
    [ -x "$TOOLCHAIN_BIN/pulumi" ] && [ -x "$TOOLCHAIN_BIN/pulumi-language-nodejs" ] || build_from_sources
    # Replaced atomically (a copy, then a rename): another checkout's pulumi may be starting the
    # plugin from here at this moment (make test runs `make demo` in clones beside other suites).
    for file in "$dynamic_plugin" "$dynamic_preload"; do
        cmp -s "$file" "$TOOLCHAIN_BIN/$(basename "$file")" && continue
        cp -p "$file" "$TOOLCHAIN_BIN/.$(basename "$file").$$" && mv -f "$TOOLCHAIN_BIN/.$(basename "$file").$$" "$TOOLCHAIN_BIN/$(basename "$file")"
    done
    cli="$TOOLCHAIN_BIN/pulumi"
    log "pulumi $("$cli" version) from the cache ($TOOLCHAIN_BIN)"
fi

# 2. The plugins, into PULUMI_HOME: already there, downloaded by a standard install, or ours.
mkdir -p "$BLUEGREEN_CACHE/logs"
while read -r name version; do
    have_plugin "$name" "$version" && continue
    if [ "$cli" = "${system_cli:-}" ] && timeout 120 "$cli" plugin install resource "$name" "$version" \
        >>"$BLUEGREEN_CACHE/logs/plugin-download.log" 2>&1; then
        log "downloaded the $name plugin $version"
        continue
    fi
    [ -x "$plugin_cache/pulumi-resource-$name-v$version" ] || build_from_sources
    "$cli" plugin install resource "$name" "$version" --file "$plugin_cache/pulumi-resource-$name-v$version" \
        >>"$BLUEGREEN_CACHE/logs/plugin-install.log" 2>&1 \
        || die "pulumi plugin install resource $name $version --file … failed (log: $BLUEGREEN_CACHE/logs/plugin-install.log)"
done <<<"$plugins"
log "plugins in $PULUMI_HOME: $(paste -sd, <<<"$plugins" | sed 's/,/, /g')"

# 3. The Python and YAML language hosts, for programs in those languages that use bluegreen through
#    `pulumi package add` (docs/languages.md): a standard install ships them; else built once from
#    the sources (about 1.5 min cold, 5 s warm) into the cache, keyed by the CLI's version as the
#    CLI is, and put beside our CLI, where it looks first.
langhosts="pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python pulumi-language-yaml"
if [ "$cli" = "$TOOLCHAIN_BIN/pulumi" ]; then
    langhost_cache="$BLUEGREEN_CACHE/toolchain/langhosts-v$PULUMI_CLI_VERSION"
    if [ ! -x "$langhost_cache/pulumi-language-yaml" ]; then
        [ -f "$sources/build-langhosts.sh" ] || die "no $sources/build-langhosts.sh: the Python and YAML language \
hosts cannot be built; set BLUEGREEN_PULUMI_SOURCES to the Pulumi sources' directory"
        log "building the Python and YAML language hosts (cold: about 1.5 min; log: $BLUEGREEN_CACHE/logs/build-langhosts.log)"
        rm -rf "$langhost_cache.partial"
        run_logged "$BLUEGREEN_CACHE/logs/build-langhosts.log" bash "$sources/build-langhosts.sh" "$langhost_cache.partial"
        rm -rf "$langhost_cache" && mv "$langhost_cache.partial" "$langhost_cache"
    fi
    for file in $langhosts; do
        cmp -s "$langhost_cache/$file" "$TOOLCHAIN_BIN/$file" && continue
        cp -p "$langhost_cache/$file" "$TOOLCHAIN_BIN/.$file.$$" && mv -f "$TOOLCHAIN_BIN/.$file.$$" "$TOOLCHAIN_BIN/$file"
    done
    log "language hosts beside pulumi: nodejs, python, yaml"
fi
