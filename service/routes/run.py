"""POST /v1/run: many programs in one request, each with its own language, stdin, files and limits.

For rollout engines that batch their tool calls. Results come back in request order, each
in ``/run_code``'s shape plus the item's ``id``. A malformed item does not fail the batch:
it gets status ``Invalid`` with a message saying what to fix, and the others run. Programs
of one batch share the caller's turn in the run queue (round-robin across callers), so a
large batch cannot starve other callers; one not started within ``RLVR_RUN_QUEUE_TIMEOUT_S``
gets ``SandboxError`` ("busy"), never a silent failure.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grpo.run_wire import RunBatchResponse, RunBatchResult
from service.fair import QueueTimeout
from service.runs.auth import RunCaller
from service.runs.request import ProgramRequest
from service.runs.runner import Runs, runs_of, unless_disconnected
from service.runs.spec import Ceilings, SpecError

router = APIRouter(tags=["run"])
CLIENT_CLOSED = 499


class RunItem(ProgramRequest):
    """One program: /run_code's fields, plus an ``id`` echoed back; unknown fields are an error here."""

    model_config = ConfigDict(extra="forbid")

    id: str | int | None = None


class RunBatchRequest(BaseModel):
    """The programs; each is checked on its own, so one bad item gets an Invalid result."""

    runs: list[Any] = Field(description="RunItem objects")


def _invalid(raw: Any, message: str) -> RunBatchResult:
    item_id = raw.get("id") if isinstance(raw, dict) else None
    return RunBatchResult(id=item_id if isinstance(item_id, str | int) else None, status="Invalid", message=message)


async def _one(runs: Runs, ceilings: Ceilings, raw: Any, caller: str, request: int) -> RunBatchResult:
    try:
        item = RunItem.model_validate(raw)
        spec = item.spec(ceilings)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "item"
        return _invalid(raw, f"{where}: {first.get('msg', 'invalid')}")
    except SpecError as exc:
        return _invalid(raw, str(exc))
    try:
        result = await runs.run(spec, caller, request)
    except QueueTimeout as exc:
        return RunBatchResult(id=item.id, status="SandboxError", message=f"busy: {exc}; retry this item")
    return RunBatchResult(id=item.id, **result.model_dump(exclude={"executor_pod_name"}))


@router.post("/v1/run", response_model=RunBatchResponse, responses={401: {}, 413: {}, 422: {}})
async def run_batch(request: Request, body: RunBatchRequest, caller: RunCaller) -> RunBatchResponse | Response:
    """Run every program of the batch in the sandbox; results in request order."""
    runs = runs_of(request.app)
    if len(body.runs) > runs.max_batch:
        raise HTTPException(413, f"{len(body.runs)} runs in one request; the limit is {runs.max_batch}: split it")

    async def all_of_them() -> list[RunBatchResult]:
        request_key = runs.request_key()
        ceilings = runs.ceilings.batch_share(len(body.runs))
        return list(await asyncio.gather(*(_one(runs, ceilings, raw, caller, request_key) for raw in body.runs)))

    results = await unless_disconnected(request, all_of_them)
    return RunBatchResponse(results=results) if results is not None else Response(status_code=CLIENT_CLOSED)
