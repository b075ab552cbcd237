"""What the sync and async clients share: settings, URL choice, retry waits, chunk plans, pools, errors."""

from __future__ import annotations

import random
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx

from grpo import _batch
from grpo._balance import Balancer
from grpo._retry import RetryPolicy
from grpo.errors import RewardServiceError, ServiceTimeoutError, ServiceUnavailableError
from grpo.wire import RewardsField

DEFAULT_URL = "http://127.0.0.1:8000"
# A service that accepts a request and never answers (frozen) raises ServiceTimeoutError
# after the read timeout; it is not retried, since the service may still be working on it.
DEFAULT_READ_TIMEOUT_S = 120.0
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_TIMEOUT = httpx.Timeout(DEFAULT_READ_TIMEOUT_S, connect=DEFAULT_CONNECT_TIMEOUT_S)
DEFAULT_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=64)
# httpcore's pool scans all its connections and queued requests on every request, which
# collapses past a few dozen connections (33 vs 175 items/s at 256 in flight, see
# bench/bench_client.py): the connections are spread over small pools used in turn.
CONNECTIONS_PER_POOL = 8
DEFAULT_CHUNK_SIZE = 512
DEFAULT_MAX_CONCURRENCY = 8
SCORE_PATH = "/v1/score"
VERIFIERS_PATH = "/v1/verifiers"
_UNSET: Any = object()


class Common:
    """Configuration and the pieces both clients share: which URL, whether to retry, what to raise."""

    def __init__(
        self,
        urls: str | Sequence[str],
        *,
        rewards: RewardsField | None,
        retry: RetryPolicy,
        chunk_size: int,
        max_concurrency: int,
        fill_value: float | None,
        api_key: str | None,
        headers: Mapping[str, str] | None,
        cooldown_s: float,
    ) -> None:
        if chunk_size < 1 or max_concurrency < 1:
            raise ValueError("chunk_size and max_concurrency must be at least 1")
        self.balancer = Balancer([urls] if isinstance(urls, str) else list(urls), cooldown_s)
        self.rewards = rewards
        self.retry = retry
        self.chunk_size = chunk_size
        self.max_concurrency = max_concurrency
        self.fill_value = fill_value
        self.headers = {"content-type": "application/json", **(headers or {})}
        if api_key:
            self.headers["authorization"] = f"Bearer {api_key}"
        self._rng = random.Random()

    def _wait_s(self, attempt: int, tried: set[str], retry_after: float | None) -> float:
        """No wait when an untried URL is left (failover), else Retry-After or the jittered backoff."""
        if retry_after is None and len(tried) < len(self.balancer.urls):
            return 0.0
        return self.retry.delay_s(attempt, retry_after, self._rng)

    def _next_wait(self, attempt: Attempt, retry_after: float | None) -> float | None:
        """The wait before the next attempt, or None when the retry policy says give up.

        Every URL gets one attempt whatever the policy (failover); after that the policy's
        attempt cap and time window decide.
        """
        wait = self._wait_s(attempt.made - 1, attempt.tried, retry_after)
        untried = len(attempt.tried) < len(self.balancer.urls)
        if not untried and not self.retry.allows(attempt.made, attempt.spent_s(), wait):
            return None
        attempt.waited_s += wait
        return wait

    def _unavailable(self, attempt: Attempt) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"no answer from {', '.join(self.balancer.urls)} after {attempt.made} attempts in "
            f"{attempt.spent_s():.1f} s (retry window {self.retry.window_s:g} s); "
            f"last failure: {attempt.last_url}{SCORE_PATH}: {describe(attempt.last)}",
            attempt.last,
        )

    def _plan(
        self, items: Iterable[_batch.ItemLike], rewards: RewardsField | None
    ) -> tuple[list[tuple[list[int], bytes]], int]:
        scored = _batch.as_items(items)
        rewards = rewards if rewards is not None else self.rewards
        chunks = _batch.plan_chunks(scored, self.chunk_size)
        return [(c, _batch.request_body(scored, c, rewards)) for c in chunks], len(scored)

    def _fill(self, fill_value: float | None) -> float | None:
        return self.fill_value if fill_value is _UNSET else fill_value


class Attempt:
    """One request's way through its retries: how many attempts, which URLs, the time spent, the last failure."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.waited_s = 0.0
        self.made = 0
        self.tried: set[str] = set()
        self.last: BaseException | None = None
        self.last_url = ""

    def begin(self, url: str) -> None:
        self.made += 1
        self.tried.add(url)

    def failed(self, url: str, cause: BaseException) -> None:
        self.last, self.last_url = cause, url

    def spent_s(self) -> float:
        # the waits count even where sleeping is replaced (tests); elsewhere the clock is ahead of them
        return max(time.monotonic() - self.started, self.waited_s)


def describe(cause: BaseException | None) -> str:
    """``ConnectError: [Errno 111] Connection refused``: what failed, for an error message."""
    if cause is None:
        return "no attempt made"
    if isinstance(cause, RewardServiceError):
        return str(cause)
    return f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__


def timed_out(url: str, timeout: httpx.Timeout, cause: httpx.TimeoutException) -> ServiceTimeoutError:
    """The error for a service that took the request and did not answer within the client's timeout."""
    return ServiceTimeoutError(
        f"{url}{SCORE_PATH} did not answer within the client's timeout (read {timeout.read} s, "
        f"write {timeout.write} s): {describe(cause)}; the service may be frozen or the batch too large "
        f"for the timeout (pass timeout= to the client)"
    )


def pool_limits(limits: httpx.Limits) -> tuple[int, httpx.Limits]:
    """How many pools to open and the limits of each, so that together they honour ``limits``."""
    total = limits.max_connections
    if total is None or total <= CONNECTIONS_PER_POOL:
        return 1, limits
    pools = -(-total // CONNECTIONS_PER_POOL)
    keepalive = limits.max_keepalive_connections
    return pools, httpx.Limits(
        max_connections=CONNECTIONS_PER_POOL,
        max_keepalive_connections=None if keepalive is None else max(1, -(-keepalive // pools)),
        keepalive_expiry=limits.keepalive_expiry,
    )


def slots(limits: httpx.Limits) -> int:
    """How many requests a client puts on the wire at once: one per connection.

    The rest wait in the client, first come first served, with no deadline: httpx's pool
    would make them wait too, but a request queued there longer than the pool timeout
    fails (PoolTimeout), and at trainer scale (16,384 requests at once) many would.
    """
    return limits.max_connections if limits.max_connections is not None else 1024


def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for all of a client's pools: building one loads the CA bundle (~0.1 s each)."""
    create = getattr(httpx, "create_ssl_context", None)
    if create is not None:
        return create()  # type: ignore[no-any-return]
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def error_from(response: httpx.Response) -> RewardServiceError:
    """The service's ``{"error", "detail"}`` body (or whatever it sent) as an exception."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and ("error" in body or "detail" in body):
        return RewardServiceError(
            response.status_code, str(body.get("error") or body.get("detail")), body.get("detail")
        )
    return RewardServiceError(response.status_code, response.text[:500] or response.reason_phrase)
