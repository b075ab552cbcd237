"""Fair sharing of limited capacity (sandbox slots, math workers): work queued per tenant and request.

A first-come queue lets one client's 36 sleeping programs hold every sandbox slot while
another client's trivial item waits behind them. Here each tenant (an API key; each
request when the service has no keys) has its own queues, one per request, and a free
slot goes to the tenant running the fewest jobs (then the one served least recently),
and within it to the request running the fewest. A tenant that already runs jobs may
not take the last ``reserve`` free slots: they stay for newcomers, whose first job then
starts at once instead of waiting for someone else's to end.

A job is either a blocking call run on one of the slots' threads (``run``: it keeps its
slot until the thread returns, even if its caller gave up) or a coroutine (``run_async``:
cancelled with its caller, e.g. a worker-pool submission that then kills its worker).
A job may also bound its wait (``wait_s``): one not started by then leaves the queue with
:class:`QueueTimeout`, e.g. a busy run API's 504, which the caller retries. All bookkeeping
happens on the event loop.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

Job = tuple["asyncio.Future[Any]", Callable[[], "asyncio.Future[Any]"], bool]
"""(the caller's future, what starts the work and returns its future, whether a caller's cancel cancels it)"""


@dataclass
class _Queue:
    """Jobs waiting for a slot, how many of the owner's jobs run, and when it was last served."""

    running: int = 0
    served: int = -1
    jobs: deque[Job] = field(default_factory=deque)


@dataclass
class _Tenant(_Queue):
    requests: dict[Hashable, _Queue] = field(default_factory=dict)


class QueueTimeout(Exception):
    """A job was not given a slot within its ``wait_s``."""


class FairSlots:
    """Hands ``slots`` slots out fairly (see the module doc)."""

    def __init__(self, slots: int, reserve: int = 0, *, thread_name_prefix: str = "rlvr-fair") -> None:
        if slots < 1 or reserve < 0:
            raise ValueError(f"need slots >= 1 and reserve >= 0, got {slots} and {reserve}")
        self.slots = slots
        self.reserve = min(reserve, slots - 1)
        self.running = 0
        self._serial = itertools.count()
        self._tenants: dict[Hashable, _Tenant] = {}
        self._thread_name_prefix = thread_name_prefix
        self._executor: ThreadPoolExecutor | None = None

    @property
    def queued(self) -> int:
        """Jobs waiting for a slot (their callers still waiting)."""
        return sum(
            1 for t in self._tenants.values() for q in t.requests.values() for job in q.jobs if not job[0].done()
        )

    async def run(self, tenant: Hashable, request: Hashable, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on one of the slots' threads once fairness gives this tenant and request a slot.

        Cancelling the caller drops a job still waiting; one already running goes on to its
        end on its thread (tell it to stop through its own means, e.g. a cancel event).
        """
        loop = asyncio.get_running_loop()
        return await self._queue(loop, tenant, request, lambda: loop.run_in_executor(self._threads(), fn, *args), False)

    async def run_async(
        self,
        tenant: Hashable,
        request: Hashable,
        start: Callable[[], Awaitable[Any]],
        wait_s: float | None = None,
    ) -> Any:
        """``await start()`` once fairness gives this tenant and request a slot; cancelled with its caller.

        With ``wait_s``, a job not started within that many seconds leaves the queue with QueueTimeout.
        """
        loop = asyncio.get_running_loop()
        return await self._queue(loop, tenant, request, lambda: asyncio.ensure_future(start()), True, wait_s)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    def _threads(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix=self._thread_name_prefix)
        return self._executor

    async def _queue(
        self,
        loop: asyncio.AbstractEventLoop,
        tenant: Hashable,
        request: Hashable,
        start: Callable[[], asyncio.Future[Any]],
        cancel_with_caller: bool,
        wait_s: float | None = None,
    ) -> Any:
        waiter: asyncio.Future[Any] = loop.create_future()
        if wait_s is not None:
            timer = loop.call_later(wait_s, _expire, waiter, wait_s, self.slots)
            unbounded = start

            def start() -> asyncio.Future[Any]:
                timer.cancel()
                return unbounded()

        owner = self._tenants.setdefault(tenant, _Tenant())
        owner.requests.setdefault(request, _Queue()).jobs.append((waiter, start, cancel_with_caller))
        self._dispatch(loop)
        return await waiter

    def _dispatch(self, loop: asyncio.AbstractEventLoop) -> None:
        while self.running < self.slots and (picked := self._pick()) is not None:
            tenant_key, request_key, (waiter, start, cancel_with_caller) = picked
            tenant = self._tenants[tenant_key]
            queue = tenant.requests[request_key]
            serial = next(self._serial)
            for q in (tenant, queue):
                q.running += 1
                q.served = serial
            self.running += 1
            done = start()
            done.add_done_callback(partial(self._finished, loop, tenant_key, request_key, waiter))
            if cancel_with_caller:
                waiter.add_done_callback(partial(_cancel_if_cancelled, done))

    def _pick(self) -> tuple[Hashable, Hashable, Job] | None:
        """The next job by the fairness rule, dropping jobs whose caller gave up; None if none may start."""
        free = self.slots - self.running
        best: tuple[int, int, Hashable] | None = None
        for key, tenant in list(self._tenants.items()):
            for rkey, queue in list(tenant.requests.items()):
                while queue.jobs and queue.jobs[0][0].done():
                    queue.jobs.popleft()
                if not queue.jobs and not queue.running:
                    del tenant.requests[rkey]
            if not tenant.requests:
                del self._tenants[key]
                continue
            waiting = any(q.jobs for q in tenant.requests.values())
            if waiting and (tenant.running == 0 or free > self.reserve):
                rank = (tenant.running, tenant.served, key)
                if best is None or rank[:2] < best[:2]:
                    best = rank
        if best is None:
            return None
        tenant = self._tenants[best[2]]
        rkey = min((k for k, q in tenant.requests.items() if q.jobs), key=lambda k: _rank(tenant.requests[k]))
        return best[2], rkey, tenant.requests[rkey].jobs.popleft()

    def _finished(
        self,
        loop: asyncio.AbstractEventLoop,
        tenant_key: Hashable,
        request_key: Hashable,
        waiter: asyncio.Future[Any],
        done: asyncio.Future[Any],
    ) -> None:
        tenant = self._tenants[tenant_key]
        tenant.running -= 1
        tenant.requests[request_key].running -= 1
        self.running -= 1
        if not waiter.done():
            if done.cancelled():
                waiter.cancel()
            elif (exc := done.exception()) is not None:
                waiter.set_exception(exc)
            else:
                waiter.set_result(done.result())
        self._dispatch(loop)


def _expire(waiter: asyncio.Future[Any], wait_s: float, slots: int) -> None:
    """A job still waiting at its deadline leaves the queue (``_pick`` drops jobs whose caller is done)."""
    if not waiter.done():
        waiter.set_exception(QueueTimeout(f"no slot free within {wait_s:g} s ({slots} slots, all busy)"))


def _cancel_if_cancelled(work: asyncio.Future[Any], caller: asyncio.Future[Any]) -> None:
    """The caller gave up: stop its started work too."""
    if caller.cancelled():
        work.cancel()


def _rank(queue: _Queue) -> tuple[int, int]:
    return queue.running, queue.served
