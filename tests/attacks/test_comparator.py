"""Class 4, the comparator: whatever a wrong program returns or prints is judged (AC or WA), never "not judged".

The program has read sandbox/judge/compare.py and wire.py; every value below crosses the
real harness and wire on every backend, and the verdict must be the program's own.
"""

from __future__ import annotations

from textwrap import dedent

import pytest

from sandbox.backend import Backend
from sandbox.judge import Comparison, Limits, Options, judge, parse_tests

pytestmark = [pytest.mark.integration]

CALL = {"fn_name": "f", "inputs": [[]], "outputs": [5]}
STDIO = {"inputs": ["\n"], "outputs": ["1000\n"]}
FLOAT = Options(comparison=Comparison(mode="float"), limits=Limits(time_s=5))
EXACT = Options(limits=Limits(time_s=5))

RETURNS = [
    ("an int beyond float range, float mode", "return 10**400", FLOAT, "WA"),
    ("an int beyond float range, exact mode", "return 10**400", EXACT, "WA"),
    ("nan, float mode", "return float('nan')", FLOAT, "WA"),
    ("-inf, float mode", "return float('-inf')", FLOAT, "WA"),
    ("a Decimal signalling NaN", "import decimal\n    return decimal.Decimal('sNaN')", FLOAT, "WA"),
    ("a huge Fraction", "import fractions\n    return fractions.Fraction(10**1000, 3)", FLOAT, "WA"),
    ("a complex number", "return 5+0j", FLOAT, "WA"),
    ("a set", "return {5}", EXACT, "WA"),
    ("bytes", "return b'5'", EXACT, "WA"),
    ("a list nested 500 deep", "x = []\n    for _ in range(500):\n        x = [x]\n    return x", EXACT, None),
    ("True for 5", "return True", EXACT, "WA"),
    ("the right answer as a float", "return 5.0", FLOAT, "AC"),
]


@pytest.mark.parametrize(("body", "options", "verdict"), [r[1:] for r in RETURNS], ids=[r[0] for r in RETURNS])
def test_hostile_return_value_yields_its_own_verdict(
    backend: Backend, body: str, options: Options, verdict: str | None
) -> None:
    result = judge(f"def f():\n    {body}\n", parse_tests(CALL), backend, options=options)
    (test,) = result.results
    assert test.verdict == verdict if verdict else test.verdict in ("WA", "RE"), test  # RE: not plain data
    assert result.score == (1.0 if verdict == "AC" else 0.0)


PRINTS = [
    ("bytes that are not UTF-8", "import sys\nsys.stdout.buffer.write(b'1000\\xff\\n')", FLOAT, "WA"),
    ("an underscored number", "print('1_000')", FLOAT, "WA"),
    ("Arabic-Indic digits", "print('١٠٠٠')", FLOAT, "WA"),
    ("a million digits then a letter", "print('1' * 10**6 + 'x')", FLOAT, "WA"),
    ("1e999", "print('1e999')", FLOAT, "WA"),
    ("the right answer in exponent form", "print('1e3')", FLOAT, "AC"),
]


@pytest.mark.parametrize(("source", "options", "verdict"), [p[1:] for p in PRINTS], ids=[p[0] for p in PRINTS])
def test_hostile_output_yields_its_own_verdict(backend: Backend, source: str, options: Options, verdict: str) -> None:
    result = judge(dedent(source), parse_tests(STDIO), backend, options=options)
    assert [r.verdict for r in result.results] == [verdict], result.results
