"""Equivalence of a parsed answer and reference: math-verify plus general rescue rules.

math-verify decides first. When it says "unequal", the rules of ``math_rules`` retry
with a different but equivalent reading of one side (an inequality as an interval, a
column vector as a tuple, a renamed dummy variable, an exact value against a rounded
reference...). Statements math-verify cannot parse (quantifiers) must match as
normalised text. Exact constants that clearly differ skip sympy's slow ``simplify``.
"""

from __future__ import annotations

import re
from typing import Any

import sympy
from sympy import Eq, Symbol

from rewards.math_normalize import clean
from rewards.math_rules import CHEAP_RULES, RULES
from rewards.math_sympy import Side, mv_equal

_UNPARSEABLE_RE = re.compile(r"\\(?:forall|exists|nexists|Rightarrow|Leftrightarrow|iff|implies)(?![a-zA-Z])")


def compare(gold: Side, answer: Side, rounding: int, precision: int) -> tuple[bool, str]:
    """(equal?, rule) for one answer against the reference."""
    if _UNPARSEABLE_RE.search(gold.latex) or _UNPARSEABLE_RE.search(answer.latex):
        return clean(gold.latex) == clean(answer.latex), "quantified statement compared as normalised text"
    g_const, a_const = _constant(gold.expr), _constant(answer.expr)
    both_constant = g_const is not None and a_const is not None
    if both_constant and _clearly_different(g_const, a_const):
        different = True  # skip math-verify's simplify(): the numeric values already differ
    elif mv_equal(gold.parsed, answer.parsed, rounding, precision):
        return True, "math-verify"
    else:
        different = False
    for rule in CHEAP_RULES if both_constant else RULES:
        if rule(gold, answer, rounding, precision):
            return True, "rescue rule: " + (rule.__doc__ or rule.__name__).splitlines()[0].strip().rstrip(".")
    return False, "numeric value" if different else "math-verify"


def _constant(expr: Any) -> Any:
    """A plain numeric constant (no symbols, floats or percent) ``expr`` or ``x = expr`` states, else None."""
    if isinstance(expr, Eq) and isinstance(expr.lhs, Symbol):
        expr = expr.rhs
    if not isinstance(expr, sympy.Expr) or expr.free_symbols:
        return None
    if expr.has(sympy.Float) or expr.has(sympy.UnevaluatedExpr):
        return None
    return expr


def _clearly_different(a: Any, b: Any) -> bool:
    """Whether two exact constants differ by far more than any rounding could explain."""
    try:
        va, vb = complex(a.evalf(30)), complex(b.evalf(30))
    except (TypeError, ValueError, AttributeError):
        return False
    return abs(va - vb) > 1e-9 * max(1.0, abs(va), abs(vb))
