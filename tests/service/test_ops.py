"""Operating the service: API keys, size limits, backpressure, metrics, stats, request ids."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.app import create_app
from service.settings import Settings, is_loopback
from tests.service.conftest import make_settings

ITEM = {"items": [{"completion": "abc"}], "rewards": {"t_len": 1.0}}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    keys_file = tmp_path_factory.mktemp("keys") / "keys.txt"
    keys_file.write_text("# one key per line\nfile-key\n")
    settings = make_settings(
        api_keys=["k1", "k2"], api_keys_file=keys_file, max_body_bytes=4096, max_inflight_items=4, item_timeout_s=5.0
    )
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 401, "missing API key"),
        ({"authorization": "Bearer nope"}, 401, "invalid API key"),
        ({"authorization": "Basic k1"}, 401, "missing API key"),
        ({"authorization": "Bearer k1"}, 200, None),
        ({"authorization": "bearer k2"}, 200, None),
        ({"authorization": "Bearer file-key"}, 200, None),
    ],
)
def test_api_key_check_yields_status(
    guarded: TestClient, headers: dict[str, str], status: int, message: str | None
) -> None:
    response = guarded.post("/v1/score", json=ITEM, headers=headers)
    assert response.status_code == status
    if message:
        assert message in response.json()["error"]
        assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_and_metrics_yield_200_without_key(guarded: TestClient, path: str) -> None:
    assert guarded.get(path).status_code == 200


@pytest.mark.parametrize("path", ["/v1/verifiers", "/v1/stats"])
def test_api_reads_yield_401_without_key(guarded: TestClient, path: str) -> None:
    assert guarded.get(path).status_code == 401
    assert guarded.get(path, headers={"authorization": "Bearer k1"}).status_code == 200


def test_oversize_body_yields_413(guarded: TestClient) -> None:
    body = {"items": [{"completion": "x" * 5000}], "rewards": {"t_len": 1.0}}
    response = guarded.post("/v1/score", json=body, headers={"authorization": "Bearer k1"})
    assert response.status_code == 413
    assert "4,096-byte limit" in response.json()["error"]


def test_chunked_oversize_body_yields_413(guarded: TestClient) -> None:
    chunks = iter([json.dumps({"items": [{"completion": "x" * 3000}]}).encode()[:2500], b"x" * 3000])
    response = guarded.post(
        "/v1/score", content=chunks, headers={"authorization": "Bearer k1", "content-type": "application/json"}
    )
    assert response.status_code == 413


def test_request_over_inflight_bound_yields_413(guarded: TestClient) -> None:
    body = {"items": [{"completion": "a"}] * 5, "rewards": {"t_len": 1.0}}
    response = guarded.post("/v1/score", json=body, headers={"authorization": "Bearer k1"})
    assert response.status_code == 413
    assert "at most 4 can be in flight" in response.json()["error"]


def test_full_inflight_bound_yields_429_with_retry_after(guarded: TestClient) -> None:
    auth = {"authorization": "Bearer k1"}
    slow = {"items": [{"completion": "nap", "reference": "x"}] * 3, "rewards": {"t_heavy": 1.0}}
    small = {"items": [{"completion": "ab"}] * 2, "rewards": {"t_len": 1.0}}
    with ThreadPoolExecutor(1) as ex:
        first = ex.submit(guarded.post, "/v1/score", json=slow, headers=auth)
        deadline = time.monotonic() + 30
        while guarded.get("/v1/stats", headers=auth).json()["inflight_items"] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = guarded.post("/v1/score", json=small, headers=auth)
        assert first.result().status_code == 200
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "2"
    assert "3 verifier calls in flight (limit 4)" in refused.json()["error"]
    assert guarded.post("/v1/score", json=small, headers=auth).status_code == 200  # bound released


def test_metrics_yield_counts_by_route_verifier_and_status(guarded: TestClient) -> None:
    guarded.post("/v1/score", json=ITEM, headers={"authorization": "Bearer k1"})
    text = guarded.get("/metrics").text
    for line in [
        'rlvr_requests_total{code="200",method="POST",route="/v1/score"}',
        'rlvr_items_total{status="ok",verifier="t_len"}',
        "rlvr_verifier_seconds_bucket",
        "rlvr_inflight_items 0.0",
        'rlvr_component_healthy{component="worker_pool"} 1.0',
        "rlvr_cache_hits_total",
        'rlvr_rejected_requests_total{reason="inflight"}',
    ]:
        assert line in text, line


def test_stats_yield_recent_throughput_and_distribution(guarded: TestClient) -> None:
    for n in (1, 2, 3):
        guarded.post(
            "/v1/score",
            json={"items": [{"completion": "x" * n}], "rewards": {"t_len": 1.0}},
            headers={"authorization": "Bearer k1"},
        )
    stats = guarded.get("/v1/stats", headers={"authorization": "Bearer k1"}).json()
    t_len = stats["verifiers"]["t_len"]
    assert t_len["components"] >= 3
    assert t_len["error_rate"] == 0.0
    assert t_len["score"]["min"] == 1.0
    assert stats["requests"] >= 3


@pytest.mark.parametrize(("offered", "echoed"), [("trace-42", True), ("bad id with spaces", False), (None, False)])
def test_request_id_is_taken_or_made_and_returned(guarded: TestClient, offered: str | None, echoed: bool) -> None:
    headers = {"x-request-id": offered} if offered else {}
    got = guarded.get("/healthz", headers=headers).headers["x-request-id"]
    assert (got == offered) is echoed
    assert got


def test_cors_is_off_by_default(guarded: TestClient) -> None:
    response = guarded.options(
        "/v1/score", headers={"origin": "https://evil.example", "access-control-request-method": "POST"}
    )
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("values", "ok"),
    [
        ({"host": "127.0.0.1"}, True),
        ({"host": "::1"}, True),
        ({"host": "localhost"}, True),
        ({"host": "0.0.0.0"}, False),
        ({"host": "::"}, False),
        ({"host": "0.0.0.0", "api_keys": ["k"]}, True),
        ({"host": "0.0.0.0", "behind_proxy": True}, True),
    ],
)
def test_open_bind_without_keys_is_refused(values: dict[str, Any], ok: bool) -> None:
    if ok:
        assert Settings(**values).host == values["host"]
    else:
        with pytest.raises(ValidationError, match=r"refusing to listen on .* without API keys"):
            Settings(**values)


@pytest.mark.parametrize(
    ("host", "loopback"), [("127.0.0.5", True), ("[::1]", True), ("10.0.0.1", False), ("example.com", False)]
)
def test_is_loopback_yields(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
