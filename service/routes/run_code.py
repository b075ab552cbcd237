"""POST /run_code: SandboxFusion's API, so its clients work by pointing them at rlvr.

The request and response are SandboxFusion's (``sandbox/server/sandbox_api.py``), field for
field, and so are the outcome rules: HTTP 200 whenever the program could be judged, with
``Failed`` for anything the program did and ``SandboxError`` only when the sandbox failed.
Differences, all on purpose (docs/run-api.md): ``language`` may be left out (python, as
veRL 0.9's tutorial tool needs; SandboxFusion answers 422), ``memory_limit_MB`` may be null,
limits above the operator's ceilings are lowered to them, files must stay inside the work
dir, and a busy service queues (504 only past ``RLVR_RUN_QUEUE_TIMEOUT_S``, which veRL retries)
rather than refusing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from grpo.run_wire import RunCodeResponse
from service.fair import QueueTimeout
from service.runs.auth import RunCaller
from service.runs.request import ProgramRequest
from service.runs.runner import runs_of, unless_disconnected
from service.runs.spec import SpecError

router = APIRouter(tags=["run"])
CLIENT_CLOSED = 499
RETRY_AFTER_S = 5


_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "no or a wrong API key"},
    422: {"description": "a request that cannot be run as given: the error says what to change"},
    504: {"description": "no run slot came free in time: retry"},
}


@router.post("/run_code", response_model=RunCodeResponse, responses=_RESPONSES)
async def run_code(request: Request, body: ProgramRequest, caller: RunCaller) -> RunCodeResponse | Response:
    """Run one program in the sandbox and report it as SandboxFusion does."""
    runs = runs_of(request.app)
    try:
        spec = body.spec(runs.ceilings)
    except SpecError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        result = await unless_disconnected(request, lambda: runs.run(spec, caller))
    except QueueTimeout as exc:
        raise HTTPException(504, f"busy: {exc}; retry", headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    return result if result is not None else Response(status_code=CLIENT_CLOSED)


@router.get("/v1/ping")
async def ping() -> str:
    """SandboxFusion's liveness probe: the JSON string "pong"."""
    return "pong"
