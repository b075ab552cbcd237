"""HTTP error bodies: a message that says what to fix, never a traceback or an internal path."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.dispatch import RequestError
from service.text import printable

log = logging.getLogger("rlvr.service")
MAX_ERRORS_SHOWN = 20
SNIPPET_CHARS = 60
UNION_MISMATCH = {"dict_type", "list_type", "model_type", "model_attributes_type"}
SCALAR_BRANCHES = {"str", "int", "float", "bool", "none"}  # pydantic's tags of a scalar union's members
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


def error_path(loc: tuple[Any, ...]) -> str:
    """``items.0.rewards.format``: the path a client wrote, without pydantic's union-branch names."""
    return ".".join(printable(str(p)) for p in loc if p != "body" and not _is_branch(p)) or "body"


def _is_branch(part: Any) -> bool:
    """A union member's tag in a location (``dict[constrained-str,constrained-float]``), not a field or key."""
    return isinstance(part, str) and "[" in part and part.endswith("]")


async def _validation_error(request: Request, exc: RequestValidationError) -> SafeJSONResponse:
    errors = relevant_errors(exc.errors())
    if (whole := _body_problem(request, exc, errors)) is not None:
        return SafeJSONResponse(status_code=422, content={"error": f"invalid request: {whole}", "detail": None})
    detail = [
        {"loc": error_path(tuple(e.get("loc", ()))), "msg": error_message(e), "type": e.get("type", "")}
        for e in errors[:MAX_ERRORS_SHOWN]
    ]
    first = detail[0] if detail else {"loc": "body", "msg": "invalid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return SafeJSONResponse(
        status_code=422, content={"error": f"invalid request: {first['loc']}: {first['msg']}{more}", "detail": detail}
    )


def relevant_errors(errors: Sequence[Any]) -> list[Any]:
    """The errors without a union's other branch (a list was sent, so "should be a valid dictionary" is noise)."""
    errors = _scalar_unions_merged(errors)
    tagged = [e for e in errors if any(_is_branch(p) for p in e.get("loc", ()))]
    if len(tagged) < 2:
        return list(errors)
    mismatched = [e for e in tagged if e.get("type") in UNION_MISMATCH and _is_branch(e["loc"][-1])]
    kept = [e for e in errors if e not in mismatched]
    if kept:
        return kept
    # no branch fits at all: one error saying every shape it could have had
    return [{**mismatched[0], "msg": " or ".join(dict.fromkeys(str(e.get("msg", "")) for e in mismatched))}]


def _scalar_unions_merged(errors: Sequence[Any]) -> list[Any]:
    """``id.str: …string; id.int: …integer`` (a ``str | int`` field) as one error at ``id``: "…string or …integer"."""
    by_field: dict[tuple[Any, ...], list[Any]] = {}
    for e in errors:
        loc = tuple(e.get("loc", ()))
        if loc and loc[-1] in SCALAR_BRANCHES and str(e.get("type", "")).endswith("_type"):
            by_field.setdefault(loc[:-1], []).append(e)
    merged = {id(group[0]): group for group in by_field.values() if len(group) > 1}
    if not merged:
        return list(errors)
    dropped = {id(e) for group in merged.values() for e in group[1:]}
    out = []
    for e in errors:
        if id(e) in merged:
            group = merged[id(e)]
            out.append({**e, "loc": tuple(e["loc"])[:-1], "msg": " or ".join(str(g.get("msg", "")) for g in group)})
        elif id(e) not in dropped:
            out.append(e)
    return out


def error_message(error: Any) -> str:
    """Pydantic's message, plus the fix when a number came as a string ("0.5" → 0.5)."""
    msg = str(error.get("msg", ""))
    value = error.get("input")
    if error.get("type") in ("float_type", "int_type") and isinstance(value, str):
        try:
            float(value)
        except ValueError:
            return f"{msg}, got the string {json.dumps(value[:40])}"
        return f"{msg}, got the string {json.dumps(value[:40])}: send it as a JSON number, without quotes"
    return msg


def _body_problem(request: Request, exc: RequestValidationError, errors: Sequence[Any]) -> str | None:
    """What is wrong with the body as a whole (not JSON, not sent as JSON, empty), or None."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return _json_problem(exc.body)
    body_level = [e for e in errors if tuple(e.get("loc", ())) == ("body",)]
    if not body_level:
        return None
    content_type = request.headers.get("content-type")
    if isinstance(exc.body, bytes | bytearray) or (content_type and "json" not in content_type.lower()):
        got = f"Content-Type {content_type!r}" if content_type else "no Content-Type header"
        return f"the body must be JSON sent with the header Content-Type: application/json; got {got}"
    if body_level[0].get("type") == "missing":
        return 'the body is empty: send a JSON object such as {"items": [{"completion": "..."}], "rewards": {...}}'
    return None


def _json_problem(body: Any) -> str:
    """Where and why ``body`` is not JSON: line, column, the reason and the line itself with a caret."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else str(body)
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        line = text.splitlines()[e.lineno - 1] if text.splitlines() else ""
        start = max(0, e.colno - 1 - SNIPPET_CHARS // 2)
        snippet = line[start : start + SNIPPET_CHARS]
        caret = " " * (e.colno - 1 - start) + "^"
        return f"the body is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}:\n{snippet}\n{caret}"
    return "the body is not valid JSON"


async def _request_error(request: Request, exc: RequestError) -> JSONResponse:
    return SafeJSONResponse(status_code=422, content={"error": str(exc), "detail": exc.detail})


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
