#!/usr/bin/env bash
# Build the runner image rlvr-runner:latest, reusing it when its content hash matches.
#   build_runner.sh offline   debootstrap a bookworm rootfs, install packages.txt, docker import (no registry)
#   build_runner.sh docker    docker build from Dockerfile (production path, needs a registry)
#   build_runner.sh hash      print the content hash of the image recipe
# Both modes produce the same toolchains, user (runner, uid 10001), WORKDIR, ENV, CMD and labels.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
IMAGE="${RLVR_RUNNER_IMAGE:-rlvr-runner:latest}"
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
BUILD_ROOT="${RUNNER_BUILD_DIR:-/var/tmp/rlvr-runner-build}"
LOCK="$BUILD_ROOT.lock"
ROOTFS=""  # a private directory per build, set in build_offline

recipe_hash() {
    cat "$HERE/Dockerfile" "$HERE/packages.txt" "$HERE/setup.sh" "$HERE/build_runner.sh" | sha256sum | cut -c1-16
}

image_is_current() {
    local have
    have="$(docker image inspect -f '{{ index .Config.Labels "rlvr.runner.hash" }}' "$IMAGE" 2>/dev/null || true)"
    [ "$have" = "$(recipe_hash)" ]
}

unmount_all() {
    # Deepest first; never delete the rootfs while anything is mounted inside it.
    [ -n "$ROOTFS" ] || return 0
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$ROOTFS/" | sort -r || true); do umount -l "$m" || true; done
}

remove_rootfs() {
    [ -n "$ROOTFS" ] || return 0
    unmount_all
    if findmnt -rn -o TARGET | grep -qF "$ROOTFS/"; then
        echo "refusing to delete $ROOTFS: still has mounts" >&2
        return 1
    fi
    rm -rf "$ROOTFS"
}

bind_devices() {
    mount -t proc proc "$ROOTFS/proc"
    local dev
    for dev in null zero full random urandom tty; do
        if [ ! -c "$ROOTFS/dev/$dev" ]; then
            rm -f "$ROOTFS/dev/$dev"
            touch "$ROOTFS/dev/$dev"
            mount --bind "/dev/$dev" "$ROOTFS/dev/$dev"
        fi
    done
}

build_offline() {
    command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
    mkdir -p "$BUILD_ROOT"
    ROOTFS="$(mktemp -d "$BUILD_ROOT/rootfs.XXXXXX")"
    chmod 755 "$ROOTFS"  # it becomes the image's /
    trap remove_rootfs EXIT
    echo "[runner] debootstrap $SUITE -> $ROOTFS"
    debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR"
    cat > "$ROOTFS/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
SOURCES
    # Keep package scripts from starting daemons inside the chroot.
    printf '#!/bin/sh\nexit 101\n' > "$ROOTFS/usr/sbin/policy-rc.d"
    chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
    bind_devices
    cp "$HERE/packages.txt" "$HERE/setup.sh" "$ROOTFS/tmp/"
    echo "[runner] installing $(tr '\n' ' ' < "$HERE/packages.txt")"
    # Same steps as the Dockerfile's RUN.
    chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive sh -euc '
        apt-get update
        xargs -a /tmp/packages.txt apt-get install -y --no-install-recommends
        apt-get clean
        rm -rf /var/lib/apt/lists/* /var/cache/apt/* /usr/share/doc /usr/share/man /usr/share/locale
        sh /tmp/setup.sh
        rm /tmp/packages.txt /tmp/setup.sh'
    rm -f "$ROOTFS/usr/sbin/policy-rc.d"
    unmount_all
    echo "[runner] docker import as $IMAGE"
    tar --numeric-owner -C "$ROOTFS" -c . | docker import \
        --change 'LABEL rlvr.runner="1"' \
        --change "LABEL rlvr.runner.hash=\"$(recipe_hash)\"" \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
        --change 'USER runner' \
        --change 'WORKDIR /box' \
        --change 'CMD ["python3"]' \
        - "$IMAGE"
}

build_docker() {
    docker build --build-arg "RUNNER_HASH=$(recipe_hash)" -t "$IMAGE" "$HERE"
}

mode="${1:-offline}"
case "$mode" in
    hash) recipe_hash; exit 0 ;;
    offline|docker) ;;
    *) echo "usage: $0 [offline|docker|hash]" >&2; exit 2 ;;
esac
if [ "${FORCE:-0}" != 1 ] && image_is_current; then
    echo "[runner] $IMAGE is current (hash $(recipe_hash)); nothing to do"
    exit 0
fi
# One build at a time (parallel `make test` runs): wait, then look again.
exec 9>"$LOCK"
flock 9
if [ "${FORCE:-0}" != 1 ] && image_is_current; then
    echo "[runner] $IMAGE was built meanwhile (hash $(recipe_hash)); nothing to do"
    exit 0
fi
start=$(date +%s)
previous="$(docker image inspect -f '{{ .Id }}' "$IMAGE" 2>/dev/null || true)"
"build_$mode"
if [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{ .Id }}' "$IMAGE")" ]; then
    docker image rm "$previous" >/dev/null 2>&1 || echo "[runner] previous image $previous still in use; kept"
fi
echo "[runner] built $IMAGE in $(( $(date +%s) - start ))s"
