"""Python source compiled ahead by the sandbox's own interpreter, so a program started in the sandbox skips compiling.

The blob is ``"<repr(sys.version)> <len(code)> <len(source)>\\n" + marshal(code) + source``:
the reader runs the code only if its own ``sys.version`` is the very same, else compiles
the source (see BOOTSTRAP in sandbox/judge/program.py and sandbox/bwrap.py).
"""

from __future__ import annotations

import functools
import subprocess

# Reads the source on stdin, compiles it as argv[1]; writes repr(sys.version), a newline, the marshalled code.
PRECOMPILE = (
    "import sys, marshal\n"
    "code = compile(sys.stdin.read(), sys.argv[1], 'exec')\n"
    "sys.stdout.buffer.write(repr(sys.version).encode() + b'\\n' + marshal.dumps(code))\n"
)


def blob(output: bytes | None, source: str) -> bytes:
    """The blob of ``source`` from PRECOMPILE's ``output`` (None when it did not run: the reader compiles)."""
    data = source.encode()
    version, code = "''", b""
    if output is not None:
        header, _, code = output.partition(b"\n")
        try:
            version = header.decode()
        except UnicodeDecodeError:
            code = b""
    return f"{version} {len(code)} {len(data)}\n".encode() + code + data


def code_of(data: bytes) -> bytes:
    """The marshal'd code of a blob (empty if it holds none: its reader compiles the source)."""
    header, _, rest = data.partition(b"\n")
    return rest[: int(header.rsplit(b" ", 2)[1])]


@functools.cache
def precompiled(python: str, source: str, filename: str) -> bytes:
    """``source`` compiled by ``python`` on this host (if it runs here: else the code part is empty)."""
    try:
        done = subprocess.run(
            [python, "-I", "-S", "-c", PRECOMPILE, filename], input=source.encode(), capture_output=True, timeout=60
        )
    except (OSError, subprocess.SubprocessError):
        return blob(None, source)
    return blob(done.stdout if done.returncode == 0 else None, source)
