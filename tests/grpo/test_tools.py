"""grpo's code tools (grpo.tools) against a real rlvr server: programs, batches, sessions, sync and async, errors."""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from grpo import AsyncToolClient, RetryPolicy, RewardServiceError, ServiceUnavailableError, SessionGoneError, ToolClient
from grpo.tools import program
from tests.server import free_port, run_server, server_process

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

KEY = "tools-test-key"
FAST_RETRY = RetryPolicy(attempts=3, base_backoff_s=0.05, max_backoff_s=0.1)

# code, language, fields, status, return code, stdout
PROGRAMS: list[tuple[str, str, dict[str, Any], str, int | None, str]] = [
    ("print(int(input()) * 2)", "python", {"stdin": "21"}, "Success", 0, "42\n"),
    ("import sys; print('x'); sys.exit(3)", "python", {}, "Failed", 3, "x\n"),
    ("print(open('in.txt').read())", "python", {"files": {"in.txt": b"up"}}, "Success", 0, "up\n"),
    ('#include <cstdio>\nint main(){puts("c");}', "cpp", {}, "Success", 0, "c\n"),
    ("while True: pass", "python", {"run_timeout": 0.5}, "Failed", None, ""),
]
# one session, in order: code, status, result, state
CELLS: list[tuple[str, str, str | None, str]] = [
    ("import math\nx = 41\nopen('n.txt', 'w').write(open('seed.txt').read())", "ok", "4", "updated"),
    ("x + 1, math.floor(2.5), open('n.txt').read()", "ok", "(42, 2, 'seed')", "updated"),
    ("x = 0\n1 / 0", "error", None, "updated"),
    ("x = 99\nwhile True: pass", "timeout", None, "unchanged"),
    ("x", "ok", "0", "updated"),
]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with run_server(env={"RLVR_WORKERS": "1", "RLVR_RUN_MAX_CONCURRENCY": "2", "RLVR_RUN_MAX_TIMEOUT_S": "2"}) as base:
        yield base


@pytest.fixture(scope="module")
def keyed_url() -> Iterator[str]:
    env = {"RLVR_WORKERS": "1", "RLVR_API_KEYS": f'["{KEY}"]', "RLVR_RUN_MAX_SESSIONS_PER_CALLER": "1"}
    with run_server(env=env) as base:
        yield base


def _seen(run: Any) -> tuple[str, int | None, str]:
    return run.status, run.run_result.return_code, run.run_result.stdout


@pytest.mark.parametrize(("code", "language", "fields", "status", "code_", "stdout"), PROGRAMS)
def test_program_yields_sandbox_fusion_outcome(
    url: str, code: str, language: str, fields: dict[str, Any], status: str, code_: int | None, stdout: str
) -> None:
    with ToolClient(url) as tools:
        assert _seen(tools.run(code, language, **fields)) == (status, code_, stdout)


def test_batch_yields_results_in_order_with_ids(url: str) -> None:
    programs = [program(code, language, id=n, **fields) for n, (code, language, fields, *_) in enumerate(PROGRAMS)]
    with ToolClient(url) as tools:
        results = tools.run_batch(programs)
    assert [r.id for r in results] == list(range(len(PROGRAMS)))
    assert [(r.status, r.run_result.return_code, r.run_result.stdout) for r in results] == [
        (status, rc, out) for *_, status, rc, out in PROGRAMS
    ]


def test_session_cells_yield_state_carried(url: str) -> None:
    with ToolClient(url) as tools, tools.session(files={"seed.txt": b"seed"}) as py:
        seen = [(code, *_cell(py.exec(code, timeout=1))) for code, *_ in CELLS]
    assert seen == CELLS


def test_async_session_cells_yield_state_carried(url: str) -> None:
    async def scenario() -> list[tuple[str, str, str | None, str]]:
        async with AsyncToolClient(url) as tools, await tools.session(files={"seed.txt": b"seed"}) as py:
            return [(code, *_cell(await py.exec(code, timeout=1))) for code, *_ in CELLS]

    assert asyncio.run(scenario()) == CELLS


def test_async_sessions_side_by_side_yield_their_own_state(url: str) -> None:
    async def one(tools: AsyncToolClient, n: int) -> str | None:
        async with await tools.session() as py:
            await py.exec(f"x = {n}")
            return (await py.exec("x * 10")).result

    async def scenario() -> list[str | None]:
        async with AsyncToolClient(url) as tools:
            return list(await asyncio.gather(*(one(tools, n) for n in range(4))))

    assert asyncio.run(scenario()) == ["0", "10", "20", "30"]


def _cell(cell: Any) -> tuple[str, str | None, str]:
    return cell.status, cell.result, cell.state


@pytest.mark.parametrize(
    ("action", "error", "says"),
    [
        ("exec_after_close", SessionGoneError, "no such session"),
        ("unknown_language", RewardServiceError, "php"),
        ("second_session_over_cap", RewardServiceError, "sessions open for this caller"),
        ("no_key", RewardServiceError, "missing API key"),
    ],
)
def test_misuse_yields_error_saying_what(keyed_url: str, action: str, error: type[Exception], says: str) -> None:
    with ToolClient(keyed_url, api_key=KEY, retry=FAST_RETRY) as tools, pytest.raises(error, match=says) as raised:
        if action == "exec_after_close":
            py = tools.session()
            py.close()
            py.exec("1")
        elif action == "unknown_language":
            tools.run("<?php echo 1;", "php")
        elif action == "second_session_over_cap":
            with tools.session():
                tools.session()
        else:
            with ToolClient(keyed_url, retry=FAST_RETRY) as bare:
                bare.run("1")
    if isinstance(raised.value, RewardServiceError):
        assert raised.value.status_code in (401, 404, 422, 429)


class Counting(httpx.HTTPTransport):
    """A real transport that counts the requests it was asked to send."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        return super().handle_request(request)


@pytest.mark.parametrize(
    ("call", "sent", "says"),
    [
        ("run", 3, "no answer after 3 attempts"),  # a program in a fresh sandbox: resent
        ("exec", 1, "not resent: the cell may have run"),  # a cell is not idempotent: never resent once sent
    ],
)
def test_service_lost_mid_call_yields_resend_only_if_idempotent(call: str, sent: int, says: str) -> None:
    with server_process(env={"RLVR_WORKERS": "1"}) as (base, proc):
        transport = Counting()
        with ToolClient(base, retry=FAST_RETRY, transport=transport) as tools:
            py = tools.session()
            transport.sent = 0
            threading.Timer(1.0, proc.send_signal, (signal.SIGKILL,)).start()
            slow = "import time\ntime.sleep(5)"
            with pytest.raises(ServiceUnavailableError, match=says):
                tools.run(slow) if call == "run" else py.exec(slow)
    assert transport.sent == sent


def test_nothing_listening_yields_unavailable_after_the_retry_policy() -> None:
    started = time.monotonic()
    with (
        ToolClient(f"http://127.0.0.1:{free_port()}", retry=FAST_RETRY) as tools,
        pytest.raises(ServiceUnavailableError, match="ConnectError"),
    ):
        tools.run("print(1)")
    assert time.monotonic() - started < 5
