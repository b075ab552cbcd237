"""Format, language and shaping rewards requested together on a GRPO group, through the real batch scorer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from grpo.wire import ScoreRequest
from service.app import build_scorer
from service.dispatch import Scorer
from service.settings import Settings

PROMPT = "How many positive integers below 100 are divisible by 3 but not by 5?"
GROUP = [
    ("<think>\nFirst, there are 33 multiples of 3 below 100. Next, 6 of them are multiples of 15. "
     "Finally, 33 - 6 = 27.\n</think>\nThe answer is $\\boxed{27}$.", 61),
    ("<think>\nThere are 33 multiples of 3 and 6 multiples of 15, so 27.\n</think>\n$\\boxed{27}$", 30),
    ("<think>\n首先，100以内3的倍数有33个。Wait, I should subtract multiples of 5, which gives 20.\n</think>\n"
     "$\\boxed{20}$", 48),
    ("<think>\nLet me check again. Let me check again. Let me check again. Let me check again.\n</think>\n"
     "$\\boxed{33}$", 24),
]
REWARDS = [
    {"name": "math", "weight": 1.0},
    {"name": "format", "weight": 0.5},
    {"name": "tag_count", "weight": 0.1},
    {"name": "language", "weight": 0.2, "params": {"language": "en"}},
    {"name": "overlong", "weight": 1.0, "params": {"max_length": 60, "cache_length": 40}},
    {"name": "cosine_length", "weight": 0.5, "params": {"max_len": 400}},
    {"name": "repetition", "weight": 0.3},
    {"name": "reasoning_steps", "weight": 0.2},
    {"name": "length_penalty", "weight": 0.5},
]


@pytest.fixture(scope="module")
def scorer() -> Iterator[Scorer]:
    s = build_scorer(Settings(workers=1, item_timeout_s=30.0, plugins=False))  # type: ignore[call-arg]
    yield s
    s.close()


def score(scorer: Scorer, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    request = ScoreRequest.model_validate({"items": items, "rewards": REWARDS})
    return [r.model_dump() for r in asyncio.run(scorer.score(request)).results]


def test_group_with_every_shaping_reward_yields_weighted_sum_with_reasons(scorer: Scorer) -> None:
    items = [{"id": f"s{i}", "group": "q1", "prompt": PROMPT, "completion": c, "reference": "27",
              "completion_tokens": n} for i, (c, n) in enumerate(GROUP)]
    results = score(scorer, items)
    for result in results:
        components = {c["name"]: c for c in result["components"]}
        assert set(components) == {r["name"] for r in REWARDS}
        assert all(c["status"] == "ok" and c["reason"] for c in components.values()), components
        weights = {r["name"]: r["weight"] for r in REWARDS}
        assert result["reward"] == pytest.approx(sum(weights[n] * c["score"] for n, c in components.items()))
    by_id = {r["id"]: {c["name"]: c for c in r["components"]} for r in results}
    assert by_id["s0"]["cosine_length"]["details"]["correct"] is True  # math judged inside the worker pool
    assert by_id["s1"]["length_penalty"]["score"] > by_id["s0"]["length_penalty"]["score"]  # shorter, both right
    assert by_id["s2"]["language"]["score"] < 1.0 and "zh" in by_id["s2"]["language"]["details"]["counts"]
    assert by_id["s3"]["repetition"]["score"] < -0.5
    assert by_id["s3"]["cosine_length"]["score"] < 0  # wrong answer
    assert by_id["s1"]["overlong"]["score"] == pytest.approx((20 - 30) / 40)  # in the soft zone (20, 60]
    assert by_id["s0"]["overlong"]["score"] == -1.0  # 61 tokens > max_length 60


def test_item_without_group_yields_incomplete_group_and_no_total(scorer: Scorer) -> None:
    [result] = score(scorer, [{"prompt": PROMPT, "completion": GROUP[0][0], "reference": "27"}])
    components = {c["name"]: c for c in result["components"]}
    assert components["length_penalty"]["status"] == "incomplete_group"
    assert "no group" in components["length_penalty"]["reason"]
    assert result["reward"] is None
    assert components["overlong"]["reason"].startswith("≈")  # no completion_tokens: estimated, and said so
