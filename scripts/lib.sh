# Shared by the setup scripts: paths, pinned versions, logging. Sourced, not run.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Per-machine cache outside the clone: built binaries, image build inputs, logs.
BLUEGREEN_CACHE="${BLUEGREEN_CACHE:-$HOME/.cache/bluegreen}"

# Pinned toolchain (see README, "Toolchain"): the Pulumi CLI with its Node language host, and Node.
PULUMI_CLI_VERSION="$(cat "$REPO_ROOT/scripts/pulumi-version")"
TOOLCHAIN_BIN="$BLUEGREEN_CACHE/toolchain/pulumi-v$PULUMI_CLI_VERSION/bin"
NODE_VERSION="$(cat "$REPO_ROOT/scripts/node-version")"
NODE_BIN="$BLUEGREEN_CACHE/node/v$NODE_VERSION/bin"
# Later steps (npm ci, the toolchain check) run on the Node the program will run on.
if [ -x "$NODE_BIN/node" ]; then
    case ":$PATH:" in *":$NODE_BIN:"*) ;; *) PATH="$NODE_BIN:$PATH" ;; esac
fi

log() { printf '%s [%s] %s\n' "$(date +%H:%M:%S)" "${STEP:-setup}" "$*" >&2; }
die() { printf 'error [%s]: %s\n' "${STEP:-setup}" "$*" >&2; exit 1; }

# Runs a long command with its output in a log file, printing a line every 30 s so CI shows progress.
run_logged() {
    local logfile="$1"; shift
    mkdir -p "$(dirname "$logfile")"
    "$@" >"$logfile" 2>&1 &
    local pid=$! started=$SECONDS
    while kill -0 "$pid" 2>/dev/null; do
        sleep 2
        if (( (SECONDS - started) % 30 < 2 && SECONDS - started >= 30 )); then
            log "still running after $((SECONDS - started)) s (log: $logfile)"
        fi
    done
    if ! wait "$pid"; then
        tail -n 20 "$logfile" >&2
        die "failed after $((SECONDS - started)) s: $* (full log: $logfile)"
    fi
}

is_root() { [ "$(id -u)" = 0 ]; }

# Installs Debian packages that are missing (root only); names the packages otherwise.
ensure_debs() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    is_root || die "missing Debian packages: ${missing[*]} (install them as root: apt-get install ${missing[*]})"
    log "installing Debian packages: ${missing[*]}"
    run_logged "$BLUEGREEN_CACHE/logs/apt.log" apt-get update
    DEBIAN_FRONTEND=noninteractive run_logged "$BLUEGREEN_CACHE/logs/apt.log" apt-get install -y --no-install-recommends "${missing[@]}"
}
