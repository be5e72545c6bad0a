#!/usr/bin/env bash
# A multi-node Docker Swarm on one machine, for tests: one dockerd per network namespace, the
# namespaces joined by a Linux bridge (privileged docker-in-docker is refused on these machines).
# No routing mesh here (no ip_vs): services must use endpoint_mode dnsrr and host-mode publishing.
#   up [2|3] | down | env | status | on NODE -- CMD... | kill-node NODE | start-node NODE
STEP=swarm
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ssh-host.sh"

BRIDGE=bgswarm0
NET=10.213.77 # test-only subnet: host .1, node K .1K
MAX_NODES=3
STATE_DIR="${SWARM_STATE_DIR:-/var/tmp/bluegreen-swarm}"
# The manager also answers over SSH (scripts/ssh-host.sh), for deploys from this machine's namespace.
SSH_MARK="bluegreen swarm harness (scripts/swarm-harness.sh; its down removes this)"
DEFAULT_IMAGES="bluegreen-nginx:local bluegreen-sample:1 bluegreen-sample:2 bluegreen-sample:3 bluegreen-sample:unhealthy bluegreen-sample:failing"

ns() { echo "bgswarm-$1"; }
node_ip() { echo "$NET.$((10 + $1))"; }
sock() { echo "unix:///run/bgswarm-$1.sock"; }
node_dir() { echo "$STATE_DIR/node-$1"; }
node_log() { echo "$(node_dir "$1")/dockerd.log"; }
dk() { local k=$1; shift; docker -H "$(sock "$k")" "$@"; }
# The images come from the machine's own engine, even when the caller has eval'd our `env`.
host_docker() { if [[ "${DOCKER_HOST:-}" == *bgswarm* ]]; then env -u DOCKER_HOST docker "$@"; else docker "$@"; fi; }
node_count() { cat "$STATE_DIR/nodes" 2>/dev/null || echo 0; }
daemon_pid() { cat "/run/$(ns "$1").pid" 2>/dev/null || true; }
# A pid file survives a SIGKILL; check that the pid still is a dockerd.
daemon_alive() { local p; p="$(daemon_pid "$1")"; [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dockerd ]; }

# Retries CMD every 0.5 s; dies after LIMIT s naming what timed out and the log to read.
wait_for() {
    local limit=$1 what=$2 logfile=$3 deadline=$((SECONDS + $1))
    shift 3
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || die "timed out after $limit s waiting for $what (log: $logfile)"
        sleep 0.5
    done
}

check_node_arg() {
    [[ "${1:-}" =~ ^[1-9]$ ]] && (($1 <= $(node_count))) || die "no node '${1:-}' in the harness (nodes: $(node_count); run: $0 up)"
}

make_network() {
    local n=$1 k
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    # The machine's dockerd sets FORWARD to DROP, and br_netfilter sends bridged frames through it.
    iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
    for k in $(seq 1 "$n"); do
        ip netns add "$(ns "$k")"
        ip link add "veth-bgsw-$k" type veth peer name eth0 netns "$(ns "$k")"
        ip link set "veth-bgsw-$k" master "$BRIDGE" up
        ip -n "$(ns "$k")" addr add "$(node_ip "$k")/24" dev eth0
        ip -n "$(ns "$k")" link set lo up
        ip -n "$(ns "$k")" link set eth0 up
        ip -n "$(ns "$k")" route add default via "$NET.1"
    done
}

# nsenter, not `ip netns exec` (that remounts /sys and dockerd fails). unshare --uts gives each
# node its own hostname, so `docker node ls` and node.hostname constraints can tell them apart.
# Address pools are per node so docker0/docker_gwbridge never overlap the test subnet or each other.
start_daemon() {
    local k=$1 dir
    dir="$(node_dir "$k")"
    mkdir -p "$dir/data"
    [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json" # ignore any /etc/docker/daemon.json
    DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 setsid nohup nsenter --net="/var/run/netns/$(ns "$k")" \
        unshare --uts sh -c 'hostname "$0" && exec "$@"' "$(ns "$k")" \
        dockerd --config-file "$dir/daemon.json" --data-root "$dir/data" --exec-root "/run/$(ns "$k")" \
        -p "/run/$(ns "$k").pid" -H "$(sock "$k")" --bip "10.220.$k.1/24" \
        --default-address-pool "base=10.22$k.0.0/16,size=24" --cgroup-parent "/$(ns "$k")" \
        --shutdown-timeout 5 >>"$(node_log "$k")" 2>&1 </dev/null &
}

wait_daemon() { wait_for 30 "the dockerd of node $1 to answer" "$(node_log "$1")" dk "$1" info; }

all_ready() { [ "$(dk 1 node ls --format '{{.Status}}' | grep -cx Ready)" = "$1" ] && [ "$(dk 1 node ls -q | wc -l)" = "$1" ]; }
node_ready() { [ "$(dk 1 node inspect --format '{{.Status.State}}' "$(cat "$(node_dir "$1")/id")")" = ready ]; }

healthy() {
    local n=$1 k
    [ "$(node_count)" = "$n" ] || return 1
    for k in $(seq 1 "$n"); do daemon_alive "$k" && dk "$k" info >/dev/null 2>&1 || return 1; done
    [ -n "$(ssh_sshd_pids "$(ns 1)")" ] && all_ready "$n"
}

build() {
    local n=$1 k t=$SECONDS token pids=()
    make_network "$n"
    for k in $(seq 1 "$n"); do start_daemon "$k"; done
    for k in $(seq 1 "$n"); do wait_daemon "$k"; done
    log "network and $n daemons up in $((SECONDS - t)) s (logs: $STATE_DIR/node-*/dockerd.log)"
    t=$SECONDS
    # Overlay subnets come from a pool of their own, away from 10.213.77.0/24.
    timeout 60 docker -H "$(sock 1)" swarm init --advertise-addr "$(node_ip 1)" --listen-addr "$(node_ip 1):2377" \
        --default-addr-pool 10.230.0.0/16 --default-addr-pool-mask-length 24 >/dev/null ||
        die "swarm init on node 1 failed or timed out after 60 s (log: $(node_log 1))"
    token="$(dk 1 swarm join-token -q worker)"
    for k in $(seq 2 "$n"); do
        timeout 60 docker -H "$(sock "$k")" swarm join --token "$token" --advertise-addr "$(node_ip "$k")" \
            "$(node_ip 1):2377" >/dev/null &
        pids+=($!)
    done
    for k in $(seq 2 "$n"); do
        wait "${pids[$((k - 2))]}" || die "node $k did not join within 60 s (log: $(node_log "$k"))"
    done
    wait_for 60 "all $n nodes Ready" "$(node_log 1)" all_ready "$n"
    for k in $(seq 1 "$n"); do dk "$k" info --format '{{.Swarm.NodeID}}' >"$(node_dir "$k")/id"; done
    ssh_host_up "$(ns 1)" "$(node_ip 1)" "$(sock 1)" "$STATE_DIR/ssh" "$SSH_MARK"
    echo "$n" >"$STATE_DIR/nodes"
    log "swarm of $n nodes Ready in $((SECONDS - t)) s"
}

# One `docker save` of whatever any node misses, loaded into all nodes in parallel (layers they
# already have are skipped).
load_images() {
    local n=$1 img k t=$SECONDS missing=() pids=()
    read -ra imgs <<<"${SWARM_IMAGES:-$DEFAULT_IMAGES}"
    for img in "${imgs[@]}"; do
        host_docker image inspect "$img" >/dev/null 2>&1 || die "image $img is not on the machine's engine (run: make setup)"
        for k in $(seq 1 "$n"); do
            dk "$k" image inspect "$img" >/dev/null 2>&1 || { missing+=("$img") && break; }
        done
    done
    if [ ${#missing[@]} -eq 0 ]; then log "images present on all nodes" && return; fi
    log "loading ${missing[*]} into $n nodes"
    host_docker save -o "$STATE_DIR/images.tar" "${missing[@]}"
    for k in $(seq 1 "$n"); do
        dk "$k" load -i "$STATE_DIR/images.tar" >"$(node_dir "$k")/load.log" 2>&1 &
        pids+=($!)
    done
    for k in $(seq 1 "$n"); do
        wait "${pids[$((k - 1))]}" || die "loading images into node $k failed (log: $(node_dir "$k")/load.log)"
    done
    rm -f "$STATE_DIR/images.tar"
    log "images loaded in $((SECONDS - t)) s"
}

present() {
    [ -e "$STATE_DIR" ] || ip link show "$BRIDGE" >/dev/null 2>&1 || ip netns list | grep -q '^bgswarm-' ||
        compgen -G "/run/bgswarm-*" >/dev/null || iptables -C FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null
}

cmd_up() {
    local n=${1:-2} t=$SECONDS
    [[ "$n" =~ ^[23]$ ]] || die "NODES must be 2 or 3, got: $n"
    is_root || die "the swarm harness needs root (network namespaces, bridge, iptables, dockerd)"
    if healthy "$n"; then
        log "reusing the harness of $n nodes already up"
    else
        if present; then log "tearing down a previous harness (missing, unhealthy or another size)" && cmd_down; fi
        build "$n"
    fi
    load_images "$n"
    log "up: $n nodes in $((SECONDS - t)) s; use: eval \"\$($0 env)\""
}

# The node's dockerd, its containerd and the containerd shims (they name its containerd socket).
node_procs() {
    local k=$1 p
    for p in /proc/[0-9]*; do
        case "$(cat "$p/comm" 2>/dev/null)" in dockerd | containerd | containerd-shim*) ;; *) continue ;; esac
        tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qE "/run/bgswarm-$k([./]| )" && echo "${p#/proc/}"
    done
    return 0
}

# Task containers outlive killed shims; the per-node cgroup parent finds them.
kill_containers() {
    local k=$1 d
    cat /sys/fs/cgroup/pids/"$(ns "$k")"/*/cgroup.procs 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    sleep 0.2
    for d in /sys/fs/cgroup/*/"$(ns "$k")"; do
        [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
}

any_daemon_alive() { local k; for k in $(seq 1 $MAX_NODES); do daemon_alive "$k" && return 0; done; return 1; }

# SIGTERM lets each dockerd stop its containers (--shutdown-timeout 5); SIGKILL whatever is left.
stop_daemons() {
    local k deadline=$((SECONDS + 20))
    for k in $(seq 1 $MAX_NODES); do daemon_alive "$k" && kill -TERM "$(daemon_pid "$k")"; done
    while any_daemon_alive && ((SECONDS < deadline)); do sleep 0.5; done
    for k in $(seq 1 $MAX_NODES); do
        node_procs "$k" | xargs -r kill -9 2>/dev/null || true
        kill_containers "$k"
    done
}

cmd_down() {
    local k m t=$SECONDS
    present || { log "nothing to tear down" && return 0; }
    ssh_host_down "$(ns 1)" "$STATE_DIR/ssh" "$SSH_MARK"
    # No `swarm leave`: the whole swarm goes, its state with the data dirs.
    stop_daemons
    # Whatever else still runs in the namespaces (docker-proxy, commands started with `on`).
    for k in $(seq 1 $MAX_NODES); do ip netns pids "$(ns "$k")" 2>/dev/null | xargs -r kill -9 2>/dev/null || true; done
    # Overlay and shm mounts under the data roots, netns bind mounts under the exec roots.
    awk -v re="^($STATE_DIR|/run/bgswarm-[0-9])(/|\$)" '$5 ~ re {print $5}' /proc/self/mountinfo | sort -r |
        while read -r m; do umount -l "$m" 2>/dev/null || true; done
    for k in $(seq 1 $MAX_NODES); do
        ip netns del "$(ns "$k")" 2>/dev/null || true
        ip link del "veth-bgsw-$k" 2>/dev/null || true
        rm -rf "/run/$(ns "$k")" "/run/$(ns "$k").pid" "/run/$(ns "$k").sock"
    done
    ip link del "$BRIDGE" 2>/dev/null || true
    while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
    rm -rf "$STATE_DIR"
    log "down in $((SECONDS - t)) s"
}

cmd_env() {
    local n k ips=()
    n="$(node_count)"
    ((n > 0)) || die "no swarm harness is up (run: $0 up)"
    for k in $(seq 1 "$n"); do ips+=("$(node_ip "$k")"); done
    printf 'export %s\n' "DOCKER_HOST=$(sock 1)" "SWARM_NODES=$n" "SWARM_MANAGER_NS=$(ns 1)" "SWARM_NODE_IPS=\"${ips[*]}\"" \
        "SWARM_MANAGER_SSH=ssh://root@$(node_ip 1)"
}

cmd_on() {
    check_node_arg "${1:-}"
    local k=$1
    shift
    [ "${1:-}" = -- ] && shift
    [ $# -gt 0 ] || die "usage: $0 on NODE -- CMD..."
    exec nsenter --net="/var/run/netns/$(ns "$k")" env DOCKER_HOST="$(sock "$k")" "$@"
}

# Like an engine crash, not a power cut: the shims, and so the node's task containers, keep
# running, reachable over the overlay for ~5 s, until the other nodes' gossip drops the node (its
# tasks leave DNS and the VXLAN peers). The manager marks it Down after ~10 s and starts
# replacements elsewhere (~16 s). When dockerd comes back (no live-restore) it kills the orphans.
cmd_kill_node() {
    check_node_arg "${1:-}"
    node_procs "$1" | while read -r p; do [[ "$(cat "/proc/$p/comm")" == containerd-shim* ]] || kill -9 "$p"; done
    log "node $1: dockerd and containerd killed"
}

cmd_start_node() {
    check_node_arg "${1:-}"
    local k=$1 t=$SECONDS
    daemon_alive "$k" && die "the dockerd of node $k is still running"
    start_daemon "$k"
    wait_daemon "$k"
    wait_for 60 "node $k Ready in the swarm" "$(node_log "$k")" node_ready "$k"
    log "node $k back and Ready in $((SECONDS - t)) s"
}

cmd_status() {
    local n k id line
    n="$(node_count)"
    ((n > 0)) || die "no swarm harness is up (run: $0 up)"
    for k in $(seq 1 "$n"); do
        id="$(cat "$(node_dir "$k")/id")"
        line="$(dk 1 node inspect --format '{{.Status.State}} {{.Spec.Availability}} {{.Spec.Role}}' "$id" 2>/dev/null || echo unknown)"
        printf '%s %s %s daemon=%s tasks=%s\n' "$(ns "$k")" "$(node_ip "$k")" "$line" \
            "$(daemon_alive "$k" && echo up || echo down)" \
            "$(dk 1 node ps "$id" --filter desired-state=running --format '{{.CurrentState}}' 2>/dev/null | grep -c ^Running || true)"
    done
}

cmd="${1:-}"
shift || true
case "$cmd" in
    up) cmd_up "$@" ;;
    down) is_root || die "needs root" && cmd_down ;;
    env) cmd_env ;;
    on) cmd_on "$@" ;;
    kill-node) cmd_kill_node "$@" ;;
    start-node) cmd_start_node "$@" ;;
    status) cmd_status ;;
    *) die "usage: $0 up [2|3] | down | env | status | on NODE -- CMD... | kill-node NODE | start-node NODE" ;;
esac
