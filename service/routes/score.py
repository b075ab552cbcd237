"""POST /v1/score: score a batch of completions."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from service.deps import ScorerDep, SettingsDep
from service.schemas import ErrorResponse, ScoreRequest, ScoreResponse

router = APIRouter(tags=["scoring"])


@router.post(
    "/v1/score", response_model=ScoreResponse, responses={413: {"model": ErrorResponse}, 422: {"model": ErrorResponse}}
)
async def score(request: ScoreRequest, scorer: ScorerDep, settings: SettingsDep) -> ScoreResponse:
    """Score every item with its rewards; one result per item, in order.

    An item that cannot be judged (timeout, sandbox failure, bad reference) gets
    ``reward: null`` and a non-ok status: mask it, do not train on it as a 0.
    """
    if len(request.items) > settings.max_items:
        raise HTTPException(
            413, f"{len(request.items)} items in one request; the limit is {settings.max_items}: split the batch"
        )
    return await scorer.score(request)
