"""The app's run service: fair slots, the threads that drive the backend, metrics, and cancellation.

Made on first use and kept on ``app.state.runs``. A program waits for a slot (shared fairly
across callers and their requests, see :mod:`service.fair`), then runs on one of the service's run threads
(as many as slots, so the thread pool never queues), on the backend the service opened at
start-up (the one the code verifier uses). A client that goes away stops its programs:
waiting ones leave the queue, running ones are cancelled in the sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from fastapi import FastAPI, Request
from prometheus_client import Counter, Gauge

from grpo.run_wire import RunCodeResponse
from sandbox.judge import current_backend
from service.fair import FairSlots
from service.runs.execute import execute
from service.runs.live import KernelGone, LiveKernels
from service.runs.sessions import LocalSessionStore, Sessions, SessionStore
from service.runs.spec import Ceilings, RunSpec

DISCONNECT_POLL_S = 0.5
MAX_LIVE_KERNELS = 128
"""Sessions' live kernels kept by one process (the least recently used are ended past it)."""
T = TypeVar("T")


class Runs:
    """Run slots, run threads and run metrics of one app."""

    def __init__(self, app: FastAPI) -> None:
        settings = app.state.settings
        self.ceilings = Ceilings.from_settings(settings)
        self.queue_timeout_s: float = settings.run_queue_timeout_s
        self.max_batch: int = settings.run_max_batch
        self.slots = FairSlots(settings.run_max_concurrency)
        self._requests = itertools.count()
        shared: SessionStore | None = getattr(app.state, "session_store", None)  # replicas' (service.ray.app)
        self.sessions = shared or LocalSessionStore(
            Sessions(settings.run_session_ttl_s, settings.run_max_sessions_per_caller)
        )
        self.threads = ThreadPoolExecutor(settings.run_max_concurrency, thread_name_prefix="rlvr-run")
        kept_mb = settings.run_max_concurrency * settings.run_max_memory_mb  # what the run slots could hold
        self.kernels = LiveKernels(current_backend, settings.run_session_ttl_s, MAX_LIVE_KERNELS, kept_mb)
        registry = app.state.metrics.registry
        self.finished = Counter(
            "rlvr_runs",
            "Programs run by /run_code and /v1/run, by language and status",
            ["language", "status"],
            registry=registry,
        )
        running = Gauge("rlvr_runs_running", "Programs running in the sandbox now", registry=registry)
        running.set_function(lambda: self.slots.running)
        queued = Gauge("rlvr_runs_queued", "Programs waiting for a run slot", registry=registry)
        queued.set_function(lambda: self.slots.queued)
        sessions = Gauge("rlvr_sessions", "Python sessions open (idle ones past their TTL ended)", registry=registry)
        sessions.set_function(self.sessions.open_count)
        kernels = Gauge("rlvr_session_kernels", "Sessions' live kernels held by this process", registry=registry)
        kernels.set_function(lambda: len(self.kernels))

    def request_key(self) -> int:
        """A fresh request key: the programs of one HTTP request share one queue of their caller's."""
        return next(self._requests)

    async def run(self, spec: RunSpec, caller: str, request: Hashable | None = None) -> RunCodeResponse:
        """Wait for a slot (QueueTimeout past the deadline), run ``spec``, count it."""
        key = self.request_key() if request is None else request
        result: RunCodeResponse = await self.slots.run_async(
            caller, key, lambda: self._execute(spec), wait_s=self.queue_timeout_s
        )
        self.finished.labels(spec.language, result.status).inc()
        return result

    async def run_cell(self, session_id: str, state: bytes | None, spec: RunSpec, caller: str) -> RunCodeResponse:
        """A session's cell in a run slot: on its live kernel where the backend keeps one, else as one job."""
        if not self.kernels.supported():
            return await self.run(spec, caller)

        async def on_kernel() -> RunCodeResponse | None:
            loop = asyncio.get_running_loop()
            cell = loop.run_in_executor(self.threads, self._on_kernel, session_id, state, spec)
            try:
                return await asyncio.shield(cell)
            except asyncio.CancelledError:  # the cell runs to its end (its timeout at most) and keeps its slot
                await asyncio.wait([cell])
                raise

        result: RunCodeResponse | None = await self.slots.run_async(
            caller, self.request_key(), on_kernel, wait_s=self.queue_timeout_s
        )
        if result is None:
            return await self.run(spec, caller)
        self.finished.labels(spec.language, result.status).inc()
        return result

    def _on_kernel(self, session_id: str, state: bytes | None, spec: RunSpec) -> RunCodeResponse | None:
        try:
            return self.kernels.run(session_id, state, spec)
        except KernelGone:
            return None

    def close(self) -> None:
        """End the sessions' live kernels (the service is stopping)."""
        self.kernels.close()

    async def _execute(self, spec: RunSpec) -> RunCodeResponse:
        """``spec`` on a run thread; cancelled, it stops the sandbox and keeps its slot until the job is gone."""
        cancel = threading.Event()
        job = asyncio.get_running_loop().run_in_executor(self.threads, execute, current_backend(), spec, cancel)
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            cancel.set()  # the sandbox tears the job down; its slot is free only once it has
            await asyncio.wait([job])
            job.exception()  # Cancelled, most likely: retrieved, nobody waits for it
            raise


def runs_of(app: FastAPI) -> Runs:
    """The app's Runs, made on first use."""
    runs: Runs | None = getattr(app.state, "runs", None)
    if runs is None:
        runs = app.state.runs = Runs(app)
    return runs


async def unless_disconnected(request: Request, work: Callable[[], Awaitable[T]]) -> T | None:
    """Await ``work()``, cancelling it (and returning None) if the client goes away first."""
    task = asyncio.ensure_future(work())
    gone = False

    async def watch() -> None:
        nonlocal gone
        while not task.done():
            if await request.is_disconnected():
                gone = True
                task.cancel()
                return
            await asyncio.sleep(DISCONNECT_POLL_S)

    watcher = asyncio.ensure_future(watch())
    try:
        return await task
    except asyncio.CancelledError:
        if gone:
            return None
        raise
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
