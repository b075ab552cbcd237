"""The shared dev cases (MBPP and LeetCode rows with known verdicts) are all judged as labelled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.backend import Backend
from sandbox.judge import Options, judge, parse_tests

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

DEV_CASES = Path(__file__).resolve().parents[3] / "shared" / "data" / "code" / "dev_cases.jsonl"
ROWS = [json.loads(line) for line in DEV_CASES.read_text().splitlines() if line.strip()] if DEV_CASES.exists() else []


def test_dev_case_file_has_all_rows() -> None:
    assert len(ROWS) == 44, f"expected 44 rows in {DEV_CASES}"


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_dev_case_yields_labelled_verdict(local_backend: Backend, row: dict) -> None:
    result = judge(row["solution"], parse_tests(row), local_backend, language=row["language"], options=Options())
    assert (result.score == 1.0) is row["expected_pass"], result.summary()
    assert result.passed == (result.total if row["expected_pass"] else result.passed)
