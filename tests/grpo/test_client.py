"""RewardClient and AsyncRewardClient over httpx.MockTransport: retries, backoff, chunking, failover, None."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence

import httpx
import pytest

from grpo import (
    AsyncRewardClient,
    ProtocolError,
    RetryPolicy,
    RewardClient,
    RewardServiceError,
    ServiceTimeoutError,
    ServiceUnavailableError,
)
from grpo._retry import retry_after_s
from tests.grpo.fakes import UNJUDGEABLE, score_handler

URL = "http://rlvr.test"
FAST = RetryPolicy(attempts=4, base_backoff_s=0.5, max_backoff_s=4.0)
Handler = Callable[[httpx.Request], httpx.Response]


def failing_then_ok(failures: Sequence[httpx.Response | type[Exception]], seen: list[httpx.Request]) -> Handler:
    """Answer with each of ``failures`` in turn (a response, or an exception to raise), then score for real."""
    ok = score_handler()

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) <= len(failures):
            failure = failures[len(seen) - 1]
            if isinstance(failure, httpx.Response):
                return failure
            raise failure("simulated", request=request)  # type: ignore[call-arg]
        return ok(request)

    return handle


def sync_client(handler: Handler, sleeps: list[float] | None = None, **kwargs: object) -> RewardClient:
    kwargs.setdefault("retry", FAST)
    client = RewardClient(kwargs.pop("urls", URL), transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]
    client._sleep = sleeps.append if sleeps is not None else lambda s: None  # type: ignore[method-assign,assignment]
    return client


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, json={"error": "overloaded"}),
        httpx.Response(429, json={"error": "slow down"}),
        httpx.ConnectError,
        httpx.ReadError,
        httpx.RemoteProtocolError,
    ],
    ids=["503", "429", "connect-error", "read-error", "disconnect"],
)
def test_transient_failure_then_success_yields_scores(failure: httpx.Response | type[Exception]) -> None:
    seen: list[httpx.Request] = []
    client = sync_client(failing_then_ok([failure, failure], seen))
    assert client.score_texts(["abc", "de"]) == [3.0, 2.0]
    assert len(seen) == 3


@pytest.mark.parametrize("status", [400, 401, 404, 413, 422, 500, 502, 504])
def test_non_retryable_status_yields_error_after_one_attempt(status: int) -> None:
    seen: list[httpx.Request] = []
    answer = httpx.Response(status, json={"error": f"status {status}", "detail": {"loc": "items"}})
    client = sync_client(failing_then_ok([answer] * 5, seen))
    with pytest.raises(RewardServiceError) as info:
        client.score_texts(["abc"])
    assert len(seen) == 1
    assert info.value.status_code == status
    assert info.value.message == f"status {status}"


def test_read_timeout_yields_timeout_error_without_retry() -> None:
    seen: list[httpx.Request] = []
    client = sync_client(failing_then_ok([httpx.ReadTimeout] * 5, seen))
    with pytest.raises(ServiceTimeoutError):
        client.score_texts(["abc"])
    assert len(seen) == 1


def test_persistent_503_yields_unavailable_after_all_attempts() -> None:
    seen: list[httpx.Request] = []
    sleeps: list[float] = []
    client = sync_client(failing_then_ok([httpx.Response(503)] * 10, seen), sleeps)
    with pytest.raises(ServiceUnavailableError) as info:
        client.score_texts(["abc"])
    assert len(seen) == FAST.attempts
    assert len(sleeps) == FAST.attempts - 1
    assert isinstance(info.value.last, RewardServiceError)


def test_backoff_yields_jittered_waits_under_a_doubling_ceiling() -> None:
    sleeps: list[float] = []
    client = sync_client(failing_then_ok([httpx.Response(503)] * 10, []), sleeps)
    with pytest.raises(ServiceUnavailableError):
        client.score_texts(["abc"])
    ceilings = [0.5, 1.0, 2.0]
    assert all(0.0 <= s <= c for s, c in zip(sleeps, ceilings, strict=True))


@pytest.mark.parametrize(
    ("retry", "ceiling"), [(0, 0.25), (1, 0.5), (2, 1.0), (5, 8.0), (30, 8.0)], ids=lambda v: str(v)
)
def test_backoff_for_nth_retry_yields_values_spread_up_to_its_ceiling(retry: int, ceiling: float) -> None:
    policy = RetryPolicy(base_backoff_s=0.25, max_backoff_s=8.0)
    rng = random.Random(7)
    waits = [policy.backoff_s(retry, rng) for _ in range(2000)]
    assert min(waits) >= 0.0 and max(waits) <= ceiling
    assert max(waits) > 0.9 * ceiling and min(waits) < 0.1 * ceiling  # full jitter, not a fixed delay


@pytest.mark.parametrize(
    ("header", "expected"),
    [("2", 2.0), ("0", 0.0), ("1.5", 1.5), ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0), ("soon", None), (None, None)],
)
def test_retry_after_header_yields_seconds(header: str | None, expected: float | None) -> None:
    headers = {"retry-after": header} if header is not None else {}
    now = 1445412480.0  # 07:28:00 on that date
    assert retry_after_s(httpx.Response(503, headers=headers), now=now) == expected


def test_retry_after_is_honoured_and_capped() -> None:
    sleeps: list[float] = []
    failures = [httpx.Response(429, headers={"retry-after": "3"}), httpx.Response(503, headers={"retry-after": "999"})]
    client = sync_client(failing_then_ok(failures, []), sleeps, retry=RetryPolicy(max_retry_after_s=30.0))
    assert client.score_texts(["abc"]) == [3.0]
    assert sleeps == [3.0, 30.0]


def test_unjudged_item_yields_none_not_zero() -> None:
    client = sync_client(score_handler())
    assert client.score_texts(["abc", UNJUDGEABLE, ""]) == [3.0, None, 0.0]


@pytest.mark.parametrize("fill", [0.0, -1.0])
def test_fill_value_yields_it_for_unjudged_items(fill: float) -> None:
    assert sync_client(score_handler(), fill_value=fill).score_texts([UNJUDGEABLE, "ab"]) == [fill, 2.0]
    assert sync_client(score_handler()).score_texts([UNJUDGEABLE], fill_value=fill) == [fill]


def test_large_batch_yields_chunks_sent_and_results_in_order() -> None:
    seen: list[httpx.Request] = []
    client = sync_client(score_handler(seen), chunk_size=100, max_concurrency=4)
    completions = ["x" * (i % 37) for i in range(1050)]
    response = client.score([{"completion": c} for c in completions])
    sizes = sorted(len(json.loads(r.content)["items"]) for r in seen)
    assert sizes == [50] + [100] * 10
    assert [r.id for r in response.results] == list(range(1050))
    assert [r.reward for r in response.results] == [float(len(c)) for c in completions]
    assert response.summary.items == 1050
    assert response.summary.judged == 1050
    assert response.summary.mean_reward == pytest.approx(sum(len(c) for c in completions) / 1050)


def test_chunking_yields_whole_groups_per_request() -> None:
    seen: list[httpx.Request] = []
    client = sync_client(score_handler(seen), chunk_size=10)
    groups = [f"q{i % 7}" for i in range(56)]  # 7 interleaved groups of 8
    client.score_texts(["a"] * 56, groups=groups)
    per_request = [Counter(item["group"] for item in json.loads(r.content)["items"]) for r in seen]
    assert all(set(c.values()) == {8} for c in per_request)
    assert sum(len(c) for c in per_request) == 7


def test_wrong_result_count_yields_protocol_error() -> None:
    def short(request: httpx.Request) -> httpx.Response:
        body = json.loads(score_handler()(request).content)
        body["results"] = body["results"][:-1]
        return httpx.Response(200, json=body)

    with pytest.raises(ProtocolError, match="1 results for 2 items"):
        sync_client(short).score_texts(["a", "b"])


def test_empty_batch_yields_empty_response_without_request() -> None:
    seen: list[httpx.Request] = []
    assert sync_client(score_handler(seen)).score([]).results == []
    assert seen == []


def test_dead_url_yields_failover_to_the_live_one() -> None:
    seen: list[str] = []
    ok = score_handler()

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        if request.url.host == "dead.test":
            raise httpx.ConnectError("refused", request=request)
        return ok(request)

    sleeps: list[float] = []
    client = sync_client(handle, sleeps, urls=["http://dead.test", "http://live.test"])
    assert [client.score_texts(["abcd"]) for _ in range(4)] == [[4.0]] * 4
    assert seen.count("dead.test") == 1  # benched after its first failure
    assert seen.count("live.test") == 4
    assert sleeps == [0.0]  # failing over to an untried URL does not wait


def test_several_urls_yield_requests_spread_over_all() -> None:
    seen: list[str] = []
    ok = score_handler()

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.host)
        return ok(request)

    client = sync_client(handle, urls=["http://a.test", "http://b.test", "http://c.test"])
    for _ in range(9):
        client.score_texts(["x"])
    assert Counter(seen) == {"a.test": 3, "b.test": 3, "c.test": 3}


def test_batch_rewards_and_api_key_yield_them_on_the_wire() -> None:
    seen: list[httpx.Request] = []
    client = sync_client(score_handler(seen), rewards={"format": 0.5}, api_key="s3cret")
    assert client.score_texts(["abcd"]) == [2.0]
    assert client.score_texts(["abcd"], rewards={"a": 1.0, "b": 2.0}) == [12.0]
    assert json.loads(seen[0].content)["rewards"] == {"format": 0.5}
    assert seen[0].headers["authorization"] == "Bearer s3cret"


def test_async_client_yields_the_same_as_sync_with_retries_and_chunks() -> None:
    seen: list[httpx.Request] = []
    failures: list[httpx.Response | type[Exception]] = [httpx.Response(503), httpx.ConnectError]
    handler = failing_then_ok(failures, seen)
    sleeps: list[float] = []

    async def run() -> list[float | None]:
        client = AsyncRewardClient(URL, transport=httpx.MockTransport(handler), retry=FAST, chunk_size=3)

        async def record(seconds: float) -> None:
            sleeps.append(seconds)

        client._sleep = record  # type: ignore[method-assign,assignment]
        async with client:
            return await client.score_texts(["a", "bb", UNJUDGEABLE, "dddd", "e", "ff", "g"])

    assert asyncio.run(run()) == [1.0, 2.0, None, 4.0, 1.0, 2.0, 1.0]
    assert len(seen) == 3 + 2  # 3 chunks, 2 of the attempts failed
    assert len(sleeps) == 2


def test_async_client_4xx_yields_error_without_retry() -> None:
    seen: list[httpx.Request] = []
    handler = failing_then_ok([httpx.Response(422, json={"error": "bad"})] * 3, seen)

    async def run() -> None:
        async with AsyncRewardClient(URL, transport=httpx.MockTransport(handler), retry=FAST) as client:
            await client.score_texts(["a"])

    with pytest.raises(RewardServiceError, match="HTTP 422: bad"):
        asyncio.run(run())
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"chunk_size": 0}, "at least 1"), ({"max_concurrency": 0}, "at least 1"), ({"urls": []}, "at least one")],
)
def test_bad_client_settings_yield_value_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RewardClient(**kwargs)  # type: ignore[arg-type]


def test_mismatched_columns_yield_value_error() -> None:
    with pytest.raises(ValueError, match="references has 1 entries for 2 completions"):
        sync_client(score_handler()).score_texts(["a", "b"], references=["x"])


@pytest.mark.parametrize(
    ("limits", "pools", "each_max", "each_keepalive"),
    [
        (httpx.Limits(max_connections=4, max_keepalive_connections=2), 1, 4, 2),
        (httpx.Limits(max_connections=64, max_keepalive_connections=64), 8, 8, 8),
        (httpx.Limits(max_connections=256, max_keepalive_connections=32), 32, 8, 1),
        (httpx.Limits(max_connections=20, max_keepalive_connections=None), 3, 8, None),
        (httpx.Limits(max_connections=None), 1, None, None),
    ],
)
def test_connection_limits_yield_small_pools_that_add_up(
    limits: httpx.Limits, pools: int, each_max: int | None, each_keepalive: int | None
) -> None:
    from grpo._base import pool_limits

    n, each = pool_limits(limits)
    assert (n, each.max_connections, each.max_keepalive_connections) == (pools, each_max, each_keepalive)
