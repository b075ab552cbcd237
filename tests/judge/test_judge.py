"""The judge's logic over fake backends: verdicts from step results, score modes, early stop, job shape."""

from __future__ import annotations

import signal
from typing import Any

import pytest

from sandbox.backend import NO_PRELOAD, StepResult
from sandbox.errors import SandboxError, ToolchainMissing
from sandbox.judge import BadTests, Options, judge, parse_tests
from sandbox.judge.program import BOOTSTRAP, PEER_BOOTSTRAP, harness_prefix
from tests.judge.fakes import FailingBackend, PlainBackend, ReplyingBackend, ScriptedBackend

STDIO = parse_tests({"inputs": ["1\n", "2\n", "3\n"], "outputs": ["2\n", "3\n", "4\n"]})
ONE = parse_tests({"inputs": ["1\n"], "outputs": ["2\n"]})
ASSERTS = parse_tests({"test_list": ["assert f(1) == 2", "assert f(2) == 3"]})
CALLS = parse_tests({"fn_name": "f", "inputs": [[1]], "outputs": [2]})


def step(stdout: bytes = b"2\n", **kw: Any) -> StepResult:
    return StepResult(**{"exit_code": 0, "signal": None, "stdout": stdout, "stderr": b"", "wall_time_s": 0.1, **kw})


STEP_VERDICTS = [
    ("right answer", step(), "AC"),
    ("wrong answer", step(b"3\n"), "WA"),
    ("wall time limit", step(b"", exit_code=None, signal=9, limit="wall_time"), "TLE"),
    ("CPU time limit", step(b"", exit_code=None, signal=9, limit="cpu_time"), "TLE"),
    ("SIGXCPU", step(b"", exit_code=None, signal=signal.SIGXCPU), "TLE"),
    ("memory limit", step(b"", exit_code=None, signal=9, limit="memory"), "MLE"),
    ("output limit", step(b"2\n" * 10, limit="output", stdout_truncated=True), "OLE"),
    ("file size limit", step(b"", exit_code=None, signal=signal.SIGXFSZ, limit="file_size"), "OLE"),
    ("process limit", step(b"", exit_code=1, limit="processes"), "RE"),
    ("segfault", step(b"", exit_code=None, signal=signal.SIGSEGV), "RE"),
    ("nonzero exit with the right output", step(b"2\n", exit_code=1), "RE"),
    (
        "python syntax error",
        step(
            b"",
            exit_code=1,
            stderr=b"  File \"main.py\", line 1\n    def f(\n         ^\nSyntaxError: '(' was never closed\n",
        ),
        "CE",
    ),
    (
        "SyntaxError raised at run time",
        step(b"", exit_code=1, stderr=b"Traceback (most recent call last):\n  ...\nSyntaxError: made up\n"),
        "RE",
    ),
]


@pytest.mark.parametrize(("result", "verdict"), [s[1:] for s in STEP_VERDICTS], ids=[s[0] for s in STEP_VERDICTS])
def test_stdio_step_result_yields_verdict(result: StepResult, verdict: str) -> None:
    judged = judge("print(2)", ONE, ScriptedBackend([result]))
    assert [r.verdict for r in judged.results] == [verdict]


def test_compile_error_yields_ce_for_every_test_without_running_them() -> None:
    backend = ScriptedBackend([step(b"", exit_code=1, stderr=b"main.cpp:1: error: expected ';'\n"), step(), step()])
    result = judge("int main(){", STDIO, backend, language="cpp")
    assert [r.verdict for r in result.results] == ["CE", "CE", "CE"]
    assert (backend.consumed, backend.closed, result.score) == (1, True, 0.0)
    assert result.summary() == "0/3 passed; test 1: CE (main.cpp:1: error: expected ';')"


def test_compiled_language_yields_one_compile_step_then_one_step_per_test() -> None:
    backend = ScriptedBackend([step()] * 4)
    judge("int main(){}", STDIO, backend, language="cpp")
    assert [s.name for s in backend.jobs[0].steps] == ["compile", "test 1", "test 2", "test 3"]


SCORES = [
    ("fraction", Options(score_mode="fraction"), 3, 2 / 3, "2/3 passed; test 2: WA (expected 3, got 9)"),
    ("all or nothing, all run", Options(score_mode="all_or_nothing", stop_at_first_failure=False), 3, 0.0, None),
    (
        "all or nothing, stop at first failure",
        Options(score_mode="all_or_nothing"),
        2,
        0.0,
        "1/3 passed; test 2: WA (expected 3, got 9); stopped after 2",
    ),
]


@pytest.mark.parametrize(("options", "ran", "score", "summary"), [s[1:] for s in SCORES], ids=[s[0] for s in SCORES])
def test_score_mode_yields_score_and_stops_early_only_when_asked(
    options: Options, ran: int, score: float, summary: str | None
) -> None:
    backend = ScriptedBackend([step(b"2\n"), step(b"9\n"), step(b"4\n")])
    result = judge("x", STDIO, backend, options=options)
    assert (backend.consumed, len(result.results), result.score, backend.closed) == (ran, ran, score, True)
    if summary is not None:
        assert result.summary() == summary


def test_spent_time_budget_yields_tle_for_the_tests_not_run() -> None:
    slow = step(b"2\n", wall_time_s=4.0)
    backend = ScriptedBackend([slow, slow, slow])
    result = judge("x", STDIO, backend, options=Options(total_time_s=5.0))
    assert [r.verdict for r in result.results] == ["AC", "WA", "TLE"]
    assert (backend.consumed, backend.closed) == (2, True)
    assert "budget is spent" in result.results[2].message


def test_all_passing_yields_full_score_in_every_mode() -> None:
    for mode in ("fraction", "all_or_nothing"):
        result = judge(
            "x", STDIO, ScriptedBackend([step(b"2"), step(b"3"), step(b"4")]), options=Options(score_mode=mode)
        )
        assert (result.score, result.summary()) == (1.0, "3/3 passed")


HARNESS_RESULTS = [
    ("pass", {"status": "pass"}, "AC"),
    ("assert failed", {"status": "fail", "message": "expected 2, got 3"}, "WA"),
    ("solution raised", {"status": "error", "message": "ValueError", "raised": "ValueError"}, "RE"),
    ("solution ran out of memory", {"status": "error", "message": "MemoryError", "raised": "MemoryError"}, "MLE"),
    ("solution killed by SIGXCPU", {"status": "died", "message": "killed", "signal": int(signal.SIGXCPU)}, "TLE"),
    ("solution exited early", {"status": "died", "message": "exited (code 0)", "exit_code": 0}, "RE"),
    ("unknown status", {"status": "weird"}, "RE"),
]


@pytest.mark.parametrize(("reply", "verdict"), [h[1:] for h in HARNESS_RESULTS], ids=[h[0] for h in HARNESS_RESULTS])
def test_harness_result_yields_verdict(reply: dict, verdict: str) -> None:
    result = judge("def f(x): return x + 1", ASSERTS, ReplyingBackend(reply))
    assert [r.verdict for r in result.results] == [verdict, verdict]


def test_harness_compile_error_yields_ce_for_all_tests_and_stops() -> None:
    result = judge("def f(", ASSERTS, ReplyingBackend({"status": "compile_error", "message": "SyntaxError"}))
    assert [r.verdict for r in result.results] == ["CE", "CE"]


FORGED = [
    ("a line after the result", ReplyingBackend({"status": "pass"}, extra=b"more\n")),
    ("the harness exited nonzero", ReplyingBackend({"status": "pass"}, exit_code=1)),
]


@pytest.mark.parametrize("backend", [f[1] for f in FORGED], ids=[f[0] for f in FORGED])
def test_result_not_exactly_one_signed_line_yields_runtime_error(backend: ReplyingBackend) -> None:
    assert [r.verdict for r in judge("x", ASSERTS, backend).results] == ["RE", "RE"]


def test_result_with_another_nonce_yields_runtime_error() -> None:
    forged = step(b'0123456789abcdef0123456789abcdef {"status": "pass"}\n')
    assert [r.verdict for r in judge("x", ASSERTS, ScriptedBackend([forged, forged])).results] == ["RE", "RE"]


VALUE_RESULTS = [
    ("equal value", {"status": "value", "value": 2}, "AC"),
    ("other value", {"status": "value", "value": 3}, "WA"),
    ("bool for int", {"status": "value", "value": True}, "WA"),
    ("malformed value", {"status": "value", "value": {"$": "obj", "c": "Evil", "id": 0, "v": {}}}, "RE"),
]


@pytest.mark.parametrize(("reply", "verdict"), [v[1:] for v in VALUE_RESULTS], ids=[v[0] for v in VALUE_RESULTS])
def test_call_result_value_yields_verdict(reply: dict, verdict: str) -> None:
    assert [r.verdict for r in judge("x", CALLS, ReplyingBackend(reply)).results] == [verdict]


PYTEST_RESULTS = [
    ("all passed", {"collected": 2, "passed": 2}, 0, "AC"),
    ("one failed", {"collected": 2, "passed": 1, "failed": 1}, 1, "WA"),
    ("one skipped", {"collected": 2, "passed": 1, "skipped": 1}, 0, "WA"),
    ("one xfailed", {"collected": 2, "passed": 1, "xfailed": 1}, 0, "WA"),
    ("nothing collected", {"collected": 0, "passed": 0}, 5, "WA"),
]


@pytest.mark.parametrize(
    ("counts", "exit_code", "verdict"), [p[1:] for p in PYTEST_RESULTS], ids=[p[0] for p in PYTEST_RESULTS]
)
def test_pytest_report_yields_verdict(counts: dict, exit_code: int, verdict: str) -> None:
    suite = parse_tests({"pytest": "def test_a(): pass"})
    reply = {"status": "pytest", "exit_code": exit_code, **counts}
    assert [r.verdict for r in judge("x", suite, ReplyingBackend(reply)).results] == [verdict]


INFRA = [
    ("sandbox broken", FailingBackend(SandboxError("bwrap died")), SandboxError),
    ("results missing", ScriptedBackend([step(b"x")]), SandboxError),
    ("harness cannot run", ReplyingBackend({"status": "harness_error", "message": "prctl failed"}), SandboxError),
    (
        "pytest missing",
        ReplyingBackend({"status": "harness_error", "message": "No module named pytest"}),
        ToolchainMissing,
    ),
]


@pytest.mark.parametrize(("backend", "error"), [i[1:] for i in INFRA], ids=[i[0] for i in INFRA])
def test_infrastructure_failure_yields_sandbox_error_not_a_verdict(backend: Any, error: type) -> None:
    with pytest.raises(error):
        judge("def f(x): return x", ASSERTS, backend)


def test_stdio_job_yields_no_expected_output_inside_the_sandbox() -> None:
    backend = ScriptedBackend([step(b"x")])
    judge("print(1)", parse_tests({"inputs": ["in-7\n"], "outputs": ["expected-secret\n"]}), backend)
    job = backend.jobs[0]
    inside = b"".join(
        [*job.files.values(), *(s.stdin for s in job.steps), *(a.encode() for s in job.steps for a in s.argv)]
    )
    assert b"in-7" in inside and b"expected-secret" not in inside


def test_harness_job_yields_tests_only_on_stdin_and_no_files() -> None:
    backend = ScriptedBackend([step(b"x"), step(b"x")])
    judge("def f(x): return x", ASSERTS, backend)
    job = backend.jobs[0]
    assert job.files == {}
    assert all(b"assert f(" in s.stdin and not any("assert f(" in a for a in s.argv) for s in job.steps)
    assert len({s.stdin for s in job.steps}) == 2  # a fresh nonce (and test) per step


def test_harness_job_yields_a_preload_of_only_the_judges_own_code() -> None:
    backend = ScriptedBackend([step(b"x"), step(b"x")])
    judge("def f(x): return x", ASSERTS, backend)
    preload, (first, *_) = backend.jobs[0].preload, backend.jobs[0].steps
    assert preload.sources == (first.argv[-1], first.peer[-1]) == (BOOTSTRAP, PEER_BOOTSTRAP)
    prefix = harness_prefix(first.argv[0])
    assert preload.code and all(code in prefix and b"def f(x)" not in code for code in preload.code)
    stdio = ScriptedBackend([step(b"x")])
    judge("print(1)", parse_tests({"inputs": ["1"], "outputs": ["1"]}), stdio)
    assert stdio.jobs[0].preload == NO_PRELOAD


CHECKER = """
import sys
out, ans = open(sys.argv[2]).read().split(), open(sys.argv[3]).read().split()
sys.exit(0 if abs(float(out[0]) - float(ans[0])) <= 1 else 1)
"""


def test_checker_program_yields_its_verdicts() -> None:
    tests = {"inputs": ["1\n", "2\n"], "outputs": ["10\n", "20\n"], "checker": CHECKER}
    result = judge("print(int(input()) * 10 + 1)", parse_tests(tests), PlainBackend())
    assert [r.verdict for r in result.results] == ["AC", "AC"]
    result = judge("print(int(input()) * 10 + 5)", parse_tests(tests), PlainBackend())
    assert [r.verdict for r in result.results] == ["WA", "WA"]


def test_crashing_checker_yields_bad_tests() -> None:
    tests = {"inputs": ["1\n"], "outputs": ["10\n"], "checker": "import sys\nsys.exit(3)"}
    with pytest.raises(BadTests, match="checker failed on test 1"):
        judge("print(10)", parse_tests(tests), PlainBackend())
