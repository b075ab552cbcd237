"""Comparators: exact tokens by default, lines, float tolerance, case only when asked; call results by exact kind."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.judge import Comparison
from sandbox.judge.compare import compare_text, compare_values

TOKENS = Comparison()
LINES = Comparison(mode="lines")
FLOATS = Comparison(mode="float", abs_eps=1e-6, rel_eps=1e-6)
NOCASE = Comparison(case_insensitive=True)

TEXT = [
    ("same tokens, other spacing", TOKENS, "1 2\n3\n", "1  2 3", None),
    ("trailing newline missing", TOKENS, "42\n", "42", None),
    ("wrong token", TOKENS, "5\n", "4\n", "expected 5, got 4"),
    ("truncated output", TOKENS, "1 2 3\n", "1 2\n", "expected 3, got end of output at token 3"),
    ("extra output line", TOKENS, "1\n", "1\n2\n", "expected end of output, got 2 at token 2"),
    ("reordered tokens", TOKENS, "1 2\n", "2 1\n", "expected 1, got 2"),
    ("empty output", TOKENS, "7\n", "", "expected 7, got end of output at token 1"),
    ("case differs, exact by default", TOKENS, "YES\n", "yes\n", "expected YES, got yes"),
    ("case differs, insensitive when asked", NOCASE, "YES\n", "yes\n", None),
    ("lines: trailing spaces and blank lines", LINES, "a b\nc\n", "a b  \nc\n\n", None),
    ("lines: inner spacing matters", LINES, "a b\n", "a  b\n", "expected a b, got a  b"),
    ("lines: split line", LINES, "a b\n", "a\nb\n", "expected a b, got a"),
    ("float within abs eps", FLOATS, "0.3333333\n", "0.33333331\n", None),
    ("float within rel eps", FLOATS, "1000000000.0\n", "1000000500.0\n", None),
    ("float off", FLOATS, "0.5\n", "0.6\n", "expected 0.5, got 0.6"),
    ("float mode, words still exact", FLOATS, "pi 3.14\n", "PI 3.14\n", "expected pi, got PI"),
    ("float mode, nan is not a number", FLOATS, "1.0\n", "nan\n", "expected 1.0, got nan"),
    ("exact mode, 1.0 is not 1", TOKENS, "1.0\n", "1\n", "expected 1.0, got 1"),
]


@pytest.mark.parametrize(("how", "expected", "actual", "message"), [t[1:] for t in TEXT], ids=[t[0] for t in TEXT])
def test_output_comparison_yields_message_or_match(how: Comparison, expected: str, actual: str, message: Any) -> None:
    assert compare_text(expected, actual, how) == message


VALUES = [
    ("equal ints", 3, 3, False, None),
    ("tuple result for a JSON list", [1, 2], (1, 2), False, None),
    ("True is not 1", 1, True, False, "expected 1, got True"),
    ("1 is not True", True, 1, False, "expected True, got 1"),
    ("int equals float of same value", 2, 2.0, False, None),
    ("nested lists", [[1, 2], [3]], [[1, 2], [3]], False, None),
    ("dict with str keys", {"a": 1}, {"a": 1}, False, None),
    ("None for a value", 5, None, False, "expected 5, got None"),
    ("set is not a list", [1, 2], {1, 2}, False, "expected [1, 2], got {1, 2}"),
    ("APPS-wrapped expected, unwrapped allowed", [6], 6, True, None),
    ("wrapped expected, unwrap not asked", [6], 6, False, "expected [6], got 6"),
    ("unwrap only for single elements", [6, 7], 6, True, "expected [6, 7], got 6"),
]


@pytest.mark.parametrize(
    ("expected", "actual", "unwrap", "message"), [v[1:] for v in VALUES], ids=[v[0] for v in VALUES]
)
def test_call_result_comparison_yields_message_or_match(expected: Any, actual: Any, unwrap: bool, message: Any) -> None:
    assert compare_values(expected, actual, TOKENS, unwrap=unwrap) == message


def test_float_comparison_of_call_results_yields_tolerance() -> None:
    assert compare_values([0.1 + 0.2], [0.3], FLOATS) is None
    assert compare_values([0.1 + 0.2], [0.3], TOKENS) == "expected [0.30000000000000004], got [0.3]"
