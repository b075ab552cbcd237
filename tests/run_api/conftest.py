"""Real rlvr servers for the run API tests: one per backend, and one with API keys and small ceilings.

A backend that cannot run here is skipped locally and fails under CI=true.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from tests.sandbox.docker_engine import require_engine
from tests.server import run_server

KEY = "run-api-test-key"
OTHER_KEY = "run-api-other-key"
TIGHT = {
    "RLVR_WORKERS": "1",
    "RLVR_API_KEYS": f'["{KEY}", "{OTHER_KEY}"]',
    "RLVR_RUN_SESSION_TTL_S": "4",
    "RLVR_RUN_MAX_SESSIONS_PER_CALLER": "2",
    "RLVR_RUN_MAX_CONCURRENCY": "1",
    "RLVR_RUN_QUEUE_TIMEOUT_S": "3",
    "RLVR_RUN_MAX_TIMEOUT_S": "1.5",
    "RLVR_RUN_MAX_MEMORY_MB": "128",
}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture(scope="module", params=["local", "docker"])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server on each sandbox backend, without keys."""
    if request.param == "docker":
        require_engine()
    env = {"RLVR_WORKERS": "1", "RLVR_SANDBOX_BACKEND": request.param, "RLVR_RUN_MAX_CONCURRENCY": "2"}
    with run_server(env=env) as base:
        yield base


@pytest.fixture(scope="module")
def local_url() -> Iterator[str]:
    """A server on the local backend, without keys (for the clients' tests)."""
    with run_server(env={"RLVR_WORKERS": "1", "RLVR_RUN_MAX_CONCURRENCY": "2"}) as base:
        yield base


@pytest.fixture(scope="module")
def tight_url() -> Iterator[str]:
    """A server with two API keys, one run slot, a 3 s queue, 1.5 s and 128 MB ceilings, 2 sessions of 4 s TTL."""
    with run_server(env=TIGHT) as base:
        yield base
