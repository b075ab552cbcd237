"""Admission for scoring routes: valid text, size limits, backpressure, deadline, cancel on client disconnect."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import HTTPException, Request
from fastapi.responses import Response

from grpo.wire import ScoreResponse
from service.admission import RETRY_AFTER_S, work_units
from service.dispatch import RequestError
from service.intake import SURROGATE_FIX, Batch
from service.text import lone_surrogate_at

DISCONNECT_POLL_S = 0.5
CLIENT_CLOSED = 499


async def score_guarded(
    request: Request, batch: Batch, *, explain: bool = False, refuse_all_invalid: bool = True
) -> ScoreResponse | Response:
    """Score ``batch`` if the service can take it now; 413/422/429/503 with a reason otherwise.

    Its invalid items (see :mod:`service.intake`) come back as their own results, in place;
    when every item is invalid the batch is a 422 unless not ``refuse_all_invalid``.
    Admission counts work, not items: every component (verifier call) of every valid item.
    A raising verifier's traceback is logged, and kept in its details only when ``explain``.
    """
    state = request.app.state
    settings, admission = state.settings, state.admission
    n = len(batch.entries)
    if n > settings.max_items:
        raise HTTPException(413, f"{n} items in one request; the limit is {settings.max_items}: split the batch")
    if refuse_all_invalid and (refusal := batch.every_item_invalid()) is not None:
        raise RequestError(*refusal)
    if (where := lone_surrogate_at(batch.rewards, "rewards")) is not None:
        raise HTTPException(422, f"invalid request: {where}: {SURROGATE_FIX}")
    body = batch.to_score()
    units = work_units(body)
    if units > admission.limit:
        raise HTTPException(
            413,
            f"{units} verifier calls ({n} items) in one request; at most {admission.limit} can be in flight: "
            "split the batch",
        )
    if state.draining:
        state.metrics.rejected.labels("shutting_down").inc()
        raise HTTPException(
            503, "shutting down: retry against another replica", headers={"Retry-After": str(RETRY_AFTER_S)}
        )
    if not admission.try_acquire(units):
        state.metrics.rejected.labels("inflight").inc()
        raise HTTPException(
            429,
            f"busy: {admission.inflight} verifier calls in flight (limit {admission.limit}); retry in {RETRY_AFTER_S}s",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    state.stats.record_request()
    try:
        scoring = state.scorer.score(
            body,
            deadline_s=settings.request_timeout_s,
            tenant=getattr(request.state, "tenant", None),
            tracebacks=explain,
        )
        task = asyncio.ensure_future(scoring)
        watcher = asyncio.ensure_future(_cancel_on_disconnect(request, task))
        try:
            scored = await task
        except asyncio.CancelledError:
            if watcher.done() and not watcher.cancelled():
                return Response(status_code=CLIENT_CLOSED)  # nobody is listening; the work was stopped
            raise
        finally:
            watcher.cancel()
    finally:
        admission.release(units)
    state.metrics.invalid_items.inc(len(batch.invalid))
    return batch.merged(scored)


async def _cancel_on_disconnect(request: Request, task: asyncio.Future[ScoreResponse]) -> None:
    """Stop scoring for a client that has gone away, so its items stop consuming workers and sandboxes."""
    with contextlib.suppress(asyncio.CancelledError):
        while not task.done():
            if await request.is_disconnected():
                task.cancel()
                return
            await asyncio.sleep(DISCONNECT_POLL_S)
