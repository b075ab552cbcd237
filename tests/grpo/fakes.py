"""A fake of the scoring service for unit tests: the wire format is real, the verdicts are not.

An item's reward is the length of its completion; a completion "unjudgeable" times out
(reward null), as the real service reports items it could not judge.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from grpo.wire import BatchSummary, ComponentResult, ItemResult, ScoreRequest, ScoreResponse, normalize_rewards

UNJUDGEABLE = "unjudgeable"


def fake_score(request: ScoreRequest) -> ScoreResponse:
    """Each named reward scores len(completion) (weighted); UNJUDGEABLE gets status timeout and no reward."""
    results = []
    for index, item in enumerate(request.items):
        rewards = normalize_rewards(item.rewards or request.rewards or {"len": 1.0})
        judged = item.completion != UNJUDGEABLE
        components = [
            ComponentResult(
                name=r.name,
                weight=r.weight,
                score=float(len(item.completion)) if judged else None,
                status="ok" if judged else "timeout",
                reason="length" if judged else "timed out",
            )
            for r in rewards
        ]
        reward = sum(r.weight * len(item.completion) for r in rewards) if judged else None
        results.append(
            ItemResult(
                id=item.id if item.id is not None else index,
                group=item.group,
                reward=reward,
                status="ok" if judged else "timeout",
                components=components,
            )
        )
    judged_rewards = [r.reward for r in results if r.reward is not None]
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    summary = BatchSummary(
        items=len(results),
        judged=len(judged_rewards),
        mean_reward=sum(judged_rewards) / len(judged_rewards) if judged_rewards else None,
        statuses=statuses,
        seconds=0.001,
    )
    return ScoreResponse(results=results, summary=summary)


class FakeService:
    """A MockTransport handler answering POST /v1/score with :func:`fake_score`; records requests in ``seen``.

    A class, not a closure, so reward functions holding it in their options still pickle.
    """

    def __init__(self, seen: list[httpx.Request] | None = None) -> None:
        self.seen = seen

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.seen is not None:
            self.seen.append(request)
        body = ScoreRequest.model_validate(json.loads(request.content))
        return httpx.Response(200, content=fake_score(body).model_dump_json())


def score_handler(seen: list[httpx.Request] | None = None) -> Callable[[httpx.Request], httpx.Response]:
    """The fake service as a handler for ``httpx.MockTransport``."""
    return FakeService(seen)
