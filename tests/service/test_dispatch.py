"""The batch scorer: every item gets a result, in order, whatever its verifiers do."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from grpo.wire import ScoreRequest
from service.dispatch import RequestError, Scorer


def score(scorer: Scorer, items: list[dict[str, Any]], rewards: Any = None) -> list[dict[str, Any]]:
    request = ScoreRequest.model_validate({"items": items, "rewards": rewards})
    response = asyncio.run(scorer.score(request))
    return [r.model_dump() for r in response.results]


@pytest.mark.parametrize(
    ("rewards", "completion", "expected_reward"),
    [
        ({"t_len": 1.0}, "abcd", 4.0),
        ({"t_len": 0.5}, "abcd", 2.0),
        ([{"name": "t_len", "weight": 2.0, "params": {"scale": 0.25}}], "abcd", 2.0),
        ({"t_len": 1.0, "t_heavy": 10.0}, "x", 11.0),
    ],
)
def test_components_yield_weighted_sum(scorer: Scorer, rewards: Any, completion: str, expected_reward: float) -> None:
    [result] = score(scorer, [{"completion": completion, "reference": "x"}], rewards)
    assert result["status"] == "ok"
    assert result["reward"] == pytest.approx(expected_reward)


@pytest.mark.parametrize(
    ("item_rewards", "status", "reason_part"),
    [
        ({"nope": 1.0}, "unknown_verifier", "known: "),
        ([{"name": "t_len", "params": {"scael": 2}}], "bad_params", "valid: scale"),
        ([{"name": "t_len", "params": {"scale": "big"}}], "bad_params", "must be a number"),
        ({"t_heavy": 1.0}, "error", "RuntimeError: boom"),
    ],
)
def test_bad_item_yields_its_own_error_and_the_rest_are_scored(
    scorer: Scorer, item_rewards: Any, status: str, reason_part: str
) -> None:
    items = [
        {"id": "good-1", "completion": "ab"},
        {"id": "bad", "completion": "raise", "rewards": item_rewards},
        {"id": "good-2", "completion": "abc"},
    ]
    results = score(scorer, items, {"t_len": 1.0})
    assert [r["id"] for r in results] == ["good-1", "bad", "good-2"]
    assert [r["reward"] for r in results] == [2.0, None, 3.0]
    assert results[1]["status"] == status
    assert reason_part in results[1]["components"][0]["reason"]


@pytest.mark.parametrize(
    ("completion", "status", "reason_part"),
    [
        ("spin", "timeout", "deadline"),
        ("sleep", "timeout", "deadline"),
        ("die", "error", "worker process died"),
    ],
)
def test_stuck_or_dying_worker_yields_verdict_and_neighbours_are_scored(
    scorer: Scorer, completion: str, status: str, reason_part: str
) -> None:
    items = [{"completion": c, "reference": "ok"} for c in ["ok", "no", completion, "ok", "no", "ok"]]
    results = score(scorer, items, {"t_heavy": 1.0})
    assert [r["reward"] for r in results] == [1.0, 0.0, None, 1.0, 0.0, 1.0]
    assert results[2]["status"] == status
    assert reason_part in results[2]["components"][0]["reason"]
    # the pool recovered: the next batch is scored normally
    assert [r["reward"] for r in score(scorer, [{"completion": "ok", "reference": "ok"}], {"t_heavy": 1.0})] == [1.0]


def test_repeated_answers_are_scored_once_and_then_cached(scorer: Scorer) -> None:
    hits_before = scorer.cache.hits
    items = [{"completion": "same-answer", "reference": "same-answer"} for _ in range(16)]
    first = score(scorer, items, {"t_heavy": 1.0})
    assert len({r["components"][0]["details"]["pid"] for r in first}) == 1
    second = score(scorer, items, {"t_heavy": 1.0})
    assert [r["reward"] for r in second] == [1.0] * 16
    assert scorer.cache.hits - hits_before == 16


def test_group_verifier_yields_per_group_verdicts(scorer: Scorer) -> None:
    items = [
        {"group": "a", "completion": "1"},
        {"group": "b", "completion": "2"},
        {"group": "a", "completion": "3"},
        {"group": "a", "completion": "4"},
        {"completion": "no group"},
    ]
    results = score(scorer, items, {"t_group": 1.0})
    assert [r["reward"] for r in results] == [3.0, None, 3.0, 3.0, None]
    assert [r["status"] for r in results] == ["ok", "incomplete_group", "ok", "ok", "incomplete_group"]


def test_item_without_rewards_yields_error_naming_the_fix(scorer: Scorer) -> None:
    [result] = score(scorer, [{"completion": "x"}])
    assert result["reward"] is None
    assert "rewards" in result["error"]


@pytest.mark.parametrize(
    ("rewards", "message"),
    [
        ({"nope": 1.0}, "unknown verifier 'nope'"),
        ([{"name": "t_len", "params": {"bogus": 1}}], "valid: scale"),
    ],
)
def test_bad_batch_default_yields_request_error(scorer: Scorer, rewards: Any, message: str) -> None:
    with pytest.raises(RequestError, match=message):
        score(scorer, [{"completion": "x"}], rewards)


def test_oversize_completion_yields_too_large(scorer: Scorer) -> None:
    scorer.max_completion_chars, saved = 10, scorer.max_completion_chars
    try:
        results = score(scorer, [{"completion": "x" * 11}, {"completion": "x" * 10}], {"t_len": 1.0})
    finally:
        scorer.max_completion_chars = saved
    assert [r["status"] for r in results] == ["too_large", "ok"]


def test_heavy_group_verifier_runs_in_pool_under_deadline(scorer: Scorer) -> None:
    items = [
        {"group": "fine", "completion": "a"},
        {"group": "stuck", "completion": "spin"},
        {"group": "fine", "completion": "b"},
        {"group": "stuck", "completion": "c"},
    ]
    results = score(scorer, items, {"t_group_heavy": 1.0})
    assert [r["status"] for r in results] == ["ok", "timeout", "ok", "timeout"]
    assert [r["reward"] for r in results] == [2.0, None, 2.0, None]
    assert results[0]["components"][0]["details"]["pid"] != os.getpid()
