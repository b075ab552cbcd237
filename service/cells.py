"""The cells of a batch being scored, and how they become the wire response.

A :class:`Component` is one (item, verifier) cell, filled with a verdict as work
completes; :func:`item_result` combines an item's cells into its reward.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from grpo.wire import BatchSummary, ComponentResult, ItemResult, RewardRequest, ScoreItem
from rewards import Item, Status, Verdict, VerifierSpec
from service.ceilings import Clamped


@dataclass
class Component:
    """One (item, verifier) cell of the batch, filled with a verdict as work completes."""

    index: int
    request: RewardRequest
    spec: VerifierSpec | None
    params: Any
    verdict: Verdict | None = None
    seconds: float = 0.0
    clamped: Clamped | None = None


def to_item(wire: ScoreItem, index: int) -> Item:
    """The verifiers' view of a wire item (ids and groups as text; the index when it has no id)."""
    return Item(
        completion=wire.completion,
        reference=wire.reference,
        id=str(wire.id if wire.id is not None else index),
        prompt=wire.prompt,
        group=None if wire.group is None else str(wire.group),
        completion_tokens=wire.completion_tokens,
        metadata=wire.metadata,
    )


def item_result(wire: ScoreItem, comps: list[Component], error: str | None) -> ItemResult:
    """The item's result: every component's verdict (clamps shown in details); reward null if any is not ok."""
    components = []
    for c in comps:
        v = c.verdict or Verdict.fail(Status.ERROR, "not scored (internal error)")
        components.append(
            ComponentResult(
                name=c.request.name,
                weight=c.request.weight,
                score=v.score,
                status=v.status.value,
                reason=v.reason,
                details={**v.details, "clamped": c.clamped} if c.clamped else v.details,
            )
        )
    failed = next((c for c in components if c.status != Status.OK.value), None)
    if error is not None:
        status, reward = Status.BAD_PARAMS.value, None
    elif failed is not None:
        status, reward = failed.status, None
    else:
        status = Status.OK.value
        reward = sum(c.weight * (c.score or 0.0) for c in components)
    return ItemResult(id=wire.id, group=wire.group, reward=reward, status=status, components=components, error=error)


def batch_summary(results: list[ItemResult], seconds: float) -> BatchSummary:
    """Counts and mean reward of a scored batch."""
    rewards = [r.reward for r in results if r.reward is not None]
    return BatchSummary(
        items=len(results),
        judged=len(rewards),
        mean_reward=sum(rewards) / len(rewards) if rewards else None,
        statuses=dict(Counter(r.status for r in results)),
        seconds=round(seconds, 4),
    )
