"""The sandbox backend named by the settings is the one code runs in; a dead one is reported, never a 0."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox.docker import DockerBackend, DockerConfig
from tests.sandbox.conftest import skip_or_fail
from tests.server import run_server

pytestmark = pytest.mark.integration

CODE = "```python\nprint(int(input()) * 2)\n```"
TESTS = {"inputs": ["2\n", "5\n"], "outputs": ["4\n", "10\n"]}
ITEMS = [
    {"id": "math", "completion": "So the answer is \\boxed{4}.", "reference": "4", "rewards": {"math": 1.0}},
    {"id": "format", "completion": "<think>x</think>y", "rewards": {"format": 1.0}},
    {"id": "code", "completion": CODE, "reference": TESTS, "rewards": {"code": 1.0}},
]


@pytest.fixture(scope="module")
def dead_docker() -> Iterator[str]:
    env = {
        "RLVR_SANDBOX_BACKEND": "docker",
        "DOCKER_HOST": "unix:///nonexistent/rlvr-test-docker.sock",
        "RLVR_WORKERS": "1",
    }
    with run_server(env=env, ready_path="/healthz") as url:
        yield url


def test_unreachable_daemon_yields_503_readyz_saying_why(dead_docker: str) -> None:
    response = httpx.get(f"{dead_docker}/readyz", timeout=30)
    assert response.status_code == 503
    sandbox = response.json()["checks"]["sandbox"]
    assert sandbox["ok"] is False
    assert "Docker daemon unreachable" in sandbox["detail"]


def test_unreachable_daemon_yields_sandbox_error_and_other_items_scored(dead_docker: str) -> None:
    results = httpx.post(f"{dead_docker}/v1/score", json={"items": ITEMS}, timeout=60).json()["results"]
    by_id = {r["id"]: r for r in results}
    assert by_id["math"]["reward"] == 1.0
    assert by_id["format"]["reward"] == 1.0
    assert by_id["code"]["reward"] is None
    assert by_id["code"]["status"] == "sandbox_error"


@pytest.mark.parametrize("backend", ["local", "docker"])
def test_configured_backend_yields_code_rewards_and_ready(backend: str) -> None:
    if backend == "docker":
        probe = DockerBackend(DockerConfig(fresh_container=True))  # no warm pool to leave behind
        try:
            ok, detail = probe.health()
        finally:
            probe.close()
        if not ok:
            skip_or_fail(detail)
    with run_server(env={"RLVR_SANDBOX_BACKEND": backend, "RLVR_WORKERS": "1"}) as url:
        ready = httpx.get(f"{url}/readyz", timeout=30).json()
        results = httpx.post(f"{url}/v1/score", json={"items": ITEMS}, timeout=120).json()["results"]
    assert ready["checks"]["sandbox"]["detail"].startswith(backend)
    assert [r["reward"] for r in results] == [1.0, 1.0, 1.0]
