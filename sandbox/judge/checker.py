"""Custom checker programs (testlib style), run in the sandbox in a job of their own.

The checker is called as ``checker <input> <output> <answer>`` (testlib's order: the
test input, the contestant's output, the jury's answer) in a fresh work dir holding only
those files; exit 0 accepts, 1 (WA) or 2 (presentation error) rejects, 3 (testlib's
``_fail``) declares the jury at fault: BadTests, because the reference is, not the solution.

Any other end (a crash, a signal, a limit) may have been provoked by the contestant's
output, which a wrong program chooses: the checker is then run once more on the test with
the jury's answer as the output (the control). If it accepts that, the checker works and
the failure is the output's doing (WA); only if the control fails too is it BadTests.
"""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.backend import Backend, Job, Step, StepResult
from sandbox.judge.cases import BadTests, TestSuite
from sandbox.judge.results import PENDING, TestResult
from sandbox.languages import Language, resolve
from sandbox.policy import COMPILE_POLICY, Policy

CHECKER_POLICY = Policy(wall_time_s=20.0, cpu_time_s=10.0, memory_mb=1024, max_output_bytes=64 << 10)
JURY_FAIL = 3  # testlib's _fail: the checker itself says the jury's data is wrong


def run_checker(
    suite: TestSuite, results: Sequence[TestResult], outputs: Sequence[bytes], backend: Backend
) -> list[TestResult]:
    """Replace every pending verdict with the checker's."""
    pending = [r.test for r in results if r.verdict == PENDING]
    if suite.checker is None or not pending:
        return list(results)
    lang = resolve(suite.checker.language, check_host=backend.host_toolchains)
    verdicts: dict[int, tuple[str, str]] = {}
    failed: dict[int, str] = {}
    for n, res in _check(suite, lang, {n: outputs[n - 1] for n in pending}, backend):
        message = _note(res)
        if res.ok:
            verdicts[n] = ("AC", "")
        elif res.limit is None and res.signal is None and res.exit_code in (1, 2):
            verdicts[n] = ("WA", message or "rejected by the checker")
        elif res.limit is None and res.signal is None and res.exit_code == JURY_FAIL:
            raise BadTests(f"the checker failed on test {n} (exit {JURY_FAIL}, the jury is at fault): {message}")
        else:
            failed[n] = f"exit {res.exit_code}, signal {res.signal}, limit {res.limit}: {message}"
    answers = {n: suite.cases[n - 1].output.encode() for n in failed}
    for n, res in _check(suite, lang, answers, backend):
        if not res.ok:
            raise BadTests(f"the checker failed on test {n} ({failed[n]}) and rejects its own answer: {_note(res)}")
        verdicts[n] = ("WA", f"the checker failed on this output ({failed[n]})")
    return [
        TestResult(r.test, verdicts[r.test][0], r.wall_time_s, r.cpu_time_s, verdicts[r.test][1])
        if r.test in verdicts
        else r
        for r in results
    ]


def _check(
    suite: TestSuite, lang: Language, outputs: dict[int, bytes], backend: Backend
) -> list[tuple[int, StepResult]]:
    """The checker's result on each given test with the given output, in one sandbox job."""
    if not outputs or suite.checker is None:
        return []
    files = {lang.source: suite.checker.source.encode()}
    for n, output in outputs.items():
        case = suite.cases[n - 1]
        files.update({f"t{n}.in": case.input.encode(), f"t{n}.out": output, f"t{n}.ans": case.output.encode()})
    argv = lang.compile_argv(COMPILE_POLICY)
    build = () if argv is None else (Step(argv, policy=COMPILE_POLICY, name="compile checker"),)
    run = lang.run_argv(CHECKER_POLICY)
    steps = tuple(
        Step((*run, f"t{n}.in", f"t{n}.out", f"t{n}.ans"), policy=CHECKER_POLICY, name=f"check {n}") for n in outputs
    )
    stream = iter(backend.run(Job(files, build + steps, lang.name)))
    if build:
        built = next(stream)
        if not built.ok:
            raise BadTests(f"the checker does not compile: {built.stderr.decode(errors='replace')[-300:]}")
    return list(zip(outputs, stream, strict=False))


def _note(res: StepResult) -> str:
    note = (res.stdout or res.stderr).decode("utf-8", errors="replace").strip().splitlines()
    return note[0][:200] if note else ""
