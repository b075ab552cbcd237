"""POST /v1/score: score a batch of completions."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic_core import PydanticSerializationError

from grpo.wire import ErrorResponse, ScoreResponse
from service.auth import ApiKey
from service.explain import explain_response
from service.gate import score_guarded
from service.intake import ScoreRequest, split_batch

router = APIRouter(tags=["scoring"])
_ERRORS = {code: {"model": ErrorResponse} for code in (401, 413, 422, 429, 503)}


@router.post("/v1/score", response_model=ScoreResponse, responses=_ERRORS)  # type: ignore[arg-type]
async def score(
    body: ScoreRequest,
    request: Request,
    _: ApiKey,
    explain: Annotated[bool, Query(description="Add `explanations`: the full trace of every verdict.")] = False,
) -> ScoreResponse | Response:
    """Score every item with its rewards; one result per item, in order.

    An item that cannot be judged (timeout, sandbox failure, bad reference) gets
    ``reward: null`` and a non-ok status: mask it, do not train on it as a 0. So does an
    item that is not a valid ScoreItem (status ``invalid_item``, ``error`` saying what to
    fix) while the others are scored; when no item is valid, the request is a 422.
    Busy: 429 with Retry-After; shutting down: 503 with Retry-After.
    ``?explain=true`` adds one trace per item (params, extracted answer, deciding rule).
    """
    batch = split_batch(body.items, body.rewards)
    result = await score_guarded(request, batch, explain=explain)
    if not isinstance(result, ScoreResponse):
        return result
    if explain:
        result = explain_response(request.app.state.scorer.registry, batch.entries, batch.rewards, result)
    # serialized once here: returning the model would make FastAPI validate and dump it again
    return Response(_json(result), media_type="application/json")


def _json(result: ScoreResponse) -> str:
    """The response as JSON; text no UTF-8 encoder takes (a plugin's lone surrogate) goes out escaped, not as a 500."""
    try:
        return result.model_dump_json()
    except PydanticSerializationError:
        return json.dumps(result.model_dump(mode="json"), ensure_ascii=True)
