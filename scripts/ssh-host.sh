# An sshd in a test network namespace that makes a dockerd there "a server reached over SSH":
# key auth only, the remote shell's docker pointed at that namespace's daemon, and on this machine
# a key, a known_hosts and one marked block in ~/.ssh/config, as a user would set up for a server.
# Sourced by scripts/remote-harness.sh and scripts/swarm-harness.sh (which define log, die).
#   ssh_host_up NS IP SOCK DIR MARK | ssh_host_down NS DIR MARK | ssh_host_cut NS IP | ssh_host_restore NS IP DIR
# Besides port 22, two ports for the error tests: 2222 runs commands with no docker on PATH, 2223
# with the daemon's socket pointing nowhere (as if dockerd were down).

SSH_NO_DOCKER_PORT=2222
SSH_DAEMON_DOWN_PORT=2223

ssh_config_file() { echo "$HOME/.ssh/config"; }

# Removes the block between the MARK lines from ~/.ssh/config (nothing else is touched).
ssh_config_drop() {
    local mark=$1 file
    file="$(ssh_config_file)"
    [ -f "$file" ] || return 0
    awk -v begin="# >>> $mark" -v end="# <<< $mark" '$0 == begin {skip=1; next} $0 == end {skip=0; next} !skip' \
        "$file" >"$file.bluegreen" && mv "$file.bluegreen" "$file"
}

ssh_sshd_config() {
    local ns=$1 ip=$2 sock=$3 dir=$4
    cat <<EOF
ListenAddress $ip:22
ListenAddress $ip:$SSH_NO_DOCKER_PORT
ListenAddress $ip:$SSH_DAEMON_DOWN_PORT
HostKey $dir/ssh_host_ed25519_key
PidFile /run/$ns-sshd.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers root
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST=$sock
Match LocalPort $SSH_NO_DOCKER_PORT
    ForceCommand env PATH=/nonexistent /bin/sh -c "\$SSH_ORIGINAL_COMMAND"
Match LocalPort $SSH_DAEMON_DOWN_PORT
    SetEnv DOCKER_HOST=unix:///run/$ns-nowhere.sock
EOF
}

ssh_sshd_start() {
    local ns=$1 dir=$2
    mkdir -p /run/sshd
    nsenter --net="/var/run/netns/$ns" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" ||
        die "sshd did not start in $ns (log: $dir/sshd.log)"
}

ssh_host_up() {
    local ns=$1 ip=$2 sock=$3 dir=$4 mark=$5 key port
    command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || die "sshd is missing (make setup installs openssh-server)"
    mkdir -p "$dir"
    [ -f "$dir/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/ssh_host_ed25519_key"
    [ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "bluegreen-$ns" -f "$dir/id_ed25519"
    cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
    key="$(cut -d' ' -f1,2 "$dir/ssh_host_ed25519_key.pub")"
    : >"$dir/known_hosts"
    for port in 22 "$SSH_NO_DOCKER_PORT" "$SSH_DAEMON_DOWN_PORT"; do
        if [ "$port" = 22 ]; then echo "$ip $key"; else echo "[$ip]:$port $key"; fi >>"$dir/known_hosts"
    done
    ssh_sshd_config "$ns" "$ip" "$sock" "$dir" >"$dir/sshd_config"
    ssh_sshd_start "$ns" "$dir"
    mkdir -p "$HOME/.ssh" && chmod 700 "$HOME/.ssh"
    ssh_config_drop "$mark"
    cat >>"$(ssh_config_file)" <<EOF
# >>> $mark
Host $ip
    IdentityFile $dir/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $dir/known_hosts
    StrictHostKeyChecking yes
    ConnectTimeout 5
# <<< $mark
EOF
    chmod 600 "$(ssh_config_file)"
    local deadline=$((SECONDS + 20))
    until ssh -o BatchMode=yes "root@$ip" true 2>/dev/null; do
        ((SECONDS < deadline)) || die "ssh root@$ip does not log in after 20 s (log: $dir/sshd.log)"
        sleep 0.3
    done
}

# Every sshd of the namespace: the listener and each session's.
ssh_sshd_pids() {
    local ns=$1
    local p
    for p in $(ip netns pids "$ns" 2>/dev/null); do
        if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = sshd ]; then echo "$p"; fi
    done
}

# Like a network cut: every ssh connection to the host drops and new ones are refused at once.
ssh_host_cut() {
    local ns=$1
    ip netns exec "$ns" iptables -I INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset
    ssh_sshd_pids "$ns" | xargs -r kill -9 || true
}

ssh_host_restore() {
    local ns=$1 dir=$3
    while ip netns exec "$ns" iptables -D INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset 2>/dev/null; do :; done
    [ -n "$(ssh_sshd_pids "$ns")" ] || ssh_sshd_start "$ns" "$dir"
}

ssh_host_down() {
    local ns=$1 mark=$3
    ssh_sshd_pids "$ns" | xargs -r kill -9 || true
    rm -f "/run/$ns-sshd.pid"
    ssh_config_drop "$mark"
}
