"""Serve proxy middleware: a request whose replica was lost answers 503 + Retry-After, not 500.

When a replica dies mid-request, Serve's HTTP proxy answers a bare 500, which clients rightly
do not retry. rlvr's app always answers, errors included, so a request that ends with no
response at all was lost with its replica: scoring is idempotent, so say "retry" (503), and
the grpo client resends it, to another replica. Install it on every node that runs a proxy:

    RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH=service.ray.proxy:middlewares ray start ...
"""

from __future__ import annotations

import json
import logging

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.admission import RETRY_AFTER_S

log = logging.getLogger("rlvr.ray_proxy")
LOST = {"error": "replica lost", "detail": "the replica scoring this request stopped; retry (another replica answers)"}


class LostReplicaIsRetryable:
    """Pure ASGI middleware: no response from the app becomes a 503 with Retry-After."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if started:
                raise
            log.warning("request lost without a response; answering 503", exc_info=True)
        if not started:
            body = json.dumps(LOST).encode()
            headers = [
                (b"content-type", b"application/json"),
                (b"retry-after", str(RETRY_AFTER_S).encode()),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})


def middlewares() -> list[Middleware]:
    """The proxy callback (RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH)."""
    return [Middleware(LostReplicaIsRetryable)]
