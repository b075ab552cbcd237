# Runs inside the chroot: Debian's python3, a venv at /opt/rlvr/venv with the service's
# dependencies (from /tmp/requirements.txt), and the unprivileged user rlvr (uid 10001).
# Its content is part of the base image's hash: edit it and the base is rebuilt.
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv
useradd --uid 10001 --user-group --no-create-home --home-dir /opt/rlvr --shell /usr/sbin/nologin rlvr
python3 -m venv /opt/rlvr/venv
/opt/rlvr/venv/bin/pip install --no-cache-dir --disable-pip-version-check --requirement /tmp/requirements.txt
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/* /usr/share/doc /usr/share/man /usr/share/locale /tmp/*
