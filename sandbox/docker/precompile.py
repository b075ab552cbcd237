"""Python source compiled ahead by the runner image's own interpreter (sandbox/precompile.py's blob format).

The host's interpreter may be the same version with another build (``sys.version`` differs),
so its blob would make every step in the container compile the source again. The image's
interpreter compiles it once, in a throwaway container of the image (no network, read-only,
no capabilities, an unprivileged uid): only trusted public source (the judge's harness),
never anything of a submission.
"""

from __future__ import annotations

import base64
import binascii
import threading
from typing import Any

import docker

from sandbox.precompile import blob

# The source is argv[2] (no stdin to a one-off container). The output: PRECOMPILE's, its length on the
# first line then base64 in short lines (the json-file log driver splits lines past 16 KiB, and the
# container's logs may come back without the end of one), so a cut output is seen and never used.
COMPILE_IN_IMAGE = (
    "import sys, marshal, base64\n"
    "code = compile(sys.argv[2], sys.argv[1], 'exec')\n"
    "out = repr(sys.version).encode() + b'\\n' + marshal.dumps(code)\n"
    "sys.stdout.write(f'{len(out)}\\n' + base64.encodebytes(out).decode())\n"
)
NOBODY = "65534:65534"
MEMORY = "256m"


class ImageCompiler:
    """Blobs compiled by ``image``'s interpreter, each once per (python, source, filename)."""

    def __init__(self, image: str) -> None:
        self._image = image
        self._lock = threading.Lock()
        self._blobs: dict[tuple[str, str, str], bytes] = {}

    def precompiled(
        self, client: docker.DockerClient, labels: dict[str, str], python: str, source: str, filename: str
    ) -> bytes:
        """``source`` compiled by the image's ``python`` in a container labelled ``labels``.

        If that fails, a blob whose reader compiles (not cached: the next call tries again).
        """
        key = (python, source, filename)
        with self._lock:  # one compile at a time: concurrent first judges wait for it rather than each start one
            if key not in self._blobs:
                output = self._compile(client, labels, python, source, filename)
                if output is None:
                    return blob(None, source)
                self._blobs[key] = blob(output, source)
            return self._blobs[key]

    def _compile(
        self, client: docker.DockerClient, labels: dict[str, str], python: str, source: str, filename: str
    ) -> bytes | None:
        kwargs: dict[str, Any] = {
            "user": NOBODY,
            "network_mode": "none",
            "read_only": True,
            "cap_drop": ["ALL"],
            "security_opt": ["no-new-privileges"],
            "mem_limit": MEMORY,
            "labels": labels,
            "remove": True,
            "stdout": True,
            "stderr": False,
        }
        try:
            out = client.containers.run(
                self._image, [python, "-I", "-S", "-c", COMPILE_IN_IMAGE, filename, source], **kwargs
            )
            length, _, encoded = out.partition(b"\n")
            output = base64.decodebytes(encoded)
        except (docker.errors.DockerException, binascii.Error, TypeError, ValueError):
            return None
        return output if length.strip().isdigit() and int(length) == len(output) else None
