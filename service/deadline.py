"""A per-call deadline for the worker processes that no verifier code can turn into a verdict.

CPU time (``ITIMER_PROF``; math-verify's ``signal.alarm`` and our ``ITIMER_VIRTUAL`` math
deadline do not touch it) in the built-in pool; wall-clock time (``ITIMER_REAL``) in the
plugin pool, where a verifier may also hang waiting. The timer raises :class:`Overrun` in
the call. Raising is not enough on its own: Python runs signal handlers between bytecodes of
the main thread, so the exception lands wherever that is, and some places swallow it as
"unraisable": a ``gc.callbacks`` hook (hypothesis installs one for good in a test process,
and workers forked from it inherit it: a signal that arrives during a collection is handled
inside the hook), a ``__del__`` or a weakref callback, or a library's bare ``except:``. So the
timer re-fires every ``REFIRE_S`` until the call ends, and the call counts as overrun when the
timer fired at all or the time it used exceeds the deadline (e.g. code that disarmed the
timer), whatever it returned.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TypeVar

T = TypeVar("T")
REFIRE_S = 0.05


@dataclass(frozen=True)
class Clock:
    """Which time a deadline counts: its interval timer, that timer's signal, a reading, a name."""

    timer: int
    signum: int
    now: Callable[[], float]
    what: str


CPU = Clock(signal.ITIMER_PROF, signal.SIGPROF, time.process_time, "CPU time")
WALL = Clock(signal.ITIMER_REAL, signal.SIGALRM, time.monotonic, "wall-clock")


class Overrun(BaseException):
    """Raised in the call when its deadline passes; a BaseException so ``except Exception`` cannot catch it."""


class _State:
    in_call = False  # the handler raises only inside the call, never in the bookkeeping after it
    fired = False


def _on_timer(signum: int, frame: FrameType | None) -> None:
    if _State.in_call:
        _State.fired = True
        raise Overrun


def call_with_deadline(fn: Callable[[], T], seconds: float, clock: Clock = CPU) -> T | None:
    """``fn()``, or None when it used more than ``seconds`` of ``clock`` (main thread of a worker only)."""
    signal.signal(clock.signum, _on_timer)  # every call: a verifier may have replaced it
    _State.fired = False
    result: T | None = None
    started = clock.now()
    _State.in_call = True
    try:
        signal.setitimer(clock.timer, seconds, REFIRE_S)
        result = fn()
        _State.in_call = False  # a firing before this store raises inside the try: caught below
    except Overrun:  # the next firing is REFIRE_S away: none can land before this store
        _State.in_call = False
    finally:
        _State.in_call = False
        signal.setitimer(clock.timer, 0)
    if _State.fired or clock.now() - started >= seconds:
        return None
    return result
