"""Code tools for multi-turn rollouts: run a program, or a cell of a Python session, in rlvr's sandbox.

A rollout loop that lets the model call a code interpreter gives each trajectory a
session (state carried between its cells) or runs one-off programs:

>>> with ToolClient("http://127.0.0.1:8000") as tools, tools.session() as py:  # doctest: +SKIP
...     py.exec("x = 41").status, py.exec("x + 1").result
('ok', '42')

:class:`AsyncToolClient` is the same for asyncio engines (veRL's agent loop, vLLM servers).
Retries follow :class:`~grpo.RetryPolicy` on the same "try again later" answers as scoring
(connection refused, 503, and the run API's 504 "busy"), except that a cell is never
resent once it may have reached the service: it is not idempotent (``x += 1``). Errors
are the client's (:mod:`grpo.errors`); a session the service no longer has raises
:class:`SessionGoneError`, so a loop can open a new one.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from grpo._base import DEFAULT_CONNECT_TIMEOUT_S, DEFAULT_URL, Attempt, describe, error_from, shared_ssl_context
from grpo._retry import DEFAULT_RETRY, RETRY_EXCEPTIONS, RetryPolicy, retry_after_s
from grpo.errors import ProtocolError, RewardServiceError, ServiceTimeoutError, ServiceUnavailableError
from grpo.run_wire import CellResponse, RunBatchResponse, RunBatchResult, RunCodeResponse, SessionCreated

__all__ = ["AsyncSession", "AsyncToolClient", "Session", "SessionGoneError", "ToolClient", "program"]

# a cell or program runs for up to the service's ceiling (60 s) after waiting its turn in the queue
DEFAULT_TOOL_TIMEOUT = httpx.Timeout(400.0, connect=DEFAULT_CONNECT_TIMEOUT_S)
TOOL_RETRY_STATUSES = frozenset({503, 504})
"""Unavailable and busy (the run queue's deadline): the request did not run. A 429 (the cap on a caller's
sessions) is raised at once: only ending a session helps."""
M = TypeVar("M", bound=BaseModel)
NOT_SENT: tuple[type[Exception], ...] = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures after which the request surely never reached the service: the only ones a cell is resent after."""


class SessionGoneError(RewardServiceError):
    """The service has no such session: deleted, idle past its TTL, someone else's, or the service restarted."""


def program(
    code: str,
    language: str = "python",
    *,
    stdin: str | None = None,
    run_timeout: float = 10.0,
    memory_limit_mb: int | None = None,
    files: Mapping[str, bytes] | None = None,
    fetch_files: Sequence[str] = (),
    id: str | int | None = None,
) -> dict[str, Any]:
    """One program as the run API takes it (``/run_code``'s fields); ``files`` are raw bytes, sent base64."""
    body: dict[str, Any] = {"code": code, "language": language, "run_timeout": run_timeout, "stdin": stdin}
    if memory_limit_mb is not None:
        body["memory_limit_MB"] = memory_limit_mb
    if files:
        body["files"] = {name: base64.b64encode(data).decode() for name, data in files.items()}
    if fetch_files:
        body["fetch_files"] = list(fetch_files)
    if id is not None:
        body["id"] = id
    return body


@dataclass(frozen=True)
class _Call:
    """One request of the run API: what to send, the status that means success, and whether it may be resent."""

    method: str
    path: str
    body: dict[str, Any] | None
    ok: int
    idempotent: bool


def _run_call(body: dict[str, Any]) -> _Call:
    return _Call("POST", "/run_code", body, 200, True)


def _batch_call(programs: Sequence[Mapping[str, Any]]) -> _Call:
    return _Call("POST", "/v1/run", {"runs": [dict(p) for p in programs]}, 200, True)


def _open_call(memory_limit_mb: int | None, files: Mapping[str, bytes] | None) -> _Call:
    encoded = {name: base64.b64encode(data).decode() for name, data in (files or {}).items()}
    return _Call("POST", "/v1/sessions", {"memory_limit_MB": memory_limit_mb, "files": encoded}, 201, True)


def _exec_call(session_id: str, code: str, timeout: float) -> _Call:
    return _Call("POST", f"/v1/sessions/{session_id}/exec", {"code": code, "timeout": timeout}, 200, False)


def _close_call(session_id: str) -> _Call:
    return _Call("DELETE", f"/v1/sessions/{session_id}", None, 204, True)


class _Common:
    """Settings both clients share, the retry decision, and how answers become results or errors."""

    def __init__(self, url: str, api_key: str | None, headers: Mapping[str, str] | None, retry: RetryPolicy) -> None:
        self.url = url.rstrip("/")
        self.retry = retry
        self.headers = {**(headers or {})}
        if api_key:
            self.headers["authorization"] = f"Bearer {api_key}"

    def _resend(self, call: _Call, exc: Exception) -> bool:
        return isinstance(exc, RETRY_EXCEPTIONS if call.idempotent else NOT_SENT)

    def _wait(self, attempt: Attempt, retry_after: float | None) -> float | None:
        wait = self.retry.delay_s(attempt.made - 1, retry_after)
        return wait if self.retry.allows(attempt.made, attempt.spent_s(), wait) else None

    def _settle(
        self, call: _Call, attempt: Attempt, got: httpx.Response | httpx.TransportError
    ) -> httpx.Response | float:
        """One try's outcome: the response to return or the seconds to wait; raises when the call ends."""
        retry_after = None
        if isinstance(got, httpx.TimeoutException):
            if not self._resend(call, got):
                raise self._timed_out(call, got) from got
            attempt.failed(self.url, got)
        elif isinstance(got, httpx.TransportError):
            if not self._resend(call, got):
                raise self._lost(call, got) from got
            attempt.failed(self.url, got)
        else:
            if got.status_code == call.ok:
                return got
            if got.status_code not in TOOL_RETRY_STATUSES:
                raise self._error(call, got)
            attempt.failed(self.url, error_from(got))
            retry_after = retry_after_s(got)
        wait = self._wait(attempt, retry_after)
        if wait is None:
            raise self._unavailable(call, attempt)
        return wait

    def _unavailable(self, call: _Call, attempt: Attempt) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"{call.method} {self.url}{call.path}: no answer after {attempt.made} attempts in "
            f"{attempt.spent_s():.1f} s (retry window {self.retry.window_s:g} s); "
            f"last failure: {describe(attempt.last)}",
            attempt.last,
        )

    def _lost(self, call: _Call, exc: Exception) -> ServiceUnavailableError:
        return ServiceUnavailableError(
            f"{call.method} {self.url}{call.path}: {describe(exc)}; not resent: the cell may have run "
            "(its changes are kept only if it finished), check the session's state before running it again",
            exc,
        )

    def _timed_out(self, call: _Call, exc: httpx.TimeoutException) -> ServiceTimeoutError:
        return ServiceTimeoutError(
            f"{call.method} {self.url}{call.path} did not answer within the client's timeout: {describe(exc)}; "
            f"pass a longer timeout= to the tool client if programs run that long"
        )

    def _error(self, call: _Call, response: httpx.Response) -> RewardServiceError:
        error = error_from(response)
        if response.status_code == 404 and "/v1/sessions/" in call.path:
            return SessionGoneError(404, f"{call.path}: {error.message}", error.detail)
        return error


def _parse(model: type[M], response: httpx.Response) -> M:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise ProtocolError(f"{response.request.url}: the answer is not a {model.__name__}: {exc}") from None


class ToolClient(_Common):
    """Blocking tool client: programs, batches and sessions against one rlvr service."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TOOL_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(url, api_key, headers, retry)
        self._http = httpx.Client(timeout=timeout, transport=transport, verify=shared_ssl_context())

    def run(self, code: str, language: str = "python", **fields: Any) -> RunCodeResponse:
        """Run one program (``/run_code``); ``fields`` as :func:`program` takes them."""
        return _parse(RunCodeResponse, self._send(_run_call(program(code, language, **fields))))

    def run_batch(self, programs: Sequence[Mapping[str, Any]]) -> list[RunBatchResult]:
        """Run many programs (``/v1/run``, each made by :func:`program`); results in order."""
        return _parse(RunBatchResponse, self._send(_batch_call(programs))).results

    def session(self, *, memory_limit_mb: int | None = None, files: Mapping[str, bytes] | None = None) -> Session:
        """Open a Python session; use it as a context manager (or call ``close``) to end it."""
        created = _parse(SessionCreated, self._send(_open_call(memory_limit_mb, files)))
        return Session(self, created.id)

    def _send(self, call: _Call) -> httpx.Response:
        attempt = Attempt()
        while True:
            attempt.begin(self.url)
            try:
                response = self._http.request(call.method, self.url + call.path, json=call.body, headers=self.headers)
            except httpx.TransportError as exc:  # timeouts too
                outcome = self._settle(call, attempt, exc)
            else:
                outcome = self._settle(call, attempt, response)
            if isinstance(outcome, httpx.Response):
                return outcome
            time.sleep(outcome)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ToolClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Session:
    """A Python session: cells share variables, imports, definitions and files."""

    def __init__(self, client: ToolClient, session_id: str) -> None:
        self.client = client
        self.id = session_id

    def exec(self, code: str, *, timeout: float = 10.0) -> CellResponse:
        """Run one cell; its result says what it printed, returned and raised, and whether its state was kept."""
        return _parse(CellResponse, self.client._send(_exec_call(self.id, code, timeout)))

    def close(self) -> None:
        """End the session (one already gone is fine)."""
        with contextlib.suppress(SessionGoneError):
            self.client._send(_close_call(self.id))

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncToolClient(_Common):
    """asyncio tool client: programs, batches and sessions against one rlvr service."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TOOL_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(url, api_key, headers, retry)
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport, verify=shared_ssl_context())

    async def run(self, code: str, language: str = "python", **fields: Any) -> RunCodeResponse:
        """Run one program (``/run_code``); ``fields`` as :func:`program` takes them."""
        return _parse(RunCodeResponse, await self._send(_run_call(program(code, language, **fields))))

    async def run_batch(self, programs: Sequence[Mapping[str, Any]]) -> list[RunBatchResult]:
        """Run many programs (``/v1/run``, each made by :func:`program`); results in order."""
        return _parse(RunBatchResponse, await self._send(_batch_call(programs))).results

    async def session(
        self, *, memory_limit_mb: int | None = None, files: Mapping[str, bytes] | None = None
    ) -> AsyncSession:
        """Open a Python session; ``async with`` it (or await ``close``) to end it."""
        created = _parse(SessionCreated, await self._send(_open_call(memory_limit_mb, files)))
        return AsyncSession(self, created.id)

    async def _send(self, call: _Call) -> httpx.Response:
        attempt = Attempt()
        while True:
            attempt.begin(self.url)
            try:
                response = await self._http.request(
                    call.method, self.url + call.path, json=call.body, headers=self.headers
                )
            except httpx.TransportError as exc:  # timeouts too
                outcome = self._settle(call, attempt, exc)
            else:
                outcome = self._settle(call, attempt, response)
            if isinstance(outcome, httpx.Response):
                return outcome
            await asyncio.sleep(outcome)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncToolClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class AsyncSession:
    """A Python session for asyncio code: cells share variables, imports, definitions and files."""

    def __init__(self, client: AsyncToolClient, session_id: str) -> None:
        self.client = client
        self.id = session_id

    async def exec(self, code: str, *, timeout: float = 10.0) -> CellResponse:
        """Run one cell; its result says what it printed, returned and raised, and whether its state was kept."""
        return _parse(CellResponse, await self.client._send(_exec_call(self.id, code, timeout)))

    async def close(self) -> None:
        """End the session (one already gone is fine)."""
        with contextlib.suppress(SessionGoneError):
            await self.client._send(_close_call(self.id))

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
