"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.deps import ScorerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request, scorer: ScorerDep) -> JSONResponse:
    """Ready to score: the worker pool is up and the sandbox backend answers; the run API's load, once used."""
    checks = scorer.health()
    ready = all(c["ok"] for c in checks.values())
    content = {"status": "ready" if ready else "not ready", "checks": checks}
    runs = getattr(request.app.state, "runs", None)  # made on the run API's first use (service.runs.runner)
    if runs is not None:
        content["runs"] = {
            "running": runs.slots.running,
            "queued": runs.slots.queued,
            "sessions": runs.sessions.open_count(),
        }
    return JSONResponse(status_code=200 if ready else 503, content=content)
