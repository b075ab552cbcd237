"""Client-side load balancing over several service URLs, with failover.

Each request goes to the healthy URL with the fewest requests in flight (ties rotate,
so an idle client spreads its requests round-robin). A URL whose connection failed is
benched for ``cooldown_s``; a retry prefers a URL it has not tried yet. When every URL
is benched, the one that comes back soonest is tried anyway: never fail without trying.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Sequence

DEFAULT_COOLDOWN_S = 5.0


class Balancer:
    """Picks a URL per request; thread-safe (the sync client sends chunks from threads)."""

    def __init__(
        self, urls: Sequence[str], cooldown_s: float = DEFAULT_COOLDOWN_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if not urls:
            raise ValueError("at least one service URL is needed")
        self.urls = [u.rstrip("/") for u in urls]
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._lock = threading.Lock()
        self._in_flight = dict.fromkeys(self.urls, 0)
        self._benched_until = dict.fromkeys(self.urls, 0.0)
        self._turn = 0

    def acquire(self, avoid: Collection[str] = ()) -> str:
        """The URL for the next attempt; call :meth:`release` when it is over."""
        with self._lock:
            now = self._clock()
            healthy = [u for u in self.urls if self._benched_until[u] <= now]
            fresh = [u for u in healthy if u not in avoid]
            candidates = fresh or healthy
            if candidates:
                start = self._turn % len(self.urls)
                order = self.urls[start:] + self.urls[:start]
                url = min((u for u in order if u in candidates), key=lambda u: self._in_flight[u])
            else:
                url = min(self.urls, key=lambda u: self._benched_until[u])
            self._turn += 1
            self._in_flight[url] += 1
            return url

    def release(self, url: str, *, failed: bool = False) -> None:
        """End an attempt; ``failed`` (a connection error) benches the URL for ``cooldown_s``."""
        with self._lock:
            self._in_flight[url] -= 1
            if failed:
                self._benched_until[url] = self._clock() + self.cooldown_s
            else:
                self._benched_until[url] = 0.0
