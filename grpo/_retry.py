"""When to retry a request and how long to wait: exponential backoff with full jitter.

Only failures that say "try again later" are retried: a connection that could not be
made or broke, 429 and 503 (whose Retry-After is honoured). A 4xx that says the
request is wrong, or another 5xx, is raised at once: resending it cannot help.
"""

from __future__ import annotations

import email.utils
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
    """How many attempts a request gets and how long to wait between them.

    The n-th wait (n from 0) is uniform in [0, min(max_backoff_s, base_backoff_s * 2**n)]
    ("full jitter"), or the server's Retry-After capped at ``max_retry_after_s``.
    """

    attempts: int = 5
    base_backoff_s: float = 0.25
    max_backoff_s: float = 8.0
    max_retry_after_s: float = 60.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("RetryPolicy.attempts must be at least 1")
        if self.base_backoff_s < 0 or self.max_backoff_s < 0 or self.max_retry_after_s < 0:
            raise ValueError("RetryPolicy delays must not be negative")

    def backoff_s(self, retry: int, rng: random.Random | None = None) -> float:
        """The jittered wait before retry number ``retry`` (0 for the first retry)."""
        ceiling = min(self.max_backoff_s, self.base_backoff_s * (2**retry))
        return (rng or random).uniform(0.0, ceiling)

    def delay_s(self, retry: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """Retry-After when the server sent one, else the jittered backoff."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_s)
        return self.backoff_s(retry, rng)


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
