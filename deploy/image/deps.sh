# Runs inside the chroot: the service's runtime dependencies (/tmp/requirements.txt, from
# pyproject.toml) into /opt/rlvr/venv. Cached by the hash of the requirements and this file.
/opt/rlvr/venv/bin/pip install --no-cache-dir --disable-pip-version-check --requirement /tmp/requirements.txt
rm -rf /tmp/* /root/.cache
