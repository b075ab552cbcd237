"""When to retry a request and how long to wait: exponential backoff with full jitter, in a time window.

Only failures that say "try again later" are retried: a connection that could not be
made or broke, 429 and 503 (whose Retry-After is honoured). A 4xx that says the
request is wrong, or another 5xx, is raised at once: resending it cannot help.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from dataclasses import dataclass

import httpx

RETRY_STATUSES = frozenset({429, 503})
RETRY_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
    httpx.PoolTimeout,
)


@dataclass(frozen=True)
class RetryPolicy:
    """How long a request keeps being retried and how long to wait between attempts.

    The defaults ride through a service restart: failures that say "try again later" are
    retried for ``window_s`` (60 s) with waits that double from ``base_backoff_s`` up to
    ``max_backoff_s`` (5 s). The n-th wait (n from 0) is uniform in
    [0, min(max_backoff_s, base_backoff_s * 2**n)] ("full jitter"), or the server's
    Retry-After capped at ``max_retry_after_s``. ``attempts`` caps the number of attempts
    as well (None: as many as the window allows). The time spent counts the waits and the
    attempts themselves; a request that would start after the window is not sent.
    """

    window_s: float = 60.0
    attempts: int | None = None
    base_backoff_s: float = 0.5
    max_backoff_s: float = 5.0
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts is not None and self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1 (or None for no cap)")
        delays = (self.window_s, self.base_backoff_s, self.max_backoff_s, self.max_retry_after_s)
        if not all(math.isfinite(d) and d >= 0 for d in delays):
            raise ValueError("RetryPolicy window and delays must be finite and not negative")

    def backoff_s(self, retry: int, rng: random.Random | None = None) -> float:
        """The jittered wait before retry number ``retry`` (0 for the first retry)."""
        ceiling = min(self.max_backoff_s, self.base_backoff_s * (2 ** min(retry, 64)))
        return (rng or random).uniform(0.0, ceiling)

    def delay_s(self, retry: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """Retry-After when the server sent one, else the jittered backoff."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_s)
        return self.backoff_s(retry, rng)

    def allows(self, attempts_made: int, spent_s: float, wait_s: float) -> bool:
        """Whether another attempt fits: under the attempt cap, and starting within the window."""
        if self.attempts is not None and attempts_made >= self.attempts:
            return False
        return spent_s + wait_s <= self.window_s


DEFAULT_RETRY = RetryPolicy()


def is_retryable_status(status_code: int) -> bool:
    return status_code in RETRY_STATUSES


def retry_after_s(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds to wait according to the Retry-After header (delta-seconds or HTTP-date), if any."""
    value = response.headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
