"""`rlvr score`: a JSONL file in, one API result per line out, in-process or against a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server import REPO, free_port, run_server

pytestmark = pytest.mark.integration

ENV = {"RLVR_PLUGIN_MODULES": json.dumps(["tests.service.verifiers_for_tests"]), "RLVR_WORKERS": "1"}
LINES = [
    json.dumps({"id": "a", "completion": "abc"}),
    "{this is not json",
    json.dumps({"id": "b", "completion": "ok", "reference": "ok", "rewards": {"t_heavy": 1.0}}),
    json.dumps({"id": "c", "completion": 7}),
    json.dumps({"id": "d", "completion": "abcdef", "rewards": [{"name": "t_len", "params": {"scale": 2}}]}),
]
EXPECTED = [
    ("a", 3.0, "ok"),
    ("line-2", None, "invalid_item"),
    ("b", 1.0, "ok"),
    ("c", None, "invalid_item"),
    ("d", 12.0, "ok"),
]


def rlvr(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **ENV, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "service", *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=180
    )


@pytest.fixture
def rollouts(tmp_path: Path) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(LINES) + "\n")
    return path


def _check(lines: list[str]) -> None:
    results = [json.loads(line) for line in lines]
    assert [(r["id"], r["reward"], r["status"]) for r in results] == EXPECTED
    assert "line 2" in results[1]["error"]


def test_score_in_process_yields_one_result_per_line(rollouts: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    proc = rlvr("score", str(rollouts), "-o", str(out), "--rewards", '{"t_len": 1.0}')
    assert proc.returncode == 0, proc.stderr
    _check(out.read_text().splitlines())
    assert "5 items" in proc.stderr
    assert "invalid_item 2" in proc.stderr


def test_score_against_server_yields_same_results(rollouts: Path) -> None:
    with run_server(env=ENV) as url:
        proc = rlvr("score", str(rollouts), "--url", url, "--rewards", '{"t_len": 1.0}')
    assert proc.returncode == 0, proc.stderr
    _check(proc.stdout.splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rewards", "{bad"], "--rewards must be JSON"),
        (["--rewards", '{"nope": 1}'], "unknown verifier 'nope'"),
        (["--url", f"http://127.0.0.1:{free_port()}"], "cannot reach"),  # a port we opened and closed
    ],
)
def test_bad_invocation_yields_exit_code_and_message(rollouts: Path, args: list[str], message: str) -> None:
    proc = rlvr("score", str(rollouts), *args)
    assert proc.returncode != 0
    assert message in proc.stderr


@pytest.mark.parametrize(("key", "ok"), [("sesame", True), (None, False), ("wrong", False)])
def test_score_against_keyed_server_yields_results_only_with_key(rollouts: Path, key: str | None, ok: bool) -> None:
    with run_server(env={**ENV, "RLVR_API_KEYS": '["sesame"]'}) as url:
        proc = rlvr(
            "score",
            str(rollouts),
            "--url",
            url,
            "--rewards",
            '{"t_len": 1.0}',
            env={"RLVR_API_KEY": key} if key else {},
        )
    assert (proc.returncode == 0) is ok, proc.stderr
    if ok:
        _check(proc.stdout.splitlines())
    else:
        assert "401" in proc.stderr
