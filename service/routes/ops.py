"""Operator views: Prometheus /metrics and a human-readable GET /v1/stats."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from service.auth import ApiKey

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus exposition: requests, items by verifier and status, latencies, in-flight, cache, health."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/stats")
async def stats(request: Request, _: ApiKey) -> dict[str, Any]:
    """The last minutes at a glance: throughput, score distribution and error rate per verifier."""
    state = request.app.state
    snapshot: dict[str, Any] = state.stats.snapshot()
    snapshot["inflight_items"] = state.admission.inflight
    snapshot["cache"] = {
        "hits": state.scorer.cache.hits,
        "misses": state.scorer.cache.misses,
        "entries": len(state.scorer.cache),
    }
    return snapshot
