"""Fair sharing of the sandbox: blocking verifier calls queued per tenant and request, served fairly.

A first-come queue lets one client's 36 sleeping programs hold every sandbox slot while
another client's trivial item waits behind them. Here each tenant (an API key; each
request when the service has no keys) has its own queues, one per request, and a free
slot goes to the tenant running the fewest jobs (then the one served least recently),
and within it to the request running the fewest. A tenant that already runs jobs may
not take the last ``reserve`` free slots: they stay for newcomers, whose first job then
starts at once instead of waiting for someone else's to end.

All bookkeeping happens on the event loop; only the calls themselves run on threads.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

Job = tuple["asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


@dataclass
class _Queue:
    """Jobs waiting for a slot, how many of the owner's jobs run, and when it was last served."""

    running: int = 0
    served: int = -1
    jobs: deque[Job] = field(default_factory=deque)


@dataclass
class _Tenant(_Queue):
    requests: dict[Hashable, _Queue] = field(default_factory=dict)


class FairSlots:
    """Runs blocking calls on ``slots`` threads, handing each free slot out fairly (see the module doc)."""

    def __init__(self, slots: int, reserve: int = 0, *, thread_name_prefix: str = "rlvr-sandbox") -> None:
        if slots < 1 or reserve < 0:
            raise ValueError(f"need slots >= 1 and reserve >= 0, got {slots} and {reserve}")
        self.slots = slots
        self.reserve = min(reserve, slots - 1)
        self.running = 0
        self._serial = itertools.count()
        self._tenants: dict[Hashable, _Tenant] = {}
        self._executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix=thread_name_prefix)

    @property
    def queued(self) -> int:
        """Jobs waiting for a slot."""
        return sum(len(q.jobs) for t in self._tenants.values() for q in t.requests.values())

    async def run(self, tenant: Hashable, request: Hashable, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` on a sandbox thread once fairness gives this tenant and request a slot.

        Cancelling the caller drops a job still waiting; one already running goes on to its
        end on its thread (tell it to stop through its own means, e.g. a cancel event).
        """
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Any] = loop.create_future()
        owner = self._tenants.setdefault(tenant, _Tenant())
        owner.requests.setdefault(request, _Queue()).jobs.append((waiter, fn, args))
        self._dispatch(loop)
        return await waiter

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _dispatch(self, loop: asyncio.AbstractEventLoop) -> None:
        while self.running < self.slots and (picked := self._pick()) is not None:
            tenant_key, request_key, (waiter, fn, args) = picked
            tenant = self._tenants[tenant_key]
            queue = tenant.requests[request_key]
            serial = next(self._serial)
            for q in (tenant, queue):
                q.running += 1
                q.served = serial
            self.running += 1
            done = loop.run_in_executor(self._executor, fn, *args)
            done.add_done_callback(partial(self._finished, loop, tenant_key, request_key, waiter))

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


def _rank(queue: _Queue) -> tuple[int, int]:
    return queue.running, queue.served
