"""Admission for scoring routes: size limits, backpressure, deadline, and cancel on client disconnect."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import HTTPException, Request
from fastapi.responses import Response

from grpo.wire import ScoreRequest, ScoreResponse
from service.admission import RETRY_AFTER_S

DISCONNECT_POLL_S = 0.5
CLIENT_CLOSED = 499


async def score_guarded(request: Request, body: ScoreRequest) -> ScoreResponse | Response:
    """Score ``body`` if the service can take it now; 413/429/503 with a reason otherwise."""
    state = request.app.state
    settings, admission = state.settings, state.admission
    n = len(body.items)
    if n > settings.max_items:
        raise HTTPException(413, f"{n} items in one request; the limit is {settings.max_items}: split the batch")
    if n > admission.limit:
        raise HTTPException(
            413, f"{n} items in one request; at most {admission.limit} can be in flight: split the batch"
        )
    if state.draining:
        state.metrics.rejected.labels("shutting_down").inc()
        raise HTTPException(
            503, "shutting down: retry against another replica", headers={"Retry-After": str(RETRY_AFTER_S)}
        )
    if not admission.try_acquire(n):
        state.metrics.rejected.labels("inflight").inc()
        raise HTTPException(
            429,
            f"busy: {admission.inflight} items in flight (limit {admission.limit}); retry in {RETRY_AFTER_S}s",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    state.stats.record_request()
    try:
        task = asyncio.ensure_future(state.scorer.score(body, deadline_s=settings.request_timeout_s))
        watcher = asyncio.ensure_future(_cancel_on_disconnect(request, task))
        try:
            return await task
        except asyncio.CancelledError:
            if watcher.done() and not watcher.cancelled():
                return Response(status_code=CLIENT_CLOSED)  # nobody is listening; the work was stopped
            raise
        finally:
            watcher.cancel()
    finally:
        admission.release(n)


async def _cancel_on_disconnect(request: Request, task: asyncio.Future[ScoreResponse]) -> None:
    """Stop scoring for a client that has gone away, so its items stop consuming workers."""
    with contextlib.suppress(asyncio.CancelledError):
        while not task.done():
            if await request.is_disconnected():
                task.cancel()
                return
            await asyncio.sleep(DISCONNECT_POLL_S)
