"""A precompiled ``<bits/stdc++.h>`` for the C++ compile step.

Competitive-programming C++ (CodeContests, APPS) nearly always includes
``<bits/stdc++.h>``, which alone takes 2–5 s to compile at -O2. GCC uses
``bits/stdc++.h.gch`` from an ``-I`` directory instead when it was built with the same
flags, so the sandbox binds PCH_DIR read-only at bwrap.SANDBOX_PCH_DIR and the C++ compile
command adds ``-I`` for it; a missing or stale file only means the slow path (GCC then
falls through to the real header). Built once per host by ``make toolchains``
(``python -m sandbox.pch``), never during a request.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sandbox.bwrap import PCH_DIR

CXX = "/usr/bin/g++"
CXX_FLAGS = ("-O2", "-std=c++17")


def header() -> Path | None:
    """The host's ``bits/stdc++.h``, as g++ resolves it (None without g++)."""
    if not os.access(CXX, os.X_OK):
        return None
    probe = subprocess.run(
        [CXX, *CXX_FLAGS, "-x", "c++", "-E", "-H", "-"],
        input=b"#include <bits/stdc++.h>\n",
        capture_output=True,
        check=False,
    )
    for line in probe.stderr.decode(errors="replace").splitlines():
        if line.startswith(". ") and line.endswith("bits/stdc++.h"):
            return Path(line[2:])
    return None


def build(directory: Path = PCH_DIR) -> Path | None:
    """Build ``directory/bits/stdc++.h.gch`` unless up to date (atomically, world-readable); None without g++."""
    source = header()
    if source is None:
        return None
    target = directory / "bits" / "stdc++.h.gch"
    if target.exists() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    for path in (directory.parent, directory, target.parent):
        path.chmod(0o755)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    os.close(fd)
    try:
        subprocess.run([CXX, *CXX_FLAGS, "-x", "c++-header", "-o", tmp, str(source)], check=True)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def main() -> int:
    """``python -m sandbox.pch``: build the precompiled header, say where."""
    built = build()
    sys.stdout.write(f"precompiled header: {built}\n" if built else "g++ not installed: no precompiled header\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
