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
SCORE = "POST /v1/score"
# POST /v1/score answers a schema-violating *item* with that item's own `invalid_item` result
# in a 200 while the other items are scored (service/intake.py: one bad item must not cost the
# batch), so negative_data_rejection ("a schema-violating request is a 4xx") does not hold for
# it; its 4xx cases (the envelope, every item invalid) are tables in
# tests/service/test_item_verdicts.py. Every other check still runs on it, and every check on
# every other route. (A per-operation config cannot do this: `--checks all` overrides it.)
RUNS = {
    "every_other_route": (["--exclude-name", SCORE, "--exclude-checks", "positive_data_acceptance"], "Tested: 15"),
    "score": (
        ["--include-name", SCORE, "--exclude-checks", "positive_data_acceptance,negative_data_rejection"],
        "Tested: 1\n",
    ),
}


@pytest.mark.parametrize(("selection", "tested"), RUNS.values(), ids=RUNS.keys())
def test_fuzzed_requests_yield_no_server_error(tmp_path: Path, selection: list[str], tested: str) -> None:
    with run_server(env=ENV) as url:
        proc = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{url}/openapi.json", "--checks", "all", "--max-examples", str(MAX_EXAMPLES),
             *selection, "--workers", "1", "--request-timeout", "60",
             "--seed", "1", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "Server error" not in proc.stdout
    assert tested in proc.stdout, proc.stdout[-2000:]
