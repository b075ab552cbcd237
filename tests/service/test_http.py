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


JSON = {"content-type": "application/json"}
BODY = '{"items": [{"completion": "x"}], "rewards": {"t_len": 1}}'


@pytest.mark.parametrize(
    ("content", "headers", "error"),
    [
        (
            '{"items": [\n  {"completion": "x",}\n]}',
            JSON,
            "invalid request: the body is not valid JSON: Expecting property name enclosed in double quotes "
            'at line 2, column 22:\n  {"completion": "x",}\n                     ^',
        ),
        (
            "{not json",
            JSON,
            "the body is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 2",
        ),
        ('{"items": []', JSON, "the body is not valid JSON: Expecting ',' delimiter at line 1, column 13"),
        ("", JSON, "invalid request: the body is empty: send a JSON object such as {"),
        (
            BODY,
            {},
            "the body must be JSON sent with the header Content-Type: application/json; got no Content-Type header",
        ),
        (BODY, {"content-type": "text/plain"}, "Content-Type: application/json; got Content-Type 'text/plain'"),
        ("items=x", {"content-type": "application/x-www-form-urlencoded"}, "got Content-Type 'application/x-www-form"),
    ],
)
def test_body_that_is_not_json_yields_422_saying_where_and_what_to_fix(
    client: TestClient, content: str, headers: dict[str, str], error: str
) -> None:
    response = client.post("/v1/score", content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert error in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (
            {"items": [{"completion": "x"}], "rewards": {"t_len": "0.5"}},
            'invalid request: rewards.t_len: Input should be a valid number, got the string "0.5": '
            "send it as a JSON number, without quotes",
        ),
        (
            {"items": [{"completion": "x"}], "rewards": [{"name": "t_len", "weight": "0.5"}]},
            'invalid request: rewards.0.weight: Input should be a valid number, got the string "0.5": send it as',
        ),
        (
            {"items": [{"completion": "x", "rewards": {"t_len": "2"}}]},
            'invalid request: items.0.rewards.t_len: Input should be a valid number, got the string "2": send',
        ),
        (
            {"items": [{"completion": "x", "rewards": {"t_len": "heavy"}}]},
            'invalid request: items.0.rewards.t_len: Input should be a valid number, got the string "heavy"',
        ),
        (
            {"items": [{"completion": "x"}], "rewards": "t_len"},
            "invalid request: rewards: Input should be a valid dictionary or Input should be a valid list",
        ),
    ],
)
def test_wrongly_typed_field_yields_422_naming_the_field(client: TestClient, body: Any, error: str) -> None:
    response = client.post("/v1/score", json=body)
    assert response.status_code == 422, response.text
    message = response.json()["error"]
    assert message.startswith(error), message
    assert "dict[" not in message and "list[" not in message


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
    assert by_name["t_len"]["params"] == [
        {
            "name": "scale",
            "type": "float",
            "default": 1.0,
            "required": False,
            "description": "Multiplies the length.",
            "json_schema": {"type": "number"},
        }
    ]
    assert by_name["t_len"]["params_schema"] == {
        "type": "object",
        "properties": {"scale": {"type": "number", "description": "Multiplies the length.", "default": 1.0}},
        "additionalProperties": False,
    }
    assert by_name["t_len"]["reference_schema"] is None
    code = by_name["code"]["reference_schema"]
    assert {"stdin/stdout", "call-based", "HumanEval", "MBPP", "pytest"} <= {b.get("title") for b in code["anyOf"]}
    assert {"inputs": ["2\n", "5\n"], "outputs": ["4\n", "10\n"]} in code["examples"]
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
