"""Verifier calls on threads, each under a deadline that frees its thread.

Threads cannot be killed, so a call past its deadline gets a timeout verdict and is
interrupted with an asynchronous exception (which stops a Python loop at its next
bytecode); one that still does not return (blocked in C) has its thread written off:
the rest of its chunk moves on to a fresh executor, and the thread is counted as stuck
(``stuck``, shown by /readyz and /metrics) until it returns. Only built-in verifiers run
here; plugins run in killable processes (:mod:`service.pool`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from rewards import Status, Verdict
from rewards.interrupt import raise_in_thread

log = logging.getLogger("rlvr.service")
GRACE_S = 1.0
POLL_S = 0.25


class _Interrupted(BaseException):
    """Raised inside a thread whose call overran; a BaseException so verifiers cannot swallow it."""


@dataclass
class Call:
    """One unit of work: ``run()`` returns one verdict per cell; ``deliver`` stores them; ``timeout_s`` bounds it."""

    run: Callable[[], list[Verdict]]
    deliver: Callable[[list[Verdict], float], None]
    size: int
    timeout_s: float
    name: str


@dataclass
class _Progress:
    """Where a chunk's thread is: the call it runs and since when; set by the thread, read by the monitor."""

    current: int = -1
    started: float = field(default_factory=time.monotonic)
    thread_id: int = 0
    interrupting: int = -1
    abandoned: bool = False
    written_off: bool = False
    finished: bool = False


class ThreadLane:
    """Runs chunks of calls on ``threads`` threads under per-call deadlines (see the module doc)."""

    def __init__(self, threads: int, *, grace_s: float = GRACE_S) -> None:
        self.threads = threads
        self.grace_s = grace_s
        self.stuck = 0
        self.written_off = 0
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rlvr-verifier")

    def health(self) -> tuple[bool, str]:
        """Not ready once as many threads are stuck in overrun verifier calls as the lane has."""
        stuck = self.stuck
        detail = f"{stuck} of {self.threads} verifier threads stuck past their deadline ({self.written_off} ever)"
        return stuck < self.threads, detail

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def run(self, calls: Sequence[Call]) -> None:
        """Run ``calls`` in order on one thread; each overrun call gets a timeout verdict, the rest are scored."""
        start = 0
        while start < len(calls):
            start = await self._run_from(calls, start)

    async def _run_from(self, calls: Sequence[Call], start: int) -> int:
        """Run ``calls[start:]``; returns len(calls) when done, or where to resume after writing a thread off."""
        progress = _Progress()
        todo = list(calls[start:])
        future = asyncio.wrap_future(self._executor.submit(self._work, todo, progress))
        try:
            while True:
                current = progress.current
                wait = POLL_S
                if 0 <= current < len(todo):
                    wait = min(POLL_S, max(0.0, progress.started + todo[current].timeout_s - time.monotonic()))
                if (await asyncio.wait({future}, timeout=wait))[0]:
                    future.result()
                    return len(calls)
                current = progress.current
                if not 0 <= current < len(todo) or time.monotonic() - progress.started < todo[current].timeout_s:
                    continue
                self._interrupt(progress, current)
                if (await asyncio.wait({future}, timeout=self.grace_s))[0]:
                    future.result()
                    return len(calls)
                if progress.current != current or not self._write_off(progress, todo[current]):
                    continue  # it stopped and moved on
                todo[current].deliver([_timeout(todo[current])] * todo[current].size, todo[current].timeout_s)
                return start + current + 1
        except asyncio.CancelledError:  # the request gave up: stop what this chunk still runs
            progress.abandoned = True
            self._interrupt(progress, progress.current)
            raise

    def _interrupt(self, progress: _Progress, index: int) -> None:
        """Raise _Interrupted in the chunk's thread, aimed at call ``index``, unless the thread is done."""
        with self._lock:
            if progress.finished or not progress.thread_id or index < 0:
                return
            progress.interrupting = index
            raise_in_thread(progress.thread_id, _Interrupted)

    def _write_off(self, progress: _Progress, call: Call) -> bool:
        """Give up on the chunk's thread: count it stuck and swap in a fresh executor; False if it just finished."""
        with self._lock:
            if progress.finished:
                return False
            progress.abandoned = progress.written_off = True
            self.stuck += 1
            self.written_off += 1
            old = self._executor
            self._executor = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="rlvr-verifier")
        old.shutdown(wait=False)
        log.error(
            "verifier %r ignored the interrupt %gs past its %gs deadline: its thread is written off as stuck",
            call.name,
            self.grace_s,
            call.timeout_s,
        )
        return True

    def _work(self, calls: list[Call], progress: _Progress) -> None:
        """The thread's side: run each call, turning an interrupt aimed at it into a timeout verdict."""
        progress.thread_id = threading.get_ident()
        index = 0
        try:
            while index < len(calls) and not progress.abandoned:
                call = calls[index]
                try:
                    progress.started = time.monotonic()
                    progress.current = index
                    verdicts = call.run()
                    seconds = time.monotonic() - progress.started
                except _Interrupted:
                    if progress.interrupting != index:
                        continue  # an interrupt meant for the previous call landed late: run this one again
                    verdicts, seconds = [_timeout(call)] * call.size, call.timeout_s
                while True:
                    try:
                        if not progress.abandoned:
                            call.deliver(verdicts, seconds)
                        index += 1
                        break
                    except _Interrupted:  # landed after the call had finished: deliver what it returned
                        continue
        except _Interrupted:
            pass
        finally:
            self._finish(progress, len(calls))

    def _finish(self, progress: _Progress, n: int) -> None:
        """Mark the chunk done under the lock, so no interrupt is aimed at it any more.

        One aimed just before is delivered at the thread's next call or jump, inside this
        loop, which absorbs it (clearing it instead with a NULL exception trips CPython
        3.11 into a loop in any thread that has a profiler set).
        """
        while True:
            try:
                with self._lock:
                    if not progress.finished:
                        progress.finished = True
                        progress.current = n
                        self.stuck -= progress.written_off
                return
            except _Interrupted:
                continue


def _timeout(call: Call) -> Verdict:
    return Verdict.fail(
        Status.TIMEOUT, f"{call.name} exceeded its {call.timeout_s:g}s deadline and was stopped (the rest was scored)"
    )
