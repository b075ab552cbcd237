"""Compare a program's output with the expected one, outside the sandbox.

``tokens`` (default): whitespace-separated tokens equal; ``lines``: lines equal up to
trailing whitespace and trailing blank lines; ``float``: tokens equal, numbers within
``abs_eps`` or ``rel_eps``. Case-insensitive only when asked. Call-based results are
compared as JSON values with exact kinds (``True`` is not ``1``).

Both are total over anything a program can print or return: any text or bytes, any value
the wire decoder builds (huge ints, nan, infinities, deep nesting, sets, Decimals...)
gives a match or a mismatch message, never an exception, so a program's output can only
ever earn AC or WA. Only the expected side is assumed sane (the parser bounds it).
"""

from __future__ import annotations

import math
import re
import reprlib
from dataclasses import dataclass
from typing import Any, Literal

Mode = Literal["tokens", "lines", "float"]
NUMBER = re.compile(r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)", re.ASCII | re.IGNORECASE)
# A number token in float mode: decimal ASCII only (float() alone would also take "1_0" or "١"). Unambiguous
# on purpose: a pattern where two runs of digits can split one (digits, optional dot, digits) backtracks
# quadratically on a long run of digits.
BRIEF_DIGITS = 60  # a longer integer is shown by its digit count (repr of a 5000-digit int raises)


@dataclass(frozen=True)
class Comparison:
    """How to compare outputs; the mismatch message shows the first differing piece."""

    mode: Mode = "tokens"
    abs_eps: float = 1e-6
    rel_eps: float = 1e-6
    case_insensitive: bool = False


DEFAULT_COMPARISON = Comparison()


def compare_text(expected: str, actual: str | bytes, how: Comparison = DEFAULT_COMPARISON) -> str | None:
    """None when ``actual`` matches ``expected``, else a short "expected X, got Y" message.

    ``actual`` may be the program's raw bytes: output that is not UTF-8 never matches.
    """
    if isinstance(actual, bytes):
        try:
            actual = actual.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"output is not UTF-8 text (byte 0x{actual[exc.start]:02x} at offset {exc.start})"
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
    """None when the call result ``actual`` equals the expected JSON value, else a message.

    Tuples stand for lists (JSON would have made them lists); the walk follows ``expected``,
    without recursion, so a deeply nested ``actual`` costs no more than the expected value.
    """
    if _equal(expected, actual, how):
        return None
    if unwrap and isinstance(expected, list) and len(expected) == 1 and _equal(expected[0], actual, how):
        return None
    return f"expected {_brief(expected)}, got {_brief(actual)}"


def _equal(expected: Any, actual: Any, how: Comparison) -> bool:
    pairs = [(expected, actual)]
    while pairs:
        e, a = pairs.pop()
        if isinstance(e, list) and type(a) in (list, tuple):
            if len(e) != len(a):
                return False
            pairs += zip(e, a, strict=True)
        elif isinstance(e, dict) and isinstance(a, dict):
            if not _same_keys(e, a):
                return False
            pairs += ((e[k], a[k]) for k in e)
        elif not _scalar_equal(e, a, how):
            return False
    return True


def _same_keys(e: dict, a: dict) -> bool:
    """Equal key sets, asking only str's own equality (an expected JSON object's keys are strings)."""
    return len(e) == len(a) and all(type(k) is str for k in a) and all(k in a for k in e)


def _scalar_equal(e: Any, a: Any, how: Comparison) -> bool:
    if isinstance(e, bool) or isinstance(a, bool):
        return type(e) is type(a) and e == a
    if isinstance(e, int | float) and type(a) in (int, float):
        if how.mode == "float":
            return _numbers_close(e, a, how)
        return e == a or (isinstance(e, float) and isinstance(a, float) and math.isnan(e) and math.isnan(a))
    if isinstance(e, str) and type(a) is str:
        return e.lower() == a.lower() if how.case_insensitive else e == a
    return e is None and a is None


def _numbers_close(e: int | float, a: int | float, how: Comparison) -> bool:
    if e == a:
        return True
    try:
        fe, fa = float(e), float(a)
    except OverflowError:  # an int beyond float range matches only itself
        return False
    return _num_close(fe, fa, how)


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _close(e: str, a: str, how: Comparison) -> bool:
    if not (NUMBER.fullmatch(e) and NUMBER.fullmatch(a)):
        return False
    return _num_close(float(e), float(a), how)


def _num_close(e: float, a: float, how: Comparison) -> bool:
    if math.isnan(e) or math.isnan(a):
        return math.isnan(e) and math.isnan(a)
    if e == a:
        return True
    if math.isinf(e) or math.isinf(a):
        return False
    return abs(e - a) <= how.abs_eps or abs(e - a) <= how.rel_eps * abs(e)


class _Brief(reprlib.Repr):
    """A bounded repr: a few elements and levels, long ints by their size (reprlib already
    shows an object whose repr raises by its type)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxstring, self.maxother = 4, 40, 40

    def repr_int(self, x: int, level: int) -> str:
        digits = int(abs(x).bit_length() * math.log10(2)) + 1
        return repr(x) if digits <= BRIEF_DIGITS else f"<int of about {digits} digits>"


BRIEF = _Brief()


def _brief(value: Any) -> str:
    return _short(BRIEF.repr(value))


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
