"""One bad item gets its own ``invalid_item`` verdict and the rest are scored; the envelope is still a 4xx.

Bodies are written as JSON text, so that an item can hold what ``json=`` cannot send (a lone
surrogate). Each case runs in process, and the whole table as one batch against a real uvicorn.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.server import run_server

GOOD = '{"id": "good-%d", "group": "g", "completion": "<think>a</think>b"}'
JSON = {"content-type": "application/json"}

# (item as JSON text, the field path its error names (item 1 of the batch), what the error says to do)
BAD_ITEMS = [
    ('{"id": "n", "group": 3, "completion": 5}', "items.1.completion", "Input should be a valid string"),
    ('{"id": "m"}', "items.1.completion", "Field required"),
    ('{"id": 7, "completion": "x", "referense": "4"}', "items.1.referense", "did you mean 'reference'?"),
    ('{"completion": "x", "completion_tokens": -1}', "items.1.completion_tokens", "greater than or equal to 0"),
    ('{"completion": "x\\ud800y"}', "items.1.completion", "lone UTF-16 surrogate is not Unicode text; send valid"),
    ('{"completion": "x", "metadata": {"k\\udc00": 1}}', "items.1.metadata.k\\udc00", "lone UTF-16 surrogate"),
    ('{"completion": "x", "rewards": {"format": "0.5"}}', "items.1.rewards.format", "send it as a JSON number"),
    ('{"completion": "x", "rewards": [{"name": "format", "wieght": 1}]}', "items.1.rewards.0.wieght", "Extra inputs"),
    ('{"completion": "x", "rewards": "format"}', "items.1.rewards", "valid dictionary or Input should be a valid list"),
    ('{"id": 1.5, "completion": "x"}', "items.1.id", "Input should be a valid string or Input should be a valid int"),
    ('{"completion": "x", "prompt": ["p"]}', "items.1.prompt", "valid string"),
    ("7", "items.1", 'an item must be a JSON object such as {"completion"'),
    ("null", "items.1", "an item must be a JSON object"),
]
IDS = [
    "wrong_type",
    "missing_completion",
    "misspelt_field",
    "negative_tokens",
    "lone_surrogate",
    "surrogate_key",
    "quoted_weight",
    "misspelt_reward_field",
    "rewards_not_a_mapping",
    "float_id",
    "list_prompt",
    "number",
    "null",
]
ECHOED = {"wrong_type": ("n", 3), "missing_completion": ("m", None), "misspelt_field": (7, None)}


def body_of(items: list[str], rewards: str = '{"format": 1.0}') -> str:
    return f'{{"rewards": {rewards}, "items": [{", ".join(items)}]}}'


def post(client: TestClient | httpx.Client, content: str, path: str = "/v1/score") -> httpx.Response:
    return client.post(path, content=content.encode("utf-8", "surrogatepass"), headers=JSON)


def assert_scored(result: dict[str, Any], index: int) -> None:
    assert (result["id"], result["status"], result["error"]) == (f"good-{index}", "ok", None), result
    assert result["reward"] == 1.0


def assert_invalid(result: dict[str, Any], where: str, fix: str) -> None:
    assert (result["status"], result["reward"], result["components"]) == ("invalid_item", None, []), result
    assert f"{where}: " in result["error"] and fix in result["error"], result["error"]


@pytest.mark.parametrize(("item", "where", "fix"), BAD_ITEMS, ids=IDS)
def test_bad_item_among_good_ones_yields_its_own_invalid_item_verdict(
    client: TestClient, item: str, where: str, fix: str, request: pytest.FixtureRequest
) -> None:
    response = post(client, body_of([GOOD % 0, item, GOOD % 2]))
    assert response.status_code == 200, response.text
    first, bad, last = response.json()["results"]
    assert_scored(first, 0)
    assert_scored(last, 2)
    assert_invalid(bad, where, fix)
    assert (bad["id"], bad["group"]) == ECHOED.get(request.node.callspec.id, (None, None))
    summary = response.json()["summary"]
    assert (summary["items"], summary["judged"], summary["statuses"]) == (3, 2, {"ok": 2, "invalid_item": 1})


def test_unknown_verifier_in_one_item_yields_its_own_status_and_the_rest_scored(client: TestClient) -> None:
    response = post(client, body_of([GOOD % 0, '{"completion": "x", "rewards": {"nope": 1}}']))
    assert response.status_code == 200, response.text
    first, bad = response.json()["results"]
    assert_scored(first, 0)
    assert (bad["status"], bad["reward"]) == ("unknown_verifier", None)


def test_explain_yields_a_trace_for_an_invalid_item_too(client: TestClient) -> None:
    response = post(client, body_of([GOOD % 0, '{"completion": 5}']), path="/v1/score?explain=true")
    assert response.status_code == 200, response.text
    good, bad = response.json()["explanations"]
    assert good["formula"] == "1×1 (format) = 1"
    assert bad["status"] == "invalid_item"
    assert bad["formula"] == "no components: items.1.completion: Input should be a valid string"


def invalid_items_counted(client: TestClient) -> float:
    lines = client.get("/metrics").text.splitlines()
    return float(next(line for line in lines if line.startswith("rlvr_invalid_items_total ")).split()[1])


def test_invalid_items_yield_their_count_in_metrics(client: TestClient) -> None:
    before = invalid_items_counted(client)
    assert post(client, body_of(['{"completion": 5}', GOOD % 1, "7"])).status_code == 200
    assert invalid_items_counted(client) == before + 2


@pytest.mark.parametrize(
    ("items", "error"),
    [
        (['{"completion": 5}'], "invalid request: items.0.completion: Input should be a valid string"),
        (
            ['{"id": "a", "completion": 5}', '{"id": "b", "referense": 1}'],
            "invalid request: items.0.completion: Input should be a valid string "
            "(and 1 more invalid item; nothing was scored)",
        ),
        (
            ['{"completion": "\\ud800"}'],
            "invalid request: items.0.completion: a lone UTF-16 surrogate is not Unicode text; "
            "send valid text (e.g. decode with errors='replace')",
        ),
    ],
    ids=["one", "two", "surrogate"],
)
def test_every_item_invalid_yields_422_saying_what_to_fix(client: TestClient, items: list[str], error: str) -> None:
    response = post(client, body_of(items))
    assert response.status_code == 422, response.text
    payload = response.json()
    assert payload["error"] == error, payload["error"]
    assert [d["item"] for d in payload["detail"]] == list(range(len(items)))
    assert all(d["error"].startswith(f"items.{d['item']}.") for d in payload["detail"])


@pytest.mark.parametrize(
    ("content", "status", "error"),
    [
        ('{"items": {"completion": "x"}}', 422, "invalid request: items: Input should be a valid list"),
        (body_of([GOOD % 0, '{"completion": 5}'], '{"format": "1"}'), 422, "rewards.format: Input should be a valid"),
        (body_of([GOOD % 0, '{"completion": 5}'], '{"nope": 1}'), 422, "unknown verifier 'nope'"),
        (body_of([GOOD % 0], '{"f\\ud800": 1}'), 422, "valid string, unable to parse raw data as a unicode string"),
        ('{"items": [], "extra": 1}', 422, "invalid request: extra: Extra inputs are not permitted"),
        ("[" + GOOD % 0 + "]", 422, "invalid request: body: Input should be a valid dictionary"),
        (body_of(['{"completion": 5}'] * 51), 413, "51 items in one request; the limit is 50"),
    ],
    ids=["items_not_a_list", "batch_weight", "batch_verifier", "batch_surrogate", "extra_field", "array", "too_many"],
)
def test_bad_envelope_yields_4xx_for_the_request(client: TestClient, content: str, status: int, error: str) -> None:
    response = post(client, content)
    assert response.status_code == status, response.text
    assert error in response.json()["error"]


def test_openapi_yields_score_item_as_the_schema_of_items(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["ScoreRequest"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/ScoreItem"}
    assert "completion" in schemas["ScoreItem"]["required"]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with run_server(env={"RLVR_WORKERS": "1", "RLVR_LOG_LEVEL": "warning"}) as url:
        yield url


@pytest.mark.integration
def test_bad_items_mixed_with_good_ones_yield_verdicts_from_a_real_server(server: str) -> None:
    items: list[str] = []
    expected: list[tuple[str, str] | None] = []
    for n, (item, where, fix) in enumerate(BAD_ITEMS):
        items += [GOOD % (2 * n), item]
        expected += [None, (where.replace("items.1", f"items.{2 * n + 1}", 1), fix)]
    with httpx.Client(base_url=server, timeout=60) as http:
        response = post(http, body_of(items))
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert len(results) == len(expected)
        for index, (result, bad) in enumerate(zip(results, expected, strict=True)):
            if bad is None:
                assert_scored(result, index)
            else:
                assert_invalid(result, *bad)
        assert response.json()["summary"]["statuses"] == {"ok": len(BAD_ITEMS), "invalid_item": len(BAD_ITEMS)}
        refused = post(http, body_of([item for item, _, _ in BAD_ITEMS]))
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"].startswith("invalid request: items.0.completion: Input should be a valid string")
        assert len(refused.json()["detail"]) == len(BAD_ITEMS)
        assert json.loads(refused.text)["detail"][4]["error"].startswith("items.4.completion: a lone UTF-16 surrogate")
