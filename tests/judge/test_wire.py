"""The wire decoder runs in trusted processes on data a solution chose: it must refuse fast, never compute."""

from __future__ import annotations

import decimal
import fractions
import json
import math
import time

import pytest

from sandbox.judge.wire import NotData, decode, dumps, encode, loads

HOSTILE = [
    ("Fraction with an exponent", {"$": "Fraction", "v": "1e100000000"}),
    ("Fraction of words", {"$": "Fraction", "v": "1/two"}),
    ("Fraction of non-ASCII digits", {"$": "Fraction", "v": "\u0661/2"}),
    ("Decimal with a huge exponent", {"$": "Decimal", "v": "1e999999999"}),
    ("unknown tag", {"$": "module", "v": "os"}),
    ("object of a class the tests did not name", {"$": "obj", "c": "Evil", "id": 0, "v": {}}),
]


@pytest.mark.parametrize("data", [h[1] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_encoding_yields_not_data_at_once(data: dict) -> None:
    started = time.monotonic()
    with pytest.raises(NotData):
        decode(data)
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("value", [
    fractions.Fraction(-3, 4), fractions.Fraction(10**100, 7), decimal.Decimal("1.25"), decimal.Decimal("-1E+20"),
    decimal.Decimal("-Infinity"),
])  # fmt: skip
def test_honest_number_yields_itself(value: object) -> None:
    assert decode(encode(value)) == value


# loads/dumps: the JSON between harness, solution and host, on json's C half (no `re` to import in the sandbox)
JSON_TEXTS = [
    '{"value": {"$": "tuple", "v": [1, 2.5, "x\\u00e9", null, true, false]}}',
    "  [1, [2, [3, []]], {}]\n",
    '"\\ud83d\\ude00"',
    "-0.0",
    "123456789012345678901234567890",
    '{"a": 1, "a": 2}',
    "[1e400, -1e400]",
]
NOT_ONE_JSON_TEXT = ["", "   ", "[1] [2]", "[1,]", "{'a': 1}", '"tab\tinside"', "nul", "[1", '{"a" 1}', b"\xff"]


@pytest.mark.parametrize("text", JSON_TEXTS)
def test_loads_yields_what_json_loads_yields(text: str) -> None:
    assert repr(loads(text)) == repr(json.loads(text))
    assert repr(loads(text.encode())) == repr(json.loads(text))


@pytest.mark.parametrize("text", NOT_ONE_JSON_TEXT)
def test_loads_of_anything_but_one_json_text_yields_value_error(text: str | bytes) -> None:
    with pytest.raises(ValueError):
        loads(text)


def test_loads_of_deep_nesting_yields_recursion_error_not_a_crash() -> None:
    with pytest.raises(RecursionError):
        loads("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    "value",
    [None, True, 0, -(10**30), 1.5, math.inf, -math.inf, 'é\n"', [1, (2, 3)], {"k": [{"n": None}]}, encode({1: {2}})],
    ids=lambda v: repr(v)[:30],
)
def test_dumps_yields_json_text_that_loads_back(value: object) -> None:
    text = dumps(value)
    assert text.isascii()
    assert repr(json.loads(text)) == repr(json.loads(json.dumps(value)))


@pytest.mark.parametrize("value", [b"x", {1, 2}, object(), [1, b"x"]], ids=["bytes", "set", "object", "nested bytes"])
def test_dumps_of_anything_but_plain_data_yields_type_error(value: object) -> None:
    with pytest.raises(TypeError):
        dumps(value)
