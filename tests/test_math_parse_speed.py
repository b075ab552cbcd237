"""rewards' faster LaTeX parsing (math_parse_speed) gives exactly math-verify's own parse."""

from __future__ import annotations

import pytest
import sympy
from math_verify import parse

from rewards.math_sympy import mv_parse


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
    ours, theirs = mv_parse(latex), parse(latex, parsing_timeout=None)  # type: ignore[arg-type]
    assert [sympy.srepr(x) if isinstance(x, sympy.Basic) else x for x in ours] == [
        sympy.srepr(x) if isinstance(x, sympy.Basic) else x for x in theirs
    ]
    floats = [f for x in ours if isinstance(x, sympy.Basic) for f in x.atoms(sympy.Float)]
    theirs_floats = [f for x in theirs if isinstance(x, sympy.Basic) for f in x.atoms(sympy.Float)]
    assert [f._prec for f in floats] == [f._prec for f in theirs_floats]
