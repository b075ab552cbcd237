"""Values as plain data: the only form in which anything leaves the candidate's process.

Exact types only (a ``bool`` is not an ``int``, a subclass of ``list`` is not a list), so
an object with a rigged ``__eq__`` can never cross. JSON arrays are lists; every JSON
object is a tagged record (``{"$": "tuple", "v": [...]}``). Objects of a few trusted
helper classes (e.g. the tests' ``ListNode``), named in ``classes``, cross as their
attribute dicts and are rebuilt on the other side from that side's own class.

Standalone on purpose (stdlib only): the harness ships this source into the sandbox. The
JSON text between the processes is made and read by :func:`dumps` and :func:`loads`, the
C half of ``json`` (``import json`` costs ``re`` and ``enum``: ~7 ms of every test).
"""

from __future__ import annotations

import collections
import math
from _json import encode_basestring_ascii, make_scanner

if __name__ != "__main__":  # annotations stay strings in the sandbox, where typing is not worth its import
    from typing import Any


MAX_NUMBER_TEXT = 10_000  # digits of a Decimal or Fraction (ints stop at Python's own 4,300)
MAX_DECIMAL_EXPONENT = 10_000


class NotData(ValueError):
    """The value is not plain data (or the encoding is malformed)."""


_SIMPLE_TAGS: dict[type, str] = {tuple: "tuple", set: "set", frozenset: "frozenset", collections.deque: "deque"}
_DICT_TAGS: dict[type, str] = {
    dict: "dict",
    collections.OrderedDict: "odict",
    collections.Counter: "counter",
    collections.defaultdict: "ddict",
}


def encode(value: Any, classes: frozenset[str] = frozenset(), memo: dict[int, int] | None = None) -> Any:
    """``value`` as JSON-ready plain data; NotData if anything in it is not data."""
    memo = {} if memo is None else memo
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:
        return value
    if t is float:
        return value if math.isfinite(value) else {"$": "float", "v": repr(value)}
    if t is list:
        return [encode(v, classes, memo) for v in value]
    if t in _SIMPLE_TAGS:
        return {"$": _SIMPLE_TAGS[t], "v": [encode(v, classes, memo) for v in value]}
    if t in _DICT_TAGS:
        pairs = [[encode(k, classes, memo), encode(v, classes, memo)] for k, v in value.items()]
        return {"$": _DICT_TAGS[t], "v": pairs}
    if t is bytes or t is bytearray:
        return {"$": t.__name__, "v": value.hex()}
    if t is complex:
        return {"$": "complex", "v": [value.real, value.imag]}
    if t.__module__ in ("decimal", "fractions") and t.__name__ in ("Decimal", "Fraction"):
        return {"$": t.__name__, "v": str(value)}
    if t.__name__ in classes:
        return _encode_object(value, classes, memo)
    raise NotData(f"a value of type {t.__name__} is not plain data")


def _encode_object(value: Any, classes: frozenset[str], memo: dict[int, int]) -> Any:
    if id(value) in memo:
        return {"$": "ref", "id": memo[id(value)]}
    attrs = object.__getattribute__(value, "__dict__")
    if type(attrs) is not dict or not all(type(k) is str for k in attrs):
        raise NotData(f"{type(value).__name__} object has no plain attribute dict")
    memo[id(value)] = ref = len(memo)
    return {
        "$": "obj",
        "c": type(value).__name__,
        "id": ref,
        "v": {k: encode(v, classes, memo) for k, v in attrs.items()},
    }


def decode(data: Any, classes: dict[str, type] | None = None, memo: dict[int, Any] | None = None) -> Any:
    """Inverse of :func:`encode`; only builds plain types and the given trusted ``classes``."""
    classes = {} if classes is None else classes
    memo = {} if memo is None else memo
    t = type(data)
    if data is None or t in (bool, str, int, float):
        return data
    if t is list:
        return [decode(v, classes, memo) for v in data]
    if t is not dict or not isinstance(data.get("$"), str):
        raise NotData(f"malformed value {str(data)[:60]}")
    tag, v = data["$"], data.get("v")
    try:
        return _decode_tagged(tag, v, data, classes, memo)
    except (TypeError, ValueError, KeyError, ArithmeticError) as exc:
        raise NotData(f"malformed {tag} value: {exc}") from None


def _decode_tagged(tag: str, v: Any, data: dict, classes: dict[str, type], memo: dict[int, Any]) -> Any:
    simple = {"tuple": tuple, "set": set, "frozenset": frozenset, "deque": collections.deque}
    dicts: dict[str, Any] = {
        "dict": dict,
        "odict": collections.OrderedDict,
        "counter": collections.Counter,
        "ddict": lambda pairs: collections.defaultdict(None, pairs),
    }
    if tag in simple:
        return simple[tag](decode(x, classes, memo) for x in _list(v))
    if tag in dicts:
        return dicts[tag]([(decode(k, classes, memo), decode(x, classes, memo)) for k, x in _list(v)])
    if tag == "float" and v in ("nan", "inf", "-inf"):
        return float(v)
    if tag in ("bytes", "bytearray"):
        return (bytes if tag == "bytes" else bytearray).fromhex(v)
    if tag == "complex":
        return complex(*(float(x) for x in _list(v)))
    if tag == "Decimal":
        import decimal  # imported on demand: most harness runs never need it

        number = decimal.Decimal(str(v)[:MAX_NUMBER_TEXT])
        # NaN, sNaN and Infinity are cheap and simply wrong answers; a finite value's exponent must be small
        if number.is_finite() and abs(number.as_tuple().exponent) > MAX_DECIMAL_EXPONENT:  # type: ignore[arg-type]
            raise NotData("Decimal out of range")
        return number
    if tag == "Fraction":
        import fractions

        text = str(v)  # str(Fraction) is "p" or "p/q": an exponent ("1e100000000") would cost 10**n here
        num, _, den = text.removeprefix("-").partition("/")
        if len(text) > MAX_NUMBER_TEXT or not all(part.isascii() and part.isdigit() for part in (num, den or "1")):
            raise NotData("Fraction is not p/q")
        return fractions.Fraction(text)
    if tag == "ref":
        return memo[int(data["id"])]
    if tag == "obj" and data.get("c") in classes and type(v) is dict:
        cls: Any = classes[data["c"]]
        obj = cls.__new__(cls)
        memo[int(data["id"])] = obj
        obj.__dict__.update({str(k): decode(x, classes, memo) for k, x in v.items()})
        return obj
    raise NotData(f"unknown or untrusted tag {tag!r}")


class _Strict:
    """What json's C scanner reads from ``json.loads``'s decoder: strict JSON, plain types."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = {"-Infinity": -math.inf, "Infinity": math.inf, "NaN": math.nan}.__getitem__


_scan = make_scanner(_Strict())  # type: ignore[arg-type]  # the C scanner reads these attributes, duck-typed
_SPACE = " \t\n\r"


def loads(text: str | bytes) -> Any:
    """``json.loads`` of one JSON text (UTF-8 if bytes); a ValueError (NotData) if it is not exactly one."""
    if isinstance(text, bytes):
        text = text.decode()  # UnicodeDecodeError is a ValueError
    start = len(text) - len(text.lstrip(_SPACE))
    try:
        value, end = _scan(text, start)
    except StopIteration:
        raise NotData("not JSON") from None
    if text[end:].strip(_SPACE):
        raise NotData("extra data after the JSON value")
    return value


def dumps(value: Any) -> str:
    """ASCII JSON text of plain data (what :func:`encode` makes, in dicts of str keys); TypeError for anything else."""
    t = type(value)
    if value is None or t is bool:
        return {None: "null", True: "true", False: "false"}[value]
    if t is str:
        return encode_basestring_ascii(value)
    if t is int:
        return str(value)
    if t is float:
        return (
            repr(value)
            if value == value and abs(value) != math.inf
            else str(value).replace("inf", "Infinity").replace("nan", "NaN")
        )
    if t is list or t is tuple:
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if t is dict:
        return "{" + ",".join(encode_basestring_ascii(str(k)) + ":" + dumps(v) for k, v in value.items()) + "}"
    raise TypeError(f"not plain data: {t.__name__}")


def _list(v: Any) -> list:
    if type(v) is not list:
        raise TypeError("expected a list")
    return v
