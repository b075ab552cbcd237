"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from service.deps import ScorerDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(scorer: ScorerDep) -> JSONResponse:
    """Ready to score: the worker pool is up and the sandbox backend answers."""
    checks = scorer.health()
    ready = all(c["ok"] for c in checks.values())
    return JSONResponse(
        status_code=200 if ready else 503, content={"status": "ready" if ready else "not ready", "checks": checks}
    )
