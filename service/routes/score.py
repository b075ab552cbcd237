"""POST /v1/score: score a batch of completions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from service.auth import ApiKey
from service.gate import score_guarded
from service.schemas import ErrorResponse, ScoreRequest, ScoreResponse

router = APIRouter(tags=["scoring"])
_ERRORS = {code: {"model": ErrorResponse} for code in (401, 413, 422, 429, 503)}


@router.post("/v1/score", response_model=ScoreResponse, responses=_ERRORS)  # type: ignore[arg-type]
async def score(body: ScoreRequest, request: Request, _: ApiKey) -> ScoreResponse | Response:
    """Score every item with its rewards; one result per item, in order.

    An item that cannot be judged (timeout, sandbox failure, bad reference) gets
    ``reward: null`` and a non-ok status: mask it, do not train on it as a 0.
    Busy: 429 with Retry-After; shutting down: 503 with Retry-After.
    """
    return await score_guarded(request, body)
