"""The HTTP surface in process: routes, examples, and a 4xx that says what to fix for bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("body", "status", "message_part"),
    [
        ("{not json", 422, "JSON"),
        ({"items": [{"id": 1}]}, 422, "items.0.completion: Field required"),
        ({"items": [{"completion": 5}]}, 422, "items.0.completion"),
        ({"items": "abc"}, 422, "items"),
        ({"items": [], "extra": 1}, 422, "extra"),
        ({"items": [{"completion": "x"}], "rewards": {"t_len": "heavy"}}, 422, "rewards"),
        ({"items": [{"completion": "x"}], "rewards": {"nope": 1}}, 422, "unknown verifier 'nope'"),
        ({"items": [{"completion": "x"}], "rewards": [{"name": "t_len", "params": {"x": 1}}]}, 422, "valid: scale"),
        ({"items": [{"completion": "x"}] * 51, "rewards": {"t_len": 1}}, 413, "the limit is 50"),
        ({"items": [{"completion": "x", "completion_tokens": -1}], "rewards": {"t_len": 1}}, 422, "completion_tokens"),
    ],
)
def test_malformed_request_yields_4xx_saying_what_to_fix(
    client: TestClient, body: Any, status: int, message_part: str
) -> None:
    kwargs = {"content": body} if isinstance(body, str) else {"json": body}
    response = client.post("/v1/score", headers={"content-type": "application/json"}, **kwargs)
    assert response.status_code == status
    payload = response.json()
    assert message_part in payload["error"] + str(payload["detail"])
    assert "Traceback" not in response.text


def test_batch_yields_one_result_per_item_in_order(client: TestClient) -> None:
    items = [{"id": f"i{n}", "group": "g", "completion": "x" * n} for n in range(1, 6)]
    response = client.post("/v1/score", json={"items": items, "rewards": {"t_len": 1.0}})
    assert response.status_code == 200
    body = response.json()
    assert [r["id"] for r in body["results"]] == [f"i{n}" for n in range(1, 6)]
    assert [r["reward"] for r in body["results"]] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert body["summary"]["items"] == 5
    assert body["summary"]["statuses"] == {"ok": 5}


def test_oversize_item_yields_too_large_and_rest_scored(client: TestClient) -> None:
    items = [{"completion": "x" * 1001}, {"completion": "y"}]
    body = client.post("/v1/score", json={"items": items, "rewards": {"t_len": 1.0}}).json()
    assert [r["status"] for r in body["results"]] == ["too_large", "ok"]
    assert "limit is 1,000" in body["results"][0]["components"][0]["reason"]


def test_verifiers_endpoint_lists_params_and_sources(client: TestClient) -> None:
    body = client.get("/v1/verifiers").json()
    by_name = {v["name"]: v for v in body["verifiers"]}
    assert by_name["t_len"]["params"] == [{"name": "scale", "type": "float", "default": 1.0, "required": False}]
    assert by_name["t_len"]["source"] == "module:tests.service.verifiers_for_tests"
    assert by_name["t_heavy"]["heavy"] is True
    assert "t_wrong_type" not in by_name
    assert any("t_wrong_type" in p and "not a Verdict" in p for p in body["problems"])


@pytest.mark.parametrize(
    ("path", "status"), [("/healthz", 200), ("/readyz", 200), ("/docs", 200), ("/openapi.json", 200), ("/nowhere", 404)]
)
def test_service_paths_yield_expected_status(client: TestClient, path: str, status: int) -> None:
    assert client.get(path).status_code == status


def test_openapi_schema_carries_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["ScoreRequest"]["examples"]
