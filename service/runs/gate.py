"""Run slots shared fairly: at most ``slots`` programs run at once, the rest wait their turn.

Agents' clients turn a refusal into a silent zero (veRL scores any 429/503 as -1), so a busy
service makes callers wait instead of refusing them. Waiters are served round-robin by
caller (one API key, or one client address without keys), so a caller with a batch of
thousands cannot starve one that sends a single program. A waiter that is not served
within its deadline gets :class:`QueueTimeout` (answered with 504, which veRL retries).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque


class QueueTimeout(Exception):
    """No run slot became free within the waiter's deadline."""


class FairGate:
    """A counting semaphore whose waiters are served round-robin across callers."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"FairGate needs at least one slot, got {slots}")
        self.slots = slots
        self.busy = 0
        self._waiting: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()

    @property
    def queued(self) -> int:
        """Callers' programs waiting for a slot."""
        return sum(len(q) for q in self._waiting.values())

    async def acquire(self, caller: str, timeout_s: float) -> None:
        """Take a slot, waiting up to ``timeout_s`` behind other callers' turns (QueueTimeout past it)."""
        if self.busy < self.slots and not self._waiting:
            self.busy += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(caller, deque()).append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout_s)
        except (TimeoutError, asyncio.CancelledError) as exc:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over just as we gave up: pass it on
            else:
                waiter.cancel()
                self._forget(caller, waiter)
            if isinstance(exc, TimeoutError):
                raise QueueTimeout(f"no run slot free within {timeout_s:g}s ({self.slots} slots, all busy)") from None
            raise

    def release(self) -> None:
        """Give a slot back: to the next caller in turn if anyone waits, else to the pool."""
        while self._waiting:
            caller, queue = next(iter(self._waiting.items()))
            waiter = queue.popleft()
            if queue:
                self._waiting.move_to_end(caller)
            else:
                del self._waiting[caller]
            if not waiter.done():
                waiter.set_result(None)  # the slot moves to this waiter: busy stays the same
                return
        self.busy -= 1

    def _forget(self, caller: str, waiter: asyncio.Future[None]) -> None:
        queue = self._waiting.get(caller)
        if queue is None:
            return
        try:
            queue.remove(waiter)
        except ValueError:
            return
        if not queue:
            del self._waiting[caller]
