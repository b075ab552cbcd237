"""The OpenRLHF-compatible router on a tiny app with a fake scorer (the real service is in test_e2e)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from grpo.wire import ScoreRequest, ScoreResponse
from service.admission import Admission
from service.metrics import Metrics
from service.routes.openrlhf import parse_rewards, response_text, router
from service.settings import Settings
from service.stats import RollingStats
from tests.grpo.fakes import UNJUDGEABLE, fake_score


class FakeScorer:
    """Scores with tests.grpo.fakes.fake_score and keeps the requests it got."""

    def __init__(self) -> None:
        self.requests: list[ScoreRequest] = []

    async def score(
        self, request: ScoreRequest, deadline_s: float | None = None, *, tenant: object = None, tracebacks: bool = True
    ) -> ScoreResponse:
        self.requests.append(request)
        return fake_score(request)


@pytest.fixture
def scorer() -> FakeScorer:
    return FakeScorer()


@pytest.fixture
def client(scorer: FakeScorer) -> TestClient:
    app = FastAPI()
    app.state.scorer = scorer
    app.state.settings = Settings()
    app.state.api_keys = []
    app.state.admission = Admission(app.state.settings.max_inflight_items)
    app.state.metrics = Metrics()
    app.state.stats = RollingStats()
    app.state.draining = False
    app.include_router(router)
    return TestClient(app)


PROMPT = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
BODY = {
    "query": [PROMPT + "<think>4</think>4<|im_end|>", PROMPT + UNJUDGEABLE + "<|im_end|>", "Q: prime?A: 7</s>"],
    "prompts": [PROMPT, PROMPT, "Q: prime?"],
    "labels": ["4", "4", "7"],
}


def test_openrlhf_body_yields_rewards_scores_and_extra_logs(client: TestClient, scorer: FakeScorer) -> None:
    response = client.post("/openrlhf/format", json=BODY)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "rewards": [17.0, 0.0, 4.0],
        "scores": [17.0, 0.0, 4.0],
        "extra_logs": {"judged": [1.0, 0.0, 1.0], "format": [17.0, 0.0, 4.0]},
    }
    sent = scorer.requests[0]
    assert [i.completion for i in sent.items] == ["<think>4</think>4", UNJUDGEABLE, "A: 7"]
    assert [i.reference for i in sent.items] == ["4", "4", "7"]
    assert [i.group for i in sent.items] == [0, 0, 1]
    assert sent.rewards == {"format": 1.0}


@pytest.mark.parametrize(
    ("path", "rewards"),
    [
        ("/openrlhf/math", {"math": 1.0}),
        ("/openrlhf/math:1,format:0.2", {"math": 1.0, "format": 0.2}),
        ("/openrlhf/math?rewards=format:0.5", {"format": 0.5}),
        ("/openrlhf?rewards=math,format:0.2", {"math": 1.0, "format": 0.2}),
        ("/openrlhf", None),
    ],
)
def test_path_or_query_yields_the_rewards_applied(
    client: TestClient, scorer: FakeScorer, path: str, rewards: Any
) -> None:
    assert client.post(path, json=BODY).status_code == 200
    assert scorer.requests[0].rewards == rewards


def test_more_queries_than_the_service_limit_yield_413(client: TestClient, scorer: FakeScorer) -> None:
    client.app.state.settings = SimpleNamespace(max_items=2)  # type: ignore[attr-defined]
    assert client.post("/openrlhf/format", json=BODY).status_code == 413
    assert scorer.requests == []


def test_fill_query_yields_it_for_unjudged_items(client: TestClient) -> None:
    assert client.post("/openrlhf/format?fill=-1", json=BODY).json()["rewards"][1] == -1.0


@pytest.mark.parametrize(
    "body", [{"query": [], "prompts": [], "labels": []}, {"query": []}], ids=["empty-lists", "query-only"]
)
def test_empty_lists_yield_empty_lists_without_scoring(client: TestClient, scorer: FakeScorer, body: Any) -> None:
    assert client.post("/openrlhf/math", json=body).json() == {"rewards": [], "scores": [], "extra_logs": {}}
    assert scorer.requests == []


def test_extra_fields_and_missing_labels_yield_scores(client: TestClient, scorer: FakeScorer) -> None:
    body = {"query": ["PA"], "prompts": ["P"], "datasources": ["gsm8k"]}
    assert client.post("/openrlhf/format", json=body).json()["rewards"] == [1.0]
    assert scorer.requests[0].items[0].reference is None


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/openrlhf/format", {"query": ["a", "b"], "prompts": ["a"]}),
        ("/openrlhf/format", {"query": ["a"], "labels": ["x", "y"]}),
        ("/openrlhf/format:heavy", BODY),
        ("/openrlhf/format?fill=nan", BODY),
        ("/openrlhf/format", {"prompts": ["a"]}),
    ],
    ids=["prompts-length", "labels-length", "bad-weight", "nan-fill", "no-query"],
)
def test_malformed_request_yields_422(client: TestClient, path: str, body: Any) -> None:
    assert client.post(path, json=body).status_code == 422


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("math", {"math": 1.0}),
        ("math:2", {"math": 2.0}),
        (" math : 1 , format:0.2 ", {"math": 1.0, "format": 0.2}),
        ("math:1+format:0.2", {"math": 1.0, "format": 0.2}),
        ("math:1;format:0.2", {"math": 1.0, "format": 0.2}),
        ("math:1 format:0.2", {"math": 1.0, "format": 0.2}),  # '+' in a query string arrives as a space
        ("math:0+format:1e6", {"math": 0.0, "format": 1e6}),
    ],
)
def test_rewards_spec_yields_weights(spec: str, expected: dict[str, float]) -> None:
    assert parse_rewards(spec) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/openrlhf/math:nan",
        "/openrlhf/math:inf",
        "/openrlhf/math:-inf",
        "/openrlhf/math:1e9",
        "/openrlhf/format:-0.5",
        "/openrlhf/math:heavy",
        "/openrlhf/math:1+math:2",
        "/openrlhf/math:1++format",
        "/openrlhf/:1",
        "/openrlhf?rewards=math:nan",
        "/openrlhf?rewards=math:1&format:0.2",
    ],
)
def test_unusable_rewards_spec_yields_422_saying_how_to_write_it(client: TestClient, path: str) -> None:
    for body in (BODY, {"query": []}):
        response = client.post(path, json=body)
        assert response.status_code == 422, (path, response.text)
        assert "math:1+format:0.2" in response.text


@pytest.mark.parametrize(
    ("query", "prompt", "response"),
    [
        ("PROMPT answer", "PROMPT ", "answer"),
        ("<s>PROMPT answer</s>", "PROMPT ", "answer"),
        ("PROMPT answer<|im_end|><|endoftext|><|endoftext|>", "PROMPT ", "answer"),
        ("PROMPT answer <|eot_id|>\n", "PROMPT ", "answer"),
        ("no prompt inside", "PROMPT", "no prompt inside"),
        ("just the response", None, "just the response"),
    ],
)
def test_query_minus_prompt_yields_the_response(query: str, prompt: str | None, response: str) -> None:
    assert response_text(query, prompt) == response
