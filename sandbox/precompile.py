"""Python source compiled ahead by the sandbox's own interpreter, so a program started in the sandbox skips compiling.

The blob is ``"<repr(sys.version)> <len(code)> <len(source)>\\n" + marshal(code) + source``:
the reader runs the code only if its own ``sys.version`` is the very same, else compiles
the source (see BOOTSTRAP in sandbox/judge/program.py and sandbox/bwrap.py).
"""

from __future__ import annotations

import functools
import subprocess

PRECOMPILE = (
    "import sys, marshal\n"
    "code = compile(sys.stdin.read(), sys.argv[1], 'exec')\n"
    "sys.stdout.buffer.write(repr(sys.version).encode() + b'\\n' + marshal.dumps(code))\n"
)


@functools.cache
def precompiled(python: str, source: str, filename: str) -> bytes:
    """``source`` compiled by ``python`` (if it runs here: else the code part is empty), in the format above."""
    data = source.encode()
    version, blob = "''", b""
    try:
        done = subprocess.run(
            [python, "-I", "-S", "-c", PRECOMPILE, filename], input=data, capture_output=True, timeout=60
        )
        if done.returncode == 0:
            header, _, blob = done.stdout.partition(b"\n")
            version = header.decode()
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        blob = b""
    return f"{version} {len(blob)} {len(data)}\n".encode() + blob + data
