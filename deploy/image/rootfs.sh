# Helpers to build a Docker image without a registry: a Debian rootfs made with debootstrap,
# set up in a chroot, then loaded with `docker import`. Source this file; it defines functions only.
# Same approach as sandbox/images/build_runner.sh (the runner image); it could source this too.
# Callers set ROOTFS (the rootfs directory) before calling anything.

ROOTFS_SUITE="${ROOTFS_SUITE:-bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEBIAN_SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

rootfs_unmount_all() {
    # Deepest first; never delete the rootfs while anything is mounted inside it.
    local m
    for m in $(findmnt -rn -o TARGET | grep -F "$ROOTFS/" | sort -r || true); do umount -l "$m" || true; done
}

rootfs_remove() {
    rootfs_unmount_all
    if findmnt -rn -o TARGET | grep -qF "$ROOTFS/"; then
        echo "refusing to delete $ROOTFS: still has mounts" >&2
        return 1
    fi
    rm -rf "$ROOTFS"
}

rootfs_bind_devices() {
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

# rootfs_prepare: what a chroot needs to run package scripts and reach the network.
rootfs_prepare() {
    printf '#!/bin/sh\nexit 101\n' > "$ROOTFS/usr/sbin/policy-rc.d"  # keep daemons from starting
    chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
    cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
    rootfs_bind_devices
}

# rootfs_create: a fresh minbase rootfs with apt sources, prepared for rootfs_run.
rootfs_create() {
    command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap; }
    mkdir -p "$(dirname "$ROOTFS")"
    rootfs_remove
    debootstrap --variant=minbase "$ROOTFS_SUITE" "$ROOTFS" "$DEBIAN_MIRROR"
    cat > "$ROOTFS/etc/apt/sources.list" <<SOURCES
deb $DEBIAN_MIRROR $ROOTFS_SUITE main
deb $DEBIAN_MIRROR $ROOTFS_SUITE-updates main
deb $DEBIAN_SECURITY_MIRROR $ROOTFS_SUITE-security main
SOURCES
    rootfs_prepare
}

# rootfs_from_image IMAGE: the rootfs of an image built earlier (docker export), prepared for rootfs_run.
rootfs_from_image() {
    local container
    mkdir -p "$(dirname "$ROOTFS")"
    rootfs_remove
    mkdir -p "$ROOTFS"
    container="$(docker create "$1" /bin/true)"
    docker export "$container" | tar --numeric-owner -x -C "$ROOTFS"
    docker rm "$container" >/dev/null
    rootfs_prepare
}

# rootfs_run SCRIPT [ENV=VALUE...]: run a shell script inside the chroot with a clean environment.
rootfs_run() {
    local script="$1"
    shift
    chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
        "$@" sh -euc "$script"
}

# rootfs_import IMAGE [--change ...]: unmount, clean up, and load the rootfs as IMAGE (it stays on disk).
rootfs_import() {
    local image="$1"
    shift
    rm -f "$ROOTFS/usr/sbin/policy-rc.d"
    : > "$ROOTFS/etc/resolv.conf"
    rootfs_unmount_all
    tar --numeric-owner -C "$ROOTFS" -c . | docker import "$@" - "$image"
}
