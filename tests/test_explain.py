"""Explainability: ?explain=true and `rlvr explain` show what was extracted, compared and which rule decided."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.explain import ItemTrace
from service.settings import Settings
from tests.server import REPO, run_server

ENV = {"RLVR_PLUGIN_MODULES": json.dumps(["tests.service.verifiers_for_tests"]), "RLVR_WORKERS": "1"}
HALF = {
    "id": "half",
    "completion": "<think>1/4 + 1/4 = 2/4</think>The answer is $\\boxed{\\frac{1}{2}}$.",
    "reference": "0.5",
    "rewards": [{"name": "math", "params": {"extract": "boxed"}}, {"name": "format", "weight": 0.2}],
}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = Settings(workers=1, plugin_modules=["tests.service.verifiers_for_tests"])
    with TestClient(create_app(settings)) as c:
        yield c


def _explain(client: TestClient, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = client.post("/v1/score", params={"explain": "true"}, json={"items": items})
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["results"]) == len(body["explanations"]) == len(items)
    return list(body["explanations"])


def test_explain_flag_yields_trace_of_each_component(client: TestClient) -> None:
    (trace,) = _explain(client, [HALF])
    assert trace["formula"] == "1×1 (math) + 0.2×1 (format) = 1.2"
    math, fmt = trace["components"]
    assert (math["extracted"], math["expected"]) == ("\\frac{1}{2}", "0.5")
    assert math["rule"] == math["details"]["rule"] and math["rule"]
    assert math["params"]["extract"] == "boxed"
    assert math["params"]["float_rounding"] == 6  # a default, filled in
    assert (math["verifier"]["source"], math["verifier"]["heavy"]) == ("builtin", True)
    params = {"style": "r1", "think_prefilled": False, "open_r1_exact": False}
    assert (fmt["contribution"], fmt["params"]) == (0.2, params)


@pytest.mark.parametrize(
    ("item", "formula", "verifier", "params"),
    [
        (
            {"completion": "\\boxed{3}", "reference": None, "rewards": {"math": 1.0}},
            "1×? (math): not judged (math is bad_reference), reward null",
            "builtin",
            True,
        ),
        (
            {"completion": "x", "rewards": {"no_such": 2.0}},
            "2×? (no_such): not judged (no_such is unknown_verifier), reward null",
            None,
            False,
        ),
        (
            {"completion": "x", "rewards": [{"name": "t_len", "params": {"scale": "big"}}]},
            "1×? (t_len): not judged (t_len is bad_params), reward null",
            "module:tests.service.verifiers_for_tests",
            False,
        ),
        (
            {"completion": "x"},
            "no components: no rewards requested: give the item or the batch a 'rewards' field",
            None,
            None,
        ),
    ],
)
def test_item_not_judged_yields_formula_saying_why(
    client: TestClient, item: dict[str, Any], formula: str, verifier: str | None, params: bool | None
) -> None:
    (trace,) = _explain(client, [item])
    assert trace["reward"] is None
    assert trace["formula"] == formula
    for comp in trace["components"]:
        assert (comp["verifier"] or {}).get("source") == verifier
        assert (comp["params"] is not None) == params


def test_score_without_flag_yields_no_explanations(client: TestClient) -> None:
    body = client.post("/v1/score", json={"items": [HALF]}).json()
    assert set(body) == {"results", "summary"}


def rlvr(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), **ENV}
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        env=env,
        cwd=REPO,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_explain_command_on_json_yields_tree() -> None:
    proc = rlvr("explain", json.dumps(HALF))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "item half: reward 1.2, status ok" in out
    assert "reward = 1×1 (math) + 0.2×1 (format) = 1.2" in out
    assert 'extracted: "\\\\frac{1}{2}"' in out
    assert 'compared with: "0.5"' in out
    assert "decided by: " in out
    assert "verifier: builtin" in out


def test_explain_command_on_jsonl_file_with_id_yields_json_trace(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    other = {**HALF, "id": "other", "completion": "\\boxed{2}"}
    path.write_text(json.dumps(other) + "\n" + json.dumps(HALF) + "\n")
    proc = rlvr("explain", str(path), "--id", "other", "--json")
    assert proc.returncode == 0, proc.stderr
    trace = ItemTrace.model_validate_json(proc.stdout)
    assert (trace.id, trace.reward, trace.components[0].extracted) == ("other", 0.0, "2")
    ambiguous = rlvr("explain", str(path))
    assert ambiguous.returncode == 2
    assert "holds 2 items: pick one with --id" in ambiguous.stderr


@pytest.mark.parametrize(
    ("argument", "file", "says"),
    [
        ("missing.jsonl", None, "cannot read missing.jsonl: no such file"),
        ("{bad", None, "the argument is not JSON"),
        ("[1, 2]", None, "the argument: an item is a JSON object, got list"),
        ("items.jsonl", '{"id": "a", "completion": "x"}\n\n{bad\n', "items.jsonl line 3 is not JSON"),
        (
            "items.jsonl --id zz",
            '{"id": "a", "completion": "x"}\n{"id": "b"}\n',
            "no item with id 'zz' in items.jsonl (ids: a, b)",
        ),
        ("items.jsonl", '{"id": "a", "completion": "x"}\n', "no rewards named: give --rewards"),
    ],
)
def test_unusable_input_yields_exit_two_and_one_line_saying_what(
    tmp_path: Path, argument: str, file: str | None, says: str
) -> None:
    if file is not None:
        (tmp_path / "items.jsonl").write_text(file)
    args = argument.split(" ") if argument.startswith("items") else [argument]
    proc = subprocess.run(
        [sys.executable, "-m", "service", "explain", *args],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(says) and proc.stderr.count("\n") == 1, proc.stderr


@pytest.mark.parametrize(
    ("reward", "code", "message"), [(1.2, 0, "matches the expected outcome"), (0.0, 1, "mismatch:")]
)
def test_explain_command_on_golden_case_yields_comparison(reward: float, code: int, message: str) -> None:
    proc = rlvr("explain", "-", stdin=json.dumps({**HALF, "expected": {"reward": reward}}))
    assert proc.returncode == code, proc.stderr
    assert message in proc.stderr


def test_explain_command_against_server_yields_same_trace() -> None:
    local = rlvr("explain", json.dumps(HALF), "--json")
    with run_server(env=ENV) as url:
        remote = rlvr("explain", json.dumps(HALF), "--json", "--url", url)
    assert remote.returncode == 0, remote.stderr
    assert ItemTrace.model_validate_json(remote.stdout) == ItemTrace.model_validate_json(local.stdout)
