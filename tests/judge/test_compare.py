"""Comparators: exact tokens by default, lines, float tolerance, case only when asked; call results by exact kind."""

from __future__ import annotations

import collections
import decimal
import fractions
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def nested(depth: int) -> list[Any]:
    """A list nested ``depth`` deep, built without recursion."""
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


INF, NAN = float("inf"), float("nan")

# What a wrong program can return through the wire decoder: every row is a verdict (match or message), never a raise.
HOSTILE_VALUES = [
    ("int beyond float range, float mode", FLOATS, 5, 10**400, "expected 5, got <int of about 401 digits>"),
    ("int beyond float range, exact mode", TOKENS, 5, 10**400, "expected 5, got <int of about 401 digits>"),
    ("int beyond float range for a float", FLOATS, 1e308, 10**400, "got <int of about 401 digits>"),
    ("negative int beyond float range", FLOATS, -1.0, -(10**400), "got <int of about 401 digits>"),
    ("int past the 4300-digit repr limit", TOKENS, 1, 10**5000, "got <int of about 5001 digits>"),
    ("huge ints that differ, float mode", FLOATS, 10**400, 10**400 + 1, "expected <int of about 401 digits>"),
    ("the same huge int, float mode", FLOATS, 10**400, 10**400, None),
    ("nan for a number, float mode", FLOATS, 1.0, NAN, "expected 1.0, got nan"),
    ("nan for a number, exact mode", TOKENS, 1, NAN, "expected 1, got nan"),
    ("nan for nan", FLOATS, NAN, NAN, None),
    ("-inf for inf", FLOATS, INF, -INF, "expected inf, got -inf"),
    ("a finite number for inf", FLOATS, INF, 1e308, "expected inf, got 1e+308"),
    ("inf for a finite number", FLOATS, 1e308, INF, "expected 1e+308, got inf"),
    ("inf for inf", FLOATS, INF, INF, None),
    ("nested 100000 deep", TOKENS, [1], nested(100_000), "expected [1], got [[[[[...]]]]]"),
    ("nested 100000 deep inside a list", TOKENS, [[1], [2]], [[1], nested(100_000)], "expected [[1], [2]]"),
    ("set for a list", TOKENS, [1], {1}, "expected [1], got {1}"),
    ("frozenset", TOKENS, [1], frozenset({1}), "got frozenset({1})"),
    ("deque for a list", TOKENS, [1], collections.deque([1]), "got deque([1])"),
    ("signalling NaN Decimal", TOKENS, 1, decimal.Decimal("sNaN"), "expected 1, got Decimal('sNaN')"),
    ("signalling NaN Decimal in float mode", FLOATS, 1.0, decimal.Decimal("sNaN"), "got Decimal('sNaN')"),
    ("Decimal with a huge exponent", FLOATS, 1.0, decimal.Decimal("1e999999999"), "got Decimal('1E+999999999')"),
    ("Fraction equal in value", TOKENS, 0.5, fractions.Fraction(1, 2), "expected 0.5, got Fraction(1, 2)"),
    ("Fraction of huge terms", TOKENS, 1, fractions.Fraction(10**5000, 3), "expected 1, got <Fraction"),
    ("complex", FLOATS, 1.0, complex(1, 0), "expected 1.0, got (1+0j)"),
    ("bytes for a string", TOKENS, "ab", b"ab", "expected 'ab', got b'ab'"),
    ("bytearray", TOKENS, "ab", bytearray(b"ab"), "got bytearray(b'ab')"),
    ("a megabyte of bytes", TOKENS, "ab", b"\xff" * (1 << 20), "got b'\\xff\\xff"),
    ("non-str keys that print alike", TOKENS, {"1": 2}, {1: 2}, "expected {'1': 2}, got {1: 2}"),
    ("tuple keys", TOKENS, {"a": 1}, {("a",): 1}, "got {('a',): 1}"),
    ("Decimal key", TOKENS, {"a": 1}, {decimal.Decimal("NaN"): 1}, "got {Decimal('NaN'): 1}"),
    ("OrderedDict equal to the object", TOKENS, {"a": 1}, collections.OrderedDict(a=1), None),
    ("Counter for an object", TOKENS, {"a": 1}, collections.Counter(a=2), "got Counter({'a': 2})"),
    ("None for a list", TOKENS, [1], None, "expected [1], got None"),
    ("a string with a lone surrogate", TOKENS, "a", "\ud800", "expected 'a', got '\\ud800'"),
    ("a million-element list", TOKENS, [1, 2], list(range(1_000_000)), "expected [1, 2], got [0, 1, 2, 3, 4, 5, ...]"),
    ("a list of huge ints", FLOATS, [1.0, 2.0], [10**400, 10**400], "got [<int of about 401 digits>"),
]


@pytest.mark.parametrize(
    ("how", "expected", "actual", "message"), [v[1:] for v in HOSTILE_VALUES], ids=[v[0] for v in HOSTILE_VALUES]
)
def test_hostile_call_result_yields_a_verdict_not_an_exception(
    how: Comparison, expected: Any, actual: Any, message: str | None
) -> None:
    got = compare_values(expected, actual, how)
    assert got is None if message is None else (got is not None and message in got), got


HOSTILE_TEXT: list[tuple[str, Comparison, str, str | bytes, str | None]] = [
    ("bytes that are not UTF-8", TOKENS, "ok\n", b"ok\xff\n", "output is not UTF-8 text (byte 0xff at offset 2)"),
    ("a lone surrogate encoded", TOKENS, "a\n", b"\xed\xa0\x80\n", "output is not UTF-8 text (byte 0xed at offset 0)"),
    ("valid UTF-8 bytes", TOKENS, "é\n", "é\n".encode(), None),
    ("NUL bytes", TOKENS, "1\n", b"1\x00\n", "expected 1, got 1\x00"),
    ("underscored number, float mode", FLOATS, "1000\n", "1_000\n", "expected 1000, got 1_000"),
    ("Arabic-Indic digits, float mode", FLOATS, "12\n", "١٢\n", "expected 12, got ١٢"),
    ("full-width digits, float mode", FLOATS, "12\n", "１２\n", "expected 12, got １２"),
    ("a long digit run then a letter, float mode", FLOATS, "1\n", "1" * 200_000 + "x", "expected 1, got 111111"),
    ("a long digit run with a dot, float mode", FLOATS, "1\n", "1" * 100_000 + "." + "1" * 100_000 + "x", "expected 1"),
    ("a number past float range, float mode", FLOATS, "1e308\n", "1e999\n", "expected 1e308, got 1e999"),
    ("-inf for inf, float mode", FLOATS, "inf\n", "-inf\n", "expected inf, got -inf"),
    ("any number for inf, float mode", FLOATS, "inf\n", "5\n", "expected inf, got 5"),
    ("nan for a number, float mode", FLOATS, "0.5\n", "NaN\n", "expected 0.5, got NaN"),
    ("a megabyte of one token", FLOATS, "1\n", "9" * (1 << 20), "expected 1, got 9999"),
    ("a megabyte of tokens, case-insensitive", NOCASE, "A\n", "a " * (1 << 19), "expected end of output, got a"),
]


@pytest.mark.parametrize(
    ("how", "expected", "actual", "message"), [t[1:] for t in HOSTILE_TEXT], ids=[t[0] for t in HOSTILE_TEXT]
)
def test_hostile_output_yields_a_verdict_quickly(
    how: Comparison, expected: str, actual: str | bytes, message: str | None
) -> None:
    start = time.monotonic()
    got = compare_text(expected, actual, how)
    assert time.monotonic() - start < 1.0
    assert got is None if message is None else (got is not None and message in got), got


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
WIRE_SCALARS = (
    JSON_SCALARS
    | st.integers(min_value=-(10**5000), max_value=10**5000)
    | st.decimals()
    | st.fractions()
    | st.complex_numbers()
    | st.binary(max_size=5)
    | st.text(alphabet=st.characters(codec=None), max_size=5)
)
WIRE_VALUES = st.recursive(
    WIRE_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.frozensets(
            WIRE_SCALARS.filter(lambda x: not isinstance(x, decimal.Decimal) or not x.is_snan()), max_size=3
        )
        | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
    ),
    max_leaves=12,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES, WIRE_VALUES, st.sampled_from([TOKENS, FLOATS, NOCASE]), st.booleans())
def test_any_wire_value_yields_match_or_message(expected: Any, actual: Any, how: Comparison, unwrap: bool) -> None:
    got = compare_values(expected, actual, how, unwrap=unwrap)
    assert got is None or (isinstance(got, str) and got.startswith("expected "))


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=20), st.binary(max_size=20) | st.text(max_size=20), st.sampled_from([TOKENS, LINES, FLOATS]))
def test_any_output_yields_match_or_message(expected: str, actual: str | bytes, how: Comparison) -> None:
    got = compare_text(expected, actual, how)
    assert got is None or isinstance(got, str)
