"""Run a real ``rlvr serve`` (uvicorn) on a free loopback port for integration tests."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def run_server(*args: str, env: dict[str, str] | None = None, ready_path: str = "/readyz") -> Iterator[str]:
    """Start ``rlvr serve`` with ``args`` and ``RLVR_*`` ``env``; yield its base URL once ``ready_path`` answers."""
    with server_process(*args, env=env, ready_path=ready_path) as (url, _):
        yield url


@contextlib.contextmanager
def server_process(
    *args: str, env: dict[str, str] | None = None, ready_path: str = "/readyz", log_path: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like run_server, but also yield the process (to signal it); its log goes to ``log_path`` if given."""
    port = free_port()
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    cmd = [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    url = f"http://127.0.0.1:{port}"
    with serving(cmd, url + ready_path, env=full_env, log_path=log_path) as proc:
        yield url, proc


@contextlib.contextmanager
def serving(
    cmd: list[str],
    ready_url: str,
    *,
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
    log_path: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server command; yield its process once ``ready_url`` answers 200; stop it afterwards."""
    # the log goes to a file: an undrained pipe would block the server once it fills
    with open(log_path, "w+b") if log_path is not None else tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_ready(ready_url, proc, log)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            out = log.read().decode(errors="replace")
            raise RuntimeError(f"rlvr serve exited with {proc.returncode}:\n{out[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"rlvr serve did not become ready at {url} within {STARTUP_TIMEOUT_S}s")
