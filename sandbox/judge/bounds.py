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
``MAX_JSON_CONTAINERS`` are lists or objects (about 64 bytes each); the tests kept hold at
most ``MAX_TOTAL_SIZE`` characters (and values, for call-based tests).
"""

from __future__ import annotations

import base64
import binascii
import json
import pickletools
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
MAX_JSON_VALUES = 8 << 20
"""Values all JSON texts of one reference may hold, counted before parsing from the commas, colons
and brackets in each text (an upper bound: those inside strings count too)."""
MAX_JSON_CONTAINERS = 1 << 20
"""Lists and objects all JSON texts of one reference may hold, counted from the opening brackets."""
MAX_VALUE_DEPTH = 100
"""Nesting of a call-based test's arguments and expected value (the judge and harness recurse on them)."""

STRINGS = frozenset({"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE"})
FRAMING = frozenset({"PROTO", "FRAME", "MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT"})
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
        self.json_values = 0
        self.json_containers = 0

    def loads(self, value: Any, what: str) -> Any:
        """``value`` parsed if it is JSON text (else as is), once its values fit the budget."""
        if isinstance(value, bytes | bytearray):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise BadTests(f"{what}: JSON text is not UTF-8") from None
        if not isinstance(value, str):
            return value
        containers = value.count("[") + value.count("{")
        self.json_containers += containers
        self.json_values += containers + value.count(",") + value.count(":") + 1
        _over(
            what, self.json_containers, "JSON lists and objects so far", self.bounds.json_containers, "json_containers"
        )
        _over(what, self.json_values, "JSON values so far", self.bounds.json_values, "json_values")
        try:
            return json.loads(value, object_pairs_hook=_unique_keys)
        except (ValueError, RecursionError) as exc:
            raise BadTests(f"{what}: invalid JSON ({str(exc)[:200]})") from None

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
    """The string ``data`` pickles, read opcode by opcode; anything but framing around one string is refused."""
    text: str | None = None
    ops = pickletools.genops(data)
    while True:
        try:
            op, arg, pos = next(ops)
        except (ValueError, UnicodeDecodeError, StopIteration) as exc:
            raise BadTests(f"{what}: not a pickled string ({str(exc)[:100] or 'no STOP'})") from None
        if op.name in STRINGS and text is None:
            text = arg
        elif op.name == "STOP" and text is not None and pos + 1 == len(data):
            return text
        elif op.name not in FRAMING:
            raise BadTests(f"{what}: the pickle holds {op.name}, not just one string")


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
