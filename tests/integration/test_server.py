"""A real uvicorn on a free port: score through HTTP, serve the docs, keep answering under abuse."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.server import REPO, free_port, run_server, server_process

pytestmark = pytest.mark.integration

ENV = {
    "RLVR_PLUGIN_MODULES": json.dumps(["tests.service.verifiers_for_tests"]),
    "RLVR_ITEM_TIMEOUT_S": "1",
    "RLVR_WORKERS": "2",
}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with run_server(env=ENV) as base:
        yield base


def test_batch_over_http_yields_results_in_order(url: str) -> None:
    items = [{"id": n, "completion": "ok" if n % 2 else "no", "reference": "ok"} for n in range(200)]
    response = httpx.post(
        f"{url}/v1/score", json={"items": items, "rewards": {"t_heavy": 1.0, "t_len": 0.5}}, timeout=60
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["id"] for r in results] == list(range(200))
    assert [r["reward"] for r in results] == [1.0 + 1.0 if n % 2 else 0.0 + 1.0 for n in range(200)]


def test_docs_are_served(url: str) -> None:
    response = httpx.get(f"{url}/docs", timeout=10)
    assert response.status_code == 200
    assert "swagger" in response.text.lower()


def test_stuck_items_do_not_stop_other_requests(url: str) -> None:
    def stuck() -> httpx.Response:
        return httpx.post(
            f"{url}/v1/score",
            json={"items": [{"completion": "spin"}, {"completion": "sleep"}], "rewards": {"t_heavy": 1.0}},
            timeout=60,
        )

    def quick(n: int) -> httpx.Response:
        return httpx.post(
            f"{url}/v1/score", json={"items": [{"completion": "x" * n}], "rewards": {"t_len": 1.0}}, timeout=60
        )

    with ThreadPoolExecutor(8) as ex:
        stuck_futures = [ex.submit(stuck) for _ in range(2)]
        quick_results = list(ex.map(quick, range(1, 41)))
        stuck_results = [f.result() for f in stuck_futures]
    assert [r.json()["results"][0]["reward"] for r in quick_results] == [float(n) for n in range(1, 41)]
    for r in stuck_results:
        assert [x["status"] for x in r.json()["results"]] == ["timeout", "timeout"]


def test_sigterm_finishes_inflight_batch_then_exits() -> None:
    with server_process(env={**ENV, "RLVR_ITEM_TIMEOUT_S": "5"}) as (base, proc):
        body = {"items": [{"completion": "nap", "reference": "x"}] * 2, "rewards": {"t_heavy": 1.0}}
        with ThreadPoolExecutor(1) as ex:
            inflight = ex.submit(httpx.post, f"{base}/v1/score", json=body, timeout=60)
            time.sleep(0.5)
            proc.send_signal(signal.SIGTERM)
            response = inflight.result()
        assert response.status_code == 200
        assert [r["status"] for r in response.json()["results"]] == ["ok", "ok"]
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a clean shutdown
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{base}/healthz", timeout=2)


def test_open_bind_without_keys_is_refused_at_start() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-m", "service", "serve", "--host", "0.0.0.0", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "refusing to listen on 0.0.0.0 without API keys" in proc.stderr
