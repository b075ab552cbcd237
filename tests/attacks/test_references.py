"""Boundary "item reference -> parsers" (issue 12, class 8): the attacker writes an item's reference.

They have read sandbox/judge/formats.py and bounds.py. Every reference here must be refused
(BadTests, the bad_reference verdict) quickly and in little memory, and say why; none may
raise anything else, and none may cost the service what its size on the wire does not.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import re
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.judge import BadTests, TestCase, TestSuite, parse_tests
from sandbox.judge.bounds import MAX_DECOMPRESSED_BYTES
from sandbox.judge.program import Limits, plan
from tests.server import server_process

MIB = 1 << 20
REPO = Path(__file__).resolve().parents[2]


def compressed(payload: bytes) -> str:
    """LiveCodeBench's private-test encoding around any payload: base64(zlib(payload))."""
    return base64.b64encode(zlib.compress(payload, 9)).decode()


def shared_references(count: int = 40_000) -> str:
    """The reported 598-byte-class attack: a pickle whose list holds one 20 kB test ``count`` times."""
    test = {"input": "1 " * 10_000, "output": "x", "testtype": "stdin"}
    return compressed(pickle.dumps([test] * count))


def zlib_bomb(inflated_mib: int = 1400) -> str:
    """The reported 1.4 MB bomb: a pickled JSON string that inflates to ``inflated_mib`` MiB.

    Built from one full-flushed 1 MiB block repeated (identical bytes after a full flush), so
    it costs nothing to make; the stream has no end, which no bounded reader ever reaches.
    """
    deflate = zlib.compressobj(9)
    head = b"\x80\x04\x8d" + (inflated_mib * MIB).to_bytes(8, "little") + b'[{"input": "'
    first = deflate.compress(head) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(b"a" * MIB) + deflate.flush(zlib.Z_FULL_FLUSH)
    return base64.b64encode(first + block * inflated_mib).decode()


def pickled_text(text: str) -> str:
    return compressed(pickle.dumps(text))


def lcb(private: str, **more: Any) -> dict[str, Any]:
    return {"public_test_cases": "[]", "private_test_cases": private, "metadata": "{}", **more}


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def nested_text(depth: int) -> str:
    return "[" * depth + "]" * depth


def dev_rows(depth: int) -> dict[str, Any]:
    """Dev-case rows each wrapping the next, ``depth`` deep (built without recursion)."""
    row: dict[str, Any] = {}
    for _ in range(depth):
        row = {"problem_format": "mbpp_assert", "tests": row}
    return row


class Rigged:
    """A pickled object: naming any global (here this class) must be refused, never imported."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("true",))


REFUSED: list[tuple[str, Any, str, int, float]] = [
    # name, reference, message (regex), peak MiB allowed while parsing, seconds allowed
    ("40000 shared references to one test", lcb(shared_references()), "not a pickled string", 2, 1.0),
    ("1.4 MB zlib bomb", lcb(zlib_bomb()), r"more than 33554432 bytes.*decompressed_bytes", 80, 3.0),
    ("pickle calling os.system", lcb(compressed(pickle.dumps(Rigged()))), "not a pickled string", 1, 1.0),
    ("pickled dict of tests", lcb(compressed(pickle.dumps({"a": "b"}))), "not a pickled string", 1, 1.0),
    ("pickled bytes", lcb(compressed(pickle.dumps(b"[]"))), "not a pickled string", 1, 1.0),
    (
        "two pickled strings",
        lcb(compressed(pickle.dumps("[]")[:-1] + pickle.dumps("[]")[2:])),
        "after the string",
        1,
        1.0,
    ),
    ("data after the pickle", lcb(compressed(pickle.dumps("[]") + b"junk")), "after the string", 1, 1.0),
    ("truncated pickle", lcb(compressed(pickle.dumps("[" * 100)[:-5])), "not a pickled string", 1, 1.0),
    (
        "data after the zlib stream",
        lcb(base64.b64encode(zlib.compress(pickle.dumps("[]")) + b"junk").decode()),
        "followed by other data",
        1,
        1.0,
    ),
    ("truncated zlib stream", lcb(compressed(pickle.dumps("[]" * 50))[:-8]), "truncated", 1, 1.0),
    ("base64 with junk", lcb("@@@@" + compressed(pickle.dumps("[]"))), "bad base64", 1, 1.0),
    (
        "compressed text longer than any inflated bound",
        lcb("A" * (2 * MAX_DECOMPRESSED_BYTES + 4)),
        "compressed",
        1,
        1.0,
    ),
    (
        "10 million empty lists, compressed",
        lcb(pickled_text("[" + "[]," * 10_000_000 + "[]]")),
        "json_containers",
        80,
        3.0,
    ),
    (
        "5 million numbers, compressed",
        lcb(pickled_text("[" + "1000," * 5_000_000 + "1]")),
        "json_values",
        80,
        3.0,
    ),
    ("JSON nested 100000 deep", {"input_output": nested_text(100_000)}, "invalid JSON", 2, 1.0),
    ("LCB tests nested 100000 deep", lcb(pickled_text(nested_text(100_000))), "invalid JSON", 3, 1.0),
    (
        "dev-case rows nested 2000 deep",
        dev_rows(2000),
        "unknown test format",
        1,
        1.0,
    ),
    ("an int of 5000 digits", {"fn_name": "f", "inputs": ["[" + "9" * 5000 + "]"], "outputs": [1]}, "4300", 1, 1.0),
    (
        "duplicated keys",
        {"input_output": '{"inputs": ["1"], "outputs": ["1"], "outputs": ["2"]}'},
        "repeats a key",
        1,
        1.0,
    ),
    (
        "40000 tests in plain JSON",
        {"inputs": ["1"] * 40_000, "outputs": ["1"] * 40_000},
        r"40000 tests.*\(tests\)",
        1,
        1.0,
    ),
    ("a 9 MiB input", {"inputs": ["1" * (9 * MIB)], "outputs": ["1"]}, "test_size", 1, 1.0),
    ("tests over the total size", {"inputs": ["1" * (7 * MIB)] * 5, "outputs": ["1"] * 5}, "total_size", 1, 1.0),
    ("TACO lines over the test size", {"inputs": [["1" * MIB] * 9], "outputs": ["1"]}, "test_size", 1, 1.0),
    ("call values nested 1000 deep", {"fn_name": "f", "inputs": [nested(1000)], "outputs": [1]}, "value_depth", 3, 1.0),
    (
        "call values nested past value_depth",
        {"fn_name": "f", "inputs": [nested_text(150)], "outputs": [1]},
        "value_depth",
        1,
        1.0,
    ),
    ("inputs and outputs differ in length", {"inputs": ["1", "2"], "outputs": ["1"]}, "2 inputs but 1 outputs", 1, 1.0),
    ("fn_name a number", {"fn_name": 5, "inputs": [[1]], "outputs": [1]}, "fn_name must be a string", 1, 1.0),
    ("fn_name zero", {"fn_name": 0, "inputs": [[1]], "outputs": [1]}, "fn_name must be a string", 1, 1.0),
    ("fn_name a list", {"fn_name": ["f"], "inputs": [[1]], "outputs": [1]}, "fn_name must be a string", 1, 1.0),
    ("an input that is an object", {"inputs": [{"a": 1}], "outputs": ["1"]}, "input 1 must be a string", 1, 1.0),
    ("an output that is a number", {"inputs": ["1"], "outputs": [1]}, "output 1 must be a string", 1, 1.0),
    ("a lone surrogate in an input", {"inputs": ["\ud800"], "outputs": ["1"]}, "lone surrogate", 1, 1.0),
    (
        "a lone surrogate via a JSON escape",
        {"input_output": '{"inputs": ["\\udfff"], "outputs": ["1"]}'},
        "surrogate",
        1,
        1.0,
    ),
    ("a lone surrogate in a checker", {"inputs": ["1"], "outputs": ["1"], "checker": "\udc80"}, "surrogate", 1, 1.0),
    (
        "a lone surrogate in an expected value",
        {"fn_name": "f", "inputs": [[]], "outputs": ["\ud800"]},
        "surrogate",
        1,
        1.0,
    ),
    (
        "a checker in no known language",
        {"inputs": ["1"], "outputs": ["1"], "checker": {"source": "x", "language": "cobol"}},
        "unsupported language",
        1,
        1.0,
    ),
    ("a YAML reference", "inputs: [1]\noutputs: [1]\n", "invalid JSON", 1, 1.0),
    ("a JSON text with a byte-order mark", '\ufeff{"inputs": ["1"], "outputs": ["1"]}', "invalid JSON", 1, 1.0),
    ("LCB tests that are not objects", lcb(pickled_text("[1, 2]")), "must be objects", 1, 1.0),
    (
        "LCB test input not text",
        lcb(pickled_text('[{"input": 1, "output": "1", "testtype": "stdin"}]')),
        "input 1",
        1,
        1.0,
    ),
    ("test_imports an object", {"test_list": ["assert True"], "test_imports": {"a": 1}}, "test_imports", 1, 1.0),
    ("unknown keys of every type", {"a" * 10_000: 1, "b": 2}, "unknown test format", 1, 1.0),
    ("a million unknown keys", {f"k{n}": n for n in range(1_000_000)}, "unknown test format", 1, 0.1),
]


@pytest.mark.parametrize(
    ("reference", "message", "peak_mib", "seconds"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_hostile_reference_yields_bad_tests_quickly_in_bounded_memory(
    reference: Any, message: str, peak_mib: int, seconds: float
) -> None:
    tracemalloc.start()
    start = time.monotonic()
    try:
        with pytest.raises(BadTests, match=message):
            parse_tests(reference)
        elapsed = time.monotonic() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < peak_mib * MIB, f"parsing peaked at {peak / MIB:.1f} MiB"
    assert elapsed < seconds * 3, f"parsing took {elapsed:.2f} s"  # x3: the machine is shared


MEASURE = """
import json, re, sys, time
from rewards.code import CodeParams, code_reward
from rewards.item import Item


def kib(field):
    return int(re.search(field + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1))


def peak_growth(call):
    open("/proc/self/clear_refs", "w").write("5")  # resets the peak RSS (VmHWM) to the current RSS
    before = kib("VmRSS")
    start = time.monotonic()
    result = call()
    return result, kib("VmHWM") - before, time.monotonic() - start


reference = json.loads(sys.stdin.read())
_, instrument, _ = peak_growth(lambda: len(bytearray(64 << 20)))  # the gauge must see a 64 MiB allocation
verdict, grown, elapsed = peak_growth(lambda: code_reward(Item("```python\\nprint(1)\\n```", reference), CodeParams()))
print(json.dumps({"status": verdict.status.value, "reason": verdict.reason, "grown_kib": grown, "s": elapsed,
                  "instrument_kib": instrument}))
"""

HEADLINE = [
    ("598-byte-class pickle of 40000 shared tests", lcb(shared_references()), 16),
    ("1.4 MB zlib bomb", lcb(zlib_bomb()), 100),
]


@pytest.mark.parametrize(("reference", "grown_mib"), [h[1:] for h in HEADLINE], ids=[h[0] for h in HEADLINE])
def test_reported_reference_attack_yields_bad_reference_without_growing_the_process(
    reference: Any, grown_mib: int
) -> None:
    """The two attacks as reported, through the code verifier in a fresh process: its peak RSS barely moves.

    Reported against main: the first grew the server from 105 MB to 918 MB, the second to 2.2 GB in 39 s.
    """
    done = subprocess.run(
        [sys.executable, "-c", MEASURE],
        input=json.dumps(reference),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout)
    assert got["instrument_kib"] > 60 * 1024, got
    assert got["status"] == "bad_reference", got
    assert got["grown_kib"] < grown_mib * 1024, got
    assert got["s"] < 5.0, got


KEYS = [
    "inputs", "outputs", "input_output", "fn_name", "public_tests", "private_tests", "generated_tests", "input",
    "output", "public_test_cases", "private_test_cases", "metadata", "func_name", "testtype", "test_list",
    "test_imports", "test_setup_code", "test", "entry_point", "prelude", "import_prefix", "pytest", "checker",
    "source", "language", "problem_format", "tests",
]  # fmt: skip
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=4)
    | st.sampled_from(["stdin", "functional"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=15,
)
FIELD = JSON | JSON.map(json.dumps) | JSON.map(lambda v: compressed(pickle.dumps(json.dumps(v))))
LCB_TESTS = st.lists(st.fixed_dictionaries({"input": FIELD, "output": FIELD, "testtype": FIELD}), max_size=3)
REFERENCES = st.one_of(
    st.dictionaries(st.sampled_from(KEYS), FIELD, max_size=5),
    FIELD,
    st.fixed_dictionaries(
        {"inputs": st.lists(FIELD, max_size=3), "outputs": st.lists(FIELD, max_size=3)},
        optional={"fn_name": FIELD, "checker": FIELD},
    ),
    st.fixed_dictionaries({"input_output": FIELD}),
    st.fixed_dictionaries(
        {"public_test_cases": LCB_TESTS | LCB_TESTS.map(json.dumps)},
        optional={
            "private_test_cases": LCB_TESTS.map(lambda t: compressed(pickle.dumps(json.dumps(t)))),
            "metadata": FIELD,
        },
    ),
    st.fixed_dictionaries({"public_tests": st.fixed_dictionaries({"input": FIELD, "output": FIELD})}),
    st.fixed_dictionaries({"test_list": FIELD}, optional={"test_imports": FIELD, "test_setup_code": FIELD}),
    st.fixed_dictionaries({"test": FIELD}, optional={"entry_point": FIELD, "prelude": FIELD}),
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REFERENCES)
def test_any_reference_yields_a_suite_or_bad_tests(reference: Any) -> None:
    try:
        suite = parse_tests(reference)
    except BadTests as exc:
        assert str(exc)
    else:
        assert suite.cases


def test_suite_sharing_one_input_yields_steps_sharing_one_encoding() -> None:
    """Past the parser (a suite built in code), 40000 tests of one 20 kB input still encode it once."""
    case = TestCase(input="1 " * 10_000, output="x")
    suite = TestSuite(kind="stdio", cases=(case,) * 40_000)
    tracemalloc.start()
    try:
        planned = plan("print(1)", suite, "python", Limits())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len({id(step.stdin) for step in planned.job.steps}) == 1
    assert peak < 64 * MIB, f"planning peaked at {peak / MIB:.1f} MiB"  # was 800 MB: one copy per test


def status_kib(pid: int, field: str) -> int:
    return int(re.search(field + r":\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))  # type: ignore[union-attr]


@pytest.mark.integration
def test_reported_reference_attacks_over_http_yield_bad_reference_and_keep_the_server_small() -> None:
    """Both reported attacks, twice each, in one request to a real server: judged bad_reference, RSS peak bounded."""
    completion = "<think>x</think>\n```python\nprint(1)\n```"
    attacks = [lcb(shared_references()), lcb(zlib_bomb())] * 2
    items = [{"id": n, "completion": completion, "reference": ref} for n, ref in enumerate(attacks)]
    with server_process() as (url, proc):
        Path(f"/proc/{proc.pid}/clear_refs").write_text("5")  # the server's peak RSS starts again from now
        before = status_kib(proc.pid, "VmRSS")
        start = time.monotonic()
        response = httpx.post(f"{url}/v1/score", json={"items": items, "rewards": {"code": 1.0}}, timeout=120)
        elapsed = time.monotonic() - start
        grown_mib = (status_kib(proc.pid, "VmHWM") - before) / 1024
    assert response.status_code == 200, response.text[:500]
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["bad_reference"] * 4, results
    reasons = [r["components"][0]["reason"] for r in results]
    assert "not a pickled string" in reasons[0] and "decompressed_bytes" in reasons[1], reasons
    assert grown_mib < 400, f"the server grew by {grown_mib:.0f} MiB"  # was 918 MB and 2.2 GB for one of each
    assert elapsed < 20, f"{elapsed:.1f} s"  # was 39 s for the bomb alone
