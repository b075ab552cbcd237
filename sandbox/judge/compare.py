"""Compare a program's output with the expected one, outside the sandbox.

``tokens`` (default): whitespace-separated tokens equal; ``lines``: lines equal up to
trailing whitespace and trailing blank lines; ``float``: tokens equal, numbers within
``abs_eps`` or ``rel_eps``. Case-insensitive only when asked. Call-based results are
compared as JSON values with exact kinds (``True`` is not ``1``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Mode = Literal["tokens", "lines", "float"]


@dataclass(frozen=True)
class Comparison:
    """How to compare outputs; the mismatch message shows the first differing piece."""

    mode: Mode = "tokens"
    abs_eps: float = 1e-6
    rel_eps: float = 1e-6
    case_insensitive: bool = False


DEFAULT_COMPARISON = Comparison()


def compare_text(expected: str, actual: str, how: Comparison = DEFAULT_COMPARISON) -> str | None:
    """None when ``actual`` matches ``expected``, else a short "expected X, got Y" message."""
    if how.case_insensitive:
        expected, actual = expected.lower(), actual.lower()
    if how.mode == "lines":
        exp, act = _lines(expected), _lines(actual)
        what = "line"
    else:
        exp, act = expected.split(), actual.split()
        what = "token"
    for n, (e, a) in enumerate(zip(exp, act, strict=False), 1):
        if e != a and not (how.mode == "float" and _close(e, a, how)):
            return f"expected {_short(e)}, got {_short(a)}" + (f" at {what} {n}" if n > 1 else "")
    if len(exp) != len(act):
        if len(act) < len(exp):
            return f"expected {_short(exp[len(act)])}, got end of output at {what} {len(act) + 1}"
        return f"expected end of output, got {_short(act[len(exp)])} at {what} {len(exp) + 1}"
    return None


def compare_values(
    expected: Any, actual: Any, how: Comparison = DEFAULT_COMPARISON, *, unwrap: bool = False
) -> str | None:
    """None when the call result ``actual`` equals the expected JSON value, else a message."""
    actual = _plain(actual)
    if _equal(expected, actual, how):
        return None
    if unwrap and isinstance(expected, list) and len(expected) == 1 and _equal(expected[0], actual, how):
        return None
    return f"expected {_short(_repr(expected))}, got {_short(_repr(actual))}"


def _equal(e: Any, a: Any, how: Comparison) -> bool:
    if isinstance(e, bool) or isinstance(a, bool):
        return type(e) is type(a) and e == a
    if isinstance(e, int | float) and isinstance(a, int | float):
        if how.mode == "float":
            return _num_close(float(e), float(a), how)
        return e == a or (isinstance(e, float) and isinstance(a, float) and math.isnan(e) and math.isnan(a))
    if isinstance(e, str) and isinstance(a, str):
        return e.lower() == a.lower() if how.case_insensitive else e == a
    if isinstance(e, list) and isinstance(a, list):
        return len(e) == len(a) and all(_equal(x, y, how) for x, y in zip(e, a, strict=False))
    if isinstance(e, dict) and isinstance(a, dict):
        return e.keys() == a.keys() and all(_equal(e[k], a[k], how) for k in e)
    return type(e) is type(a) and bool(e == a)


def _plain(value: Any) -> Any:
    """Tuples become lists and str-keyed dicts stay dicts: what JSON would have made of them."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _close(e: str, a: str, how: Comparison) -> bool:
    try:
        fe, fa = float(e), float(a)
    except ValueError:
        return False
    return _num_close(fe, fa, how)


def _num_close(e: float, a: float, how: Comparison) -> bool:
    if math.isnan(e) or math.isnan(a):
        return math.isnan(e) and math.isnan(a)
    if e == a:
        return True
    return abs(e - a) <= how.abs_eps or abs(e - a) <= how.rel_eps * abs(e)


def _repr(value: Any) -> str:
    return repr(value)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
