#!/usr/bin/env bash
# A Docker host on this machine that is reachable only over SSH, for tests and the bench: a dockerd
# and an sshd in a network namespace of their own, joined to this machine by a bridge. Its ports,
# containers and 127.0.0.1 are not this machine's; this machine's own engine is not used by it.
#   up | down | env | with -- CMD... | on -- CMD... | cut | restore | status
STEP=remote
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ssh-host.sh"

NS=bgremote-1
BRIDGE=bgremote0
NET=10.213.78 # test-only subnet: this machine .1, the remote .11
IP="$NET.11"
SOCK="unix:///run/$NS.sock"
STATE_DIR="${REMOTE_STATE_DIR:-/var/tmp/bluegreen-remote}"
MARK="bluegreen remote harness (scripts/remote-harness.sh; its down removes this)"
DEFAULT_IMAGES="bluegreen-nginx:local bluegreen-sample:1 bluegreen-sample:2 bluegreen-sample:3 bluegreen-sample:unhealthy bluegreen-sample:failing"

dk() { docker -H "$SOCK" "$@"; }
# The images come from the machine's own engine, even when the caller has eval'd our `env`.
host_docker() { env -u DOCKER_HOST docker "$@"; }
daemon_alive() { local p; p="$(cat "/run/$NS.pid" 2>/dev/null || true)"; [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dockerd ]; }
healthy() { daemon_alive && dk info >/dev/null 2>&1 && [ -n "$(ssh_sshd_pids "$NS")" ] && ssh -o BatchMode=yes "root@$IP" true 2>/dev/null; }
present() { [ -e "$STATE_DIR" ] || ip netns list | grep -q "^$NS" || ip link show "$BRIDGE" >/dev/null 2>&1; }

make_network() {
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    # The machine's dockerd sets FORWARD to DROP; this bridge carries only the harness's traffic.
    iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
    ip netns add "$NS"
    ip link add veth-bgremote type veth peer name eth0 netns "$NS"
    ip link set veth-bgremote master "$BRIDGE" up
    ip -n "$NS" addr add "$IP/24" dev eth0
    ip -n "$NS" link set lo up
    ip -n "$NS" link set eth0 up
    ip -n "$NS" route add default via "$NET.1"
}

# nsenter, not `ip netns exec` (that remounts /sys and dockerd fails); its own roots and pools.
start_daemon() {
    mkdir -p "$STATE_DIR/data"
    [ -f "$STATE_DIR/daemon.json" ] || echo '{}' >"$STATE_DIR/daemon.json" # ignore /etc/docker/daemon.json
    setsid nohup nsenter --net="/var/run/netns/$NS" \
        dockerd --config-file "$STATE_DIR/daemon.json" --data-root "$STATE_DIR/data" --exec-root "/run/$NS" \
        -p "/run/$NS.pid" -H "$SOCK" --bip 10.224.1.1/24 --default-address-pool base=10.225.0.0/16,size=24 \
        --cgroup-parent "/$NS" --shutdown-timeout 5 >>"$STATE_DIR/dockerd.log" 2>&1 </dev/null &
    local deadline=$((SECONDS + 30))
    until dk info >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "the remote's dockerd does not answer after 30 s (log: $STATE_DIR/dockerd.log)"
        sleep 0.5
    done
}

load_images() {
    local img missing=() t=$SECONDS
    read -ra imgs <<<"${REMOTE_IMAGES:-$DEFAULT_IMAGES}"
    for img in "${imgs[@]}"; do
        host_docker image inspect "$img" >/dev/null 2>&1 || die "image $img is not on the machine's engine (run: make setup)"
        dk image inspect "$img" >/dev/null 2>&1 || missing+=("$img")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    host_docker save "${missing[@]}" | dk load >"$STATE_DIR/load.log" 2>&1 ||
        die "loading images into the remote failed (log: $STATE_DIR/load.log)"
    log "loaded ${missing[*]} in $((SECONDS - t)) s"
}

cmd_up() {
    local t=$SECONDS
    is_root || die "the remote harness needs root (network namespace, bridge, iptables, dockerd, sshd)"
    if healthy; then
        log "reusing the remote already up"
    else
        if present; then log "tearing down a previous remote harness" && cmd_down; fi
        make_network
        start_daemon
        ssh_host_up "$NS" "$IP" "$SOCK" "$STATE_DIR" "$MARK"
    fi
    load_images
    log "up in $((SECONDS - t)) s: DOCKER_HOST=ssh://root@$IP (eval \"\$($0 env)\")"
}

cmd_down() {
    local m t=$SECONDS
    present || { log "nothing to tear down" && return 0; }
    ssh_host_down "$NS" "$STATE_DIR" "$MARK"
    if daemon_alive; then
        kill -TERM "$(cat "/run/$NS.pid")"
        local deadline=$((SECONDS + 20))
        while daemon_alive && ((SECONDS < deadline)); do sleep 0.5; done
    fi
    # Whatever else runs in the namespace (containerd, shims, containers, docker-proxy, load).
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    cat /sys/fs/cgroup/pids/"$NS"/*/cgroup.procs 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    sleep 0.2
    for d in /sys/fs/cgroup/*/"$NS"; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true; done
    awk -v re="^($STATE_DIR|/run/$NS)(/|\$)" '$5 ~ re {print $5}' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
    ip netns del "$NS" 2>/dev/null || true
    ip link del veth-bgremote 2>/dev/null || true
    ip link del "$BRIDGE" 2>/dev/null || true
    while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
    rm -rf "/run/$NS" "/run/$NS.pid" "/run/$NS.sock" "$STATE_DIR"
    log "down in $((SECONDS - t)) s"
}

cmd_env() {
    [ -e "$STATE_DIR/sshd_config" ] || die "no remote harness is up (run: $0 up)"
    printf 'export %s\n' "DOCKER_HOST=ssh://root@$IP" "REMOTE_NS=$NS" "REMOTE_IP=$IP" \
        "REMOTE_SOCK=$SOCK" "REMOTE_NO_DOCKER_PORT=$SSH_NO_DOCKER_PORT" "REMOTE_DAEMON_DOWN_PORT=$SSH_DAEMON_DOWN_PORT"
}

# A command on this machine, deploying to the remote: DOCKER_HOST=ssh://… and the settings of `env`.
cmd_with() {
    [ "${1:-}" = -- ] && shift
    [ $# -gt 0 ] || die "usage: $0 with -- CMD..."
    eval "$(cmd_env)"
    exec "$@"
}

# A command on the remote's network (its 127.0.0.1), e.g. a load generator or curl.
cmd_on() {
    [ "${1:-}" = -- ] && shift
    [ $# -gt 0 ] || die "usage: $0 on -- CMD..."
    exec nsenter --net="/var/run/netns/$NS" env DOCKER_HOST="$SOCK" "$@"
}

cmd_status() {
    printf '%s %s daemon=%s sshd=%s\n' "$NS" "$IP" "$(daemon_alive && echo up || echo down)" \
        "$([ -n "$(ssh_sshd_pids "$NS")" ] && echo up || echo down)"
}

cmd="${1:-}"
shift || true
case "$cmd" in
    up) cmd_up ;;
    down) is_root || die "needs root" && cmd_down ;;
    env) cmd_env ;;
    with) cmd_with "$@" ;;
    on) cmd_on "$@" ;;
    cut) ssh_host_cut "$NS" "$IP" && log "ssh to $IP cut: connections dropped, new ones refused" ;;
    restore) ssh_host_restore "$NS" "$IP" "$STATE_DIR" && log "ssh to $IP restored" ;;
    status) cmd_status ;;
    *) die "usage: $0 up | down | env | with -- CMD... | on -- CMD... | cut | restore | status" ;;
esac
