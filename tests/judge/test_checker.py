"""Checker programs: a crash the contestant's output provokes is that output's WA, never bad_reference.

Only the checker failing on the jury's own answer (the control run), or saying so itself
(testlib's exit 3), puts the reference at fault.
"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.backend import Backend
from sandbox.judge import BadTests, judge, parse_tests
from tests.judge.fakes import PlainBackend

# Accepts the exact answer; on anything else it dies the way its name says.
FRAGILE = """
import os, signal, sys
out, ans = open(sys.argv[2]).read(), open(sys.argv[3]).read()
if out.split() == ans.split():
    sys.exit(0)
if out.startswith("segv"):
    os.kill(os.getpid(), signal.SIGSEGV)
if out.startswith("exit7"):
    sys.exit(7)
if out.startswith("fail"):
    sys.exit(3)
sys.exit(1)
"""
BROKEN = "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n"  # crashes whatever it is given

CASES = [
    ("right answer", FRAGILE, "print(42)", "AC"),
    ("wrong answer", FRAGILE, "print(41)", "WA"),
    ("output that makes the checker segfault", FRAGILE, "print('segv')", "WA"),
    ("output that makes the checker exit 7", FRAGILE, "print('exit7')", "WA"),
]


@pytest.mark.parametrize(("checker", "program", "verdict"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_checker_on_program_output_yields_ac_or_wa(checker: str, program: str, verdict: str) -> None:
    suite = parse_tests({"inputs": ["\n"], "outputs": ["42\n"], "checker": checker})
    assert [r.verdict for r in judge(program, suite, PlainBackend()).results] == [verdict]


AT_FAULT = [
    ("checker saying the jury is wrong", FRAGILE, "print('fail')", "exit 3, the jury is at fault"),
    ("checker crashing on its own answer too", BROKEN, "print(41)", "rejects its own answer"),
]


@pytest.mark.parametrize(("checker", "program", "message"), [c[1:] for c in AT_FAULT], ids=[c[0] for c in AT_FAULT])
def test_checker_at_fault_yields_bad_tests(checker: str, program: str, message: str) -> None:
    suite = parse_tests({"inputs": ["\n"], "outputs": ["42\n"], "checker": checker})
    with pytest.raises(BadTests, match=message):
        judge(program, suite, PlainBackend())


def test_checker_crash_in_the_sandbox_yields_wa(local_backend: Backend) -> None:
    reference: dict[str, Any] = {"inputs": ["\n", "\n"], "outputs": ["42\n", "42\n"], "checker": FRAGILE}
    result = judge("print('segv')", parse_tests(reference), local_backend)
    assert [r.verdict for r in result.results] == ["WA", "WA"]
    assert "the checker failed on this output" in result.results[0].message
