"""The client through a service outage and at trainer scale: a restart is ridden through, a frozen
service and a dead one are errors that name the URL and the cause within the documented times, and
thousands of concurrent requests wait in the client, not in httpx's pool."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from grpo import AsyncRewardClient, RetryPolicy, RewardClient, ServiceTimeoutError, ServiceUnavailableError
from grpo._base import DEFAULT_TIMEOUT
from tests.grpo.fakes import score_handler
from tests.grpo.test_client import URL, failing_then_ok, sync_client
from tests.server import REPO, free_port, serving

DEFAULT = RetryPolicy()
GOOD = "<think>2 + 2 = 4</think>The answer is \\boxed{4}."


def test_default_policy_yields_a_window_of_30_to_60_seconds() -> None:
    assert 30.0 <= DEFAULT.window_s <= 60.0 and DEFAULT.attempts is None
    assert DEFAULT_TIMEOUT.read == 120.0 and DEFAULT_TIMEOUT.connect == 5.0  # docs/trainers.md says so


def test_persistent_refusal_yields_retries_for_the_whole_window_then_an_error_naming_url_and_cause() -> None:
    sleeps: list[float] = []
    seen: list[httpx.Request] = []
    client = sync_client(failing_then_ok([httpx.ConnectError] * 1000, seen), sleeps, retry=DEFAULT)
    with pytest.raises(ServiceUnavailableError) as info:
        client.score_texts(["abc"])
    assert DEFAULT.window_s - DEFAULT.max_backoff_s < sum(sleeps) <= DEFAULT.window_s
    assert max(sleeps) <= DEFAULT.max_backoff_s
    assert len(seen) == len(sleeps) + 1
    message = str(info.value)
    assert f"{URL}/v1/score" in message and "ConnectError: simulated" in message
    assert f"after {len(seen)} attempts" in message and "retry window 60 s" in message


@pytest.mark.parametrize(("window", "attempts"), [(0.0, None), (10.0, 2)], ids=["no-window", "attempt-cap"])
def test_window_or_attempt_cap_yields_the_end_of_retries(window: float, attempts: int | None) -> None:
    seen: list[httpx.Request] = []
    policy = RetryPolicy(window_s=window, attempts=attempts, base_backoff_s=0.1)
    client = sync_client(failing_then_ok([httpx.Response(503)] * 100, seen), [], retry=policy)
    with pytest.raises(ServiceUnavailableError, match="HTTP 503"):
        client.score_texts(["abc"])
    assert len(seen) == (attempts or 1)


@pytest.mark.parametrize(
    "policy", [{"window_s": -1.0}, {"window_s": float("inf")}, {"attempts": 0}, {"max_backoff_s": float("nan")}]
)
def test_unusable_retry_policy_yields_value_error(policy: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**policy)  # type: ignore[arg-type]


@pytest.fixture
def frozen_url() -> Iterator[str]:
    """A socket that listens and never answers: the kernel accepts the connection, nobody reads."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_frozen_service_yields_timeout_error_naming_url_after_the_read_timeout(frozen_url: str) -> None:
    started = time.monotonic()
    client = RewardClient(frozen_url, timeout=httpx.Timeout(1.0, connect=1.0))
    with client, pytest.raises(ServiceTimeoutError) as info:
        client.score_texts(["abc"], rewards={"format": 1.0})
    elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 10.0  # one attempt: a frozen service is not retried
    assert f"{frozen_url}/v1/score" in str(info.value) and "ReadTimeout" in str(info.value)


@pytest.mark.integration
@pytest.mark.slow
def test_service_restart_yields_scores_with_the_default_policy() -> None:
    """The service is down for a few seconds (a restart); a request sent meanwhile waits for it and scores."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "RLVR_WORKERS": "1", "RLVR_LOG_LEVEL": "warning"}
    with serving(cmd, f"{base}/readyz", env=env), RewardClient(base, rewards={"format": 1.0}) as client:
        assert client.score_texts([GOOD]) == [1.0]
    # down now: a request sent while it is down gets its answer once the service is back
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(_score_once(base)))
    worker.start()
    time.sleep(3.0)
    assert worker.is_alive(), "the client gave up while the service was down"
    with serving(cmd, f"{base}/readyz", env=env):
        worker.join(timeout=DEFAULT.window_s)
    assert result == [[1.0]]


def _score_once(base: str) -> object:
    try:
        with RewardClient(base, rewards={"format": 1.0}) as client:
            return client.score_texts([GOOD])
    except Exception as exc:  # surfaced by the assertion on the result
        return exc


def test_thousands_of_concurrent_requests_yield_at_most_one_per_connection_on_the_wire() -> None:
    """Regression: at 16,384 requests at once, httpx's pool failed those queued past its timeout (PoolTimeout)."""
    fake = score_handler()
    on_wire = 0
    most = 0

    async def handle(request: httpx.Request) -> httpx.Response:
        nonlocal on_wire, most
        on_wire += 1
        most = max(most, on_wire)
        await asyncio.sleep(0.001)
        on_wire -= 1
        return fake(request)

    async def run() -> list[list[float | None]]:
        limits = httpx.Limits(max_connections=4)
        # a pool timeout far below the run's length: a request waiting in httpx's pool would fail
        timeout = httpx.Timeout(10.0, pool=0.05)
        async with AsyncRewardClient(URL, limits=limits, timeout=timeout, transport=httpx.MockTransport(handle)) as c:
            return await asyncio.gather(*(c.score_texts(["x" * (i % 7)]) for i in range(600)))

    results = asyncio.run(run())
    assert results == [[float(i % 7)] for i in range(600)]
    assert most <= 4
