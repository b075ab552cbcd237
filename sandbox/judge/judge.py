"""Run a solution against a TestSuite through a Backend; per-test verdicts, compared outside the sandbox.

>>> judge("print(int(input())+1)", parse_tests({"inputs": ["1"], "outputs": ["2"]}), backend).summary()
... # doctest: +SKIP
'1/1 passed'
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.backend import Backend, StepResult
from sandbox.errors import SandboxError, ToolchainMissing
from sandbox.judge.cases import TestSuite
from sandbox.judge.checker import run_checker
from sandbox.judge.compare import DEFAULT_COMPARISON, Comparison, compare_text, compare_values
from sandbox.judge.program import Limits, plan
from sandbox.judge.results import PENDING, JudgeResult, TestResult
from sandbox.judge.wire import NotData, decode

ScoreMode = Literal["fraction", "all_or_nothing"]
_ENDINGS = frozenset({"harness_error", "compile_error", "died", "error"})
HARNESS_STATUSES = {  # what the harness may report for each kind of test; anything else is not believed
    "call": _ENDINGS | {"value"},
    "assert": _ENDINGS | {"pass", "fail"},
    "pytest": _ENDINGS | {"pytest"},
}


@dataclass(frozen=True)
class Options:
    """How to judge: comparison, limits, score mode; ``stop_at_first_failure`` applies to all_or_nothing.

    ``total_time_s`` bounds a whole submission: once its tests have used that much wall
    time, the remaining ones are not run and count as TLE.
    """

    comparison: Comparison = DEFAULT_COMPARISON
    limits: Limits = field(default_factory=Limits)
    score_mode: ScoreMode = "fraction"
    stop_at_first_failure: bool = True
    total_time_s: float | None = None
    cancel: threading.Event | None = field(default=None, compare=False)
    """Set from another thread to stop the submission's sandbox job (raises sandbox.errors.Cancelled)."""


def judge(
    source: str, suite: TestSuite, backend: Backend, *, language: str = "python", options: Options | None = None
) -> JudgeResult:
    """Judge ``source``; SandboxError (and its ToolchainMissing) propagate, never a wrong answer."""
    options = options or Options()
    planned = plan(
        source,
        suite,
        language,
        options.limits,
        check_host=backend.host_toolchains,
        cancel=options.cancel,
        precompile=backend.precompiled,
    )
    stop_early = options.score_mode == "all_or_nothing" and options.stop_at_first_failure
    results: list[TestResult] = []
    outputs: list[bytes] = []
    steps: Iterator[StepResult] = iter(backend.run(planned.job))
    compile_time_s = None
    spent = 0.0
    try:
        if planned.compiles:
            built = next(steps)
            compile_time_s = built.wall_time_s
            if not built.ok:
                message = _tail(built.stderr or built.stdout) or _limit_text(built)
                return _scored(
                    [
                        TestResult(n, "CE", built.wall_time_s, built.cpu_time_s, message)
                        for n in range(1, len(suite.cases) + 1)
                    ],
                    len(suite.cases),
                    options,
                    compile_time_s,
                )
        for n, res in enumerate(steps, 1):
            if suite.kind == "stdio":
                verdict, message = _stdio(res, suite, n, options.comparison, language)
            else:
                verdict, message = _harnessed(res, suite, n, planned.nonces[n - 1], options.comparison)
            results.append(TestResult(n, verdict, res.wall_time_s, res.cpu_time_s, message))
            outputs.append(res.stdout if suite.checker is not None else b"")  # kept only for the checker
            if verdict == "CE":
                results += [TestResult(k, "CE", 0.0, None, message) for k in range(n + 1, len(suite.cases) + 1)]
                break
            if stop_early and verdict not in ("AC", PENDING):
                break
            spent += res.wall_time_s
            if options.total_time_s is not None and spent > options.total_time_s and n < len(suite.cases):
                note = f"not run: the submission's {options.total_time_s:g} s budget is spent"
                results += [TestResult(k, "TLE", 0.0, None, note) for k in range(n + 1, len(suite.cases) + 1)]
                break
    finally:
        close = getattr(steps, "close", None)
        if close is not None:
            close()
    stopped = stop_early and any(r.verdict not in ("AC", PENDING) for r in results)
    if len(results) < len(suite.cases) and not stopped:
        raise SandboxError(f"the {backend.name} backend returned {len(results)} results for {len(suite.cases)} tests")
    if suite.checker is not None:
        results = run_checker(suite, results, outputs, backend)
    return _scored(results, len(suite.cases), options, compile_time_s)


def _scored(results: list[TestResult], total: int, options: Options, compile_time_s: float | None) -> JudgeResult:
    passed = sum(r.verdict == "AC" for r in results)
    if options.score_mode == "all_or_nothing":
        score = 1.0 if passed == total else 0.0
    else:
        score = passed / total if total else 0.0
    return JudgeResult(tuple(results), total, score, compile_time_s)


def _limited(res: StepResult) -> tuple[str, str] | None:
    """The verdict of a step that hit a limit, died or failed, or None if it exited cleanly."""
    if res.limit in ("wall_time", "cpu_time"):
        return "TLE", _limit_text(res)
    if res.limit == "memory":
        return "MLE", "memory limit exceeded"
    if res.limit in ("output", "file_size") or res.stdout_truncated:
        return "OLE", "output limit exceeded"
    if res.limit == "processes":
        return "RE", "process limit exceeded"
    if res.signal == signal.SIGXCPU:
        return "TLE", "CPU time limit exceeded"
    if res.signal is not None:
        return "RE", f"killed by signal {res.signal}" + _tail_suffix(res.stderr)
    if res.exit_code != 0:
        return "RE", f"exit code {res.exit_code}" + _tail_suffix(res.stderr)
    return None


def _stdio(res: StepResult, suite: TestSuite, n: int, how: Comparison, language: str) -> tuple[str, str]:
    failed = _limited(res)
    if failed is not None:
        if failed[0] == "RE" and language.startswith("py") and _python_syntax_error(res.stderr):
            return "CE", _tail(res.stderr)
        return failed
    if suite.checker is not None:
        return PENDING, ""
    actual = res.stdout.decode("utf-8", errors="replace")
    message = compare_text(suite.cases[n - 1].output, actual, how)
    return ("AC", "") if message is None else ("WA", message)


def _harnessed(res: StepResult, suite: TestSuite, n: int, nonce: str, how: Comparison) -> tuple[str, str]:
    failed = _limited(res)
    if failed is not None:  # the harness always exits 0 after its line: anything else is the limit's verdict
        return failed
    result = _signed_result(res.stdout, nonce)
    if result is None:
        return "RE", "the harness reported no result" + _tail_suffix(res.stderr)
    status, message = result.get("status"), str(result.get("message", ""))
    if status not in HARNESS_STATUSES[suite.kind]:  # e.g. "pass" for a call test, whose value the host compares
        return "RE", f"the harness reported {str(status)[:40]!r}, which a {suite.kind} test cannot end with"
    if status == "harness_error":
        if "pytest" in message:
            raise ToolchainMissing(f"pytest-based tests: {message}")
        raise SandboxError(f"judge harness: {message}")
    if status == "pass":
        return "AC", ""
    if status == "fail":
        return "WA", message
    if status == "compile_error":
        return "CE", message
    if status == "died":
        return ("TLE", "CPU time limit exceeded") if result.get("signal") == signal.SIGXCPU else ("RE", message)
    if status == "error":
        return ("MLE", message) if result.get("raised") == "MemoryError" else ("RE", message)
    if status == "value":
        return _compare_value(result.get("value"), suite, n, how)
    if status == "pytest":
        return _pytest_verdict(result)
    return "RE", f"unexpected harness status {status!r}"


def _signed_result(stdout: bytes, nonce: str) -> dict[str, Any] | None:
    """The harness's one line, only if it carries this step's nonce."""
    prefix = nonce.encode() + b" "
    if not stdout.startswith(prefix) or stdout.count(b"\n") != 1 or not stdout.endswith(b"\n"):
        return None
    try:
        result = json.loads(stdout[len(prefix) :])
    except (ValueError, RecursionError):
        return None
    return result if isinstance(result, dict) else None


def _compare_value(data: Any, suite: TestSuite, n: int, how: Comparison) -> tuple[str, str]:
    try:
        value = decode(data)
    except (NotData, RecursionError) as exc:
        return "RE", f"result is not plain data: {exc}"
    message = compare_values(suite.cases[n - 1].expected, value, how, unwrap=suite.unwrap)
    return ("AC", "") if message is None else ("WA", message)


def _pytest_verdict(r: dict[str, Any]) -> tuple[str, str]:
    counts = {k: int(r.get(k) or 0) for k in ("collected", "passed", "failed", "skipped", "xfailed")}
    if (
        counts["collected"] > 0
        and counts["passed"] == counts["collected"]
        and r.get("exit_code") == 0
        and not (counts["failed"] or counts["skipped"] or counts["xfailed"])
    ):
        return "AC", ""
    tally = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    return "WA", f"pytest: {tally or 'nothing collected'}" + (f"; {r['message']}" if r.get("message") else "")


def _python_syntax_error(stderr: bytes) -> bool:
    text = stderr.decode("utf-8", errors="replace")
    last = _tail(stderr)
    return "Traceback (most recent call last)" not in text and last.startswith(
        ("SyntaxError", "IndentationError", "TabError")
    )


def _limit_text(res: StepResult) -> str:
    return f"{res.limit.replace('_', ' ')} limit exceeded" if res.limit else ""


def _tail(data: bytes, limit: int = 200) -> str:
    lines = [ln for ln in data.decode("utf-8", errors="replace").splitlines() if ln.strip()]
    return lines[-1].strip()[:limit] if lines else ""


def _tail_suffix(stderr: bytes) -> str:
    tail = _tail(stderr)
    return f": {tail}" if tail else ""
