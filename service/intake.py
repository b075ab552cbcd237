"""A batch as received: the envelope validated whole, then each item on its own.

The envelope (a JSON object, ``items`` a list, the batch ``rewards``) is validated as any
body is: a mistake there is a 422 for the whole request. Each item is then validated alone,
so that one malformed item (a wrong type, a misspelt field, a lone surrogate) costs only
itself: it gets its own ``invalid_item`` result in its place (``reward: null``, its ``id``
echoed when readable, ``error`` naming each field path and what to send) and the other
items are scored. ``null`` is right here: trusted code could not judge an item it could
not read, so a trainer masks it like any unjudged item.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, ValidationError

from grpo import wire
from grpo.wire import ItemResult, RewardsField, ScoreItem, ScoreResponse
from service.cells import batch_summary
from service.errors import MAX_ERRORS_SHOWN, error_message, error_path, relevant_errors
from service.text import lone_surrogate_at

INVALID_ITEM = "invalid_item"
SURROGATE_FIX = "a lone UTF-16 surrogate is not Unicode text; send valid text (e.g. decode with errors='replace')"
NOT_AN_OBJECT = 'an item must be a JSON object such as {"completion": "...", "reference": "..."}'


class ItemProblem:
    """An item that is not a valid ScoreItem: what was sent, and pydantic-shaped errors (``loc`` within the item)."""

    __slots__ = ("errors", "raw")

    def __init__(self, raw: Any, errors: list[dict[str, Any]]) -> None:
        self.raw = raw
        self.errors = errors


def check_item(value: Any) -> ScoreItem | ItemProblem:
    """``value`` as a ScoreItem, or the problems that keep it from being one."""
    item = value if isinstance(value, ScoreItem) else None
    if item is None:
        try:
            item = ScoreItem.model_validate(value)
        except ValidationError as exc:
            return ItemProblem(value, [_with_fix(dict(e)) for e in exc.errors(include_url=False)])
    where = lone_surrogate_at(item, root="item")
    if where is not None:
        loc = tuple(where.split(".")[1:])
        return ItemProblem(value, [{"loc": loc, "msg": SURROGATE_FIX, "type": "lone_surrogate"}])
    return item


def _with_fix(error: dict[str, Any]) -> dict[str, Any]:
    """Pydantic's error, its message saying what to send where pydantic's does not (a misspelt field, not an object)."""
    loc = tuple(error.get("loc", ()))
    if error.get("type") == "extra_forbidden" and len(loc) == 1:
        close = difflib.get_close_matches(str(loc[0]), ScoreItem.model_fields, n=1)
        fix = f"did you mean {close[0]!r}?" if close else f"an item's fields are {', '.join(ScoreItem.model_fields)}"
        return {**error, "msg": f"{error['msg']}: {fix}"}
    if error.get("type") == "model_type" and not loc:
        return {**error, "msg": f"{NOT_AN_OBJECT}, got {json.dumps(error.get('input'), default=str)[:40]}"}
    return error


ItemOrProblem = Annotated[ScoreItem | ItemProblem, PlainValidator(check_item, json_schema_input_type=ScoreItem)]


class ScoreRequest(BaseModel):
    """The body of POST /v1/score as the service reads it: ``grpo.wire.ScoreRequest``, each item checked alone.

    Named as the wire model, so /openapi.json documents the body as ``ScoreRequest`` of ``ScoreItem``s.
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        arbitrary_types_allowed=True,
        json_schema_extra=wire.ScoreRequest.model_config.get("json_schema_extra"),
    )

    items: list[ItemOrProblem] = Field(
        description="One result per item, in order; an item that is not a valid ScoreItem gets an `invalid_item` "
        "result (reward null, `error` saying what to fix) and the others are scored."
    )
    rewards: RewardsField | None = Field(default=None, description="Default for items without their own.")


@dataclass(frozen=True)
class Batch:
    """A batch in body order: each valid item, or the result already given to an invalid one; the batch rewards."""

    entries: list[ScoreItem | ItemResult]
    rewards: RewardsField | None

    @property
    def valid(self) -> list[ScoreItem]:
        return [e for e in self.entries if isinstance(e, ScoreItem)]

    @property
    def invalid(self) -> list[ItemResult]:
        return [e for e in self.entries if isinstance(e, ItemResult)]

    def to_score(self) -> wire.ScoreRequest:
        """The request for the scorer: the valid items only (already validated: not validated again)."""
        return wire.ScoreRequest.model_construct(items=self.valid, rewards=self.rewards)

    def merged(self, scored: ScoreResponse) -> ScoreResponse:
        """The response to the whole batch: ``scored`` (the valid items' results) with the invalid ones in place."""
        if not self.invalid:
            return scored
        results = iter(scored.results)
        placed = [e if isinstance(e, ItemResult) else next(results) for e in self.entries]
        return ScoreResponse(results=placed, summary=batch_summary(placed, scored.summary.seconds))

    def every_item_invalid(self) -> tuple[str, list[dict[str, Any]]] | None:
        """When no item can be scored: the 422 message (the first item's problems) and one detail per item."""
        invalid = self.invalid
        if not invalid or len(invalid) < len(self.entries):
            return None
        others = len(invalid) - 1
        more = f" (and {others} more invalid item{'s' if others > 1 else ''}; nothing was scored)" if others else ""
        detail = [{"item": n, "id": r.id, "error": r.error} for n, r in enumerate(invalid[:MAX_ERRORS_SHOWN])]
        return f"invalid request: {invalid[0].error}{more}", detail


def split_batch(items: Sequence[ScoreItem | ItemProblem], rewards: RewardsField | None) -> Batch:
    """The batch with each item that failed :func:`check_item` replaced by its ``invalid_item`` result."""
    entries = [item if isinstance(item, ScoreItem) else invalid_result(n, item) for n, item in enumerate(items)]
    return Batch(entries, rewards)


def invalid_result(index: int, problem: ItemProblem) -> ItemResult:
    """The ``invalid_item`` result of item ``index``: each problem as ``items.<index>.<field>: <what to fix>``."""
    raw = problem.raw if isinstance(problem.raw, dict) else {}
    return ItemResult(
        id=readable(raw.get("id")),
        group=readable(raw.get("group")),
        reward=None,
        status=INVALID_ITEM,
        components=[],
        error=problem_text(problem, ("items", index)),
    )


def problem_text(problem: ItemProblem, at: tuple[Any, ...] = ()) -> str:
    """Each of ``problem``'s errors as ``<path under at>: <what to fix>``, joined by "; " (at most MAX_ERRORS_SHOWN)."""
    parts = []
    for e in relevant_errors(problem.errors):
        loc = (*at, *e.get("loc", ()))
        parts.append(f"{error_path(loc)}: {error_message(e)}" if loc else error_message(e))
    hidden = len(parts) - MAX_ERRORS_SHOWN
    return "; ".join(parts[:MAX_ERRORS_SHOWN]) + (f" (and {hidden} more)" if hidden > 0 else "")


def readable(value: Any) -> str | int | None:
    """An id or group worth echoing: a str or int the response can carry, else None."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return None if lone_surrogate_at(value) is not None else value
