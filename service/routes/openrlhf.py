"""POST /openrlhf[/{rewards}]: the body and answer OpenRLHF's ``--reward.remote_url`` speaks.

OpenRLHF posts ``{"query": [prompt+response...], "prompts": [...], "labels": [...]}`` and
reads ``{"rewards": [...], "scores": [...], "extra_logs": {name: [...]}}``. The rewards to
apply are named in the URL, so no trainer code changes: ``/openrlhf/math`` or
``/openrlhf/math:1+format:0.2``, or ``?rewards=math:1;format:0.2`` (the query wins); see
``parse_rewards`` for the separators that survive OpenRLHF's own parsing of the URL.
With several URLs OpenRLHF splits a batch between them and may send empty lists:
those get empty lists back.

OpenRLHF needs a number per sample: an item that could not be judged gets ``fill``
(query parameter, default 0.0) and ``extra_logs["judged"]`` says which ones they were.
So does a sample that is not valid text (a lone surrogate): OpenRLHF cannot fix one
sample, so it costs that sample only, never a 422 for the batch.
"""

from __future__ import annotations

import math
import re
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from grpo.wire import ErrorResponse, ScoreItem, ScoreResponse
from service.auth import QueryApiKey
from service.gate import score_guarded
from service.intake import Batch, ItemProblem, check_item, split_batch

router = APIRouter(tags=["openrlhf"])

# queries are decoded with special tokens kept; a trailing end-of-turn marker is not part of the answer
END_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "</s>", "<｜end▁of▁sentence｜>")


class OpenRLHFRequest(BaseModel):
    """OpenRLHF's remote reward request; unknown extra fields (forks add some) are ignored."""

    model_config = ConfigDict(extra="ignore")

    query: list[str] = Field(description="prompt + response, as the trainer decoded it")
    prompts: list[str] | None = None
    labels: list[Any] | None = Field(default=None, description="the dataset's --data.label_key column: the reference")


class OpenRLHFResponse(BaseModel):
    rewards: list[float] = Field(description="for advantages")
    scores: list[float] = Field(description="for dynamic filtering")
    extra_logs: dict[str, list[float]] = Field(description="logged to wandb as means")


SPEC_SEPARATORS = re.compile(r"[+;,]|\s+")
SPACE_AROUND = re.compile(r"(?<!\s)\s*+([:+;,])\s*+")  # starts where its spaces start: linear in the header
MAX_WEIGHT = 1e6  # the wire schema's bound on a weight
SPEC_HELP = (
    "write the rewards as name[:weight] joined by '+' (or ';'), e.g. /openrlhf/math:1+format:0.2; "
    "a weight is a finite decimal number from 0 to 1e6 and defaults to 1; each name appears once. "
    "A comma also separates rewards, but OpenRLHF splits --reward.remote_url on commas: "
    "use '+', ';' or %2C there"
)


def parse_rewards(spec: str) -> dict[str, float]:
    """``"math:1+format:0.2"`` → ``{"math": 1.0, "format": 0.2}``; a name without weight weighs 1.

    Rewards are separated by ``+``, ``;``, ``,`` or whitespace (``+`` in a query string
    arrives as a space): OpenRLHF cuts its reward URL at every comma before sending it, so a
    spec in that URL must use another separator. Every weight must be a finite number in
    [0, 1e6]: anything else is a 422 that says how to write the spec.
    """
    parts = SPEC_SEPARATORS.split(SPACE_AROUND.sub(r"\1", spec.strip()))
    out: dict[str, float] = {}
    for part in parts:
        name, colon, raw = (p.strip() for p in part.partition(":"))
        if not name:
            raise HTTPException(422, f"bad rewards spec {spec!r}: empty reward name; {SPEC_HELP}")
        if name in out:
            raise HTTPException(422, f"bad rewards spec {spec!r}: {name!r} appears twice; {SPEC_HELP}")
        out[name] = _weight(spec, name, raw) if colon else 1.0
    return out


def _weight(spec: str, name: str, raw: str) -> float:
    try:
        weight = float(raw)
    except ValueError:
        raise HTTPException(422, f"bad weight {raw!r} for {name!r} in rewards spec {spec!r}; {SPEC_HELP}") from None
    if not math.isfinite(weight) or not 0.0 <= weight <= MAX_WEIGHT:
        raise HTTPException(422, f"weight {raw!r} for {name!r} in rewards spec {spec!r} is out of range; {SPEC_HELP}")
    return weight


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


def to_batch(body: OpenRLHFRequest, rewards: dict[str, float] | None) -> Batch:
    """One ScoreItem per query (checked alone: see service.intake); samples of one prompt form a group."""
    n = len(body.query)
    for name, column in (("prompts", body.prompts), ("labels", body.labels)):
        if column is not None and len(column) != n:
            raise HTTPException(422, f"{name} has {len(column)} entries for {n} queries")
    groups: dict[str, int] = {}
    items: list[ScoreItem | ItemProblem] = []
    for i, query in enumerate(body.query):
        prompt = body.prompts[i] if body.prompts is not None else None
        item = ScoreItem(
            id=i,
            group=groups.setdefault(prompt, len(groups)) if prompt is not None else None,
            prompt=prompt,
            completion=response_text(query, prompt),
            reference=body.labels[i] if body.labels is not None else None,
        )
        items.append(check_item(item))
    return split_batch(items, rewards)


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


QUERY_PARAMETERS = frozenset({"rewards", "fill", "api_key"})


def check_query(request: Request) -> None:
    """A query parameter the route does not know is a spec cut at ``&``: say so rather than drop it."""
    unknown = sorted(set(request.query_params) - QUERY_PARAMETERS)
    if unknown:
        raise HTTPException(
            422, f"unknown query parameter(s) {unknown} (known: {sorted(QUERY_PARAMETERS)}); {SPEC_HELP}, never '&'"
        )


async def _score(request: Request, body: OpenRLHFRequest, spec: str | None, fill: float) -> OpenRLHFResponse | Response:
    check_query(request)
    rewards = parse_rewards(spec) if spec else None  # a bad spec is a 422 even for an empty batch
    if not body.query:
        return OpenRLHFResponse(rewards=[], scores=[], extra_logs={})
    scored = await score_guarded(request, to_batch(body, rewards), refuse_all_invalid=False)
    return to_openrlhf(scored, fill) if isinstance(scored, ScoreResponse) else scored


_RESPONSES: dict[int | str, dict[str, Any]] = {code: {"model": ErrorResponse} for code in (401, 413, 422, 429, 503)}
_RewardsQuery = Query(default=None, description="name[:weight] joined by + or ;, e.g. math:1;format:0.2")
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
    """Score with the rewards named in the path, e.g. ``/openrlhf/math:1+format:0.2``."""
    return await _score(request, body, rewards or spec, fill)
