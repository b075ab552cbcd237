"""The code judge: test formats → TestSuite → a sandbox Job → per-test verdicts and a score."""

from sandbox.judge.cases import BadTests, Checker, TestCase, TestSuite
from sandbox.judge.compare import Comparison
from sandbox.judge.current import current_backend, use_backend
from sandbox.judge.formats import parse_tests
from sandbox.judge.judge import Options, judge
from sandbox.judge.program import Limits
from sandbox.judge.results import JudgeResult, TestResult

__all__ = [
    "BadTests",
    "Checker",
    "Comparison",
    "JudgeResult",
    "Limits",
    "Options",
    "TestCase",
    "TestResult",
    "TestSuite",
    "current_backend",
    "judge",
    "parse_tests",
    "use_backend",
]
