"""Text a response can carry: find lone surrogates in a request before it is scored.

JSON may spell a lone UTF-16 surrogate (``"\\ud800"``); Python decodes it into a str that
is not Unicode text and that no UTF-8 encoder accepts, so an id echoed back, a completion
written to a sandbox file or an expected output sent as stdin would fail deep inside
trusted code. The request is refused at the edge instead (422 naming the field).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate_at(value: Any, root: str = "body") -> str | None:
    """Where in ``value`` (a pydantic model or parsed JSON) a str or key holds a lone surrogate, else None."""
    stack: list[tuple[str, Any]] = [(root, value)]
    while stack:
        path, v = stack.pop()
        if isinstance(v, str):
            if _has_surrogate(v):
                return path
        elif isinstance(v, BaseModel):
            stack += [(f"{path}.{k}", x) for k, x in v.__dict__.items()]
        elif isinstance(v, dict):
            for k, x in v.items():
                if isinstance(k, str) and _has_surrogate(k):
                    return f"{path}.{printable(k)}"
                stack.append((f"{path}.{k}", x))
        elif isinstance(v, (list, tuple)):
            stack += [(f"{path}.{n}", x) for n, x in enumerate(v)]
    return None


def printable(text: str) -> str:
    """``text`` with any lone surrogate spelled as its escape, so that it can be encoded in a message."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8") if _has_surrogate(text) else text


def _has_surrogate(text: str) -> bool:
    return not text.isascii() and _SURROGATE.search(text) is not None
