"""Backpressure: a bound on items being scored at once, counted in items, not requests."""

from __future__ import annotations

RETRY_AFTER_S = 2


class Admission:
    """Admits a request's items only while the in-flight total stays within ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.inflight = 0
        self.rejected = 0

    def try_acquire(self, items: int) -> bool:
        if self.inflight + items > self.limit:
            self.rejected += 1
            return False
        self.inflight += items
        return True

    def release(self, items: int) -> None:
        self.inflight -= items
