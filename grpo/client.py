"""Sync and async clients for POST /v1/score, built for trainers that wait on the answer.

Both clients pool connections, time out by default, retry only what is worth retrying
(see ``grpo._retry``), cut large batches into chunks sent concurrently, balance over
several service URLs with failover, and accept ``transport=`` so tests can use
``httpx.MockTransport``. Items that could not be judged come back as ``None``.

>>> with RewardClient("http://127.0.0.1:8000", rewards={"math": 1.0}) as client:  # doctest: +SKIP
...     client.score_texts(["<think>2+2=4</think> \\\\boxed{4}"], references=["4"])
[1.0]
"""

from __future__ import annotations

import asyncio
import itertools
import random
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from grpo import _batch
from grpo._balance import DEFAULT_COOLDOWN_S, Balancer
from grpo._retry import DEFAULT_RETRY, RETRY_EXCEPTIONS, RetryPolicy, is_retryable_status, retry_after_s
from grpo.errors import RewardServiceError, ServiceTimeoutError, ServiceUnavailableError
from service.schemas import RewardsField, ScoreResponse, VerifiersResponse

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = httpx.Timeout(120.0, connect=5.0)
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


class _Common:
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

    @property
    def attempts(self) -> int:
        # failover needs at least one attempt per URL
        return max(self.retry.attempts, len(self.balancer.urls))

    def _wait_s(self, attempt: int, tried: set[str], retry_after: float | None) -> float:
        """No wait when an untried URL is left (failover), else Retry-After or the jittered backoff."""
        if retry_after is None and len(tried) < len(self.balancer.urls):
            return 0.0
        return self.retry.delay_s(attempt, retry_after, self._rng)

    def _plan(
        self, items: Iterable[_batch.ItemLike], rewards: RewardsField | None
    ) -> tuple[list[tuple[list[int], bytes]], int]:
        scored = _batch.as_items(items)
        rewards = rewards if rewards is not None else self.rewards
        chunks = _batch.plan_chunks(scored, self.chunk_size)
        return [(c, _batch.request_body(scored, c, rewards)) for c in chunks], len(scored)

    def _fill(self, fill_value: float | None) -> float | None:
        return self.fill_value if fill_value is _UNSET else fill_value


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


def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for all of a client's pools: building one loads the CA bundle (~0.1 s each)."""
    create = getattr(httpx, "create_ssl_context", None)
    if create is not None:
        return create()  # type: ignore[no-any-return]
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _error_from(response: httpx.Response) -> RewardServiceError:
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


class RewardClient(_Common):
    """Blocking client; chunks of a large batch are sent from a small thread pool."""

    def __init__(
        self,
        urls: str | Sequence[str] = DEFAULT_URL,
        *,
        rewards: RewardsField | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        fill_value: float | None = None,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            urls,
            rewards=rewards,
            retry=retry,
            chunk_size=chunk_size,
            max_concurrency=max_concurrency,
            fill_value=fill_value,
            api_key=api_key,
            headers=headers,
            cooldown_s=cooldown_s,
        )
        pools, each = pool_limits(limits) if transport is None else (1, limits)
        tls = shared_ssl_context()
        self._pools = [
            httpx.Client(timeout=timeout, limits=each, transport=transport, verify=tls) for _ in range(pools)
        ]
        self._turn = itertools.count()

    def score(self, items: Iterable[_batch.ItemLike], *, rewards: RewardsField | None = None) -> ScoreResponse:
        """Score ``items`` (ScoreItems or dicts); one result per item, in order."""
        chunks, total = self._plan(items, rewards)
        if not chunks:
            return _batch.empty_response()
        if len(chunks) == 1:
            indices, body = chunks[0]
            return _batch.merge([(indices, self._post(body, len(indices)))], total)
        with ThreadPoolExecutor(min(self.max_concurrency, len(chunks)), thread_name_prefix="grpo-chunk") as pool:
            futures = [(indices, pool.submit(self._post, body, len(indices))) for indices, body in chunks]
            return _batch.merge([(indices, f.result()) for indices, f in futures], total)

    def score_texts(
        self,
        completions: Sequence[str],
        references: Sequence[Any] | None = None,
        *,
        rewards: RewardsField | None = None,
        groups: Sequence[Any] | None = None,
        prompts: Sequence[str | None] | None = None,
        fill_value: float | None = _UNSET,
    ) -> list[float | None]:
        """One reward per completion; None where it could not be judged (unless a fill value is set)."""
        response = self.score(_batch.texts_to_items(completions, references, groups, prompts), rewards=rewards)
        return _batch.reward_values(response, self._fill(fill_value))

    def verifiers(self) -> VerifiersResponse:
        """The verifiers the service knows, with their parameters."""
        url = self.balancer.acquire()
        try:
            response = self._pools[0].get(url + VERIFIERS_PATH, headers=self.headers)
        finally:
            self.balancer.release(url)
        if response.status_code != 200:
            raise _error_from(response)
        return VerifiersResponse.model_validate_json(response.content)

    def _post(self, body: bytes, expected: int) -> ScoreResponse:
        tried: set[str] = set()
        last: BaseException | None = None
        for attempt in range(self.attempts):
            url = self.balancer.acquire(avoid=tried)
            tried.add(url)
            retry_after = None
            try:
                response = self._pools[next(self._turn) % len(self._pools)].post(
                    url + SCORE_PATH, content=body, headers=self.headers
                )
            except RETRY_EXCEPTIONS as exc:
                self.balancer.release(url, failed=True)
                last = exc
            except httpx.TimeoutException as exc:
                self.balancer.release(url)
                raise ServiceTimeoutError(f"{url} did not answer in time: {exc!r}") from exc
            else:
                self.balancer.release(url)
                if response.status_code == 200:
                    return _batch.parse_response(response.content, expected)
                if not is_retryable_status(response.status_code):
                    raise _error_from(response)
                last, retry_after = _error_from(response), retry_after_s(response)
            if attempt + 1 < self.attempts:
                self._sleep(self._wait_s(attempt, tried, retry_after))
        raise ServiceUnavailableError(
            f"no answer from {', '.join(self.balancer.urls)} in {self.attempts} attempts", last
        )

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def close(self) -> None:
        for pool in self._pools:
            pool.close()

    def __enter__(self) -> RewardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncRewardClient(_Common):
    """asyncio client; chunks of a large batch are awaited concurrently (at most ``max_concurrency``)."""

    def __init__(
        self,
        urls: str | Sequence[str] = DEFAULT_URL,
        *,
        rewards: RewardsField | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        fill_value: float | None = None,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            urls,
            rewards=rewards,
            retry=retry,
            chunk_size=chunk_size,
            max_concurrency=max_concurrency,
            fill_value=fill_value,
            api_key=api_key,
            headers=headers,
            cooldown_s=cooldown_s,
        )
        pools, each = pool_limits(limits) if transport is None else (1, limits)
        tls = shared_ssl_context()
        self._pools = [
            httpx.AsyncClient(timeout=timeout, limits=each, transport=transport, verify=tls) for _ in range(pools)
        ]
        self._turn = itertools.count()

    async def score(self, items: Iterable[_batch.ItemLike], *, rewards: RewardsField | None = None) -> ScoreResponse:
        """Score ``items`` (ScoreItems or dicts); one result per item, in order."""
        chunks, total = self._plan(items, rewards)
        if not chunks:
            return _batch.empty_response()
        gate = asyncio.Semaphore(self.max_concurrency)

        async def one(indices: list[int], body: bytes) -> tuple[list[int], ScoreResponse]:
            async with gate:
                return indices, await self._post(body, len(indices))

        parts = await asyncio.gather(*(one(indices, body) for indices, body in chunks))
        return _batch.merge(parts, total)

    async def score_texts(
        self,
        completions: Sequence[str],
        references: Sequence[Any] | None = None,
        *,
        rewards: RewardsField | None = None,
        groups: Sequence[Any] | None = None,
        prompts: Sequence[str | None] | None = None,
        fill_value: float | None = _UNSET,
    ) -> list[float | None]:
        """One reward per completion; None where it could not be judged (unless a fill value is set)."""
        response = await self.score(_batch.texts_to_items(completions, references, groups, prompts), rewards=rewards)
        return _batch.reward_values(response, self._fill(fill_value))

    async def verifiers(self) -> VerifiersResponse:
        """The verifiers the service knows, with their parameters."""
        url = self.balancer.acquire()
        try:
            response = await self._pools[0].get(url + VERIFIERS_PATH, headers=self.headers)
        finally:
            self.balancer.release(url)
        if response.status_code != 200:
            raise _error_from(response)
        return VerifiersResponse.model_validate_json(response.content)

    async def _post(self, body: bytes, expected: int) -> ScoreResponse:
        tried: set[str] = set()
        last: BaseException | None = None
        for attempt in range(self.attempts):
            url = self.balancer.acquire(avoid=tried)
            tried.add(url)
            retry_after = None
            try:
                response = await self._pools[next(self._turn) % len(self._pools)].post(
                    url + SCORE_PATH, content=body, headers=self.headers
                )
            except RETRY_EXCEPTIONS as exc:
                self.balancer.release(url, failed=True)
                last = exc
            except httpx.TimeoutException as exc:
                self.balancer.release(url)
                raise ServiceTimeoutError(f"{url} did not answer in time: {exc!r}") from exc
            else:
                self.balancer.release(url)
                if response.status_code == 200:
                    return _batch.parse_response(response.content, expected)
                if not is_retryable_status(response.status_code):
                    raise _error_from(response)
                last, retry_after = _error_from(response), retry_after_s(response)
            if attempt + 1 < self.attempts:
                await self._sleep(self._wait_s(attempt, tried, retry_after))
        raise ServiceUnavailableError(
            f"no answer from {', '.join(self.balancer.urls)} in {self.attempts} attempts", last
        )

    async def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            await asyncio.sleep(seconds)

    async def aclose(self) -> None:
        for pool in self._pools:
            await pool.aclose()

    async def __aenter__(self) -> AsyncRewardClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
