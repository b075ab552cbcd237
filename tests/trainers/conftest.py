"""A real rlvr server for the trainer suites, run from the server's environment (.venv).

The trainer suites run in the trainers' own environments, which hold the rlvr-client
distribution (the ``grpo`` package) and not the server: the server is a separate process
started with ``RLVR_SERVER_PYTHON`` (make test-trainers sets it to .venv's python).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 120.0
SERVER_ENV = {
    "RLVR_WORKERS": "1",
    "RLVR_LOG_LEVEL": "warning",
    # t_len (score = characters in the completion) makes the values TRL logs checkable
    "RLVR_PLUGIN_MODULES": '["tests.service.verifiers_for_tests"]',
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def rlvr_server() -> Iterator[str]:
    """``rlvr serve`` on a free loopback port; yields its URL once /readyz answers."""
    python = os.environ.get("RLVR_SERVER_PYTHON")
    if not python:
        pytest.fail("RLVR_SERVER_PYTHON is not set: run these through `make test-trainers`")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [python, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(REPO), **SERVER_ENV}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"rlvr serve did not start:\n{log.read().decode(errors='replace')[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                        break
                time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def rlvr_url() -> Iterator[str]:
    with rlvr_server() as url:
        yield url


@pytest.fixture(scope="session", autouse=True)
def client_distribution_only() -> None:
    """The trainer's environment has rlvr-client's grpo and none of the server's packages."""
    import importlib.util

    import grpo

    assert "site-packages" in grpo.__file__, f"grpo comes from {grpo.__file__}, not the installed rlvr-client"
    for name in ("service", "rewards", "sandbox"):
        assert importlib.util.find_spec(name) is None, f"the server's package {name!r} is importable here"
