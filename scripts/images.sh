#!/usr/bin/env bash
# Builds the local images (no registry needed), each only when missing or when its source changed.
STEP=images
source "$(dirname "$0")/lib.sh"

sample_src="$REPO_ROOT/images/sample"
sample_hash="$( (cat "$sample_src"/*; go version) | sha256sum | cut -c1-16)"

# tag:MODE:VERSION
samples=(1:healthy:1 2:healthy:2 3:healthy:3 unhealthy:unhealthy:unhealthy slow:slow:slow flaky:flaky:flaky failing:failing:failing)

image_label() { docker image inspect --format "{{index .Config.Labels \"io.bluegreen.source\"}}" "$1" 2>/dev/null || true; }

build_samples() {
    local stale=() entry tag
    for entry in "${samples[@]}"; do
        tag="bluegreen-sample:${entry%%:*}"
        [ "$(image_label "$tag")" = "$sample_hash" ] || stale+=("$entry")
    done
    if [ ${#stale[@]} -eq 0 ]; then
        log "bluegreen-sample images up to date"
        return
    fi
    command -v go >/dev/null 2>&1 || die "Go is needed to build the sample service"
    local ctx="$BLUEGREEN_CACHE/images/sample-context"
    rm -rf "$ctx" && mkdir -p "$ctx"
    (cd "$sample_src" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$ctx/sample" .)
    cp "$sample_src/Dockerfile" "$ctx/"
    for entry in "${stale[@]}"; do
        IFS=: read -r tag mode version <<<"$entry"
        run_logged "$BLUEGREEN_CACHE/logs/image-sample-$tag.log" docker build -q \
            --build-arg "VERSION=$version" --build-arg "MODE=$mode" \
            --label "io.bluegreen.source=$sample_hash" -t "bluegreen-sample:$tag" "$ctx"
        log "built bluegreen-sample:$tag"
    done
}

# nginx >= 1.27.4 for keepalive_min_timeout: Debian sid's nginx-light in a minimal root filesystem.
build_nginx() {
    local tag="bluegreen-nginx:local"
    if docker image inspect "$tag" >/dev/null 2>&1; then
        log "$tag present ($(docker run --rm "$tag" nginx -v 2>&1))"
        return
    fi
    local tarball="$BLUEGREEN_CACHE/images/nginx-rootfs.tar"
    if [ ! -s "$tarball" ]; then
        is_root || die "building $tag needs root (debootstrap)"
        ensure_debs debootstrap
        local rootfs="$BLUEGREEN_CACHE/images/nginx-rootfs"
        rm -rf "$rootfs" && mkdir -p "$rootfs"
        log "debootstrap Debian sid with nginx-light (about 20 s)"
        run_logged "$BLUEGREEN_CACHE/logs/debootstrap.log" \
            debootstrap --variant=minbase --include=nginx-light sid "$rootfs"
        # The package's default site listens on :80 too; the proxy's config replaces nginx.conf whole.
        rm -f "$rootfs/etc/nginx/sites-enabled/default"
        tar -C "$rootfs" -cf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
        rm -rf "$rootfs"
    fi
    docker import -c 'CMD ["nginx", "-g", "daemon off;"]' -c 'EXPOSE 80' \
        "$tarball" "$tag" >/dev/null
    log "built $tag ($(docker run --rm "$tag" nginx -v 2>&1))"
}

check_nginx_version() {
    local v
    v="$(docker run --rm bluegreen-nginx:local nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')"
    [ "$(printf '1.27.4\n%s\n' "$v" | sort -V | head -n1)" = 1.27.4 ] \
        || die "bluegreen-nginx:local has nginx $v; 1.27.4 or newer is needed (keepalive_min_timeout)"
}

# The ACME agent (images/acme): a static Go binary, its module (golang.org/x/crypto) from the Go
# module proxy into the machine's module cache, and the machine's CA bundle for public directories.
build_acme() {
    local tag="bluegreen-acme:local" src="$REPO_ROOT/images/acme" hash
    hash="$( (cat "$src"/*; go version) | sha256sum | cut -c1-16)"
    if [ "$(image_label "$tag")" = "$hash" ]; then
        log "$tag up to date"
        return
    fi
    command -v go >/dev/null 2>&1 || die "Go is needed to build the ACME agent"
    [ -r /etc/ssl/certs/ca-certificates.crt ] || ensure_debs ca-certificates
    local ctx="$BLUEGREEN_CACHE/images/acme-context"
    rm -rf "$ctx" && mkdir -p "$ctx"
    (cd "$src" && CGO_ENABLED=0 run_logged "$BLUEGREEN_CACHE/logs/build-acme.log" \
        go build -trimpath -ldflags=-s -o "$ctx/bluegreen-acme" .)
    cp "$src/Dockerfile" /etc/ssl/certs/ca-certificates.crt "$ctx/"
    run_logged "$BLUEGREEN_CACHE/logs/image-acme.log" docker build -q --label "io.bluegreen.source=$hash" -t "$tag" "$ctx"
    log "built $tag"
}

build_samples
build_acme
build_nginx
check_nginx_version
