"""Parse the test formats of real code-RL data sets, as they ship, into one TestSuite.

Accepted (``reference`` may also be the JSON text of any of these):
  stdin/stdout  ``{"inputs": [...], "outputs": [...]}``; APPS/TACO ``{"input_output": <JSON
                text or object>}``; CodeContests ``public_tests``/``private_tests``/
                ``generated_tests`` (``{"input": [...], "output": [...]}``); LiveCodeBench
                ``public_test_cases``/``private_test_cases`` (``testtype`` stdin|functional)
  call-based    ``{"fn_name": ..., "inputs": [[args]...], "outputs": [values...]}``
  assert-based  HumanEval ``{"test", "entry_point"}``; MBPP ``{"test_list", "test_setup_code",
                "test_imports"}``; LeetCode ``{"prelude", "test"}`` (the test calls ``check``)
  pytest        ``{"pytest": "<test file importing from solution>"}``
A dev-case row ``{"problem_format", "tests": {...}}`` is unwrapped. Anything else is BadTests.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from collections.abc import Mapping
from typing import Any

from sandbox.judge.cases import BadTests, Checker, TestCase, TestSuite

CODECONTESTS_KEYS = ("public_tests", "private_tests", "generated_tests")
LCB_KEYS = ("public_test_cases", "private_test_cases")


def parse_tests(reference: Any) -> TestSuite:
    """Normalise ``reference`` (any accepted format) into a TestSuite; raise BadTests if malformed."""
    ref = _loads(reference, "reference")
    if not isinstance(ref, Mapping):
        raise BadTests(f"tests must be an object, got {type(ref).__name__}")
    if isinstance(ref.get("tests"), Mapping | str) and "problem_format" in ref:
        return parse_tests(ref["tests"])
    checker = _checker(ref.get("checker"))
    suite = _dispatch(ref)
    if checker is not None:
        if suite.kind != "stdio":
            raise BadTests("a checker program applies to stdin/stdout tests only")
        suite = TestSuite(kind=suite.kind, cases=suite.cases, checker=checker)
    if not suite.cases:
        raise BadTests("no test cases")
    return suite


def _dispatch(ref: Mapping[str, Any]) -> TestSuite:
    if "input_output" in ref:
        io_ = _loads(ref["input_output"], "input_output")
        if not isinstance(io_, Mapping):
            raise BadTests("input_output must be an object")
        return _inputs_outputs(io_, unwrap=True)
    if "inputs" in ref or "outputs" in ref:
        return _inputs_outputs(ref, unwrap=False)
    if any(k in ref for k in CODECONTESTS_KEYS):
        return _codecontests(ref)
    if any(k in ref for k in LCB_KEYS):
        return _livecodebench(ref)
    if "test_list" in ref:
        return _mbpp(ref)
    if "pytest" in ref:
        return TestSuite(kind="pytest", cases=(TestCase(code=_text(ref["pytest"], "pytest")),))
    if "test" in ref:
        return _check_style(ref)
    raise BadTests(
        "unknown test format; expected one of inputs/outputs, input_output, public_tests, "
        f"public_test_cases, test_list, test (+entry_point), pytest; got keys {sorted(ref)[:10]}"
    )


def _inputs_outputs(ref: Mapping[str, Any], *, unwrap: bool) -> TestSuite:
    inputs, outputs = ref.get("inputs"), ref.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise BadTests("inputs and outputs must both be lists")
    if len(inputs) != len(outputs):
        raise BadTests(f"{len(inputs)} inputs but {len(outputs)} outputs")
    fn_name = ref.get("fn_name")
    if fn_name:
        return _call_suite(_text(fn_name, "fn_name"), inputs, outputs, unwrap=unwrap)
    cases = tuple(
        TestCase(input=_joined(i, "input"), output=_joined(o, "output")) for i, o in zip(inputs, outputs, strict=False)
    )
    return TestSuite(kind="stdio", cases=cases)


def _call_suite(fn_name: str, inputs: list[Any], outputs: list[Any], *, unwrap: bool) -> TestSuite:
    cases = []
    for n, (args, expected) in enumerate(zip(inputs, outputs, strict=False), 1):
        args = _loads(args, f"inputs[{n}]") if isinstance(args, str) else args
        if not isinstance(args, list):
            raise BadTests(f"call-based test {n}: arguments must be a JSON list, got {type(args).__name__}")
        cases.append(TestCase(args=tuple(args), expected=expected))
    return TestSuite(kind="call", cases=tuple(cases), fn_name=fn_name, unwrap=unwrap)


def _codecontests(ref: Mapping[str, Any]) -> TestSuite:
    cases: list[TestCase] = []
    for key in CODECONTESTS_KEYS:
        group = ref.get(key)
        if group is None:
            continue
        if not isinstance(group, Mapping) or not isinstance(group.get("input"), list):
            raise BadTests(f"{key} must be an object with input and output lists")
        ins, outs = group["input"], group.get("output")
        if not isinstance(outs, list) or len(ins) != len(outs):
            raise BadTests(f"{key}: input and output lists differ in length")
        cases += [TestCase(input=_text(i, key), output=_text(o, key)) for i, o in zip(ins, outs, strict=False)]
    return TestSuite(kind="stdio", cases=tuple(cases))


def _livecodebench(ref: Mapping[str, Any]) -> TestSuite:
    tests: list[Any] = []
    for key in LCB_KEYS:
        if ref.get(key) is not None:
            got = _lcb_list(ref[key], key)
            tests += got
    metadata = _loads(ref.get("metadata") or {}, "metadata")
    fn_name = ref.get("fn_name") or (metadata.get("func_name") if isinstance(metadata, Mapping) else None)
    kinds = {t.get("testtype") for t in tests if isinstance(t, Mapping)}
    if len(kinds) != 1 or not kinds <= {"stdin", "functional"} or any(not isinstance(t, Mapping) for t in tests):
        raise BadTests(f"LiveCodeBench tests need one testtype, stdin or functional; got {sorted(map(str, kinds))}")
    if kinds == {"stdin"}:
        return TestSuite(
            kind="stdio",
            cases=tuple(
                TestCase(input=_text(t.get("input"), "input"), output=_text(t.get("output"), "output")) for t in tests
            ),
        )
    if not fn_name:
        raise BadTests("functional LiveCodeBench tests need metadata.func_name")
    inputs = [
        [_loads(line, "functional input") for line in _text(t.get("input"), "input").splitlines() if line]
        for t in tests
    ]
    outputs = [_loads(_text(t.get("output"), "output"), "functional output") for t in tests]
    return _call_suite(_text(fn_name, "func_name"), inputs, outputs, unwrap=False)


def _lcb_list(raw: Any, key: str) -> list[Any]:
    """LiveCodeBench ships private tests as base64(zlib(pickle(json text))); unpickled with no globals."""
    if isinstance(raw, str) and raw and raw.lstrip()[:1] not in ("[", "{"):
        try:
            raw = _NoGlobals(io.BytesIO(zlib.decompress(base64.b64decode(raw)))).load()
        except Exception as exc:
            raise BadTests(f"{key}: not JSON nor LiveCodeBench's compressed form ({type(exc).__name__})") from None
    tests = _loads(raw, key)
    if not isinstance(tests, list):
        raise BadTests(f"{key} must be a list of test cases")
    return tests


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing global {module}.{name}")


def _mbpp(ref: Mapping[str, Any]) -> TestSuite:
    tests = ref["test_list"]
    if not isinstance(tests, list) or not all(isinstance(t, str) for t in tests):
        raise BadTests("test_list must be a list of assert statements")
    imports = ref.get("test_imports") or []
    if isinstance(imports, str):
        imports = [imports]
    prelude = "\n".join(_text(i, "test_imports") for i in imports)
    setup = _text(ref.get("test_setup_code") or "", "test_setup_code")
    return TestSuite(kind="assert", cases=tuple(TestCase(code=t) for t in tests), prelude=prelude, setup=setup)


def _check_style(ref: Mapping[str, Any]) -> TestSuite:
    test = _text(ref["test"], "test")
    entry = ref.get("entry_point")
    if entry:
        test += f"\n\ncheck({_text(entry, 'entry_point')})\n"
    elif "check(" not in test.replace("def check(", ""):
        raise BadTests("test defines check(candidate) but never calls it, and there is no entry_point")
    prelude = _text(ref.get("prelude") or ref.get("import_prefix") or "", "prelude")
    return TestSuite(kind="assert", cases=(TestCase(code=test),), prelude=prelude)


def _checker(raw: Any) -> Checker | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return Checker(source=raw)
    if isinstance(raw, Mapping) and isinstance(raw.get("source"), str):
        return Checker(source=raw["source"], language=_text(raw.get("language") or "python", "checker.language"))
    raise BadTests("checker must be source text or {source, language}")


def _loads(value: Any, what: str) -> Any:
    if not isinstance(value, str | bytes):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise BadTests(f"{what}: invalid JSON ({exc})") from None


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise BadTests(f"{what} must be a string, got {type(value).__name__}")
    return value


def _joined(value: Any, what: str) -> str:
    """TACO stores some inputs/outputs as lists of lines."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value) + ("\n" if value else "")
    return _text(value, what)
