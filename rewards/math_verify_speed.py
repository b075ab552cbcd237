"""Fast exact answers for math-verify's costliest comparisons on common answers: lines and polynomials.

Equations: math-verify compares two by ``simplify`` on their differences, then flipped, then
by ``solve`` on both and comparing the solutions: about 30 ms of CPU, spent mostly on wrong
answers like ``y = 3x + 2`` against ``y = 2x + 2``. For two linear equations over the same
symbols with integer coefficients the outcome of all three steps is known: their solution
sets (and so each step) agree exactly when one difference is a nonzero multiple of the other.
Only the "different" answer is given here; the rest still goes through math-verify.

Expressions: math-verify's symbolic step is ``simplify(a - b).is_zero`` (about 10 ms for
``(x+4)(x+5)`` against ``x^2 + 9x + 20``). When ``a - b`` is a polynomial with rational
coefficients, it is zero exactly when its expansion is: the same answer, without ``simplify``.
When it is a number ``p + q*I`` with rational p and q (``3 - 2i`` against ``2 - 3i``, read
with i as the imaginary unit: 20-40 ms of ``simplify``), sympy has already evaluated it: it is
zero exactly when it is 0.

So every verdict is the one math-verify gives. Only inside
:func:`rewards.math_parse_speed.fast_paths`: math-verify called directly elsewhere keeps its
own behaviour.
"""

from __future__ import annotations

from typing import Any

import sympy
from math_verify import grader

from rewards.math_parse_speed import fast_paths_active

MAX_COEFFICIENT = 10**9  # far from any float rounding or numeric-precision effect
_original_compare_relational = grader.sympy_compare_relational
_original_symbolic_eq = grader.sympy_symbolic_eq


def _linear_coefficients(eq: Any) -> tuple[frozenset[Any], dict[Any, int]] | None:
    """(symbols, {monomial: coefficient}) of ``lhs - rhs`` when it is linear with small integer coefficients."""
    diff = eq.lhs - eq.rhs
    symbols = diff.free_symbols
    if not symbols or not all(isinstance(s, sympy.Symbol) for s in symbols):
        return None
    try:
        poly = sympy.Poly(diff, *sorted(symbols, key=str))
    except sympy.PolynomialError:
        return None
    if poly.total_degree() != 1 or poly.domain != sympy.ZZ:
        return None
    terms = {monom: int(c) for monom, c in poly.terms()}
    if any(abs(c) > MAX_COEFFICIENT for c in terms.values()):
        return None
    return frozenset(symbols), terms


def clearly_different_lines(gold: Any, pred: Any) -> bool:
    """Whether two equations are linear over the same symbols, integer-coefficient, and not proportional."""
    if not (isinstance(gold, sympy.Eq) and isinstance(pred, sympy.Eq)):
        return False
    g, p = _linear_coefficients(gold), _linear_coefficients(pred)
    if g is None or p is None or g[0] != p[0]:
        return False
    (g_terms, p_terms), first = (g[1], p[1]), next(iter(g[1]))  # a monomial whose coefficient in g is nonzero
    # proportional: g * p[first] == p * g[first], term by term (integers: exact; a missing term is 0)
    return any(
        g_terms.get(m, 0) * p_terms.get(first, 0) != p_terms.get(m, 0) * g_terms[first] for m in {*g_terms, *p_terms}
    )


def polynomial_difference_is_zero(a: Any, b: Any) -> bool | None:
    """Whether ``a - b`` is zero, when it is a polynomial with rational coefficients in plain symbols; else None."""
    if not (isinstance(a, sympy.Expr) and isinstance(b, sympy.Expr)):
        return None
    diff = a - b
    symbols = diff.free_symbols
    if not all(isinstance(s, sympy.Symbol) for s in symbols):
        return None
    try:
        poly = sympy.Poly(diff, *sorted(symbols, key=str)) if symbols else None
    except sympy.PolynomialError:
        return None
    if poly is None:  # a number: exact when it is a Gaussian rational (simplify leaves one as it is)
        return diff == 0 if _is_gaussian_rational(diff) else None
    if poly.domain not in (sympy.ZZ, sympy.QQ):
        return None
    return poly.is_zero


def _is_gaussian_rational(value: Any) -> bool:
    """Whether ``value`` is an evaluated ``p + q*I`` with rational p and q (either may be absent)."""
    terms = value.args if isinstance(value, sympy.Add) else (value,)
    return all(
        t.is_Rational
        or t is sympy.I
        or (isinstance(t, sympy.Mul) and len(t.args) == 2 and t.args[0].is_Rational and t.args[1] is sympy.I)
        for t in terms
    )


def _compare_relational(gold: Any, pred: Any, float_rounding: int, numeric_precision: int) -> bool:
    if fast_paths_active():
        try:
            different = clearly_different_lines(gold, pred)
        except Exception:  # not a shape this knows: math-verify decides
            different = False
        if different:
            return False
    return bool(_original_compare_relational(gold, pred, float_rounding, numeric_precision))


def _symbolic_eq(a: Any, b: Any) -> bool:
    if fast_paths_active():
        try:
            zero = polynomial_difference_is_zero(a, b)
        except Exception:  # as math-verify's own step: a failed comparison is no equality
            zero = None
        if zero is not None:
            return zero
    return bool(_original_symbolic_eq(a, b))


grader.sympy_compare_relational = _compare_relational
grader.sympy_symbolic_eq = _symbolic_eq
