"""Worker processes for CPU-heavy verifiers, with a hard per-item deadline.

Work is sent in small chunks to save round trips. Inside a worker each item gets a
soft deadline (:mod:`service.deadline`: an overrun is a timeout whatever the verifier's
code catches): CPU time in the built-in pool, wall-clock time in the plugin pool, where a
verifier may also hang waiting; a chunk that overruns its hard deadline has its worker
killed by pebble, and its items are retried one by one so that only the culprit times out.
Verifiers may have deadlines of their own (``timeouts``, from their declared ``timeout_s``
clamped by the settings).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import multiprocessing
import resource
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from typing import Any

from pebble import ProcessExpired, ProcessPool

from rewards import Item, Registry, Status, Verdict, VerifierSpec, default_registry
from rewards.run import run_group, run_item
from service.deadline import CPU, WALL, call_with_deadline

Task = tuple[str, Item, Any]
Timed = tuple[Verdict, float]
HARD_DEADLINE_SLACK_S = 2.0
POOL_CHECK_S = 1.0
# Workers are forked by multiprocessing's fork server, a clean process started once (by exec, passing no
# descriptor of ours) that imports WARM_MODULE first. A worker forked from the service itself would inherit
# whatever descriptors its threads held at that moment (a sandbox's pipes, a client's socket) and keep them
# open for its whole life: a program's stdin never at EOF, a capture never finished (a Ray replica hung so).
WORKER_CONTEXT = multiprocessing.get_context("forkserver")
WARM_MODULE = "service.warm_workers"

log = logging.getLogger("rlvr.service")
_registry: Registry | None = None


_warm: set[str] = set()  # heavy verifiers warmed up in this process (a forked worker inherits it)


def warm_up(registry: Registry) -> None:
    """Run each heavy verifier's warm-up once in this process (a no-op for those already warm here).

    The fork server runs it for the built-in verifiers (WARM_MODULE) before it forks any
    worker, so that every worker, a replacement too, starts with the parser and sympy state
    warm and shared copy-on-write instead of warming its own; plugins' warm-ups run in each worker.
    """
    for spec in registry:
        if not spec.heavy or spec.warmup is None or spec.name in _warm:
            continue
        _warm.add(spec.name)
        try:
            spec.warmup()
        except Exception:  # a warm-up only saves time; the verifier reports real failures itself
            log.exception("warm-up of verifier %r failed", spec.name)


def _init_worker(
    plugins: bool,
    plugin_modules: Sequence[str],
    sandbox: Callable[[], None] | None = None,
    address_space_bytes: int | None = None,
) -> None:
    global _registry
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if address_space_bytes is not None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space_bytes, address_space_bytes))
    _registry = default_registry(plugins=plugins, modules=plugin_modules)
    if sandbox is not None and any(spec.blocking for spec in _registry):
        sandbox()  # blocking plugins run their programs through this process's sandbox backend
    warm_up(_registry)
    gc.freeze()  # this worker's warm heap too (see VerifierPool.__init__)


def _run_chunk(tasks: list[Task], timeouts: list[float], wall: bool) -> list[Timed]:
    assert _registry is not None, "worker not initialised"
    clock = WALL if wall else CPU
    out = []
    for (name, item, params), timeout_s in zip(tasks, timeouts, strict=True):
        started = time.perf_counter()
        spec = _registry.get(name)
        verdict = call_with_deadline(partial(run_item, spec, item, params), timeout_s, clock)
        if verdict is None and spec.overrun is not None:  # whose cost overran, if the verifier can tell
            verdict = call_with_deadline(partial(_overrun, spec, item, params), timeout_s, clock)
        if verdict is None:
            verdict = _timeout_verdict(name, timeout_s, clock.what)
        out.append((verdict, time.perf_counter() - started))
    return out


def _run_group_task(name: str, items: list[Item], params: Any, timeout_s: float, wall: bool) -> list[Timed]:
    assert _registry is not None, "worker not initialised"
    clock = WALL if wall else CPU
    started = time.perf_counter()
    spec = _registry.get(name)
    verdicts = call_with_deadline(partial(run_group, spec, items, params), timeout_s, clock)
    if verdicts is None:
        verdicts = [_timeout_verdict(name, timeout_s, clock.what)] * len(items)
    seconds = (time.perf_counter() - started) / max(len(items), 1)
    return [(v, seconds) for v in verdicts]


def _overrun(spec: VerifierSpec, item: Item, params: Any) -> Verdict | None:
    """The verifier's verdict on an item that overran its deadline, None when it cannot tell (or fails to)."""
    assert spec.overrun is not None
    try:
        return spec.overrun(item, params)
    except Exception:
        log.exception("the overrun verdict of verifier %r failed", spec.name)
        return None


def _timeout_verdict(name: str, timeout_s: float, what: str) -> Verdict:
    return Verdict.fail(Status.TIMEOUT, f"{name} exceeded its {timeout_s:g}s {what} deadline and was stopped")


class VerifierPool:
    """A pebble process pool that always answers with verdicts, whatever the workers do."""

    def __init__(
        self,
        workers: int,
        timeout_s: float,
        *,
        plugins: bool = True,
        plugin_modules: Sequence[str] = (),
        wall_clock: bool = False,
        timeouts: Mapping[str, float] | None = None,
        sandbox: Callable[[], None] | None = None,
        address_space_bytes: int | None = None,
    ) -> None:
        """``timeouts``: per-verifier deadlines overriding ``timeout_s``; ``sandbox``: opens a worker's sandbox;
        ``address_space_bytes``: each worker's RLIMIT_AS (what an item computes fails with MemoryError past it)."""
        self.workers = workers
        self.timeout_s = timeout_s
        self.wall_clock = wall_clock
        self.timeouts = dict(timeouts or {})
        self.replaced = 0
        self.killed = 0
        self._initargs = (plugins, tuple(plugin_modules), sandbox, address_space_bytes)
        self._lock = threading.Lock()
        WORKER_CONTEXT.set_forkserver_preload([WARM_MODULE])  # takes effect when the fork server starts
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPool:
        return ProcessPool(
            max_workers=self.workers, initializer=_init_worker, initargs=self._initargs, context=WORKER_CONTEXT
        )

    async def run(self, tasks: list[Task], *, retried: bool = False) -> list[Timed]:
        """(verdict, seconds) for ``tasks`` in order.

        A chunk whose worker dies or overruns is retried item by item; a single item whose
        worker dies is retried once more (the worker may have been killed from outside)
        before it gets an error verdict.
        """
        timeouts = [self.timeout_of(name) for name, _, _ in tasks]
        deadline = sum(timeouts) + HARD_DEADLINE_SLACK_S
        try:
            return await self._submit(_run_chunk, (tasks, timeouts, self.wall_clock), deadline)
        except (FutureTimeout, ProcessExpired) as exc:
            self.killed += isinstance(exc, FutureTimeout)
            if len(tasks) == 1 and (retried or isinstance(exc, FutureTimeout)):
                return [(self._failure(tasks[0][0], exc), timeouts[0])]
        singles = await asyncio.gather(*(self.run([t], retried=len(tasks) == 1) for t in tasks))
        return [v for vs in singles for v in vs]

    async def run_group(self, name: str, items: list[Item], params: Any) -> list[Timed]:
        """A heavy group verifier on one whole group, with a deadline that scales with the group."""
        budget = self.timeout_of(name) * len(items)
        args = (name, items, params, budget, self.wall_clock)
        try:
            return await self._submit(_run_group_task, args, budget + HARD_DEADLINE_SLACK_S)
        except (FutureTimeout, ProcessExpired) as exc:
            self.killed += isinstance(exc, FutureTimeout)
            return [(self._failure(name, exc), budget)] * len(items)

    def timeout_of(self, name: str) -> float:
        """The per-item deadline of verifier ``name``."""
        return self.timeouts.get(name, self.timeout_s)

    async def _submit(self, fn: Any, args: tuple[Any, ...], timeout_s: float) -> list[Timed]:
        """Run ``fn(*args)`` in a worker; a pool that breaks meanwhile is replaced and the work resubmitted once.

        pebble's pool can break for good when a worker is killed from outside at a bad
        moment (it then refuses new work, and its pending futures never finish), so the
        wait checks the pool's health while it waits.
        """
        for _ in range(2):
            pool = self._live_pool()
            try:
                future = pool.schedule(fn, args=args, timeout=timeout_s)
            except RuntimeError:  # broke between the health check and the call
                continue
            wrapped = asyncio.wrap_future(future)
            try:
                while not (await asyncio.wait({wrapped}, timeout=POOL_CHECK_S))[0]:
                    if not pool.active:
                        break
                else:
                    return wrapped.result()  # type: ignore[no-any-return]
            except asyncio.CancelledError:
                wrapped.cancel()  # the request gave up: stop the work (pebble kills a running worker)
                raise
        raise ProcessExpired("the worker pool broke twice while scoring this item")

    def _live_pool(self) -> ProcessPool:
        """The pool, replaced by a new one first if it has broken."""
        with self._lock:
            if not self._pool.active:
                broken, self._pool = self._pool, self._new_pool()
                self.replaced += 1
                log.error("the worker pool broke (a worker was killed mid-message?); started a new one")
                threading.Thread(target=broken.stop, daemon=True).start()
            return self._pool

    def _failure(self, name: str, exc: BaseException) -> Verdict:
        if isinstance(exc, FutureTimeout):
            return _timeout_verdict(name, self.timeout_of(name), "wall-clock")
        code = getattr(exc, "exitcode", "?")
        return Verdict.fail(Status.ERROR, f"{name}: worker process died (exit code {code}) while scoring this item")

    @property
    def healthy(self) -> bool:
        """True when the pool runs (a broken one is replaced on the spot)."""
        return self._live_pool().active

    def close(self) -> None:
        self._pool.stop()
        self._pool.join(timeout=10)
