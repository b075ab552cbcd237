"""Score a batch: resolve each item's rewards, run every component where it belongs, combine.

Heavy verifiers go to the process pool (deduplicated within the batch and cached across
batches by their ``cache_key``), blocking ones to the sandbox; both are shared fairly
between API keys and requests (:mod:`service.fair`). Plugins, whatever their kind, run
in a pool of their own with a wall-clock deadline per item that kills what hangs. The
rest run in chunks on threads, each call under a deadline (:mod:`service.watchdog`);
group verifiers see whole groups. Params are clamped to the operator's ceilings (:mod:`service.ceilings`).
When the request's deadline passes or its client goes away, its cancel event is set and
its sandbox jobs stop. Every item gets a result, in order.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from grpo.wire import RewardRequest, ScoreItem, ScoreRequest, ScoreResponse, normalize_rewards
from rewards import Item, ParamError, Registry, RegistryError, Status, Verdict, VerifierSpec
from rewards.cancel import cancel_scope
from rewards.run import run_group, run_item
from service.cache import VerdictCache
from service.ceilings import Clamped, clamp
from service.cells import Component, batch_summary, item_result, to_item
from service.chunks import affinity, chunked
from service.fair import FairSlots
from service.logs import request_id
from service.pool import Task, VerifierPool
from service.watchdog import Call, ThreadLane

THREAD_CHUNK = 64
TRACEBACK = "traceback"
log = logging.getLogger("rlvr.service")


class RequestError(ValueError):
    """The request as a whole cannot be scored (e.g. an unknown verifier in the batch default, or no valid item)."""

    def __init__(self, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.detail = detail


class Scorer:
    """Turns ScoreRequests into ScoreResponses; owns the worker pool, threads, sandbox slots and cache."""

    def __init__(
        self,
        registry: Registry,
        pool: VerifierPool,
        *,
        threads: int,
        cache_size: int,
        max_completion_chars: int,
        sandbox: FairSlots | None = None,
        workers: FairSlots | None = None,
        ceilings: Mapping[str, Mapping[str, float]] | None = None,
        plugin_pool: VerifierPool | None = None,
        plugin_slots: FairSlots | None = None,
    ) -> None:
        """``plugin_pool`` runs every non-built-in verifier (default: ``pool``)."""
        self.registry = registry
        self.pool = pool
        self.plugin_pool = plugin_pool or pool
        self.cache = VerdictCache(cache_size)
        self.max_completion_chars = max_completion_chars
        self.sandbox = sandbox or FairSlots(threads)
        self.worker_slots = workers or FairSlots(pool.workers)
        if plugin_slots is None:
            plugin_slots = self.worker_slots if plugin_pool is None else FairSlots(plugin_pool.workers)
        self.plugin_slots = plugin_slots
        self.ceilings = dict(ceilings or {})
        self.threads = ThreadLane(threads)
        self._params_cache: dict[tuple[str, str], tuple[Any, Clamped]] = {}
        self.health_checks: dict[str, Callable[[], tuple[bool, str]]] = {}
        self.observers: list[Callable[[str, Verdict, float], None]] = []
        # whole scored batches (request and response), e.g. the opt-in /ui sample capture (service/ui)
        self.batch_observers: list[Callable[[ScoreRequest, ScoreResponse], None]] = []

    def health(self) -> dict[str, dict[str, Any]]:
        """Each dependency's state, for /readyz: ``{"name": {"ok": bool, "detail": str}}``."""
        checks = {"worker_pool": _pool_health(self.pool)}
        if self.plugin_pool is not self.pool:
            checks["plugin_pool"] = _pool_health(self.plugin_pool)
        ok, detail = self.threads.health()
        checks["verifier_threads"] = {"ok": ok, "detail": detail}
        for name, check in self.health_checks.items():
            try:
                ok, detail = check()
            except Exception as exc:
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            checks[name] = {"ok": ok, "detail": detail}
        return checks

    def workers_killed(self) -> dict[str, int]:
        """Worker processes killed past an item's deadline, by pool (each one's capacity came back)."""
        killed = {"worker_pool": self.pool.killed}
        if self.plugin_pool is not self.pool:
            killed["plugin_pool"] = self.plugin_pool.killed
        return killed

    def close(self) -> None:
        self.pool.close()
        if self.plugin_pool is not self.pool:
            self.plugin_pool.close()
        self.sandbox.close()
        self.threads.close()

    def check_rewards(self, rewards: list[RewardRequest]) -> None:
        """Raise RequestError if a batch-level reward names an unknown verifier or bad params."""
        for r in rewards:
            try:
                self._parse(self.registry.get(r.name), r.params)
            except (RegistryError, ParamError) as exc:
                raise RequestError(str(exc.args[0])) from None

    async def score(
        self,
        request: ScoreRequest,
        deadline_s: float | None = None,
        *,
        tenant: Hashable = None,
        tracebacks: bool = True,
    ) -> ScoreResponse:
        """Score every item of ``request``; per-item problems become per-item verdicts.

        Components not scored within ``deadline_s`` get a timeout verdict, their pool work
        is cancelled and their sandbox jobs are told to stop (also when the caller cancels
        this coroutine), so an abandoned request stops consuming workers. ``tenant`` (the
        API key) is whom the request's sandbox jobs are shared out to; None: the request itself.
        A verifier that raised is logged with its traceback (and the request id of the log
        context); the traceback stays in the verdict's details only with ``tracebacks``.
        """
        started = time.perf_counter()
        default = normalize_rewards(request.rewards) if request.rewards is not None else None
        if default is not None:
            self.check_rewards(default)
        items = [to_item(i, index) for index, i in enumerate(request.items)]
        cells: list[list[Component]] = []
        errors: list[str | None] = []
        for index, wire in enumerate(request.items):
            comps, error = self._resolve(index, wire, default)
            cells.append(comps)
            errors.append(error)
        flat = [c for comps in cells for c in comps]
        cancel = threading.Event()
        owner = tenant if tenant is not None else ("request", id(cancel))
        try:
            await asyncio.wait_for(self._run(items, flat, _Work(owner, cancel)), deadline_s)
        except TimeoutError:
            late = Verdict.fail(Status.TIMEOUT, f"the request's {deadline_s:g}s deadline passed before this was scored")
            for c in flat:
                if c.verdict is None:
                    c.verdict = late
        finally:
            cancel.set()  # whatever still runs for this request stops (a no-op once all is scored)
        self._observe(flat)
        _report_raised(items, flat, keep=tracebacks)
        results = [
            item_result(wire, comps, error) for wire, comps, error in zip(request.items, cells, errors, strict=True)
        ]
        response = ScoreResponse(results=results, summary=batch_summary(results, time.perf_counter() - started))
        for observe_batch in self.batch_observers:  # the /ui sample capture hook: kept apart from scoring
            observe_batch(request, response)
        return response

    def _observe(self, comps: list[Component]) -> None:
        for observe in self.observers:
            for c in comps:
                if c.verdict is not None:
                    observe(c.request.name, c.verdict, c.seconds)

    def _resolve(
        self, index: int, wire: ScoreItem, default: list[RewardRequest] | None
    ) -> tuple[list[Component], str | None]:
        rewards = normalize_rewards(wire.rewards) if wire.rewards is not None else default
        if not rewards:
            return [], "no rewards requested: give the item or the batch a 'rewards' field"
        comps = []
        for r in rewards:
            comp = Component(index, r, None, None)
            try:
                comp.spec = self.registry.get(r.name)
            except RegistryError as exc:
                comp.verdict = Verdict.fail(Status.UNKNOWN_VERIFIER, str(exc.args[0]))
                comps.append(comp)
                continue
            try:
                comp.params, comp.clamped = self._parse(comp.spec, r.params)
            except ParamError as exc:
                comp.verdict = Verdict.fail(Status.BAD_PARAMS, str(exc))
            if len(wire.completion) > self.max_completion_chars:
                comp.verdict = Verdict.fail(
                    Status.TOO_LARGE,
                    f"completion has {len(wire.completion):,} characters; the limit is {self.max_completion_chars:,}",
                )
            comps.append(comp)
        return comps, None

    def _parse(self, spec: VerifierSpec, raw: dict[str, Any]) -> tuple[Any, Clamped]:
        """The verifier's params from ``raw``, clamped to the ceilings, and what was clamped."""
        key = (spec.name, json.dumps(raw, sort_keys=True, default=str))
        if key not in self._params_cache:
            if len(self._params_cache) > 10_000:
                self._params_cache.clear()
            self._params_cache[key] = clamp(spec.parse_params(raw), self.ceilings.get(spec.name, {}))
        return self._params_cache[key]

    async def _run(self, items: list[Item], comps: list[Component], work: _Work) -> None:
        # one pass: membership tests on Component (a dataclass, compared field by field) would be
        # quadratic in the batch size
        lanes: dict[str, list[Component]] = {"heavy": [], "plugin": [], "group": [], "blocking": [], "light": []}
        for c in comps:
            if c.verdict is None and c.spec is not None:
                lanes[_lane(c.spec)].append(c)
        light = lanes["light"]
        await asyncio.gather(
            self._run_pooled(self.pool, self.worker_slots, items, lanes["heavy"], work),
            self._run_pooled(self.plugin_pool, self.plugin_slots, items, lanes["plugin"], work),
            *(
                self.sandbox.run(work.tenant, work.cancel, _run_cancellable, work.cancel, items, [c])
                for c in lanes["blocking"]
            ),
            *(
                self.threads.run([self._call(items, [c]) for c in light[i : i + THREAD_CHUNK]])
                for i in range(0, len(light), THREAD_CHUNK)
            ),
            *(self._run_group(items, g, work) for g in _by_group(items, lanes["group"])),
        )

    def _call(self, items: list[Item], comps: list[Component]) -> Call:
        """One thread-lane call: an item verifier on one cell, or a group verifier on one group."""
        spec = comps[0].spec
        assert spec is not None
        if spec.scope == "group":
            run = partial(run_group, spec, [items[c.index] for c in comps], comps[0].params)
        else:
            run = partial(_single, spec, items[comps[0].index], comps[0].params)
        timeout_s = self.pool.timeout_of(spec.name) * len(comps)  # a group's deadline scales with it, as in the pool
        return Call(run, partial(_deliver, comps), len(comps), timeout_s, spec.name)

    async def _run_pooled(
        self, pool: VerifierPool, slots: FairSlots, items: list[Item], comps: list[Component], work: _Work
    ) -> None:
        """Pool work, deduplicated by cache key within the batch and served from the cache across batches."""
        todo: dict[Hashable, list[Component]] = defaultdict(list)
        uncached: set[Hashable] = set()
        # off the event loop: a key reads the whole completion (math: its final answer), 200 KB each at most
        found = await asyncio.to_thread(lambda: [self._cache_key(c, items[c.index]) for c in comps])
        for c, key in zip(comps, found, strict=True):
            if key is None:
                key = ("uncached", c.index, c.request.name)
                uncached.add(key)
            elif (cached := self.cache.get(key)) is not None:
                c.verdict = cached
                continue
            todo[key].append(c)
        keys = list(todo)
        tasks: list[Task] = []
        for k in keys:
            first = todo[k][0]
            assert first.spec is not None
            tasks.append((first.spec.name, items[first.index], first.params))
        # the tasks of one reference in one chunk: one worker's parse caches serve them all (service.chunks)
        cuts = chunked([affinity(name, item.reference) for name, item, _ in tasks])
        chunks = [([keys[i] for i in cut], [tasks[i] for i in cut]) for cut in cuts]
        results = await asyncio.gather(
            *(slots.run_async(work.tenant, work.cancel, partial(pool.run, t)) for _, t in chunks)
        )
        for (chunk_keys, _), timed in zip(chunks, results, strict=True):
            for key, (verdict, seconds) in zip(chunk_keys, timed, strict=True):
                # a wall-clock timeout says how busy the host was, not what the item deserves: not kept
                if key not in uncached and not (pool.wall_clock and verdict.status is Status.TIMEOUT):
                    self.cache.put(key, verdict)
                for c in todo[key]:
                    c.verdict, c.seconds = verdict, seconds

    def _cache_key(self, c: Component, item: Item) -> Hashable | None:
        assert c.spec is not None
        if c.spec.cache_key is None:
            return None
        try:
            return (c.spec.name, c.params, c.spec.cache_key(item, c.params))
        except Exception:  # a failing key only costs the cache, never the verdict
            return None

    async def _run_group(self, items: list[Item], comps: list[Component], work: _Work) -> None:
        """A group verifier on one group: in a pool when heavy (it may call math) or a plugin, else on a thread."""
        spec = comps[0].spec
        assert spec is not None
        if not spec.heavy and spec.source == "builtin":
            await self.threads.run([self._call(items, comps)])
            return
        builtin = spec.source == "builtin"
        pool, slots = (self.pool, self.worker_slots) if builtin else (self.plugin_pool, self.plugin_slots)
        group = partial(pool.run_group, spec.name, [items[c.index] for c in comps], comps[0].params)
        timed = await slots.run_async(work.tenant, work.cancel, group)
        for c, (verdict, seconds) in zip(comps, timed, strict=True):
            c.verdict, c.seconds = verdict, seconds


@dataclass(frozen=True)
class _Work:
    """Whom a request's sandbox jobs are counted to, and the event that stops them."""

    tenant: Hashable
    cancel: threading.Event


def _lane(spec: VerifierSpec) -> str:
    """Where a component runs: a process pool (built-in or plugin), a whole group, a thread of its own, or a chunk."""
    if spec.scope == "group":
        return "group"
    if spec.source != "builtin":
        return "plugin"  # untrusted code: only where it can be killed
    if spec.heavy:
        return "heavy"
    return "blocking" if spec.blocking else "light"


def _report_raised(items: list[Item], comps: list[Component], *, keep: bool) -> None:
    """Log each verifier that raised, with its traceback; drop the traceback from the verdict unless ``keep``."""
    logged: set[tuple[str, str]] = set()
    for c in comps:
        if c.verdict is None or TRACEBACK not in c.verdict.details:
            continue
        trace = str(c.verdict.details[TRACEBACK])
        if (c.request.name, trace) not in logged:  # a group's items share one exception
            logged.add((c.request.name, trace))
            log.error(
                "verifier %r raised on item %s (request %s):\n%s",
                c.request.name,
                items[c.index].id,
                request_id.get(),
                trace,
                extra={"verifier": c.request.name, "item": items[c.index].id},
            )
        if not keep:
            details = {k: v for k, v in c.verdict.details.items() if k != TRACEBACK}
            c.verdict = dataclasses.replace(c.verdict, details=details)


def _pool_health(pool: VerifierPool) -> dict[str, Any]:
    healthy = pool.healthy
    detail = (
        f"{pool.workers} worker processes; {pool.killed} killed past their deadline, {pool.replaced} pool restarts"
        if healthy
        else "the worker pool is not running"
    )
    return {"ok": healthy, "detail": detail}


def _single(spec: VerifierSpec, item: Item, params: Any) -> list[Verdict]:
    return [run_item(spec, item, params)]


def _deliver(comps: list[Component], verdicts: list[Verdict], seconds: float) -> None:
    for c, verdict in zip(comps, verdicts, strict=True):
        c.verdict, c.seconds = verdict, seconds / len(comps)


def _run_cells(items: list[Item], comps: list[Component]) -> None:
    for c in comps:
        assert c.spec is not None
        started = time.perf_counter()
        c.verdict = run_item(c.spec, items[c.index], c.params)
        c.seconds = time.perf_counter() - started


def _run_cancellable(cancel: threading.Event, items: list[Item], comps: list[Component]) -> None:
    """_run_cells with ``cancel`` as the current cancel event, which the code verifier hands to the sandbox."""
    with cancel_scope(cancel):
        _run_cells(items, comps)


def _by_group(items: list[Item], comps: list[Component]) -> list[list[Component]]:
    """Group-scope cells split by (verifier, params, group id); an item with no group is a group of one."""
    groups: dict[Hashable, list[Component]] = defaultdict(list)
    for c in comps:
        assert c.spec is not None
        group = items[c.index].group
        groups[(c.spec.name, c.params, group if group is not None else ("single", c.index))].append(c)
    return list(groups.values())
