"""Who scores for the CLI: this process (as the service would) or a running service over HTTP.

Both are async so a batch can go out as several concurrent requests and the progress bar
moves as each comes back. A runner that cannot go on prints why and exits (typer.Exit).
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Protocol

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from grpo.wire import ScoreRequest, ScoreResponse
from rewards import Registry
from service.cli.output import err
from service.settings import Settings

if TYPE_CHECKING:
    import httpx

    from service.dispatch import Scorer

API_KEY_ENV = "RLVR_API_KEY"
HTTP_TIMEOUT_S = 600.0
RETRYABLE = frozenset({408, 429})  # the service is busy or slow, not refusing the input


def stop(runner: object, message: str, code: int) -> None:
    """Print why ``runner`` cannot go on (once, however many of its requests fail at once) and exit ``code``."""
    if not getattr(runner, "stopped", False):
        runner.stopped = True  # type: ignore[attr-defined]
        err.print(message, style="red", markup=False, highlight=False)
    raise typer.Exit(code)


class Runner(Protocol):
    """Scores one request (runners come from :func:`runner_for`, which also closes them)."""

    async def score(self, request: ScoreRequest) -> ScoreResponse: ...


def load_settings(**overrides: Any) -> Settings:
    """Settings from the RLVR_ environment plus ``overrides``, or a message and exit 2."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"RLVR_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors(include_url=False)
        )
    except SettingsError as exc:  # a list or dict setting that is not JSON
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"RLVR_{field.group(1).upper()}" if field else "a setting"
        problems = f"{name} must be JSON, like RLVR_PLUGIN_MODULES='[\"my_plugin\"]': {exc.__cause__ or exc}"
    err.print(f"invalid settings: {problems}", style="red", markup=False, highlight=False)
    raise typer.Exit(2) from None


class LocalRunner:
    """Scores in this process exactly as the service does: its scorer and its configured sandbox backend."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer
        self.stopped = False

    @property
    def registry(self) -> Registry:
        """The verifiers this process loaded (plugins included)."""
        return self.scorer.registry

    async def score(self, request: ScoreRequest) -> ScoreResponse:
        from service.dispatch import RequestError

        try:
            response: ScoreResponse = await self.scorer.score(request)
        except RequestError as exc:
            stop(self, str(exc), 2)
        return response


@asynccontextmanager
async def local_runner(settings: Settings) -> AsyncIterator[LocalRunner]:
    """A LocalRunner for the block: logging, scorer and sandbox backend set up as the service's start-up does."""
    from service.app import build_scorer
    from service.backends import sandbox_in_use
    from service.logs import configure_logging

    fmt = settings.log_format if "log_format" in settings.model_fields_set else "text"  # stderr a person reads
    configure_logging(settings.log_level, fmt)
    with sandbox_in_use(settings) as sandbox:
        if sandbox.backend is None:
            err.print(f"warning: {sandbox.health()[1]}; code items will get sandbox_error", markup=False)
        scorer = build_scorer(settings)
        try:
            yield LocalRunner(scorer)
        finally:
            scorer.close()


class HttpRunner:
    """Scores against a running service, with the API key from ``RLVR_API_KEY`` when set."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self.stopped = False

    async def score(self, request: ScoreRequest) -> ScoreResponse:
        return ScoreResponse.model_validate_json(await self.post(request))

    async def post(self, request: ScoreRequest, **params: str) -> bytes:
        """The body of POST /v1/score, or a message and exit: 2 when it refuses the input (4xx), else 1."""
        import httpx

        try:
            body = request.model_dump_json(exclude_none=True)
            response = await self._client.post("/v1/score", params=params, content=body)
        except httpx.HTTPError as exc:
            stop(self, f"cannot reach {self._client.base_url}: {exc or type(exc).__name__}", 1)
        if response.status_code != 200:
            refused = 400 <= response.status_code < 500 and response.status_code not in RETRYABLE
            stop(self, f"{response.status_code} from the service: {_error_of(response)}", 2 if refused else 1)
        return response.content


def _error_of(response: httpx.Response) -> str:
    """The service's ``error`` message when it sent one, else the start of the body."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    return str(error) if error else response.text[:500]


@asynccontextmanager
async def http_runner(url: str) -> AsyncIterator[HttpRunner]:
    """An HttpRunner for the block, on one connection pool to ``url``."""
    import httpx

    key = os.environ.get(API_KEY_ENV)
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {key}"} if key else {})}
    async with httpx.AsyncClient(base_url=url.rstrip("/"), timeout=HTTP_TIMEOUT_S, headers=headers) as client:
        yield HttpRunner(client)


@asynccontextmanager
async def runner_for(url: str | None) -> AsyncIterator[Runner]:
    """The HTTP runner when ``url`` is given, else the in-process one on the RLVR_* settings."""
    if url:
        async with http_runner(url) as remote:
            yield remote
    else:
        async with local_runner(load_settings()) as local:
            yield local
