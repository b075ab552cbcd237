"""The /ui dashboard: the page and its assets (public code, no data), and the sample-browser API (API key).

The page holds no secrets: it asks for an API key and sends it as a bearer token on every data
request (``/v1/stats``-style auth), so the same keys guard the dashboard's data as the scoring API.
Its Content-Security-Policy lets it load and fetch only from this service, so it works with no
network and a captured completion (untrusted text) can neither run script nor call out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from grpo.wire import ErrorResponse, ItemResult
from service.auth import ApiKey
from service.explain import ItemTrace, trace_item
from service.ui.capture import Sample, SampleCapture, SampleFilter
from service.ui.score_metric import ScoreMetric

PREVIEW_CHARS = 240
MAX_LIST = 1000
ASSETS = {
    "app.js": "text/javascript; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "tree.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
PAGE_HEADERS = {
    "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


@dataclass
class UiState:
    """What /ui keeps on the app: the score histogram and, when capture is on, the sample ring."""

    score_metric: ScoreMetric
    capture: SampleCapture | None


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Feed the score histogram and (opt-in) the sample capture from the scorer the app just built."""
    state = app.state
    if getattr(state, "ui", None) is None:  # once per app: its metrics registry outlives a restart of the lifespan
        settings = state.settings
        capture = (
            SampleCapture(
                settings.ui_capture_size,
                max_chars=settings.ui_capture_max_chars,
                drop_prompts=settings.ui_capture_drop_prompts,
            )
            if settings.ui_capture
            else None
        )
        score_metric = ScoreMetric()
        state.metrics.registry.register(score_metric)
        state.ui = UiState(score_metric, capture)
    ui: UiState = state.ui
    state.scorer.observers.append(ui.score_metric.observe)
    if ui.capture is not None:
        state.scorer.batch_observers.append(ui.capture.record)
    yield


router = APIRouter(tags=["ui"], lifespan=_lifespan)


class SampleSummary(BaseModel):
    seq: int = Field(description="The sample's number in the capture; open it at /ui/api/samples/{seq}.")
    at: float = Field(description="When it was scored (Unix time).")
    id: str | int | None
    group: str | int | None
    reward: float | None
    status: str
    verifiers: list[str]
    completion: str = Field(description=f"The first {PREVIEW_CHARS} characters of the completion.")


class SampleList(BaseModel):
    enabled: bool = Field(description="Whether capture is on (RLVR_UI_CAPTURE); when off the list is empty.")
    size: int = Field(description="Most samples kept.")
    kept: int
    recorded: int = Field(description="Items captured since start (older ones fell out of the ring).")
    drop_prompts: bool
    samples: list[SampleSummary]


class SampleDetail(BaseModel):
    seq: int
    at: float
    prompt: str | None
    completion: str
    reference: Any = None
    rewards: list[dict[str, Any]] = Field(description="The rewards asked for this item, as sent to /v1/score.")
    result: ItemResult
    trace: ItemTrace


@router.get("/ui", include_in_schema=False)
async def page() -> Response:
    """The dashboard page (static: the data comes from the API with the key the user enters)."""
    return Response(_asset("index.html"), media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/ui/assets/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    """One of the page's own scripts, styles or images (a fixed list: no path reaches the filesystem)."""
    if name not in ASSETS:
        raise HTTPException(404, f"no asset {name!r}")
    return Response(_asset(name), media_type=ASSETS[name], headers=PAGE_HEADERS)


@router.get("/ui/api/samples", response_model=SampleList, responses={422: {"model": ErrorResponse}})
async def samples(
    request: Request,
    _: ApiKey,
    verifier: Annotated[str | None, Query(max_length=200, description="Only items scored by this verifier.")] = None,
    status: Annotated[str | None, Query(max_length=64, description="Only items with this status.")] = None,
    min_reward: Annotated[float | None, Query(allow_inf_nan=False, description="Only rewards ≥ this.")] = None,
    max_reward: Annotated[float | None, Query(allow_inf_nan=False, description="Only rewards ≤ this.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 200,
) -> SampleList:
    """Recently scored items, newest first (needs RLVR_UI_CAPTURE=true; off by default)."""
    capture = _capture(request)
    settings = request.app.state.settings
    found = capture.find(SampleFilter(verifier, status, min_reward, max_reward), limit) if capture else []
    return SampleList(
        enabled=capture is not None,
        size=settings.ui_capture_size,
        kept=len(capture) if capture else 0,
        recorded=capture.recorded if capture else 0,
        drop_prompts=settings.ui_capture_drop_prompts,
        samples=[_summary(s) for s in found],
    )


@router.get(
    "/ui/api/samples/{seq}",
    response_model=SampleDetail,
    responses={404: {"description": "Not captured"}, 422: {"model": ErrorResponse}},
)
async def sample(request: Request, _: ApiKey, seq: int) -> SampleDetail:
    """One captured item with its full explain trace (extracted answer, deciding rule, per-test verdicts)."""
    capture = _capture(request)
    found = capture.get(seq) if capture else None
    if found is None:
        hint = "" if capture else " (capture is off: start the service with RLVR_UI_CAPTURE=true)"
        raise HTTPException(404, f"no captured sample {seq}{hint}")
    return SampleDetail(
        seq=found.seq,
        at=found.at,
        prompt=found.prompt,
        completion=found.completion,
        reference=found.reference,
        rewards=[r.model_dump() for r in found.asked],
        result=found.result,
        trace=trace_item(request.app.state.scorer.registry, found.asked, found.result),
    )


def _capture(request: Request) -> SampleCapture | None:
    ui: UiState | None = getattr(request.app.state, "ui", None)
    return ui.capture if ui else None


def _summary(s: Sample) -> SampleSummary:
    r = s.result
    return SampleSummary(
        seq=s.seq,
        at=s.at,
        id=r.id,
        group=r.group,
        reward=r.reward,
        status=r.status,
        verifiers=s.verifiers,
        completion=s.completion[:PREVIEW_CHARS],
    )


def _asset(name: str) -> bytes:
    return resources.files("service.ui").joinpath("static", name).read_bytes()
