"""Backpressure: a bound on the work being scored at once, counted in verifier calls, not requests or items.

An item asking for 300 code components runs 300 sandbox jobs: it counts 300, not 1.
"""

from __future__ import annotations

from grpo.wire import ScoreRequest

RETRY_AFTER_S = 2


def work_units(request: ScoreRequest) -> int:
    """The verifier calls ``request`` asks for: each item's components (its own rewards or the batch's), at least 1."""
    default = len(request.rewards) if request.rewards is not None else 0
    return sum(max(1, len(item.rewards) if item.rewards is not None else default) for item in request.items)


class Admission:
    """Admits a request's work only while the in-flight total stays within ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.inflight = 0
        self.rejected = 0

    def try_acquire(self, units: int) -> bool:
        if self.inflight + units > self.limit:
            self.rejected += 1
            return False
        self.inflight += units
        return True

    def release(self, units: int) -> None:
        self.inflight -= units
