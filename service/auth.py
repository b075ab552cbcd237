"""Bearer-token API keys for the /v1 and trainer-facing routes."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

BEARER = "bearer "


def require_api_key(request: Request) -> None:
    """Pass when no keys are configured or the request carries one of them; else 401."""
    _check(request, query_key=None)


def require_api_key_or_query(request: Request) -> None:
    """Like require_api_key, also taking ``?api_key=`` for trainers that cannot set headers (OpenRLHF)."""
    _check(request, query_key=request.query_params.get("api_key"))


def _check(request: Request, query_key: str | None) -> None:
    keys: list[bytes] = request.app.state.api_keys
    if not keys:
        return
    header = request.headers.get("authorization", "")
    if query_key is not None and not header:
        header = BEARER + query_key
    if not header.lower().startswith(BEARER):
        raise HTTPException(
            401,
            "missing API key: send the header 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    offered = header[len(BEARER) :].strip().encode()
    matched = [n for n, key in enumerate(keys) if hmac.compare_digest(offered, key)]
    if not matched:
        raise HTTPException(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})
    request.state.tenant = ("key", matched[0])  # whom the sandbox is shared out to (service.fair)


ApiKey = Annotated[None, Depends(require_api_key)]
QueryApiKey = Annotated[None, Depends(require_api_key_or_query)]
