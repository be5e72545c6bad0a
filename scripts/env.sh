# Source this file (`. scripts/env.sh`) to use the project's Pulumi toolchain in your shell.
_bluegreen_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
_bluegreen_cache="${BLUEGREEN_CACHE:-$HOME/.cache/bluegreen}"
_bluegreen_bin="$_bluegreen_cache/toolchain/pulumi-v$(cat "$_bluegreen_root/scripts/pulumi-version")/bin"
_bluegreen_node="$_bluegreen_cache/node/v$(cat "$_bluegreen_root/scripts/node-version")/bin"
# Another version's toolchain (from an older checkout) leaves PATH, so only the pinned CLI runs.
PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v "^$_bluegreen_cache/\(toolchain/pulumi-v\|node/v\)" | paste -sd:)"
# Node 22 from the cache when the machine's node is older (scripts/node.sh), then the Pulumi CLI.
for _bluegreen_dir in "$_bluegreen_node" "$_bluegreen_bin"; do
    [ -d "$_bluegreen_dir" ] && PATH="$_bluegreen_dir:$PATH"
done
# Plugins and Pulumi's own files stay in the machine cache, not in ~/.pulumi.
export PULUMI_HOME="${PULUMI_HOME:-$_bluegreen_cache/pulumi-home}"
# State in a local file backend; never Pulumi Cloud unless you set this yourself. The default
# directory is made here, so the first `pulumi stack init` on a fresh clone finds it.
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
    mkdir -p "$_bluegreen_root/.pulumi-state"
    export PULUMI_BACKEND_URL="file://$_bluegreen_root/.pulumi-state"
fi
# Local-only default passphrase for the dev stack's secrets; set your own for anything real.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-bluegreen-local}"
export PULUMI_SKIP_UPDATE_CHECK=true
# The file backend copies every checkpoint twice per update: into history/ and into backups/. The
# history keeps each one already, so the backup copy only doubles the state each release adds.
export PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS="${PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS:-true}"
# Offline machines cannot download plugins; fail fast instead of trying.
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-true}"
export PATH

# Prints one line and returns 1 when PULUMI_BACKEND_URL names a file backend that cannot be used.
bluegreen_check_backend() {
    local dir
    case "${PULUMI_BACKEND_URL:-}" in
        file://*) dir="${PULUMI_BACKEND_URL#file://}" ;;
        *) return 0 ;; # a cloud or object-store backend: the CLI reports its own errors
    esac
    dir="${dir%%\?*}"
    case "$dir" in "~"*) dir="$HOME${dir#\~}" ;; esac
    if [ ! -d "$dir" ]; then
        echo "error: PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL: $dir is not a directory; create it (mkdir -p $dir) or unset PULUMI_BACKEND_URL to use .pulumi-state in the repo" >&2
        return 1
    fi
    if [ ! -w "$dir" ]; then
        echo "error: PULUMI_BACKEND_URL=$PULUMI_BACKEND_URL: $dir is not writable by $(id -un); fix its permissions or choose another directory" >&2
        return 1
    fi
}
bluegreen_check_backend || true
unset _bluegreen_root _bluegreen_cache _bluegreen_bin _bluegreen_node _bluegreen_dir
