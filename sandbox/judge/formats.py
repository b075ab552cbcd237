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
A dev-case row ``{"problem_format", "tests": {...}}`` is unwrapped. Anything else is BadTests, and so
is a reference over one of the bounds in :mod:`sandbox.judge.bounds` (tests, sizes, JSON values,
LiveCodeBench's inflated size), checked as it is read, before anything is built from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import Any

from sandbox.errors import UnsupportedLanguage
from sandbox.judge.bounds import DEFAULT_BOUNDS, Budget, ReferenceBounds
from sandbox.judge.cases import BadTests, Checker, TestCase, TestSuite
from sandbox.languages import get_language

CODECONTESTS_KEYS = ("public_tests", "private_tests", "generated_tests")
LCB_KEYS = ("public_test_cases", "private_test_cases")


def parse_tests(reference: Any, bounds: ReferenceBounds = DEFAULT_BOUNDS) -> TestSuite:
    """Normalise ``reference`` (any accepted format) into a TestSuite; BadTests if malformed or over ``bounds``."""
    budget = Budget(bounds)
    ref = _object(budget.loads(reference, "reference"), "tests")
    if isinstance(ref.get("tests"), Mapping | str) and "problem_format" in ref:
        ref = _object(budget.loads(ref["tests"], "tests"), "tests")
    checker = _checker(ref.get("checker"), budget)
    suite = _dispatch(ref, budget)
    if checker is not None:
        if suite.kind != "stdio":
            raise BadTests("a checker program applies to stdin/stdout tests only")
        suite = TestSuite(kind=suite.kind, cases=suite.cases, checker=checker)
    if not suite.cases:
        raise BadTests("no test cases")
    return suite


def _object(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise BadTests(f"{what} must be an object, got {type(value).__name__}")
    return value


def _dispatch(ref: Mapping[str, Any], budget: Budget) -> TestSuite:
    if "input_output" in ref:
        io_ = _object(budget.loads(ref["input_output"], "input_output"), "input_output")
        return _inputs_outputs(io_, budget, unwrap=True)
    if "inputs" in ref or "outputs" in ref:
        return _inputs_outputs(ref, budget, unwrap=False)
    if any(k in ref for k in CODECONTESTS_KEYS):
        return _codecontests(ref, budget)
    if any(k in ref for k in LCB_KEYS):
        return _livecodebench(ref, budget)
    if "test_list" in ref:
        return _mbpp(ref, budget)
    if "pytest" in ref:
        return TestSuite(kind="pytest", cases=(TestCase(code=budget.text(ref["pytest"], "pytest")),))
    if "test" in ref:
        return _check_style(ref, budget)
    keys = sorted(str(k)[:40] for k in islice(ref, 10))  # ten of them: a reference may have a million
    raise BadTests(
        "unknown test format; expected one of inputs/outputs, input_output, public_tests, "
        f"public_test_cases, test_list, test (+entry_point), pytest; got keys {keys}"
    )


def _inputs_outputs(ref: Mapping[str, Any], budget: Budget, *, unwrap: bool) -> TestSuite:
    inputs, outputs = ref.get("inputs"), ref.get("outputs")
    if not isinstance(inputs, list) or not isinstance(outputs, list):
        raise BadTests("inputs and outputs must both be lists")
    if len(inputs) != len(outputs):
        raise BadTests(f"{len(inputs)} inputs but {len(outputs)} outputs")
    budget.count_tests(len(inputs), "inputs")
    fn_name = ref.get("fn_name")
    if fn_name is not None and fn_name != "":
        return _call_suite(budget.text(fn_name, "fn_name"), inputs, outputs, budget, unwrap=unwrap)
    cases = tuple(
        TestCase(input=_joined(i, f"input {n}", budget), output=_joined(o, f"output {n}", budget))
        for n, (i, o) in enumerate(zip(inputs, outputs, strict=True), 1)
    )
    return TestSuite(kind="stdio", cases=cases)


def _call_suite(fn_name: str, inputs: list[Any], outputs: list[Any], budget: Budget, *, unwrap: bool) -> TestSuite:
    cases = []
    for n, (args, expected) in enumerate(zip(inputs, outputs, strict=True), 1):
        args = budget.loads(args, f"inputs[{n}]")
        if not isinstance(args, list):
            raise BadTests(f"call-based test {n}: arguments must be a JSON list, got {type(args).__name__}")
        budget.values(f"call-based test {n}", args, expected)
        cases.append(TestCase(args=tuple(args), expected=expected))
    return TestSuite(kind="call", cases=tuple(cases), fn_name=fn_name, unwrap=unwrap)


def _codecontests(ref: Mapping[str, Any], budget: Budget) -> TestSuite:
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
        budget.count_tests(len(ins), key)
        cases += [
            TestCase(input=budget.text(i, f"{key} input {n}"), output=budget.text(o, f"{key} output {n}"))
            for n, (i, o) in enumerate(zip(ins, outs, strict=True), 1)
        ]
    return TestSuite(kind="stdio", cases=tuple(cases))


def _livecodebench(ref: Mapping[str, Any], budget: Budget) -> TestSuite:
    tests: list[Any] = []
    counted: list[bool] = []  # whether the test came out of a JSON text (its values were counted then)
    for key in LCB_KEYS:
        if ref.get(key) is not None:
            got = _lcb_list(ref[key], key, budget)
            tests += got
            counted += [isinstance(ref[key], str)] * len(got)
    metadata = budget.loads(ref.get("metadata") or {}, "metadata")
    fn_name = ref.get("fn_name") or (metadata.get("func_name") if isinstance(metadata, Mapping) else None)
    if not all(isinstance(t, Mapping) for t in tests):
        raise BadTests("LiveCodeBench tests must be objects with input, output and testtype")
    kinds = {t.get("testtype") if isinstance(t.get("testtype"), str) else None for t in tests}
    if len(kinds) != 1 or not kinds <= {"stdin", "functional"}:
        raise BadTests(f"LiveCodeBench tests need one testtype, stdin or functional; got {sorted(map(str, kinds))[:5]}")
    if kinds == {"stdin"}:
        return TestSuite(
            kind="stdio",
            cases=tuple(
                TestCase(
                    input=budget.text(t.get("input"), f"input {n}"), output=budget.text(t.get("output"), f"output {n}")
                )
                for n, t in enumerate(tests, 1)
            ),
        )
    if not fn_name:
        raise BadTests("functional LiveCodeBench tests need metadata.func_name")
    inputs, outputs = [], []
    for n, (t, inside) in enumerate(zip(tests, counted, strict=True), 1):
        lines = _text(t.get("input"), f"input {n}").splitlines()
        inputs.append([budget.loads(line, f"functional input {n}", counted=inside) for line in lines if line])
        outputs.append(budget.loads(_text(t.get("output"), f"output {n}"), f"functional output {n}", counted=inside))
    return _call_suite(_text(fn_name, "func_name"), inputs, outputs, budget, unwrap=False)


def _lcb_list(raw: Any, key: str, budget: Budget) -> list[Any]:
    """A list of LiveCodeBench tests: JSON (text or already parsed) or the compressed form of private tests."""
    if isinstance(raw, str) and raw and raw.lstrip()[:1] not in ("[", "{"):
        raw = budget.inflate(raw, key)
    tests = budget.loads(raw, key)
    if not isinstance(tests, list):
        raise BadTests(f"{key} must be a list of test cases")
    budget.count_tests(len(tests), key)
    return tests


def _mbpp(ref: Mapping[str, Any], budget: Budget) -> TestSuite:
    tests = ref["test_list"]
    if not isinstance(tests, list):
        raise BadTests("test_list must be a list of assert statements")
    budget.count_tests(len(tests), "test_list")
    cases = tuple(TestCase(code=budget.text(t, f"test_list[{n}]")) for n, t in enumerate(tests, 1))
    imports = ref.get("test_imports") or []
    if isinstance(imports, str):
        imports = [imports]
    if not isinstance(imports, list):
        raise BadTests("test_imports must be a list of import statements")
    prelude = "\n".join(budget.text(i, "test_imports") for i in imports)
    setup = budget.text(ref.get("test_setup_code") or "", "test_setup_code")
    return TestSuite(kind="assert", cases=cases, prelude=prelude, setup=setup)


def _check_style(ref: Mapping[str, Any], budget: Budget) -> TestSuite:
    test = budget.text(ref["test"], "test")
    entry = ref.get("entry_point")
    if entry:
        test += f"\n\ncheck({budget.text(entry, 'entry_point')})\n"
    elif "check(" not in test.replace("def check(", ""):
        raise BadTests("test defines check(candidate) but never calls it, and there is no entry_point")
    prelude = budget.text(ref.get("prelude") or ref.get("import_prefix") or "", "prelude")
    return TestSuite(kind="assert", cases=(TestCase(code=test),), prelude=prelude)


def _checker(raw: Any, budget: Budget) -> Checker | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        return Checker(source=budget.text(raw, "checker"))
    if isinstance(raw, Mapping) and isinstance(raw.get("source"), str):
        language = budget.text(raw.get("language") or "python", "checker.language")
        try:
            get_language(language)
        except UnsupportedLanguage as exc:
            raise BadTests(f"checker: {exc}"[:300]) from None
        return Checker(source=budget.text(raw["source"], "checker.source"), language=language)
    raise BadTests("checker must be source text or {source, language}")


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise BadTests(f"{what} must be a string, got {type(value).__name__}")
    return value


def _joined(value: Any, what: str, budget: Budget) -> str:
    """TACO stores some inputs/outputs as lists of lines (sized before they are joined)."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        budget.fits(sum(map(len, value)) + len(value), what)
        value = "\n".join(value) + ("\n" if value else "")
    return budget.text(value, what)
