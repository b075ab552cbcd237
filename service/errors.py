"""HTTP error bodies: a message that says what to fix, never a traceback or an internal path."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.dispatch import RequestError

log = logging.getLogger("rlvr.service")
MAX_ERRORS_SHOWN = 20
BODY_PARSE_ERROR = "There was an error parsing the body"


class SafeJSONResponse(JSONResponse):
    """A JSON body in ASCII: a message quoting the client's text (a lone surrogate too) can always be sent."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def install_error_handlers(app: FastAPI) -> None:
    """Map every failure to a JSON ``{"error": ..., "detail": ...}`` body."""
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestError, _request_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected_error)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "body") or "body"


async def _validation_error(request: Request, exc: RequestValidationError) -> SafeJSONResponse:
    errors = exc.errors()
    detail = [
        {"loc": _where(tuple(e.get("loc", ()))), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors[:MAX_ERRORS_SHOWN]
    ]
    first = detail[0] if detail else {"loc": "body", "msg": "invalid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return SafeJSONResponse(
        status_code=422, content={"error": f"invalid request: {first['loc']}: {first['msg']}{more}", "detail": detail}
    )


async def _request_error(request: Request, exc: RequestError) -> JSONResponse:
    return SafeJSONResponse(status_code=422, content={"error": str(exc), "detail": None})


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if exc.status_code == 400 and exc.detail == BODY_PARSE_ERROR:  # FastAPI's word for a body that is not UTF-8
        return SafeJSONResponse(
            status_code=422,
            content={"error": "invalid request: the body is not valid JSON text (UTF-8)", "detail": None},
        )
    return SafeJSONResponse(
        status_code=exc.status_code,
        content={"error": str(exc.detail), "detail": None},
        headers=getattr(exc, "headers", None),
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return SafeJSONResponse(
        status_code=500, content={"error": "internal error; the service log has the details", "detail": None}
    )
