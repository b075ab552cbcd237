"""Sandboxes started ahead of demand: each is lent to exactly one job, which tears it down when done.

A kind (say, a sandbox for the judge harness) is kept in stock only once a job has asked
for it; a background thread starts one whenever the stock of a wanted kind is below
``size``. A job that finds none starts its own, as without spares: spares only take the
start off the critical path when the machine has time for it. Nothing is ever given
back: a spare that ran anything is never lent again.

The filler thread lives as long as the spares: a sandbox started with bubblewrap's
``--die-with-parent`` dies with the thread that started it.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
FAILURE_BACKOFF_S = 5.0  # after a failed start, before the next: a broken host must not spin
CLOSE_WAIT_S = 30.0  # for the filler to finish the start it is in (bounded by the sandbox's start timeout)
_OPEN: weakref.WeakSet[Spares] = weakref.WeakSet()  # type: ignore[type-arg]


@atexit.register
def _close_all() -> None:
    for spares in list(_OPEN):
        spares.close()


class Spares(Generic[T]):
    """Up to ``size`` ready sandboxes per wanted kind; ``make(kind)`` starts one, ``discard`` tears one down."""

    def __init__(
        self, make: Callable[[Hashable], T], discard: Callable[[T], None], alive: Callable[[T], bool], size: int
    ) -> None:
        self._make, self._discard, self._alive, self._size = make, discard, alive, size
        self._stock: dict[Hashable, list[T]] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        _OPEN.add(self)

    def take(self, kind: Hashable) -> T | None:
        """A ready sandbox of ``kind`` (now the caller's), or None; either way ``kind`` is kept in stock from now on."""
        if self._size <= 0:
            return None
        with self._cond:
            if self._closed:
                return None
            stock = self._stock.setdefault(kind, [])
            found = stock.pop() if stock else None
            if self._thread is None:
                self._thread = threading.Thread(target=self._fill, name="rlvr-local-spares", daemon=True)
                self._thread.start()
            self._cond.notify_all()
        if found is not None and not self._alive(found):
            self._discard(found)
            return None
        return found

    def _wanted(self) -> Hashable | None:
        for kind, stock in self._stock.items():
            if len(stock) < self._size:
                return kind
        return None

    def _fill(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (kind := self._wanted()) is None:
                    self._cond.wait()
                if self._closed:
                    return
            try:
                ready = self._make(kind)
            except Exception as exc:  # the job that needs one starts its own, and says what failed
                log.warning("could not start a spare sandbox: %s", exc)
                with self._cond:
                    self._cond.wait(FAILURE_BACKOFF_S)
                continue
            with self._cond:
                if not self._closed:
                    self._stock[kind].append(ready)
                    continue
            self._discard(ready)
            return

    def close(self) -> None:
        """Tear down every spare not lent yet, the one being started included; no more are started."""
        with self._cond:
            self._closed = True
            left = [ready for stock in self._stock.values() for ready in stock]
            self._stock.clear()
            self._cond.notify_all()
        for ready in left:
            self._discard(ready)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(CLOSE_WAIT_S)  # it discards what it was starting
