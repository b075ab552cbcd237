"""A wall-clock deadline for sympy work, by SIGALRM on the main thread and nothing elsewhere.

math-verify's own timeouts call ``signal.signal``, which raises off the main thread, so
we switch them off and keep one deadline of our own. Off the main thread no signal can
interrupt sympy: there the input caps of ``math_guard`` and the service's process pool
(hard kill per item) are the protection. An alarm armed by someone else (e.g.
pytest-timeout) is preserved and re-armed afterwards.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any


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
    """Raise DeadlineExceeded in the block after ``seconds`` (main thread only; a no-op elsewhere)."""
    if seconds <= 0 or not can_interrupt():
        yield
        return
    start = time.monotonic()
    due = start + seconds
    old_handler: Any = signal.getsignal(signal.SIGALRM)
    old_remaining, _ = signal.getitimer(signal.ITIMER_REAL)

    outer_fired = []

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if time.monotonic() >= due - 1e-3:
            raise DeadlineExceeded(f"deadline of {seconds:g}s exceeded")
        outer_fired.append(True)
        if callable(old_handler):  # the outer alarm fired first: let its owner handle it
            old_handler(signum, frame)
        signal.setitimer(signal.ITIMER_REAL, max(due - time.monotonic(), 1e-3))

    signal.signal(signal.SIGALRM, on_alarm)
    first = seconds if old_remaining <= 0 else min(seconds, old_remaining)
    signal.setitimer(signal.ITIMER_REAL, first)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_remaining > 0 and not outer_fired:
            left = old_remaining - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
