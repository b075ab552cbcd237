"""The ``code`` verifier: run the completion's program against the item's tests in the sandbox.

The program is the last fenced block of the requested language after ``</think>``
(an untagged block if there is no tagged one); the tests (``item.reference``) may be in
any format :func:`sandbox.judge.parse_tests` accepts. The backend is the process's,
configured once at start-up (:func:`sandbox.judge.use_backend`), never chosen here.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

from rewards.cancel import current_cancel
from rewards.item import Item
from rewards.registry import verifier
from rewards.verdict import Status, Verdict
from sandbox.errors import Cancelled, SandboxError, ToolchainMissing, UnsupportedLanguage
from sandbox.judge import BadTests, Comparison, Limits, Options, current_backend, judge, parse_tests
from sandbox.languages import get_language

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
FENCE = re.compile(r"^[ \t]*```[ \t]*+([\w+#.-]*+)[^\n]*+\n(.*?)^[ \t]*```", re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class CodeParams:
    """Language, comparison, limits and scoring.

    ``time_limit_s`` is per test (CPU; wall is twice that plus a second);
    ``total_time_limit_s`` bounds a whole submission (tests past it count as TLE);
    ``stop_at_first_failure`` applies to all_or_nothing. The service clamps the limits to
    its operator's ceilings (settings ``code_max_*``) and says so in the verdict's details.
    """

    language: str = "python"
    """The program's language (python, cpp, java, go, rust, …): the fenced block of this language is run."""

    score_mode: Literal["fraction", "all_or_nothing"] = "fraction"
    """fraction: the share of tests passed; all_or_nothing: 1 only when every test passes."""

    stop_at_first_failure: bool = True
    """With all_or_nothing, stop running tests at the first failure."""

    compare: Literal["tokens", "lines", "float"] = "tokens"
    """How output is compared: by whitespace-separated tokens, by lines, or as numbers within abs_eps/rel_eps."""

    abs_eps: float = 1e-6
    """Absolute tolerance of compare="float"."""

    rel_eps: float = 1e-6
    """Relative tolerance of compare="float"."""

    case_insensitive: bool = False
    """Compare output ignoring letter case."""

    time_limit_s: float = 5.0
    """CPU seconds per test (wall time is twice that plus a second); clamped to RLVR_CODE_MAX_TIME_LIMIT_S."""

    memory_mb: int = 512
    """Memory per test, in MiB; clamped to RLVR_CODE_MAX_MEMORY_MB."""

    total_time_limit_s: float = 60.0
    """Bound on a whole submission: tests past it count as time limit exceeded (ceiling: settings)."""

    def __post_init__(self) -> None:
        for name in ("time_limit_s", "total_time_limit_s", "abs_eps", "rel_eps"):
            value, least = getattr(self, name), "above 0" if name.endswith("_s") else "at least 0"
            if not math.isfinite(value) or value < 0 or (value == 0 and name.endswith("_s")):
                raise ValueError(f"{name} must be a finite number {least}, got {value!r}")
        if self.memory_mb < 1:
            raise ValueError(f"memory_mb must be at least 1, got {self.memory_mb!r}")


def extract_code(completion: str, language: str) -> str | None:
    """The last fenced block tagged ``language`` (or an alias) in the answer part, else the last untagged one."""
    if THINK_CLOSE in completion:
        completion = completion.rsplit(THINK_CLOSE, 1)[1]
    elif THINK_OPEN in completion:
        return None  # still thinking: no answer yet
    wanted = get_language(language).name
    tagged, untagged = None, None
    for match in FENCE.finditer(completion):
        tag, body = match.group(1).lower(), match.group(2)
        if not tag:
            untagged = body
        elif _language_of(tag) == wanted:
            tagged = body
    return tagged if tagged is not None else untagged


def _language_of(tag: str) -> str | None:
    try:
        return get_language(tag).name
    except UnsupportedLanguage:
        return None


def _cache_key(item: Item, params: CodeParams) -> Hashable:
    try:
        code = extract_code(item.completion, params.language)
    except UnsupportedLanguage:
        code = None
    blob = json.dumps([code, item.reference, repr(params)], sort_keys=True, default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()


CODE_REFERENCE = {
    "description": "The tests, in any format sandbox.judge.parse_tests accepts (or that object as JSON text): "
    "stdin/stdout, call-based (fn_name), assert-based (HumanEval, MBPP, LeetCode), pytest; "
    "APPS/TACO, CodeContests and LiveCodeBench as they ship.",
    "anyOf": [
        {
            "title": "stdin/stdout",
            "type": "object",
            "required": ["inputs", "outputs"],
            "properties": {
                "inputs": {"type": "array", "items": {"type": "string"}},
                "outputs": {"type": "array", "items": {"type": "string"}},
                "checker": {"type": "string", "description": "A checker program (stdin/stdout tests only)."},
            },
        },
        {
            "title": "call-based",
            "type": "object",
            "required": ["fn_name", "inputs", "outputs"],
            "properties": {
                "fn_name": {"type": "string"},
                "inputs": {"type": "array", "items": {"type": "array"}},
                "outputs": {"type": "array"},
            },
        },
        {"title": "APPS / TACO", "type": "object", "required": ["input_output"]},
        {
            "title": "CodeContests",
            "type": "object",
            "anyOf": [{"required": [k]} for k in ("public_tests", "private_tests", "generated_tests")],
        },
        {
            "title": "LiveCodeBench",
            "type": "object",
            "anyOf": [{"required": [k]} for k in ("public_test_cases", "private_test_cases")],
        },
        {
            "title": "HumanEval",
            "type": "object",
            "required": ["test", "entry_point"],
            "properties": {"test": {"type": "string"}, "entry_point": {"type": "string"}},
        },
        {
            "title": "MBPP",
            "type": "object",
            "required": ["test_list"],
            "properties": {
                "test_list": {"type": "array", "items": {"type": "string"}},
                "test_setup_code": {"type": "string"},
                "test_imports": {"type": "array", "items": {"type": "string"}},
            },
        },
        {"title": "LeetCode", "type": "object", "required": ["prelude", "test"]},
        {"title": "pytest", "type": "object", "required": ["pytest"], "properties": {"pytest": {"type": "string"}}},
        {"title": "any of these as JSON text", "type": "string"},
    ],
    "examples": [
        {"inputs": ["2\n", "5\n"], "outputs": ["4\n", "10\n"]},
        {"fn_name": "add", "inputs": [[1, 2], [3, 4]], "outputs": [3, 7]},
        {"test": "def check(candidate):\n    assert candidate(2) == 4\n", "entry_point": "double"},
        {"test_list": ["assert double(2) == 4"]},
        {"pytest": "from solution import double\n\ndef test_double():\n    assert double(2) == 4\n"},
        {"input_output": json.dumps({"inputs": ["2\n"], "outputs": ["4\n"]})},
    ],
}


@verifier("code", params=CodeParams, blocking=True, cache_key=_cache_key, reference=CODE_REFERENCE)
def code_reward(item: Item, params: CodeParams) -> Verdict:
    """Fraction (or all-or-nothing) of the item's tests the completion's program passes.

    >>> code_reward(Item("```python\\nprint(input())\\n```", {"inputs": ["7"], "outputs": ["7"]}),
    ...             CodeParams()).reason  # doctest: +SKIP
    '1/1 passed'
    """
    try:
        suite = parse_tests(item.reference)
    except BadTests as exc:
        return Verdict.fail(Status.BAD_REFERENCE, f"bad tests: {exc}"[:500])
    try:
        code = extract_code(item.completion, params.language)
    except UnsupportedLanguage as exc:
        return Verdict.fail(Status.UNSUPPORTED_LANGUAGE, str(exc))
    if code is None or not code.strip():
        where = f" after {THINK_CLOSE}" if THINK_CLOSE in item.completion else ""
        return Verdict.ok(0.0, f"no_code: no fenced {params.language} block{where}", error="no_code")
    options = Options(
        comparison=Comparison(params.compare, params.abs_eps, params.rel_eps, params.case_insensitive),
        limits=Limits(time_s=params.time_limit_s, memory_mb=params.memory_mb),
        score_mode=params.score_mode,
        stop_at_first_failure=params.stop_at_first_failure,
        total_time_s=params.total_time_limit_s,
        cancel=current_cancel(),
    )
    try:
        result = judge(code, suite, current_backend(), language=params.language, options=options)
    except UnsupportedLanguage as exc:
        return Verdict.fail(Status.UNSUPPORTED_LANGUAGE, str(exc))
    except ToolchainMissing as exc:
        return Verdict.fail(Status.TOOLCHAIN_MISSING, str(exc))
    except Cancelled:  # nobody waits for this verdict: the request's deadline, not the program's
        return Verdict.fail(Status.TIMEOUT, "stopped: the request's deadline passed or its client went away")
    except SandboxError as exc:
        return Verdict.fail(Status.SANDBOX_ERROR, f"sandbox: {exc}"[:500])
    except BadTests as exc:
        return Verdict.fail(Status.BAD_REFERENCE, f"bad tests: {exc}"[:500])
    return Verdict.ok(
        result.score,
        result.summary(),
        passed=result.passed,
        total=result.total,
        language=params.language,
        compile_time_s=result.compile_time_s,
        tests=[r.as_dict() for r in result.results],
    )
