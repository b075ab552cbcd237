"""Custom checker programs (testlib style), run in the sandbox in a job of their own.

The checker is called as ``checker <input> <output> <answer>`` (testlib's order: the
test input, the contestant's output, the jury's answer) in a fresh work dir holding only
those files; exit 0 accepts, 1 (WA) or 2 (presentation error) rejects, anything else is
a broken checker: BadTests, because the reference is at fault, not the solution.
"""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.backend import Backend, Job, Step
from sandbox.judge.cases import BadTests, TestSuite
from sandbox.judge.results import PENDING, TestResult
from sandbox.languages import resolve
from sandbox.policy import COMPILE_POLICY, Policy

CHECKER_POLICY = Policy(wall_time_s=20.0, cpu_time_s=10.0, memory_mb=1024, max_output_bytes=64 << 10)


def run_checker(
    suite: TestSuite, results: Sequence[TestResult], outputs: Sequence[bytes], backend: Backend
) -> list[TestResult]:
    """Replace every pending verdict with the checker's."""
    pending = [r.test for r in results if r.verdict == PENDING]
    if suite.checker is None or not pending:
        return list(results)
    lang = resolve(suite.checker.language, check_host=backend.host_toolchains)
    files = {lang.source: suite.checker.source.encode()}
    for n in pending:
        case = suite.cases[n - 1]
        files.update({f"t{n}.in": case.input.encode(), f"t{n}.out": outputs[n - 1], f"t{n}.ans": case.output.encode()})
    argv = lang.compile_argv(COMPILE_POLICY)
    build = () if argv is None else (Step(argv, policy=COMPILE_POLICY, name="compile checker"),)
    run = lang.run_argv(CHECKER_POLICY)
    steps = tuple(
        Step((*run, f"t{n}.in", f"t{n}.out", f"t{n}.ans"), policy=CHECKER_POLICY, name=f"check {n}") for n in pending
    )
    verdicts: dict[int, tuple[str, str]] = {}
    stream = iter(backend.run(Job(files, build + steps, lang.name)))
    if build:
        built = next(stream)
        if not built.ok:
            raise BadTests(f"the checker does not compile: {built.stderr.decode(errors='replace')[-300:]}")
    for n, res in zip(pending, stream, strict=False):
        note = (res.stdout or res.stderr).decode("utf-8", errors="replace").strip().splitlines()
        message = note[0][:200] if note else ""
        if res.ok:
            verdicts[n] = ("AC", "")
        elif res.limit is None and res.signal is None and res.exit_code in (1, 2):
            verdicts[n] = ("WA", message or "rejected by the checker")
        else:
            raise BadTests(f"the checker failed on test {n} (exit {res.exit_code}, signal {res.signal}): {message}")
    return [
        TestResult(r.test, verdicts[r.test][0], r.wall_time_s, r.cpu_time_s, verdicts[r.test][1])
        if r.test in verdicts
        else r
        for r in results
    ]
