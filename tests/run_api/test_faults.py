"""Faults around a run: the sandbox down is SandboxError (never the program's fault); a gone client frees its slot."""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.server import run_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def dead_docker() -> Iterator[str]:
    env = {
        "RLVR_SANDBOX_BACKEND": "docker",
        "DOCKER_HOST": "unix:///nonexistent/rlvr-run-api-test.sock",
        "RLVR_WORKERS": "1",
    }
    with run_server(env=env, ready_path="/healthz") as url:
        yield url


def test_unreachable_sandbox_yields_sandbox_error_with_reason(dead_docker: str) -> None:
    response = httpx.post(f"{dead_docker}/run_code", json={"code": "print(1)"}, timeout=60)
    assert response.status_code == 200
    result = response.json()
    assert result["status"] == "SandboxError"
    assert result["run_result"]["status"] == "Error"
    assert result["message"] and result["message"] == result["run_result"]["stderr"]


def test_unreachable_sandbox_yields_sandbox_error_per_batch_item(dead_docker: str) -> None:
    runs = [{"code": "print(1)"}, {"code": 1}]
    results = httpx.post(f"{dead_docker}/v1/run", json={"runs": runs}, timeout=60).json()["results"]
    assert [r["status"] for r in results] == ["SandboxError", "Invalid"]


def test_client_gone_yields_its_programs_stopped_and_slots_free(local_url: str) -> None:
    long = {"code": "import time\ntime.sleep(50)", "run_timeout": 55}

    def abandon() -> None:
        try:
            httpx.post(f"{local_url}/run_code", json=long, timeout=1.5)
        except httpx.TimeoutException:
            return
        raise AssertionError("the 50 s program answered within 1.5 s")

    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # both of the server's two slots
        list(pool.map(lambda _: abandon(), range(2)))
    started = time.monotonic()
    result = httpx.post(f"{local_url}/run_code", json={"code": "print('next')"}, timeout=60).json()
    assert result["run_result"]["stdout"] == "next\n"
    assert time.monotonic() - started < 15  # not the 50 s the abandoned programs would have held the slots
    deadline = time.monotonic() + 10  # an abandoned run counts until its sandbox job is torn down, after its slot
    while "rlvr_runs_running 0.0" not in (metrics := httpx.get(f"{local_url}/metrics", timeout=10).text):
        assert time.monotonic() < deadline, [line for line in metrics.splitlines() if "runs_running" in line]
        time.sleep(0.1)
