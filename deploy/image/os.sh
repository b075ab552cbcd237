# Runs inside the chroot: Debian's python3 (3.11 on bookworm), an empty venv at /opt/rlvr/venv,
# the unprivileged user rlvr (uid 10001). Cached as its own image: edit it and it is rebuilt.
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv
useradd --uid 10001 --user-group --no-create-home --home-dir /opt/rlvr --shell /usr/sbin/nologin rlvr
python3 -m venv /opt/rlvr/venv
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/* /usr/share/doc /usr/share/man /usr/share/locale
