"""service.ray.proxy: in Serve's proxy, a request that got no response (its replica died) is a 503 to retry."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from service.admission import RETRY_AFTER_S
from service.ray.proxy import LostReplicaIsRetryable, middlewares


async def silent(scope: Any, receive: Any, send: Any) -> None:
    """What Serve's proxy app does when the replica died: returns without a response."""


async def raises_before_response(scope: Any, receive: Any, send: Any) -> None:
    raise RuntimeError("actor died")


async def answers_500(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 500, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"error": "internal"}'})


async def answers_200(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def call(app: Any, scope_type: str = "http") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    asyncio.run(LostReplicaIsRetryable(app)({"type": scope_type}, receive, send))
    return sent


@pytest.mark.parametrize("app", [silent, raises_before_response], ids=["no-response", "raised-before-response"])
def test_lost_request_yields_503_with_retry_after(app: Any) -> None:
    start, body = call(app)
    headers = dict(start["headers"])
    assert start["status"] == 503
    assert headers[b"retry-after"] == str(RETRY_AFTER_S).encode()
    assert json.loads(body["body"])["error"] == "replica lost"


@pytest.mark.parametrize(("app", "status"), [(answers_500, 500), (answers_200, 200)], ids=["app-500", "app-200"])
def test_answered_request_yields_the_app_response_unchanged(app: Any, status: int) -> None:
    assert [m.get("status") for m in call(app)] == [status, None]


def test_non_http_scope_yields_no_rewrite() -> None:
    assert call(silent, scope_type="websocket") == []


def test_proxy_callback_yields_the_middleware() -> None:
    assert [m.cls for m in middlewares()] == [LostReplicaIsRetryable]
