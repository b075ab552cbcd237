"""The wire decoder runs in trusted processes on data a solution chose: it must refuse fast, never compute."""

from __future__ import annotations

import decimal
import fractions
import time

import pytest

from sandbox.judge.wire import NotData, decode, encode

HOSTILE = [
    ("Fraction with an exponent", {"$": "Fraction", "v": "1e100000000"}),
    ("Fraction of words", {"$": "Fraction", "v": "1/two"}),
    ("Fraction of non-ASCII digits", {"$": "Fraction", "v": "\u0661/2"}),
    ("Decimal with a huge exponent", {"$": "Decimal", "v": "1e999999999"}),
    ("Decimal NaN", {"$": "Decimal", "v": "NaN"}),
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
])  # fmt: skip
def test_honest_number_yields_itself(value: object) -> None:
    assert decode(encode(value)) == value
