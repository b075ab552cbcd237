"""Batches on the client side: items in, chunks out, one merged response back.

A large batch is cut into chunks sent concurrently. Items of one ``group`` always
travel in the same chunk, because group-scoped verifiers must see the whole group.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic_core import PydanticSerializationError

from grpo.errors import ProtocolError
from grpo.wire import BatchSummary, ItemResult, RewardsField, ScoreItem, ScoreRequest, ScoreResponse

ItemLike = ScoreItem | Mapping[str, Any]
INVALID_ITEM = "invalid_item"
log = logging.getLogger("grpo")


def as_items(items: Iterable[ItemLike]) -> list[ScoreItem]:
    """Validated ScoreItems; an item without an id gets its index in the whole batch.

    The service defaults ids to the index in *its* request, which after chunking would
    be the index in the chunk: numbering here keeps ids the same however the batch is cut.
    """
    out: list[ScoreItem] = []
    for index, raw in enumerate(items):
        item = raw if isinstance(raw, ScoreItem) else ScoreItem.model_validate(raw)
        out.append(item if item.id is not None else item.model_copy(update={"id": index}))
    return out


def plan_chunks(items: Sequence[ScoreItem], chunk_size: int) -> list[list[int]]:
    """Indices of each chunk: at most ``chunk_size`` items unless one group alone is larger."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    units: dict[Any, list[int]] = {}
    for index, item in enumerate(items):
        key = ("group", item.group) if item.group is not None else ("item", index)
        units.setdefault(key, []).append(index)
    chunks: list[list[int]] = []
    current: list[int] = []
    for unit in units.values():
        if current and len(current) + len(unit) > chunk_size:
            chunks.append(current)
            current = []
        current.extend(unit)
    if current:
        chunks.append(current)
    return chunks


def request_body(items: Sequence[ScoreItem], indices: Sequence[int], rewards: RewardsField | None) -> bytes:
    """The JSON body of one chunk's POST /v1/score.

    Text that is not Unicode (a lone surrogate, which no UTF-8 encoder takes) goes out escaped
    rather than raising here: the service then gives that item its own ``invalid_item`` result.
    """
    request = ScoreRequest(items=[items[i] for i in indices], rewards=rewards)
    try:
        return request.model_dump_json(exclude_none=True).encode()
    except PydanticSerializationError:
        return json.dumps(request.model_dump(mode="json", exclude_none=True), ensure_ascii=True).encode()


def parse_response(content: bytes, expected: int) -> ScoreResponse:
    """A chunk's response, checked against the wire contract (one result per item)."""
    try:
        response = ScoreResponse.model_validate_json(content)
    except ValueError as exc:
        raise ProtocolError(f"the service sent a body that is not a ScoreResponse: {exc}") from None
    if len(response.results) != expected:
        raise ProtocolError(f"the service returned {len(response.results)} results for {expected} items")
    return response


def merge(parts: Sequence[tuple[Sequence[int], ScoreResponse]], total: int) -> ScoreResponse:
    """One response for the whole batch, results back in the caller's order; invalid items logged as a warning."""
    response = _merged(parts, total)
    invalid = [r for r in response.results if r.status == INVALID_ITEM]
    if invalid:  # null like any unjudged item, but a bug in the caller's data: said, not only masked
        log.warning(
            "%d of %d items were invalid and not scored (reward None); first: %s", len(invalid), total, invalid[0].error
        )
    return response


def _merged(parts: Sequence[tuple[Sequence[int], ScoreResponse]], total: int) -> ScoreResponse:
    if len(parts) == 1 and list(parts[0][0]) == list(range(total)):
        return parts[0][1]
    results: list[ItemResult | None] = [None] * total
    statuses: dict[str, int] = {}
    judged = 0
    reward_sum = 0.0
    seconds = 0.0
    for indices, response in parts:
        for index, result in zip(indices, response.results, strict=True):
            results[index] = result
        s = response.summary
        judged += s.judged
        if s.mean_reward is not None:
            reward_sum += s.mean_reward * s.judged
        seconds = max(seconds, s.seconds)
        for status, count in s.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    if any(r is None for r in results):
        raise ProtocolError("some items got no result")
    summary = BatchSummary(
        items=total,
        judged=judged,
        mean_reward=reward_sum / judged if judged else None,
        statuses=statuses,
        seconds=seconds,
    )
    return ScoreResponse(results=[r for r in results if r is not None], summary=summary)


def empty_response() -> ScoreResponse:
    """The answer to an empty batch, given without a round trip."""
    return ScoreResponse(
        results=[], summary=BatchSummary(items=0, judged=0, mean_reward=None, statuses={}, seconds=0.0)
    )


def reward_values(response: ScoreResponse, fill_value: float | None) -> list[float | None]:
    """Each item's reward; an item that could not be judged is None unless a fill value is given."""
    return [r.reward if r.reward is not None else fill_value for r in response.results]


def texts_to_items(
    completions: Sequence[str],
    references: Sequence[Any] | None,
    groups: Sequence[Any] | None,
    prompts: Sequence[str | None] | None,
) -> list[ScoreItem]:
    """ScoreItems from parallel lists (the shape trainers hold their rollouts in)."""
    n = len(completions)
    for name, column in (("references", references), ("groups", groups), ("prompts", prompts)):
        if column is not None and len(column) != n:
            raise ValueError(f"{name} has {len(column)} entries for {n} completions")
    return [
        ScoreItem(
            id=i,
            completion=completions[i],
            reference=references[i] if references is not None else None,
            group=groups[i] if groups is not None else None,
            prompt=prompts[i] if prompts is not None else None,
        )
        for i in range(n)
    ]
