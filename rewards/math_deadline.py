"""A CPU-time deadline for sympy work, by SIGVTALRM on the main thread and nothing elsewhere.

The deadline counts the process's own CPU time (``ITIMER_VIRTUAL``), not the wall clock: an
overrun then always means the work itself was too costly — an answer that makes sympy
churn, judged 0 — and never that a busy machine gave the process too little CPU.
math-verify's own timeouts call ``signal.signal``, which raises off the main thread, so
we switch them off and keep one deadline of our own. Off the main thread no signal can
interrupt sympy: there the input caps of ``math_guard`` and the service's process pool
(hard kill per item) are the protection. A virtual timer armed by someone else is
preserved and re-armed afterwards; wall-clock alarms (pytest-timeout's) are not touched.
Past the deadline the exception is raised again every RERAISE_S of CPU until the block ends:
one raised in a garbage-collector callback or a ``__del__`` is dropped by Python (a test
process spun for ever so, its alarm landing in hypothesis's gc callback).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

RERAISE_S = 0.01  # CPU seconds between raises once the deadline has passed


class DeadlineExceeded(BaseException):
    """Raised inside the guarded block when the deadline passes.

    A BaseException so that the ``except Exception`` blocks inside math-verify and sympy
    cannot swallow it.
    """


def can_interrupt() -> bool:
    """Whether a deadline can actually interrupt work in this thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise DeadlineExceeded in the block after ``seconds`` of CPU time (main thread only; a no-op elsewhere)."""
    if seconds <= 0 or not can_interrupt():
        yield
        return
    start = time.process_time()
    due = start + seconds
    old_handler: Any = signal.getsignal(signal.SIGVTALRM)
    old_remaining, _ = signal.getitimer(signal.ITIMER_VIRTUAL)

    outer_fired = []

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if time.process_time() >= due - 1e-3:
            # again soon, until the block ends: the signal may land where an exception is dropped (a gc
            # callback, a __del__) or the work may catch it
            signal.setitimer(signal.ITIMER_VIRTUAL, RERAISE_S)
            raise DeadlineExceeded(f"deadline of {seconds:g}s exceeded")
        outer_fired.append(True)
        if callable(old_handler):  # the outer alarm fired first: let its owner handle it
            old_handler(signum, frame)
        signal.setitimer(signal.ITIMER_VIRTUAL, max(due - time.process_time(), 1e-3))

    signal.signal(signal.SIGVTALRM, on_alarm)
    first = seconds if old_remaining <= 0 else min(seconds, old_remaining)
    signal.setitimer(signal.ITIMER_VIRTUAL, first)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, old_handler)
        if old_remaining > 0 and not outer_fired:
            left = old_remaining - (time.process_time() - start)
            signal.setitimer(signal.ITIMER_VIRTUAL, max(left, 1e-3))
