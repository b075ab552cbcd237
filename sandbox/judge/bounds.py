"""Decode an item's reference within operator bounds: JSON texts and LiveCodeBench's compressed tests.

A reference is untrusted input, and the formats it may use can expand: a JSON text of
``[[],[],...]`` holds twenty times its size in Python objects, a zlib stream a thousand
times, a pickle shares one object as often as it likes. Every bound below caps what
parsing one reference may cost the service (time and memory) before anything runs; a
reference over one is :class:`BadTests` (the ``bad_reference`` verdict) naming the bound
and its value. The defaults fit the data sets the judge accepts; an operator with larger
tests passes other :class:`ReferenceBounds` to ``parse_tests``.

Worst cases at the defaults: inflating LiveCodeBench's private tests holds at most
``MAX_DECOMPRESSED_BYTES`` twice (the bytes and their text); parsing every JSON text of a
reference creates at most ``MAX_JSON_VALUES`` values (about 40 bytes each) of which at most
``MAX_JSON_CONTAINERS`` are lists or objects (about 64 bytes each), and as many again from
JSON texts inside their strings (LiveCodeBench's functional arguments); the tests kept hold
at most ``MAX_TOTAL_SIZE`` characters (and values, for call-based tests).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass
from typing import Any

from sandbox.judge.cases import BadTests

MAX_DECOMPRESSED_BYTES = 32 << 20
"""LiveCodeBench's compressed private tests, once inflated (zlib is never given more room than this)."""
MAX_TESTS = 1000
"""Tests in one reference (each is one sandbox step)."""
MAX_TEST_SIZE = 8 << 20
"""One test's input, output or code in characters; for a call-based test, its arguments and expected
value together, counting each JSON value as one and each string's characters."""
MAX_TOTAL_SIZE = 32 << 20
"""All tests and code of one reference together (the sizes of MAX_TEST_SIZE, plus prelude and checker)."""
MAX_JSON_VALUES = 4 << 20
"""Values all JSON texts of one reference may hold, counted before parsing from the commas, colons
and brackets in each text (an upper bound: those inside strings count too)."""
MAX_JSON_CONTAINERS = 1 << 20
"""Lists and objects all JSON texts of one reference may hold, counted from the opening brackets."""
MAX_VALUE_DEPTH = 100
"""Nesting of a call-based test's arguments and expected value (the judge and harness recurse on them)."""

PICKLE_HEAD = re.compile(rb"(?:\x80[\x00-\x05])?(?:\x95.{8})?", re.DOTALL)  # PROTO, FRAME
LENGTH_BYTES = {b"\x8c": 1, b"X": 4, b"\x8d": 8}  # SHORT_BINUNICODE, BINUNICODE, BINUNICODE8: size of the length
PICKLE_TAIL = re.compile(rb"(?:\x94|q.|r.{4}|p\d+\n)?(?:\x95.{8})?\.", re.DOTALL)  # memo put, FRAME, STOP
SURROGATE = re.compile("[\ud800-\udfff]")
SCALARS = frozenset({int, float, bool, type(None)})


@dataclass(frozen=True)
class ReferenceBounds:
    """The bounds on one reference; see the module constants for what each counts."""

    decompressed_bytes: int = MAX_DECOMPRESSED_BYTES
    tests: int = MAX_TESTS
    test_size: int = MAX_TEST_SIZE
    total_size: int = MAX_TOTAL_SIZE
    json_values: int = MAX_JSON_VALUES
    json_containers: int = MAX_JSON_CONTAINERS
    value_depth: int = MAX_VALUE_DEPTH


DEFAULT_BOUNDS = ReferenceBounds()


class Budget:
    """What one reference may still spend while it is parsed; a charge over a bound raises BadTests."""

    def __init__(self, bounds: ReferenceBounds = DEFAULT_BOUNDS) -> None:
        self.bounds = bounds
        self.tests = 0
        self.size = 0
        self.outer = [0, 0]  # JSON containers and values counted in the texts of the reference itself
        self.inner = [0, 0]  # ... in texts inside those texts' strings (each tally has the whole bound)

    def loads(self, value: Any, what: str, *, counted: bool = False) -> Any:
        """``value`` parsed if it is JSON text (else as is), once its values fit the budget.

        ``counted``: the text is a string inside a JSON text already counted, whose commas and
        brackets reserved these values then (LiveCodeBench's functional arguments).
        """
        if isinstance(value, bytes | bytearray):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise BadTests(f"{what}: JSON text is not UTF-8") from None
        if not isinstance(value, str):
            return value
        self._count_json(value, what, self.inner if counted else self.outer)
        try:
            return json.loads(value, object_pairs_hook=_unique_keys)
        except (ValueError, RecursionError) as exc:
            raise BadTests(f"{what}: invalid JSON ({str(exc)[:200]})") from None

    def _count_json(self, text: str, what: str, tally: list[int]) -> None:
        containers = text.count("[") + text.count("{")
        tally[0] += containers
        tally[1] += containers + text.count(",") + text.count(":") + 1
        _over(what, tally[0], "JSON lists and objects so far", self.bounds.json_containers, "json_containers")
        _over(what, tally[1], "JSON values so far", self.bounds.json_values, "json_values")

    def inflate(self, text: str, what: str) -> str:
        """The JSON text inside LiveCodeBench's ``base64(zlib(pickle(json text)))``, inflated within bounds.

        The pickle is never unpickled: its opcodes are read and only the shape ``pickle.dumps(str)``
        makes, in any protocol, is accepted (no globals, no containers, no references).
        """
        limit = self.bounds.decompressed_bytes
        _over(what, len(text), "characters of compressed text", 2 * limit, "2 x decompressed_bytes")
        try:
            packed = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise BadTests(f"{what}: not JSON nor LiveCodeBench's compressed form (bad base64)") from None
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(packed, limit + 1)
        except zlib.error as exc:
            raise BadTests(f"{what}: not JSON nor LiveCodeBench's compressed form (zlib: {exc})") from None
        if len(data) > limit:
            raise BadTests(f"{what}: inflates to more than {limit} bytes, over the bound (decompressed_bytes)")
        if not inflater.eof or inflater.unused_data:
            raise BadTests(f"{what}: the zlib stream is truncated or followed by other data")
        return _pickled_text(data, what)

    def count_tests(self, count: int, what: str) -> None:
        """Charge ``count`` more tests (checked before they are built)."""
        self.tests += count
        _over(what, self.tests, "tests", self.bounds.tests, "tests")

    def text(self, value: Any, what: str) -> str:
        """``value``, which must be a string of valid Unicode text within the size bounds, charged."""
        if not isinstance(value, str):
            raise BadTests(f"{what} must be a string, got {type(value).__name__}")
        self._charge(len(value), what)
        if not value.isascii() and SURROGATE.search(value):
            raise BadTests(f"{what}: not valid Unicode text (a lone surrogate)")
        return value

    def values(self, what: str, *values: Any) -> None:
        """Charge a call-based test's JSON values (arguments, expected): size, nesting and text as ``text``."""
        self._charge(sum(_size(v, self.bounds.value_depth, what) for v in values), what)

    def fits(self, size: int, what: str) -> None:
        """BadTests unless ``size`` more would fit the bounds (checked before building something that big)."""
        _over(what, size, "in size", self.bounds.test_size, "test_size")
        _over(what, self.size + size, "in size with the tests before it", self.bounds.total_size, "total_size")

    def _charge(self, size: int, what: str) -> None:
        self.fits(size, what)
        self.size += size


def _over(what: str, got: int, unit: str, limit: int, name: str) -> None:
    if got > limit:
        raise BadTests(f"{what}: {got} {unit}, over the bound of {limit} ({name})")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused if it repeats a key (readers disagree on which one wins)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("an object repeats a key")
    return obj


def _pickled_text(data: bytes, what: str) -> str:
    """The string ``data`` pickles, if it is exactly what ``pickle.dumps(str)`` makes in some protocol.

    Matched byte by byte (never unpickled): optional PROTO and FRAME, one string opcode, an
    optional memo put and FRAME, STOP, nothing after. The string is decoded from a view of
    ``data``, so the reference never holds its inflated size more than twice.
    """
    head = PICKLE_HEAD.match(data)
    pos = head.end() if head else 0
    op, size = data[pos : pos + 1], LENGTH_BYTES.get(data[pos : pos + 1], 0)
    try:
        if op == b"V":  # protocol 0: raw-unicode-escape text up to a newline
            end = data.index(b"\n", pos)
            text, pos = data[pos + 1 : end].decode("raw-unicode-escape"), end + 1
        elif size:
            start = pos + 1 + size
            end = start + int.from_bytes(data[pos + 1 : start], "little")
            if end > len(data):
                raise ValueError("the string runs past the end")
            text, pos = str(memoryview(data)[start:end], "utf-8", "surrogatepass"), end
        else:
            raise ValueError("no string where pickle.dumps(str) puts one")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadTests(f"{what}: not a pickled string ({str(exc)[:100]})") from None
    if not PICKLE_TAIL.fullmatch(data, pos):
        raise BadTests(f"{what}: not a pickled string (something other than a memo put and STOP after the string)")
    return text


def _size(value: Any, depth_limit: int, what: str) -> int:
    """Values plus string characters in a JSON value, walked without recursion; BadTests past the depth."""
    size = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > depth_limit:
            raise BadTests(f"{what}: nested deeper than {depth_limit}, over the bound (value_depth)")
        size += 1
        if isinstance(item, str):
            size += len(item)
            if not item.isascii() and SURROGATE.search(item):
                raise BadTests(f"{what}: not valid Unicode text (a lone surrogate)")
        elif isinstance(item, list | tuple | dict):
            children = [*item, *item.values()] if isinstance(item, dict) else item
            kinds = set(map(type, children))
            if kinds <= SCALARS:
                size += len(children)
            elif kinds == {str}:
                joined = "".join(children)
                size += len(children) + len(joined)
                if not joined.isascii() and SURROGATE.search(joined):
                    raise BadTests(f"{what}: not valid Unicode text (a lone surrogate)")
            else:
                stack += [(child, depth + 1) for child in children]
    return size
