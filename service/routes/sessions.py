"""Python sessions: ``POST /v1/sessions`` → id; ``POST /v1/sessions/{id}/exec`` runs a cell; ``DELETE`` ends it.

Variables, imports, definitions and files persist between cells (how, and what does not,
in :mod:`service.runs.kernel`). Every cell runs in a fresh sandbox with the session's limits,
queued fairly with every other run. Sessions are Python only: the state is carried by
Python's own pickling, which other languages have no equivalent of here.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from grpo.run_wire import CellResponse, SessionCreated
from service.fair import QueueTimeout
from service.runs.auth import RunCaller
from service.runs.kernel import cell_outcome, cell_spec
from service.runs.runner import runs_of, unless_disconnected
from service.runs.sessions import Session, SessionBusy, SessionLimit, SessionStore
from service.runs.spec import SpecError, language_name

router = APIRouter(tags=["sessions"])
CLIENT_CLOSED = 499
RETRY_AFTER_S = 5
TURN_POLL_S = (0.01, 0.1)
"""A waiting cell asks for the turn again after 10 ms, doubling up to 100 ms: many waiting cells cost little."""
LEASE_MARGIN_S = 60.0
"""A cell's turn lapses this long after its queue wait and run could have ended (its process died)."""


class SessionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str = Field(default="python", description="python only")
    memory_limit_MB: int | None = Field(strict=True, default=None, description="per cell; null: the service's default")
    files: dict[str, str | None] = Field(default_factory=dict, description="relative path → base64, before cell 1")


class CellRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    timeout: float = Field(
        default=10.0, strict=True, allow_inf_nan=False, description="seconds (wall and CPU), ceiling applies"
    )


_NOT_FOUND = "no such session (never made, deleted, idle past its TTL, someone else's, or the service restarted)"
_RESPONSES: dict[int | str, dict[str, Any]] = {401: {}, 404: {}, 422: {}, 429: {}, 504: {}}


@router.post("/v1/sessions", response_model=SessionCreated, status_code=201, responses=_RESPONSES)
async def create_session(request: Request, body: SessionRequest, caller: RunCaller) -> SessionCreated:
    """Open a Python session for this caller."""
    runs = runs_of(request.app)
    try:
        if language_name(body.language) != "python":
            raise SpecError(f"sessions are Python only, not {body.language!r}: use /run_code for other languages")
        cell_spec("", None, body.files, 1.0, body.memory_limit_MB, runs.ceilings)  # the first cell's job is valid
    except SpecError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        session = await runs.sessions.create(caller, body.memory_limit_MB, body.files)
    except SessionLimit as exc:
        raise HTTPException(429, str(exc)) from None
    return SessionCreated(id=session.id, ttl_s=runs.sessions.ttl_s)


async def _take_turn(
    store: SessionStore, session_id: str, caller: str, lease_s: float, wait_s: float
) -> tuple[Session, str] | None:
    """The session's turn for one cell, waiting behind its running cell up to ``wait_s`` (QueueTimeout)."""
    deadline = time.monotonic() + wait_s
    poll_s, most_s = TURN_POLL_S
    while True:
        try:
            return await store.begin(session_id, caller, lease_s)
        except SessionBusy:
            if time.monotonic() > deadline:
                raise QueueTimeout(f"another cell of this session ran for more than {wait_s:g} s") from None
            await asyncio.sleep(poll_s)
            poll_s = min(poll_s * 2, most_s)


@router.post("/v1/sessions/{session_id}/exec", response_model=CellResponse, responses=_RESPONSES)
async def exec_cell(request: Request, session_id: str, body: CellRequest, caller: RunCaller) -> CellResponse | Response:
    """Run one cell in the session; cells of one session run one at a time, in order."""
    runs = runs_of(request.app)
    lease_s = runs.queue_timeout_s + runs.ceilings.max_run_timeout_s + LEASE_MARGIN_S
    try:
        turn = await _take_turn(runs.sessions, session_id, caller, lease_s, runs.queue_timeout_s)
    except QueueTimeout as exc:
        raise HTTPException(504, f"busy: {exc}; retry", headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    if turn is None:
        raise HTTPException(404, _NOT_FOUND)
    session, token = turn
    new_state: bytes | None = None
    try:
        try:
            spec = cell_spec(body.code, session.state, session.files, body.timeout, session.memory_mb, runs.ceilings)
        except SpecError as exc:
            raise HTTPException(422, str(exc)) from None
        try:
            response = await unless_disconnected(
                request, lambda: runs.run_cell(session_id, session.state, spec, caller)
            )
        except QueueTimeout as exc:
            raise HTTPException(504, f"busy: {exc}; retry", headers={"Retry-After": str(RETRY_AFTER_S)}) from None
        if response is None:
            return Response(status_code=CLIENT_CLOSED)
        outcome = cell_outcome(response, runs.ceilings.max_fetch_bytes)
        new_state = outcome.state
    finally:
        await asyncio.shield(runs.sessions.end(session_id, token, new_state))
    return CellResponse(
        status=outcome.status,  # type: ignore[arg-type]
        stdout=outcome.stdout,
        stderr=outcome.stderr,
        result=outcome.result,
        error=outcome.error,
        files=outcome.written,
        not_kept=outcome.not_kept,
        state="updated" if outcome.state is not None else "unchanged",
        survived=True,
        execution_time=outcome.execution_time,
        message=outcome.message,
    )


@router.delete("/v1/sessions/{session_id}", status_code=204, responses=_RESPONSES)
async def delete_session(request: Request, session_id: str, caller: RunCaller) -> Response:
    """End the session and drop its state."""
    runs = runs_of(request.app)
    if not await runs.sessions.delete(session_id, caller):
        raise HTTPException(404, _NOT_FOUND)
    runs.kernels.drop(session_id)
    return Response(status_code=204)
