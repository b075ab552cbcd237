"""Every data-set test format, as it ships, parses into the judge's one TestSuite; malformed ones are BadTests."""

from __future__ import annotations

import base64
import collections
import json
import pickle
import zlib
from typing import Any

import pytest

from sandbox.judge import BadTests, TestCase, parse_tests
from sandbox.judge.bounds import ReferenceBounds


def lcb_compressed(tests: list[dict[str, str]]) -> str:
    """LiveCodeBench's private_test_cases encoding: base64(zlib(pickle(json text)))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


LCB_STDIN = [{"input": "5\n", "output": "6\n", "testtype": "stdin"}]

PARSED: list[tuple[str, Any, str, list[TestCase]]] = [
    ("plain inputs/outputs", {"inputs": ["1 2\n"], "outputs": ["3\n"]}, "stdio", [TestCase("1 2\n", "3\n")]),
    (
        "APPS input_output as JSON text",
        {"input_output": json.dumps({"inputs": ["3\n1 2 3\n"], "outputs": ["6\n"]})},
        "stdio",
        [TestCase("3\n1 2 3\n", "6\n")],
    ),
    (
        "TACO input_output object with lists of lines",
        {"input_output": {"inputs": [["1 2", "3 4"]], "outputs": [["3", "7"]]}},
        "stdio",
        [TestCase("1 2\n3 4\n", "3\n7\n")],
    ),
    (
        "APPS call-based with fn_name",
        {"input_output": json.dumps({"fn_name": "total", "inputs": [[[1, 2, 3]]], "outputs": [[6]]})},
        "call",
        [TestCase(args=([1, 2, 3],), expected=[6])],
    ),
    (
        "CodeContests public/private/generated",
        {
            "public_tests": {"input": ["1\n"], "output": ["2\n"]},
            "private_tests": {"input": ["5\n"], "output": ["6\n"]},
            "generated_tests": {"input": [], "output": []},
        },
        "stdio",
        [TestCase("1\n", "2\n"), TestCase("5\n", "6\n")],
    ),
    (
        "LiveCodeBench stdin, private tests compressed",
        {
            "public_test_cases": json.dumps([{"input": "1\n", "output": "2\n", "testtype": "stdin"}]),
            "private_test_cases": lcb_compressed(LCB_STDIN),
            "metadata": "{}",
        },
        "stdio",
        [TestCase("1\n", "2\n"), TestCase("5\n", "6\n")],
    ),
    (
        "LiveCodeBench functional",
        {
            "public_test_cases": json.dumps([{"input": "[1, 2]\n3", "output": "6", "testtype": "functional"}]),
            "private_test_cases": "[]",
            "metadata": json.dumps({"func_name": "scaled"}),
        },
        "call",
        [TestCase(args=([1, 2], 3), expected=6)],
    ),
    (
        "call-based fn_name with JSON arguments",
        {"fn_name": "add", "inputs": [[1, 2], "[3, 4]"], "outputs": [3, 7]},
        "call",
        [TestCase(args=(1, 2), expected=3), TestCase(args=(3, 4), expected=7)],
    ),
    (
        "HumanEval test + entry_point",
        {"test": "def check(candidate):\n    assert candidate(1) == 2\n", "entry_point": "inc"},
        "assert",
        [TestCase(code="def check(candidate):\n    assert candidate(1) == 2\n\n\ncheck(inc)\n")],
    ),
    (
        "MBPP test_list with setup and imports",
        {"test_list": ["assert f(1) == 1", "assert f(2) == 4"], "test_setup_code": "x = 1", "test_imports": []},
        "assert",
        [TestCase(code="assert f(1) == 1"), TestCase(code="assert f(2) == 4")],
    ),
    (
        "LeetCode prelude + check",
        {"prelude": "from typing import *\n", "test": "def check(candidate):\n    pass\n\ncheck(Solution().f)"},
        "assert",
        [TestCase(code="def check(candidate):\n    pass\n\ncheck(Solution().f)")],
    ),
    (
        "pytest file",
        {"pytest": "from solution import f\n\ndef test_f():\n    assert f() == 1\n"},
        "pytest",
        [TestCase(code="from solution import f\n\ndef test_f():\n    assert f() == 1\n")],
    ),
    (
        "dev-case row wrapping its tests",
        {"problem_format": "mbpp_assert", "tests": {"test_setup_code": "", "test_list": ["assert g() == 0"]}},
        "assert",
        [TestCase(code="assert g() == 0")],
    ),
    (
        "the whole reference as JSON text",
        json.dumps({"inputs": ["x"], "outputs": ["y"]}),
        "stdio",
        [TestCase("x", "y")],
    ),
]


@pytest.mark.parametrize(("reference", "kind", "cases"), [p[1:] for p in PARSED], ids=[p[0] for p in PARSED])
def test_dataset_format_yields_normalised_suite(reference: Any, kind: str, cases: list[TestCase]) -> None:
    suite = parse_tests(reference)
    assert (suite.kind, list(suite.cases)) == (kind, cases)


def test_apps_call_based_yields_unwrapping_of_single_outputs() -> None:
    apps = parse_tests({"input_output": {"fn_name": "f", "inputs": [[1]], "outputs": [[2]]}})
    plain = parse_tests({"fn_name": "f", "inputs": [[1]], "outputs": [[2]]})
    assert (apps.unwrap, apps.fn_name, plain.unwrap) == (True, "f", False)


def test_mbpp_setup_and_imports_yield_setup_and_prelude() -> None:
    suite = parse_tests({"test_list": ["assert f()"], "test_setup_code": "x = 1", "test_imports": ["import math"]})
    assert (suite.setup, suite.prelude) == ("x = 1", "import math")


def test_checker_yields_checker_on_stdio_suite() -> None:
    suite = parse_tests({"inputs": ["1"], "outputs": ["1"], "checker": {"source": "print(1)", "language": "python"}})
    assert suite.checker is not None and suite.checker.language == "python"


MALFORMED = [
    ("no reference", None, "must be an object"),
    ("a bare answer", "42", "must be an object"),
    ("counts differ", {"inputs": ["1"], "outputs": []}, "1 inputs but 0 outputs"),
    ("broken JSON text", {"input_output": "{not json"}, "invalid JSON"),
    ("call arguments not a list", {"fn_name": "f", "inputs": [5], "outputs": [1]}, "arguments must be a JSON list"),
    ("unknown keys", {"question": "?"}, "unknown test format"),
    ("test_list not a list", {"test_list": "assert x"}, "test_list must be a list"),
    ("check never called", {"test": "def check(candidate):\n    pass\n"}, "never calls it"),
    ("no cases", {"inputs": [], "outputs": []}, "no test cases"),
    ("stdin input not text", {"inputs": [1], "outputs": ["1"]}, "input 1 must be a string"),
    (
        "LiveCodeBench mixed test types",
        {
            "public_test_cases": [
                {"input": "", "output": "", "testtype": "stdin"},
                {"input": "", "output": "", "testtype": "functional"},
            ]
        },
        "one testtype",
    ),
    (
        "LiveCodeBench functional without func_name",
        {"public_test_cases": [{"input": "1", "output": "1", "testtype": "functional"}]},
        "func_name",
    ),
    ("LiveCodeBench private garbage", {"private_test_cases": "garbage=="}, "compressed form"),
    (
        "LiveCodeBench pickle naming a global",
        {"private_test_cases": base64.b64encode(zlib.compress(pickle.dumps(collections.OrderedDict()))).decode()},
        "not a pickled string",
    ),
    ("checker on call-based tests", {"fn_name": "f", "inputs": [[]], "outputs": [1], "checker": "x"}, "stdin/stdout"),
    ("CodeContests group without lists", {"public_tests": {"input": "1", "output": "2"}}, "input and output lists"),
]


@pytest.mark.parametrize(("reference", "message"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_malformed_tests_yield_bad_tests_naming_the_problem(reference: Any, message: str) -> None:
    with pytest.raises(BadTests, match=message):
        parse_tests(reference)


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("size", [3, 300, 100_000])
def test_lcb_private_tests_in_any_pickle_protocol_yield_their_tests(protocol: int, size: int) -> None:
    tests = [{"input": "x" * size, "output": "é", "testtype": "stdin"}]
    packed = base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests), protocol))).decode()
    suite = parse_tests({"public_test_cases": "[]", "private_test_cases": packed, "metadata": "{}"})
    assert list(suite.cases) == [TestCase("x" * size, "é")]


FUNCTIONAL = {"fn_name": "f", "inputs": ["[[[1]]]"], "outputs": [1]}  # arguments nested 3 deep
STDIO = {"inputs": ["12345", "1"], "outputs": ["12345", "1"]}  # 2 tests, sizes 5 + 5 and 1 + 1
AS_TEXT = {"input_output": json.dumps({"inputs": ["1"], "outputs": ["1"]})}  # 3 brackets, 1 comma, 2 colons: 7 values
PACKED = pickle.dumps(json.dumps([{"input": "1", "output": "1", "testtype": "stdin"}]))
AS_LCB = {"private_test_cases": base64.b64encode(zlib.compress(PACKED)).decode()}

# Each bound, at its value (accepted) and one below what the reference needs (refused, naming the bound).
BOUNDS = [
    ("tests", STDIO, ReferenceBounds(tests=2), ReferenceBounds(tests=1)),
    ("test_size", STDIO, ReferenceBounds(test_size=5), ReferenceBounds(test_size=4)),
    ("total_size", STDIO, ReferenceBounds(total_size=12), ReferenceBounds(total_size=11)),
    ("json_values", AS_TEXT, ReferenceBounds(json_values=7), ReferenceBounds(json_values=6)),
    ("json_containers", AS_TEXT, ReferenceBounds(json_containers=3), ReferenceBounds(json_containers=2)),
    ("value_depth", FUNCTIONAL, ReferenceBounds(value_depth=3), ReferenceBounds(value_depth=2)),
    (
        "decompressed_bytes",
        AS_LCB,
        ReferenceBounds(decompressed_bytes=len(PACKED)),
        ReferenceBounds(decompressed_bytes=len(PACKED) - 1),
    ),
]


@pytest.mark.parametrize(("reference", "fits", "short"), [b[1:] for b in BOUNDS], ids=[b[0] for b in BOUNDS])
def test_reference_at_a_bound_yields_suite_and_past_it_bad_tests_naming_it(
    reference: Any, fits: ReferenceBounds, short: ReferenceBounds, request: pytest.FixtureRequest
) -> None:
    name = request.node.callspec.id
    assert parse_tests(reference, fits).cases
    with pytest.raises(BadTests, match=rf"over the bound.*\({name}\)|\({name}\)"):
        parse_tests(reference, short)


def lcb_functional(count: int, *, escape_commas: bool = False) -> dict[str, Any]:
    """A functional LiveCodeBench reference whose one test passes a list of ``count`` ints, as JSON text."""
    argument = json.dumps(json.dumps(list(range(count))))  # the input line, as a JSON string literal
    if escape_commas:  # the commas of the inner list hidden from a count of the outer text
        argument = argument.replace(",", "\\u002c")
    text = '[{"input": ' + argument + ', "output": "1", "testtype": "functional"}]'
    return {"public_test_cases": text, "metadata": json.dumps({"func_name": "f"})}


INNER_TEXTS = [
    ("inner values counted once", lcb_functional(1000), ReferenceBounds(json_values=1100), None),
    (
        "escaped inner commas still counted",
        lcb_functional(2000, escape_commas=True),
        ReferenceBounds(json_values=1100),
        "json_values",
    ),
]


@pytest.mark.parametrize(
    ("reference", "bounds", "bound"), [t[1:] for t in INNER_TEXTS], ids=[t[0] for t in INNER_TEXTS]
)
def test_json_inside_json_strings_yields_one_count_per_value(
    reference: Any, bounds: ReferenceBounds, bound: str | None
) -> None:
    if bound is None:
        assert parse_tests(reference, bounds).cases[0].args == (list(range(1000)),)
    else:
        with pytest.raises(BadTests, match=bound):
            parse_tests(reference, bounds)
