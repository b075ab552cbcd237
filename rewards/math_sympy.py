"""math-verify and sympy plumbing shared by the equivalence rules: parsing, comparing, reading sets.

math-verify's own timeouts are switched off everywhere (they use ``signal.alarm``, which
fails off the main thread); ``math_deadline`` provides the one deadline we keep.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sympy
from math_verify import parse, verify
from sympy import Eq, MatrixBase, Symbol, Tuple
from sympy.core.relational import Relational
from sympy.logic.boolalg import And

from rewards.math_hedge import is_value
from rewards.math_normalize import strip_math_delims, strip_qualifier, unicode_to_latex
from rewards.math_parse_speed import fast_paths
from rewards.math_verify_speed import clearly_different_lines  # noqa: F401  (installs the fast path)

# Its warnings about the disabled timeouts, and its per-comparison logs, are noise for us.
logging.getLogger("math_verify").setLevel(logging.ERROR)

_TEXT_NUMBER_RE = re.compile(r"\\text\s*\{\s*(-?[\d.,]+)\s+([A-Za-z][A-Za-z ]{0,40})\}")


@dataclass(frozen=True)
class Side:
    """One side of a comparison: the latex that was parsed and math-verify's parse of it."""

    latex: str
    parsed: list[Any]

    @property
    def expr(self) -> Any:
        return self.parsed[0] if self.parsed else None


def mv_parse(latex: str) -> list[Any]:
    """math-verify's parse with its signal-based timeout off (it fails off the main thread)."""
    return list(_parse_cached(latex))


@lru_cache(maxsize=4096)
def _parse_cached(latex: str) -> tuple[Any, ...]:
    # A GRPO group repeats one reference and a few answers; sympy objects are immutable.
    with fast_paths():
        return tuple(parse(latex, parsing_timeout=None))  # type: ignore[arg-type]


def boxed(latex: str) -> str:
    """``latex`` as a boxed answer, so that math-verify reads all of it as one expression."""
    latex = _TEXT_NUMBER_RE.sub(r"\1\\text{ \2}", strip_qualifier(strip_math_delims(unicode_to_latex(latex))))
    latex = latex.replace("\\varnothing", "\\emptyset").replace("\\langle", "(").replace("\\rangle", ")")
    return "\\boxed{" + latex + "}"


def mv_equal(gold: Sequence[Any] | Any, answer: Sequence[Any] | Any, rounding: int, precision: int) -> bool:
    """math-verify's verify without its signal-based timeout; errors in a comparison count as unequal."""
    with fast_paths():
        return bool(
            verify(
                gold,
                answer,
                float_rounding=rounding,
                numeric_precision=precision,  # type: ignore[arg-type]
                timeout_seconds=None,
            )
        )


def value_of(parsed: Sequence[Any]) -> Any:
    """The value a parsed reference states: the right-hand side of an assignment like ``n = 1, 2, 3``."""
    expr = parsed[0] if parsed else None
    return expr.rhs if isinstance(expr, Eq) else expr


def is_multi(parsed: Sequence[Any]) -> bool:
    """Whether a parsed reference holds several answers (a set of values, several equations)."""
    expr = value_of(parsed)
    return (isinstance(expr, sympy.FiniteSet) and len(expr) > 1) or isinstance(expr, And)


def as_set(expr: Any) -> Any:
    """A one-variable relation as its solution set, ``x \\in S`` as S, a vector as a tuple; else None."""
    if isinstance(expr, MatrixBase) and 1 in expr.shape:
        return Tuple(*list(expr))
    if isinstance(expr, Eq) and isinstance(expr.rhs, sympy.Set) and isinstance(expr.lhs, Symbol):
        return expr.rhs
    if (
        isinstance(expr, sympy.FiniteSet)
        and expr.args
        and all(isinstance(a, Relational) for a in expr.args)
        and len(expr.free_symbols) == 1
    ):  # "x >= 2 and x < 5", parsed as a set of two conditions
        expr = And(*expr.args)
    if isinstance(expr, (Relational, And)) and len(expr.free_symbols) == 1:
        try:
            return expr.as_set()
        except Exception:
            return None
    return None


def first(parsed: list[Any]) -> Any:
    """The sympy expression of a parse result, or None when nothing parsed."""
    return parsed[0] if parsed else None


def union_of(alternatives: Sequence[str]) -> Any:
    """ "x < 0 or x > 1" as one set (the union of each alternative's solution set), or None."""
    sets = [as_set(first(mv_parse(boxed(alt)))) for alt in alternatives]
    if any(s is None or not isinstance(s, sympy.Set) for s in sets):
        return None
    return sympy.Union(*sets)


def solution_sets(alternatives: Sequence[str]) -> list[Any]:
    """ "x = -1 or x = 5" read as a set: as written ({x = -1, x = 5}) and by values ({-1, 5}); [] if unreadable."""
    written, values = [], []
    for alt in alternatives:
        value = first(mv_parse(boxed(alt) if is_value(alt) else alt))
        if not isinstance(value, (sympy.Expr, Eq)):
            return []
        written.append(value)
        values.append(value.rhs if isinstance(value, Eq) and isinstance(value.lhs, Symbol) else value)
    return [sympy.FiniteSet(*written), sympy.FiniteSet(*values)]
