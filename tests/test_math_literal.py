"""Answers of numbers only (a number, an interval, a set, a tuple) built without the LaTeX parser
(rewards.math_parse_speed.literal) are exactly what latex2sympy2 itself converts them to."""

from __future__ import annotations

import itertools
import random

import pytest
import sympy
from latex2sympy2_extended.latex2sympy2 import latex2sympy
from math_verify import parse
from math_verify.parser import parse_latex_cached

from rewards.math_parse_speed import fast_paths, literal

NUMBERS = ["0", "7", "-7", "12", "007", "-0", "100", "-250", "0.5", "-0.5", "2.50", "00.50", "-0.0", "1.0", "1"]
NUMBERS += ["123456789012345678901234567890", "-3.14159265358979323846264338", "99999999999.000001"]
SPACES = ["", " ", "  "]


def _generated(count: int, seed: int) -> list[str]:
    """Random literals of every shape ``literal`` takes, with spaces here and there."""
    rng = random.Random(seed)

    def n() -> str:
        return rng.choice(SPACES) + rng.choice(NUMBERS) + rng.choice(SPACES)

    def i() -> str:  # a non-negative integer, spaced
        return (
            rng.choice(SPACES)
            + rng.choice(["0", "1", "2", "3", "4", "10", "12", "007", "100", "360"])
            + rng.choice(SPACES)
        )

    def d() -> str:  # a denominator: not zero (a zero one is the parser's to decide)
        return rng.choice(SPACES) + rng.choice(["1", "2", "3", "4", "10", "12", "007", "360"]) + rng.choice(SPACES)

    shapes = [
        lambda: n(),
        lambda: rng.choice("([") + n() + "," + n() + rng.choice(")]"),
        lambda: "\\{" + ",".join(n() for _ in range(rng.randint(1, 5))) + "\\}",
        lambda: "(" + ",".join(n() for _ in range(rng.randint(3, 5))) + ")",
        lambda: (
            rng.choice(["", "-", " - "]) + rng.choice(["\\frac", "\\dfrac", "\\tfrac"]) + "{" + i() + "}{" + d() + "}"
        ),
        lambda: rng.choice(["", "-"]) + "\\frac{" + rng.choice(["-", " - "]) + i() + "}{" + d() + "}",
        lambda: i() + "^" + rng.choice([rng.choice("0123456789"), "{" + rng.choice(["", "-"]) + i() + "}"]),
        lambda: rng.choice(["", "-", "- "]) + rng.choice(NUMBERS).lstrip("-") + "\\%",
        lambda: (
            rng.choice(["", "-"])
            + str(rng.randint(1, 999))
            + "".join(f",{rng.randint(0, 999):03d}" for _ in range(rng.randint(1, 3)))
            + rng.choice(["", ".5", ".25"])
        ),
    ]
    return [rng.choice(shapes)() for _ in range(count)]


# every bracket pair with ends equal, in order and reversed, integers and decimals mixed
BRACKETS = list(itertools.product("([", ")]"))
INTERVALS = [f"{o}{a}, {b}{c}" for o, c in BRACKETS for a, b in itertools.permutations(NUMBERS[:11], 2)]
INTERVALS += [f"{o}{a},{a}{c}" for o, c in BRACKETS for a in NUMBERS]
CASES = sorted(set(INTERVALS + NUMBERS + _generated(700, seed=3)))


def _latex2sympy_itself(text: str) -> sympy.Basic:
    return latex2sympy(text, is_real=True, normalization_config=None)  # outside fast_paths: the original parser


def test_generated_literals_yield_latex2sympy_conversion() -> None:
    differ = []
    for text in CASES:
        ours = literal(text)
        assert ours is not None, f"{text!r} is a literal shape but was not taken"
        theirs = _latex2sympy_itself(text)
        if sympy.srepr(ours) != sympy.srepr(theirs) or type(ours) is not type(theirs):
            differ.append((text, sympy.srepr(ours), sympy.srepr(theirs)))
    assert not differ, f"{len(differ)} of {len(CASES)} differ, e.g. {differ[:5]}"


@pytest.mark.parametrize(
    "text",
    [
        "1, 2, 3",  # a bare list: the parser decides
        "(5)",
        "(1, 2",
        "+5",
        ".5",
        "5.",
        "1e5",
        "\\{\\}",
        "(1,\t2)",  # tabs: only spaces are taken
        "(1, 3]x",
        "x",
        "\\frac{1}{0}",
        "12  \\%",  # spaces before \\% (some fail to lex): the parser decides
        "- 007 \\%",
        "\\frac{1.5}{2}",
        "10^12",
        "10^{1.5}",
        "-2^{3}",
        "\\frac34",
        "(1; 2)",
        "١٢",  # digits of other scripts
    ],
)
def test_other_shapes_yield_no_literal(text: str) -> None:
    assert literal(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "(-1, 2)",
        "(1, 3]",
        "[2, -1]",
        "\\{1, 2, 3\\}",
        "(1, 2, 3)",
        "-0.75",
        "(2, 2)",
        "1,000,000",
        "-\\frac{3}{4}",
        "10^6",
        "12\\%",
    ],
)
def test_boxed_literal_yields_math_verify_parse(text: str) -> None:
    latex = "\\boxed{" + text + "}"
    parse_latex_cached.cache_clear()
    theirs = parse(latex, parsing_timeout=None)  # type: ignore[arg-type]
    parse_latex_cached.cache_clear()  # else math-verify's own small cache would answer the second call
    with fast_paths():
        ours = parse(latex, parsing_timeout=None)  # type: ignore[arg-type]
    parse_latex_cached.cache_clear()
    assert [sympy.srepr(x) if isinstance(x, sympy.Basic) else x for x in ours] == [
        sympy.srepr(x) if isinstance(x, sympy.Basic) else x for x in theirs
    ]
