"""Reading back what the fetch step printed: only a well-framed answer within the budget is taken."""

from __future__ import annotations

import base64

import pytest

from sandbox.backend import StepResult
from service.runs.fetch import read_fetched

NAMES = ("a", "b", "c")
BUDGET = 10


def _printed(stdout: bytes) -> StepResult:
    return StepResult(0, None, stdout, b"", 0.01)


@pytest.mark.parametrize(
    ("stdout", "files", "problem"),
    [
        (b"2 -1 3\nhiabc", {"a": b"hi", "c": b"abc"}, ""),
        (b"0 -2 -1\n", {"a": b""}, "not regular files or over the byte budget: b"),
        (b"2 -1\nhi", {}, "garbled"),  # a size missing
        (b"2 -1 3 1\nhiabcd", {}, "garbled"),  # a size too many
        (b"2 -1 3\nhiab", {}, "garbled"),  # fewer bytes than said
        (b"2 -1 3\nhiabcd", {}, "garbled"),  # more bytes than said
        (b"2 -3 3\nhiabc", {}, "garbled"),  # not a size the script prints
        (b"2 x 3\nhiabc", {}, "garbled"),
        (b"2 -1 3", {}, "garbled"),  # no line end
        (b"6 -1 6\nhiabcdhiabcd", {}, "over the byte budget (10)"),
        (b"1" * 100 + b"\n", {}, "garbled"),  # a line longer than any the script prints
    ],
    ids=[
        "ok",
        "skipped",
        "short",
        "long",
        "few_bytes",
        "more_bytes",
        "bad_size",
        "not_int",
        "no_newline",
        "over_budget",
        "long_line",
    ],
)
def test_fetch_output_yields_files_or_problem(stdout: bytes, files: dict[str, bytes], problem: str) -> None:
    fetched = read_fetched(_printed(stdout), NAMES, BUDGET)
    assert {k: base64.b64decode(v) for k, v in fetched.files.items()} == files
    assert problem in fetched.problem and bool(problem) == bool(fetched.problem)


def test_failed_fetch_step_yields_no_files_and_the_reason() -> None:
    fetched = read_fetched(StepResult(None, 9, b"", b"", 10.0, limit="wall_time"), NAMES, BUDGET)
    assert fetched.files == {} and "wall_time" in fetched.problem
