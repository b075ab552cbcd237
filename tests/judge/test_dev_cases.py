"""The shared dev cases (MBPP and LeetCode rows with known verdicts) are all judged as labelled.

``dev_cases.jsonl`` is a copy of ``../shared/data/code/dev_cases.jsonl`` (rows from
SandboxFusion's and rllm's public test samples; see each row's ``source``), kept in the
repo so that a fresh checkout runs it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.backend import Backend
from sandbox.judge import Options, judge, parse_tests

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

DEV_CASES = Path(__file__).with_name("dev_cases.jsonl")
ROWS = [json.loads(line) for line in DEV_CASES.read_text().splitlines() if line.strip()]


SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "code" / "dev_cases.jsonl"


def test_dev_case_file_has_all_rows() -> None:
    assert len(ROWS) == 44, f"expected 44 rows in {DEV_CASES}"


@pytest.mark.skipif(not SHARED.exists(), reason="no ../shared checkout next to the repo")
def test_dev_case_copy_yields_same_rows_as_shared_file() -> None:
    assert DEV_CASES.read_bytes() == SHARED.read_bytes()


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_dev_case_yields_labelled_verdict(local_backend: Backend, row: dict) -> None:
    result = judge(row["solution"], parse_tests(row), local_backend, language=row["language"], options=Options())
    assert (result.score == 1.0) is row["expected_pass"], result.summary()
