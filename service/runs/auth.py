"""Who may run code, and who the caller is for fair sharing of run slots.

With API keys configured (``RLVR_API_KEYS``), a run request must carry one, in any of the
three ways the clients can send it:

- ``Authorization: Bearer <key>``: any HTTP client that can set a header;
- ``?api_key=<key>``: veRL, whose reward code and tools post to a full ``.../run_code`` URL;
- HTTP Basic with the key as password (or as user name with an empty password): the
  ``sandbox-fusion`` package, which cannot set headers and appends ``/run_code`` to its
  endpoint, so a query string cannot work; its ``requests``/``aiohttp`` send the user info of
  an endpoint such as ``http://rlvr:<key>@host:8000`` as Basic auth.

The caller is named by the key it used (a digest, never the key), or by its address
when the service has no keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request

HOW = (
    "send 'Authorization: Bearer <key>', append '?api_key=<key>' to the URL, "
    "or put the key in the endpoint's user info (http://rlvr:<key>@host:port) for the sandbox-fusion client"
)


def offered_key(request: Request) -> bytes | None:
    """The key the request carries (Bearer, Basic or ``?api_key=``), None if it carries none."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip().encode()
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value.strip(), validate=True).partition(b":")
        except (binascii.Error, ValueError):
            raise HTTPException(401, f"malformed Basic credentials: {HOW}") from None
        return password or user or None
    query = request.query_params.get("api_key")
    return query.encode() if query else None


def run_caller(request: Request) -> str:
    """Check the request's key (401 if keys are configured and it has no valid one); name the caller."""
    keys: list[bytes] = request.app.state.api_keys
    if not keys:
        return "addr:" + (request.client.host if request.client else "unknown")
    offered = offered_key(request)
    if offered is None:
        raise HTTPException(401, f"missing API key: {HOW}", headers={"WWW-Authenticate": "Bearer"})
    for key in keys:
        if hmac.compare_digest(offered, key):
            return "key:" + hashlib.sha256(key).hexdigest()[:16]
    raise HTTPException(401, "invalid API key", headers={"WWW-Authenticate": "Bearer"})


RunCaller = Annotated[str, Depends(run_caller)]
