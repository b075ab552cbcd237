"""The warm pool: started runner containers waiting for submissions, refilled in the background.

A runner is lent to one submission at a time. When it comes back it is reused only if
the borrower vouches for it (no limit hit, under its job budget) and the washer then
wipes it clean; anything else is removed by a background reaper and replaced by the
fillers, so no start, wipe or removal is paid by a submission.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from collections.abc import Callable

from sandbox.docker.runner import CANCEL_POLL_S, Runner
from sandbox.errors import BackendUnavailable, Cancelled, SandboxError

log = logging.getLogger(__name__)
RETRY_BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)
# Containers started at once: recycling after every limit hit must not queue behind one start.
MAX_PARALLEL_STARTS = 4
# Pools not yet closed: closed at interpreter exit, so a process that forgets close() leaks nothing.
_OPEN_POOLS: set[WarmPool] = set()
_OPEN_POOLS_LOCK = threading.Lock()


@atexit.register
def _close_open_pools() -> None:
    with _OPEN_POOLS_LOCK:
        pools = list(_OPEN_POOLS)
    for pool in pools:
        pool.close()


class WarmPool:
    """Keeps ``size`` runners alive; ``acquire`` lends one, ``release`` takes it back."""

    def __init__(self, start: Callable[[], Runner], size: int, max_jobs: int, acquire_timeout_s: float) -> None:
        self._start = start
        self._size = size
        self._max_jobs = max_jobs
        self._acquire_timeout_s = acquire_timeout_s
        self._cond = threading.Condition()
        self._idle: list[Runner] = []
        self._live = 0
        self._closed = False
        self.last_error: str | None = None
        self._doomed: queue.Queue[Runner | None] = queue.Queue()
        self._dirty: queue.Queue[Runner | None] = queue.Queue()
        self._fillers = [
            threading.Thread(target=self._fill, name=f"rlvr-docker-filler-{n}", daemon=True)
            for n in range(min(size, MAX_PARALLEL_STARTS))
        ]
        self._washer = threading.Thread(target=self._wash, name="rlvr-docker-washer", daemon=True)
        self._reaper = threading.Thread(target=self._reap, name="rlvr-docker-reaper", daemon=True)
        with _OPEN_POOLS_LOCK:
            _OPEN_POOLS.add(self)
        for thread in (*self._fillers, self._washer, self._reaper):
            thread.start()

    @property
    def idle(self) -> int:
        """Runners ready right now."""
        with self._cond:
            return len(self._idle)

    def acquire(self, cancel: threading.Event | None = None) -> Runner:
        """A ready runner for one submission; BackendUnavailable if none can be started, Cancelled on ``cancel``."""
        deadline = time.monotonic() + self._acquire_timeout_s
        with self._cond:
            while not self._idle:
                if cancel is not None and cancel.is_set():
                    raise Cancelled("the job was cancelled while waiting for a runner container")
                if self._closed:
                    raise SandboxError("the docker backend is closed")
                if self.last_error is not None and self._live == 0:
                    raise BackendUnavailable(self.last_error)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SandboxError(f"no runner container free within {self._acquire_timeout_s:.0f}s")
                self._cond.wait(remaining if cancel is None else min(remaining, CANCEL_POLL_S))
            return self._idle.pop()

    def release(self, runner: Runner, reusable: bool) -> None:
        """Take a runner back: reusable and under budget, to the washer (off the caller's time); else removed."""
        runner.jobs_done += 1
        with self._cond:
            if reusable and not self._closed and runner.jobs_done < self._max_jobs:
                self._dirty.put(runner)  # under the lock: never after close()'s sentinel
                return
        self._discard(runner)

    def _discard(self, runner: Runner) -> None:
        with self._cond:
            self._live -= 1
            closed = self._closed
            self._cond.notify_all()
        if closed:
            runner.remove()  # the reaper may have stopped: remove it here so it cannot leak
        else:
            self._doomed.put(runner)

    def _wash(self) -> None:
        """Wipe returned runners (kill every process, empty the scratch dirs); idle again only if clean."""
        while (runner := self._dirty.get()) is not None:
            try:
                clean = runner.wipe()
            except Exception:  # a runner whose state is in doubt is never reused
                clean = False
            with self._cond:
                if clean and not self._closed:
                    self._idle.append(runner)
                    self._cond.notify_all()
                    continue
            self._discard(runner)

    def _fill(self) -> None:
        """One filler thread: start a runner whenever the pool is short, backing off on failures."""
        failures = 0
        while True:
            with self._cond:
                while not self._closed and self._live >= self._size:
                    self._cond.wait()
                if self._closed:
                    return
                self._live += 1
            try:
                runner = self._start()
            except Exception as exc:  # any start failure: report it, back off, retry
                with self._cond:
                    self._live -= 1
                    self.last_error = f"cannot start a runner container: {type(exc).__name__}: {exc}"
                    self._cond.notify_all()
                log.warning("%s", self.last_error)
                delay = RETRY_BACKOFF_S[min(failures, len(RETRY_BACKOFF_S) - 1)]
                failures += 1
                with self._cond:
                    self._cond.wait_for(lambda: self._closed, timeout=delay)
                continue
            failures = 0
            with self._cond:
                self.last_error = None
                if self._closed:
                    self._live -= 1
                    self._doomed.put(runner)
                    return
                self._idle.append(runner)
                self._cond.notify_all()

    def _reap(self) -> None:
        while (runner := self._doomed.get()) is not None:
            try:
                runner.remove()
            except Exception as exc:  # the daemon may be gone; start-up cleanup catches leftovers
                log.warning("cannot remove runner container %s: %s", runner.id[:12], exc)

    def close(self) -> None:
        """Stop refilling and remove every idle runner; runners still lent out go on release."""
        with _OPEN_POOLS_LOCK:
            if self not in _OPEN_POOLS:
                return  # already closed
            _OPEN_POOLS.discard(self)
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._dirty.put(None)
            self._cond.notify_all()
        for thread in (*self._fillers, self._washer):
            thread.join()
        for runner in idle:
            self._doomed.put(runner)
        self._doomed.put(None)
        self._reaper.join()
