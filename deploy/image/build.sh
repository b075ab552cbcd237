#!/usr/bin/env bash
# Build the service image rlvr:latest, reusing it when its content hash matches.
#   build.sh offline   no registry: a base image (debootstrap rootfs + python3 + a venv with the
#                      runtime dependencies, built in a chroot and `docker import`ed, cached by the
#                      hash of its recipe and requirements), then the project wheel installed on top
#                      and committed with the runtime settings
#   build.sh docker    `docker build` of the top-level Dockerfile (production path, needs a registry)
#   build.sh hash      print the content hash of the image (recipe + sources)
# Both modes give the same user (10001), venv (/opt/rlvr/venv), WORKDIR, ENV, EXPOSE, CMD and labels;
# the offline image has no HEALTHCHECK (docker import/commit cannot set one): compose.yaml sets it.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
IMAGE="${RLVR_IMAGE:-rlvr:latest}"
BASE_REPO="${RLVR_BASE_IMAGE:-rlvr-service-base}"
OS_REPO="${RLVR_OS_IMAGE:-rlvr-service-os}"
BUILD_DIR="${RLVR_IMAGE_BUILD_DIR:-/var/tmp/rlvr-service-build}"
ROOTFS="$BUILD_DIR/rootfs"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
SOURCES=(pyproject.toml README.md rewards sandbox service grpo deploy/socket_proxy deploy/image Dockerfile .dockerignore)
# shellcheck source=deploy/image/rootfs.sh
. "$HERE/rootfs.sh"

hash_files() {
    (cd "$ROOT" && find "$@" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' -print0 | sort -z \
        | xargs -0 sha256sum | sha256sum | cut -c1-16)
}
os_hash() { hash_files deploy/image/rootfs.sh deploy/image/os.sh; }
# Only the runtime requirements count, so editing dev extras or tool settings in pyproject.toml
# does not rebuild the dependencies.
base_hash() { { os_hash; requirements; cat "$HERE/deps.sh"; } | sha256sum | cut -c1-16; }
image_hash() { hash_files "${SOURCES[@]}"; }

label_of() {
    docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

requirements() {
    "$PYTHON" - "$ROOT/pyproject.toml" <<'PY'
import sys, tomllib
project = tomllib.load(open(sys.argv[1], "rb"))["project"]
print("\n".join(sorted(project["dependencies"] + project["optional-dependencies"]["server"])))
PY
}

# Drop older tags of REPO (superseded caches); an image still in use stays.
prune_tags() {
    local repo="$1" keep="$2" tag
    for tag in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "$repo"); do
        [ "$tag" = "$keep" ] || docker rmi "$tag" >/dev/null 2>&1 || true
    done
}

# Two cached layers of the base, each a `docker import` of a chroot-built rootfs:
#   rlvr-service-os:<hash>    debootstrap bookworm + python3 + empty venv + user rlvr (rarely rebuilt)
#   rlvr-service-base:<hash>  the above + the runtime dependencies, pip-installed in the chroot
build_base() {
    local base="$1" os_image="$OS_REPO:$(os_hash)"
    mkdir -p "$BUILD_DIR"
    trap rootfs_remove EXIT
    if docker image inspect "$os_image" >/dev/null 2>&1; then
        echo "[image] reusing $os_image"
        rootfs_from_image "$os_image"
    else
        echo "[image] building $os_image (debootstrap + python3)"
        rootfs_create
        rootfs_run "$(cat "$HERE/os.sh")"
        rootfs_import "$os_image" --change "LABEL rlvr.service.os.hash=\"$(os_hash)\""
        prune_tags "$OS_REPO" "$os_image"
        rootfs_prepare
    fi
    echo "[image] building $base (runtime dependencies from PyPI)"
    requirements > "$ROOTFS/tmp/requirements.txt"
    local pip_env=()
    # pip inside the chroot trusts what the host trusts (e.g. an egress proxy's CA); removed afterwards.
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
        cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/tmp/host-ca.crt"
        pip_env=(PIP_CERT=/tmp/host-ca.crt)
    fi
    [ -z "${PIP_INDEX_URL:-}" ] || pip_env+=(PIP_INDEX_URL="$PIP_INDEX_URL")
    rootfs_run "$(cat "$HERE/deps.sh")" "${pip_env[@]}"
    rootfs_import "$base" --change "LABEL rlvr.service.base.hash=\"$(base_hash)\""
    prune_tags "$BASE_REPO" "$base"
    rootfs_remove
    trap - EXIT
}

# The service image: the project wheel and the socket proxy on top of the base, runtime settings set.
build_offline() {
    local base
    base="$BASE_REPO:$(base_hash)"
    docker image inspect "$base" >/dev/null 2>&1 || build_base "$base"
    local stage="$BUILD_DIR/stage" container="rlvr-image-build-$$" previous
    previous="$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
    rm -rf "$stage" && mkdir -p "$stage/src" "$stage/wheels"
    (cd "$ROOT" && tar --exclude=__pycache__ -c pyproject.toml README.md rewards sandbox service grpo) | tar -x -C "$stage/src"
    "$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$stage/wheels" "$stage/src"
    cp -r "$ROOT/deploy/socket_proxy" "$stage/socket_proxy"
    find "$stage/socket_proxy" -name __pycache__ -prune -exec rm -rf {} +
    trap 'docker rm -f "$container" >/dev/null 2>&1 || true' EXIT
    docker run --name "$container" --network none --user 0 -v "$stage:/stage:ro" "$base" sh -euc '
        /opt/rlvr/venv/bin/pip install --quiet --no-cache-dir --no-deps --no-index --disable-pip-version-check /stage/wheels/*.whl
        cp -r /stage/socket_proxy /opt/rlvr/socket_proxy
        chmod -R go-w /opt/rlvr/socket_proxy'
    docker commit \
        --change "LABEL rlvr.service=\"1\" rlvr.service.hash=\"$IMAGE_HASH\"" \
        --change 'ENV PATH=/opt/rlvr/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8 PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 RLVR_SANDBOX_BACKEND=docker' \
        --change 'USER 10001:10001' \
        --change 'WORKDIR /opt/rlvr' \
        --change 'EXPOSE 8000' \
        --change 'CMD ["rlvr", "serve", "--host", "0.0.0.0", "--port", "8000"]' \
        "$container" "$IMAGE" >/dev/null
    docker rm -f "$container" >/dev/null
    trap - EXIT
    rm -rf "$stage"
    # The image it replaces is dangling now; an image still used by a container stays.
    [ -z "$previous" ] || [ "$previous" = "$(docker image inspect -f '{{.Id}}' "$IMAGE")" ] \
        || docker rmi "$previous" >/dev/null 2>&1 || true
}

build_docker() {
    docker build --build-arg "RLVR_HASH=$IMAGE_HASH" -t "$IMAGE" "$ROOT"
}

mode="${1:-offline}"
case "$mode" in
    hash) image_hash; exit 0 ;;
    offline|docker) ;;
    *) echo "usage: $0 [offline|docker|hash]" >&2; exit 2 ;;
esac
# One build at a time per build dir (parallel test runs share it); the second finds the image current.
mkdir -p "$BUILD_DIR"
exec 9>"$BUILD_DIR/.lock"
flock 9
IMAGE_HASH="$(image_hash)"
if [ "${FORCE:-0}" != 1 ] && [ "$(label_of "$IMAGE" rlvr.service.hash)" = "$IMAGE_HASH" ]; then
    echo "[image] $IMAGE is current (hash $IMAGE_HASH); nothing to do"
    exit 0
fi
start=$(date +%s)
"build_$mode"
echo "[image] built $IMAGE ($mode) in $(( $(date +%s) - start ))s"
