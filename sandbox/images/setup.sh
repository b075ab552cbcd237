#!/bin/sh
# Runs as root inside the runner image after the packages are installed; shared by the
# Dockerfile and build_runner.sh so both build the same image.
set -eu

# The runner never logs in: no home, no shadow files; HOME and the work dir are /box,
# as in the local sandbox.
useradd --uid 10001 --user-group --no-create-home --home-dir /box --shell /bin/bash runner
rm -f /etc/shadow /etc/shadow- /etc/gshadow /etc/gshadow-
rmdir /home
mkdir -p /box
chown runner:runner /box

# A precompiled <bits/stdc++.h> where the C++ compile command looks for it
# (sandbox.bwrap.SANDBOX_PCH_DIR), built with the compile command's flags (sandbox.pch).
header="$(echo '#include <bits/stdc++.h>' | g++ -O2 -std=c++17 -x c++ -E -H - 2>&1 >/dev/null \
    | sed -n 's/^\. \(.*bits\/stdc++\.h\)$/\1/p')"
mkdir -p /opt/rlvr-pch/bits
g++ -O2 -std=c++17 -x c++-header -o /opt/rlvr-pch/bits/stdc++.h.gch "$header"
chmod -R a+rX /opt/rlvr-pch
