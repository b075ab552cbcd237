"""Score through a Ray Serve deployment handle instead of HTTP, for trainers already on Ray.

The transports plug into :class:`grpo.RewardClient` / :class:`grpo.AsyncRewardClient`
(``transport=``), so chunking, retries and ``None`` for unjudged items work as over HTTP;
each request runs through the replica's FastAPI app in process (``service/ray/app.py``).
A replica that died mid-call is a connection error to the client: retried, on another replica.
``ray`` is imported only when a handle is looked up, never by ``import grpo``.

>>> with serve_client(rewards={"math": 1.0}) as client:  # doctest: +SKIP
...     client.score_texts(["\\\\boxed{4}"], references=["4"])
[1.0]
"""

from __future__ import annotations

from typing import Any

import httpx

from grpo.client import AsyncRewardClient, RewardClient

__all__ = ["APP_NAME", "DEPLOYMENT_NAME", "AsyncServeTransport", "ServeTransport", "async_serve_client", "serve_client"]

APP_NAME = "rlvr"
DEPLOYMENT_NAME = "RLVR"
HANDLE_URL = "http://ray-serve-handle"


def deployment_handle(app_name: str = APP_NAME, deployment: str = DEPLOYMENT_NAME) -> Any:
    """The Serve handle of the rlvr deployment (needs ``ray.init`` or a Ray worker)."""
    from ray import serve

    return serve.get_deployment_handle(deployment, app_name=app_name)


def _as_call(request: httpx.Request, body: bytes) -> tuple[str, str, dict[str, str], bytes]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
    return request.method, request.url.raw_path.decode(), headers, body


def _response(result: tuple[int, dict[str, str], bytes], request: httpx.Request) -> httpx.Response:
    status, headers, body = result
    kept = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "content-encoding")}
    return httpx.Response(status, headers=kept, content=body, request=request)


def _lost_replica() -> tuple[type[BaseException], ...]:
    from ray.exceptions import ActorDiedError, ActorUnavailableError

    return ActorDiedError, ActorUnavailableError


class ServeTransport(httpx.BaseTransport):
    """Blocking httpx transport over ``handle.call``."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            result = self.handle.call.remote(*_as_call(request, request.read())).result()
        except _lost_replica() as exc:
            raise httpx.ReadError(f"rlvr replica lost: {exc}", request=request) from exc
        return _response(result, request)


class AsyncServeTransport(httpx.AsyncBaseTransport):
    """asyncio httpx transport over ``handle.call``."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            result = await self.handle.call.remote(*_as_call(request, await request.aread()))
        except _lost_replica() as exc:
            raise httpx.ReadError(f"rlvr replica lost: {exc}", request=request) from exc
        return _response(result, request)


def serve_client(handle: Any = None, **options: Any) -> RewardClient:
    """A RewardClient over the Serve handle (default: the ``rlvr`` app's); ``options`` as for RewardClient."""
    transport = ServeTransport(handle if handle is not None else deployment_handle())
    return RewardClient(HANDLE_URL, transport=transport, **options)


def async_serve_client(handle: Any = None, **options: Any) -> AsyncRewardClient:
    """An AsyncRewardClient over the Serve handle; ``options`` as for AsyncRewardClient."""
    transport = AsyncServeTransport(handle if handle is not None else deployment_handle())
    return AsyncRewardClient(HANDLE_URL, transport=transport, **options)
