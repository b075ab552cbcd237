"""Property-based fuzzing of every route in the OpenAPI schema against a real server: no 500s."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.server import run_server

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 30
ENV = {"RLVR_ITEM_TIMEOUT_S": "2", "RLVR_MAX_ITEMS": "64"}
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_fuzzed_requests_yield_no_server_error(tmp_path: Path) -> None:
    with run_server(env=ENV) as url:
        proc = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{url}/openapi.json", "--checks", "all", "--max-examples", str(MAX_EXAMPLES),
             "--exclude-checks", "positive_data_acceptance", "--workers", "1", "--request-timeout", "60",
             "--seed", "1", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "Server error" not in proc.stdout
