"""A real rlvr server for the trainer suites, run from the server's environment (.venv).

The trainer suites run in the trainers' own environments, which hold the rlvr-client
distribution (the ``grpo`` package) and not the server: the server is a separate process
started with ``RLVR_SERVER_PYTHON`` (make test-trainers sets it to .venv's python).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER_ENV = {
    "RLVR_WORKERS": "1",
    "RLVR_LOG_LEVEL": "warning",
    # t_len (score = characters in the completion) makes the values TRL logs checkable
    "RLVR_PLUGIN_MODULES": '["tests.service.verifiers_for_tests"]',
}

# A trainer's own local ray.init() (veRL) would otherwise turn Ray's token auth on and write
# ~/.ray/auth_token, which later `ray start --head` runs on this machine then pick up.
os.environ.setdefault("RAY_AUTH_MODE", "disabled")


def repository_module(name: str) -> ModuleType:
    """A module of tests/ loaded from its file: the repository itself is not on this environment's path."""
    spec = importlib.util.spec_from_file_location(f"rlvr_tests_{name}", REPO / "tests" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def rlvr_server() -> Iterator[str]:
    """``rlvr serve`` on a free loopback port (tests/server.py's helpers); yields its URL once it is ready."""
    python = os.environ.get("RLVR_SERVER_PYTHON")
    if not python:
        pytest.fail("RLVR_SERVER_PYTHON is not set: run these through `make test-trainers`")
    server = repository_module("server")
    port = server.free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [python, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with server.serving(cmd, url + "/readyz", env={**os.environ, "PYTHONPATH": str(REPO), **SERVER_ENV}):
        yield url


@pytest.fixture(scope="session")
def rlvr_url() -> Iterator[str]:
    with rlvr_server() as url:
        yield url


@pytest.fixture(scope="session", autouse=True)
def client_distribution_only() -> None:
    """The trainer's environment has rlvr-client's grpo and none of the server's packages."""
    import grpo

    assert "site-packages" in grpo.__file__, f"grpo comes from {grpo.__file__}, not the installed rlvr-client"
    for name in ("service", "rewards", "sandbox"):
        assert importlib.util.find_spec(name) is None, f"the server's package {name!r} is importable here"
