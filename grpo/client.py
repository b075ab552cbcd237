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
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from grpo import _batch
from grpo._balance import DEFAULT_COOLDOWN_S
from grpo._base import (
    _UNSET,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_LIMITS,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    SCORE_PATH,
    VERIFIERS_PATH,
    Attempt,
    Common,
    error_from,
    pool_limits,
    shared_ssl_context,
    slots,
    timed_out,
)
from grpo._retry import DEFAULT_RETRY, RETRY_EXCEPTIONS, RetryPolicy, is_retryable_status, retry_after_s
from grpo.wire import RewardsField, ScoreResponse, VerifiersResponse

__all__ = ["DEFAULT_URL", "AsyncRewardClient", "RewardClient"]


class RewardClient(Common):
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
        self._slots = threading.BoundedSemaphore(slots(limits))

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
            raise error_from(response)
        return VerifiersResponse.model_validate_json(response.content)

    def _post(self, body: bytes, expected: int) -> ScoreResponse:
        attempt = Attempt()
        while True:
            url = self.balancer.acquire(avoid=attempt.tried)
            attempt.begin(url)
            retry_after = None
            pool = self._pools[next(self._turn) % len(self._pools)]
            try:
                with self._slots:  # wait here, in order, rather than in httpx's pool (which times out)
                    response = pool.post(url + SCORE_PATH, content=body, headers=self.headers)
            except RETRY_EXCEPTIONS as exc:
                self.balancer.release(url, failed=True)
                attempt.failed(url, exc)
            except httpx.TimeoutException as exc:
                self.balancer.release(url)
                raise timed_out(url, pool.timeout, exc) from exc
            else:
                self.balancer.release(url)
                if response.status_code == 200:
                    return _batch.parse_response(response.content, expected)
                if not is_retryable_status(response.status_code):
                    raise error_from(response)
                attempt.failed(url, error_from(response))
                retry_after = retry_after_s(response)
            wait = self._next_wait(attempt, retry_after)
            if wait is None:
                raise self._unavailable(attempt)
            self._sleep(wait)

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


class AsyncRewardClient(Common):
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
        self._slots = asyncio.Semaphore(slots(limits))

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
            raise error_from(response)
        return VerifiersResponse.model_validate_json(response.content)

    async def _post(self, body: bytes, expected: int) -> ScoreResponse:
        attempt = Attempt()
        while True:
            url = self.balancer.acquire(avoid=attempt.tried)
            attempt.begin(url)
            retry_after = None
            pool = self._pools[next(self._turn) % len(self._pools)]
            try:
                async with self._slots:  # wait here, first come first served, not in httpx's pool
                    response = await pool.post(url + SCORE_PATH, content=body, headers=self.headers)
            except RETRY_EXCEPTIONS as exc:
                self.balancer.release(url, failed=True)
                attempt.failed(url, exc)
            except httpx.TimeoutException as exc:
                self.balancer.release(url)
                raise timed_out(url, pool.timeout, exc) from exc
            else:
                self.balancer.release(url)
                if response.status_code == 200:
                    return _batch.parse_response(response.content, expected)
                if not is_retryable_status(response.status_code):
                    raise error_from(response)
                attempt.failed(url, error_from(response))
                retry_after = retry_after_s(response)
            wait = self._next_wait(attempt, retry_after)
            if wait is None:
                raise self._unavailable(attempt)
            await self._sleep(wait)

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
