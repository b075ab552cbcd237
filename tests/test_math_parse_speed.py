"""rewards' fast paths (math_parse_speed, math_verify_speed) give exactly math-verify's own parses and verdicts."""

from __future__ import annotations

import random

import pytest
import sympy
from math_verify import parse, verify
from math_verify.grader import sympy_symbolic_eq
from math_verify.parser import parse_latex_cached

from rewards.math_sympy import mv_equal, mv_parse
from rewards.math_verify_speed import clearly_different_lines, polynomial_difference_is_zero


@pytest.mark.parametrize(
    "latex",
    [
        "\\boxed{42}",
        "\\boxed{007}",  # leading zeros
        "\\boxed{0}",
        "\\boxed{7,425,000}",  # thousands separators
        "\\boxed{123456789012345678901234567890}",  # beyond 64 bits
        "\\boxed{0.5}",
        "\\boxed{00.50}",  # zeros kept in a decimal's precision
        "\\boxed{3.14159265358979323846264338}",  # more digits than a double: Float keeps them
        "\\boxed{-12.75}",
        "\\boxed{1.5 \\times 10^{4}}",
        "\\boxed{2.5e-3}",  # e-notation: the original path
        "\\boxed{12\\%}",  # percent numbers: the original path
        "\\boxed{\\frac{3}{4}}",
        "\\boxed{3\\sqrt{2} + 0.25x^2}",
        "\\boxed{(1, 3]}",
        "\\boxed{\\{1, 2, 3\\}}",
        "\\boxed{\\begin{pmatrix} 1 & 2.5 \\\\ 3 & 4 \\end{pmatrix}}",
        "The answer is $x = 10$.",
    ],
)
def test_fast_parse_yields_math_verify_parse(latex: str) -> None:
    parse_latex_cached.cache_clear()
    ours = mv_parse(latex)
    parse_latex_cached.cache_clear()  # else math-verify's own small cache would hand back ours
    theirs = parse(latex, parsing_timeout=None)  # type: ignore[arg-type]
    assert [sympy.srepr(x) if isinstance(x, sympy.Basic) else x for x in ours] == [
        sympy.srepr(x) if isinstance(x, sympy.Basic) else x for x in theirs
    ]
    floats = [f for x in ours if isinstance(x, sympy.Basic) for f in x.atoms(sympy.Float)]
    theirs_floats = [f for x in theirs if isinstance(x, sympy.Basic) for f in x.atoms(sympy.Float)]
    assert [f._prec for f in floats] == [f._prec for f in theirs_floats]


@pytest.mark.parametrize(
    ("gold", "answer", "shortcut"),
    [
        ("y = 2x + 3", "y = 3x + 3", True),  # different slopes
        ("y = 2x + 3", "y = 2x", True),  # a missing constant
        ("2x + 3y = 6", "3x + 2y = 6", True),
        ("x + y + z = 1", "x + y - z = 1", True),
        ("y = 2x + 3", "2y = 4x + 6", False),  # proportional: the same line, math-verify decides (equal)
        ("y = 2x + 3", "-y = -2x - 3", False),
        ("y = 2x + 3", "y = 2x + 3", False),
        ("y = x^2", "y = x^2 + 1", False),  # not linear
        ("y = 0.5x", "y = 0.6x", False),  # not integer coefficients
        ("y = 2x + 3", "z = 2x + 3", False),  # other symbols
    ],
)
def test_line_shortcut_yields_math_verify_verdict(gold: str, answer: str, shortcut: bool) -> None:
    g, a = parse(f"\\boxed{{{gold}}}", parsing_timeout=None), parse(f"\\boxed{{{answer}}}", parsing_timeout=None)  # type: ignore[arg-type]
    assert clearly_different_lines(g[0], a[0]) is shortcut
    assert mv_equal(g, a, 6, 15) == verify(g, a, timeout_seconds=None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("gold", "answer", "zero"),
    [
        ("x^2 + 9x + 20", "(x+4)(x+5)", True),
        ("x^2 + 9x + 20", "(x+4)(x-5)", False),
        ("\\frac{1}{2}x^2 + 3x", "\\frac{x^2 + 6x}{2}", True),
        ("a^3 - 8", "(a-2)(a^2+2a+4)", True),
        ("x y + 1", "y x + 2", False),
        ("\\sqrt{2}x", "\\sqrt{3}x", None),  # irrational coefficients: math-verify's simplify
        ("\\frac{1}{x}", "x^{-1}", True),  # sympy evaluates the difference to the number 0
        ("\\frac{1}{x}", "x^{-2}", None),  # not a polynomial
        ("2.5x", "\\frac{5}{2}x", True),  # sympy combines the terms: the difference is the number 0
        ("2.5x", "\\frac{5}{3}x", None),  # a float
    ],
)
def test_polynomial_shortcut_yields_math_verify_verdict(gold: str, answer: str, zero: bool | None) -> None:
    g, a = parse(f"\\boxed{{{gold}}}", parsing_timeout=None), parse(f"\\boxed{{{answer}}}", parsing_timeout=None)  # type: ignore[arg-type]
    assert polynomial_difference_is_zero(g[0], a[0]) is zero
    assert mv_equal(g, a, 6, 15) == verify(g, a, timeout_seconds=None)  # type: ignore[arg-type]


def _gaussian(re: str, im: str) -> sympy.Expr:
    return sympy.Rational(re) + sympy.Rational(im) * sympy.I


GAUSSIAN_PAIRS = [
    (sympy.Integer(3) - 2 * sympy.I, sympy.Integer(2) - 3 * sympy.I),
    (sympy.Integer(3) - 2 * sympy.I, sympy.Integer(3) + 2 * sympy.I),
    (sympy.Integer(3) - 2 * sympy.I, -2 * sympy.I + 3),
    (sympy.I, sympy.I),
    (sympy.Rational(1, 3), sympy.Rational(2, 6)),
    (sympy.Rational(1, 3) + sympy.I / 7, sympy.Rational(1, 3)),
    (sympy.Integer(10) ** 20 + sympy.I, sympy.Integer(10) ** 20 + 2 * sympy.I),
]
_rng = random.Random(5)
_PARTS = ["0", "1", "-1", "2", "1/2", "-3/4", "7", "10/3", "1000000007"]
GAUSSIAN_PAIRS += [
    (_gaussian(_rng.choice(_PARTS), _rng.choice(_PARTS)), _gaussian(_rng.choice(_PARTS), _rng.choice(_PARTS)))
    for _ in range(150)
]


@pytest.mark.parametrize(("a", "b"), GAUSSIAN_PAIRS)
def test_gaussian_rationals_yield_math_verify_symbolic_step(a: sympy.Expr, b: sympy.Expr) -> None:
    assert polynomial_difference_is_zero(a, b) is sympy_symbolic_eq(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (sympy.sqrt(2) + sympy.I, sympy.sqrt(3)),  # irrational parts: simplify decides
        (sympy.Float(1.5) + sympy.I, sympy.Integer(1) + sympy.I),  # a float
        (sympy.pi, sympy.Integer(3)),
    ],
)
def test_other_numbers_yield_no_shortcut(a: sympy.Expr, b: sympy.Expr) -> None:
    assert polynomial_difference_is_zero(a, b) is None
