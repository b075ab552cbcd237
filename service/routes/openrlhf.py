"""POST /openrlhf[/{rewards}]: the body and answer OpenRLHF's ``--remote_rm_url`` speaks.

OpenRLHF posts ``{"query": [prompt+response...], "prompts": [...], "labels": [...]}`` and
reads ``{"rewards": [...], "scores": [...], "extra_logs": {name: [...]}}``. The rewards to
apply are named in the URL, so no trainer code changes: ``/openrlhf/math`` or
``/openrlhf/math:1,format:0.2``, or ``?rewards=math:1,format:0.2`` (the query wins).
With several URLs OpenRLHF splits a batch between them and may send empty lists:
those get empty lists back.

OpenRLHF needs a number per sample: an item that could not be judged gets ``fill``
(query parameter, default 0.0) and ``extra_logs["judged"]`` says which ones they were.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from grpo.wire import ErrorResponse, ScoreItem, ScoreRequest, ScoreResponse
from service.auth import QueryApiKey
from service.gate import score_guarded

router = APIRouter(tags=["openrlhf"])

# queries are decoded with special tokens kept; a trailing end-of-turn marker is not part of the answer
END_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "</s>", "<｜end▁of▁sentence｜>")


class OpenRLHFRequest(BaseModel):
    """OpenRLHF's remote reward request; unknown extra fields (forks add some) are ignored."""

    model_config = ConfigDict(extra="ignore")

    query: list[str] = Field(description="prompt + response, as the trainer decoded it")
    prompts: list[str] | None = None
    labels: list[Any] | None = Field(default=None, description="the dataset's --label_key column: the reference")


class OpenRLHFResponse(BaseModel):
    rewards: list[float] = Field(description="for advantages")
    scores: list[float] = Field(description="for dynamic filtering")
    extra_logs: dict[str, list[float]] = Field(description="logged to wandb as means")


def parse_rewards(spec: str) -> dict[str, float]:
    """``"math:1,format:0.2"`` → ``{"math": 1.0, "format": 0.2}``; a name without weight weighs 1."""
    out: dict[str, float] = {}
    for part in spec.split(","):
        name, _, weight = part.strip().partition(":")
        if not name.strip():
            raise HTTPException(422, f"bad rewards spec {spec!r}: expected name[:weight],name[:weight]...")
        try:
            out[name.strip()] = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise HTTPException(422, f"bad weight {weight!r} for {name!r} in rewards spec {spec!r}") from None
    return out


def response_text(query: str, prompt: str | None) -> str:
    """The response part of ``query``: what follows the prompt, without a trailing end marker."""
    text = query
    if prompt:
        at = query.find(prompt)
        if at >= 0:
            text = query[at + len(prompt) :]
    stripped = text.rstrip()
    while stripped.endswith(END_MARKERS):
        stripped = next(stripped[: -len(m)].rstrip() for m in END_MARKERS if stripped.endswith(m))
    return stripped


def to_score_request(body: OpenRLHFRequest, rewards: dict[str, float] | None) -> ScoreRequest:
    """One ScoreItem per query; samples of one prompt form a group."""
    n = len(body.query)
    for name, column in (("prompts", body.prompts), ("labels", body.labels)):
        if column is not None and len(column) != n:
            raise HTTPException(422, f"{name} has {len(column)} entries for {n} queries")
    groups: dict[str, int] = {}
    items = []
    for i, query in enumerate(body.query):
        prompt = body.prompts[i] if body.prompts is not None else None
        items.append(
            ScoreItem(
                id=i,
                group=groups.setdefault(prompt, len(groups)) if prompt is not None else None,
                prompt=prompt,
                completion=response_text(query, prompt),
                reference=body.labels[i] if body.labels is not None else None,
            )
        )
    return ScoreRequest(items=items, rewards=rewards)


def to_openrlhf(response: ScoreResponse, fill: float) -> OpenRLHFResponse:
    """Rewards with unjudged items filled, per-component scores and a judged flag as extra logs."""
    rewards = [r.reward if r.reward is not None else fill for r in response.results]
    logs: dict[str, list[float]] = {"judged": [float(r.reward is not None) for r in response.results]}
    names = list(dict.fromkeys(c.name for r in response.results for c in r.components))
    for name in names:
        column = []
        for r in response.results:
            score = next((c.score for c in r.components if c.name == name), None)
            column.append(score if score is not None else fill)
        logs[name] = column
    return OpenRLHFResponse(rewards=rewards, scores=list(rewards), extra_logs=logs)


async def _score(request: Request, body: OpenRLHFRequest, spec: str | None, fill: float) -> OpenRLHFResponse | Response:
    if not body.query:
        return OpenRLHFResponse(rewards=[], scores=[], extra_logs={})
    scored = await score_guarded(request, to_score_request(body, parse_rewards(spec) if spec else None))
    return to_openrlhf(scored, fill) if isinstance(scored, ScoreResponse) else scored


_RESPONSES: dict[int | str, dict[str, Any]] = {code: {"model": ErrorResponse} for code in (401, 413, 422, 429, 503)}
_RewardsQuery = Query(default=None, description="name[:weight],... e.g. math:1,format:0.2")
_FillQuery = Query(default=0.0, allow_inf_nan=False, description="reward sent for items that could not be judged")


@router.post("/openrlhf", response_model=OpenRLHFResponse, responses=_RESPONSES)
async def openrlhf_default(
    request: Request,
    body: OpenRLHFRequest,
    _: QueryApiKey,
    rewards: str | None = _RewardsQuery,
    fill: float = _FillQuery,
) -> OpenRLHFResponse | Response:
    """Score with the rewards in ``?rewards=`` (or the service default)."""
    return await _score(request, body, rewards, fill)


@router.post("/openrlhf/{spec}", response_model=OpenRLHFResponse, responses=_RESPONSES)
async def openrlhf(
    request: Request,
    spec: str,
    body: OpenRLHFRequest,
    _: QueryApiKey,
    rewards: str | None = _RewardsQuery,
    fill: float = _FillQuery,
) -> OpenRLHFResponse | Response:
    """Score with the rewards named in the path, e.g. ``/openrlhf/math:1,format:0.2``."""
    return await _score(request, body, rewards or spec, fill)
