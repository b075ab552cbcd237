"""The sample ring of /ui: bounded, texts cut, prompts dropped on request, filters, lookup by number."""

from __future__ import annotations

from typing import Any

import pytest

from grpo.wire import ScoreRequest, ScoreResponse
from service.ui.capture import CUT_MARK, SampleCapture, SampleFilter, cut_value


def _scored(
    rewards: list[float | None], *, prompt: str = "p", completion: str = "c"
) -> tuple[ScoreRequest, ScoreResponse]:
    request = ScoreRequest.model_validate(
        {
            "items": [{"id": i, "prompt": prompt, "completion": completion} for i in range(len(rewards))],
            "rewards": {"math": 1.0},
        }
    )
    results = [
        {
            "id": i,
            "reward": r,
            "status": "ok" if r is not None else "timeout",
            "components": [
                {
                    "name": "math",
                    "weight": 1.0,
                    "score": r,
                    "status": "ok" if r is not None else "timeout",
                    "reason": "",
                    "details": {},
                }
            ],
        }
        for i, r in enumerate(rewards)
    ]
    summary = {"items": len(rewards), "judged": 0, "mean_reward": None, "statuses": {}, "seconds": 0.0}
    return request, ScoreResponse.model_validate({"results": results, "summary": summary})


def _capture(size: int = 10, max_chars: int = 100, drop_prompts: bool = False) -> SampleCapture:
    return SampleCapture(size, max_chars=max_chars, drop_prompts=drop_prompts)


def test_more_items_than_the_ring_holds_yields_the_newest_only() -> None:
    ring = _capture(size=5)
    for _ in range(3):
        ring.record(*_scored([1.0, 0.0, 0.5]))
    kept = ring.find(SampleFilter(), limit=100)
    assert len(ring) == 5 and ring.recorded == 9
    assert [s.seq for s in kept] == [9, 8, 7, 6, 5]
    assert ring.get(4) is None and ring.get(5) is kept[-1] and ring.get(10) is None


@pytest.mark.parametrize(
    ("where", "ids"),
    [
        (SampleFilter(), [3, 2, 1, 0]),
        (SampleFilter(status="timeout"), [2]),
        (SampleFilter(min_reward=0.5), [3, 0]),
        (SampleFilter(max_reward=0.5), [3, 1]),
        (SampleFilter(min_reward=0.2, max_reward=0.6), [3]),
        (SampleFilter(verifier="math", status="ok"), [3, 1, 0]),
        (SampleFilter(verifier="format"), []),
    ],
)
def test_filter_yields_matching_items_newest_first(where: SampleFilter, ids: list[int]) -> None:
    ring = _capture()
    ring.record(*_scored([1.0, 0.0, None, 0.5]))
    assert [s.result.id for s in ring.find(where, limit=100)] == ids


@pytest.mark.parametrize(
    ("drop_prompts", "prompt", "completion", "kept_prompt", "kept_completion"),
    [
        (False, "short", "c" * 10, "short", "c" * 10),
        (True, "secret prompt", "c", None, "c"),
        (False, "p" * 30, "c" * 30, "p" * 20 + CUT_MARK, "c" * 20 + CUT_MARK),
    ],
)
def test_capture_settings_yield_cut_texts_and_dropped_prompts(
    drop_prompts: bool, prompt: str, completion: str, kept_prompt: str | None, kept_completion: str
) -> None:
    ring = _capture(max_chars=20, drop_prompts=drop_prompts)
    ring.record(*_scored([1.0], prompt=prompt, completion=completion))
    sample = ring.find(SampleFilter(), limit=1)[0]
    assert (sample.prompt, sample.completion) == (kept_prompt, kept_completion)


@pytest.mark.parametrize(
    ("reference", "kept"),
    [
        (None, None),
        (4, 4),
        ("x" * 25, "x" * 20 + CUT_MARK),
        ({"inputs": ["1"]}, {"inputs": ["1"]}),
        ({"inputs": ["1" * 40]}, '{"inputs": ["' + "1" * 7 + CUT_MARK),
    ],
)
def test_reference_yields_itself_when_small_else_cut_json(reference: Any, kept: Any) -> None:
    assert cut_value(reference, 20) == kept
