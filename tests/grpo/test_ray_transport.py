"""grpo.ray: the grpo clients over a Serve deployment handle (a fake handle here; the real one
is exercised by tests/integration/test_ray.py)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest

from grpo import RetryPolicy, RewardServiceError
from grpo.ray import async_serve_client, serve_client
from grpo.wire import ScoreRequest
from tests.grpo.fakes import fake_score

NO_WAIT = RetryPolicy(attempts=3, base_backoff_s=0.0, max_backoff_s=0.0, max_retry_after_s=0.0)


class Done:
    """What ``handle.call.remote(...)`` returns: ``.result()`` when blocking, awaitable in asyncio."""

    def __init__(self, outcome: Any) -> None:
        self.outcome = outcome

    def result(self) -> Any:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome

    def __await__(self) -> Any:
        return asyncio.sleep(0, self.result()).__await__()


class FakeHandle:
    """A deployment handle whose ``call`` answers with each of ``failures`` first, then with fake_score."""

    def __init__(self, *failures: Any) -> None:
        self.failures = list(failures)
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self.call = self

    def remote(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Done:
        self.calls.append((method, path, headers))
        if self.failures:
            return Done(self.failures.pop(0))
        response = fake_score(ScoreRequest.model_validate_json(body))
        return Done((200, {"content-type": "application/json"}, response.model_dump_json().encode()))


def actor_died() -> BaseException:
    exceptions = pytest.importorskip("ray.exceptions")
    return exceptions.ActorDiedError()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("failures", "rewards"),
    [
        ((), [3.0, 5.0]),
        (((503, {"retry-after": "0"}, b'{"error": "shutting down"}'),), [3.0, 5.0]),
        (((429, {"retry-after": "0"}, b'{"error": "busy"}'),), [3.0, 5.0]),
    ],
    ids=["plain", "503-retried", "429-retried"],
)
def test_sync_client_over_handle_yields_the_service_rewards(failures: tuple[Any, ...], rewards: list[float]) -> None:
    handle = FakeHandle(*failures)
    with serve_client(handle, retry=NO_WAIT) as client:
        assert client.score_texts(["abc", "abcde"]) == rewards
    assert {(m, p) for m, p, _ in handle.calls} == {("POST", "/v1/score")}


def test_async_client_over_handle_yields_the_service_rewards() -> None:
    async def run() -> list[float | None]:
        async with async_serve_client(FakeHandle(), retry=NO_WAIT) as client:
            return await client.score_texts(["abc", "abcde", "x"])

    assert asyncio.run(run()) == [3.0, 5.0, 1.0]


def test_replica_died_mid_call_yields_a_retry_on_the_handle() -> None:
    handle = FakeHandle(actor_died())
    with serve_client(handle, retry=NO_WAIT) as client:
        assert client.score_texts(["abcd"]) == [4.0]
    assert len(handle.calls) == 2


def test_rejected_request_yields_the_service_error() -> None:
    handle = FakeHandle((422, {"content-type": "application/json"}, b'{"error": "bad request", "detail": "x"}'))
    with serve_client(handle, retry=NO_WAIT) as client, pytest.raises(RewardServiceError) as caught:
        client.score_texts(["abc"])
    assert caught.value.status_code == 422
    assert len(handle.calls) == 1


def test_api_key_yields_an_authorization_header_on_the_handle_call() -> None:
    handle = FakeHandle()
    with serve_client(handle, api_key="k1", retry=NO_WAIT) as client:
        client.score_texts(["a"])
    assert handle.calls[0][2]["authorization"] == "Bearer k1"


def test_importing_grpo_ray_yields_no_ray_import() -> None:
    code = "import grpo, grpo.ray, sys; print(json.dumps('ray' in sys.modules))"
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) is False
