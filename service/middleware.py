"""ASGI middleware: request ids, access logs and metrics; the request body size limit."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.logs import request_id
from service.metrics import Metrics

access_log = logging.getLogger("rlvr.access")
REQUEST_ID_HEADER = b"x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContext:
    """Takes or makes an X-Request-ID, returns it, logs one JSON line and counts each request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"").decode("latin-1")
        rid = offered if _SAFE_ID.match(offered) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        status = [500]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(scope)
            self.metrics.requests.labels(route, scope["method"], str(status[0])).inc()
            self.metrics.request_seconds.labels(route).observe(elapsed)
            access_log.info(
                "%s %s %d",
                scope["method"],
                scope["path"],
                status[0],
                extra={"status": status[0], "seconds": round(elapsed, 4), "route": route},
            )
            request_id.reset(token)


def _route_of(scope: Scope) -> str:
    """The matched route's template, so that metrics do not get a label per URL."""
    route: Any = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


class BodyLimit:
    """413 for request bodies over ``max_bytes``, by Content-Length or by counting the stream."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _too_large(send, self.max_bytes)
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, _too_large_text(self.max_bytes))
            return message

        await self.app(scope, counting_receive, send)


def _too_large_text(max_bytes: int) -> str:
    return f"request body over the {max_bytes:,}-byte limit: split the batch into smaller requests"


async def _too_large(send: Send, max_bytes: int) -> None:
    body = json.dumps({"error": _too_large_text(max_bytes), "detail": None}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
