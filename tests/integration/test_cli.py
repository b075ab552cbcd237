"""`rlvr score`: a JSONL file in, one API result per line out, in-process or against a real server."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import docker
import pytest

from grpo.wire import ItemResult
from sandbox.docker.config import OWNER_SESSION_LABEL, SESSION_ENV
from service.cli.score import parse_line
from tests.sandbox.docker_engine import require_engine, session_container_ids
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
    assert "2 invalid items not scored (reward null); fix:\n  line 2: not JSON: " in proc.stderr, proc.stderr
    assert "\n  line 4: completion: Input should be a valid string\n" in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("line", "item_id", "error"),
    [
        ('{"id": 0, "completion": 7}', 0, "line 3: completion: Input should be a valid string"),
        ('{"completion": "x", "referense": "4"}', "line-3", "line 3: referense: Extra inputs are not permitted: did"),
        ('{"id": "s", "completion": "x\\ud800"}', "s", "line 3: completion: a lone UTF-16 surrogate is not Unicode"),
        ("[1]", "line-3", 'line 3: an item must be a JSON object such as {"completion"'),
        ("{", "line-3", "line 3: not JSON: Expecting property name"),
    ],
    ids=["wrong_type", "misspelt_field", "lone_surrogate", "not_an_object", "not_json"],
)
def test_bad_line_yields_invalid_item_in_the_service_words(line: str, item_id: str | int, error: str) -> None:
    result = parse_line(3, line)
    assert isinstance(result, ItemResult)
    assert (result.id, result.status, result.reward) == (item_id, "invalid_item", None)
    assert result.error is not None and result.error.startswith(error), result.error


def test_score_against_server_yields_same_results(rollouts: Path) -> None:
    with run_server(env=ENV) as url:
        proc = rlvr("score", str(rollouts), "--url", url, "--rewards", '{"t_len": 1.0}')
    assert proc.returncode == 0, proc.stderr
    _check(proc.stdout.splitlines())


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--rewards", "{bad"], 2, "--rewards must be JSON"),
        (["--rewards", '{"nope": 1}'], 2, "unknown verifier 'nope'"),
        (["--url", f"http://127.0.0.1:{free_port()}"], 1, "cannot reach"),  # a port we opened and closed
    ],
)
def test_bad_invocation_yields_exit_code_and_one_message(
    rollouts: Path, args: list[str], code: int, message: str
) -> None:
    """Said once, however many concurrent requests the items went out in."""
    proc = rlvr("score", str(rollouts), *args)
    assert proc.returncode == code, proc.stderr
    assert proc.stderr.count(message) == 1, proc.stderr


def test_input_the_server_refuses_yields_exit_two_and_its_message_once(rollouts: Path) -> None:
    with run_server(env=ENV) as url:
        proc = rlvr("score", str(rollouts), "--url", url, "--rewards", '{"nope": 1}')
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("422 from the service: unknown verifier 'nope'; known: ") == 1, proc.stderr
    assert '"error"' not in proc.stderr, proc.stderr


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


def on_terminal(*args: str) -> str:
    """What `rlvr` writes to stderr when stderr is a terminal (a pty): the progress bar shows there."""
    master, slave = pty.openpty()
    try:
        env = {**os.environ, "PYTHONPATH": str(REPO), **ENV}
        proc = subprocess.run(
            [sys.executable, "-m", "service", *args],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=slave,
            timeout=180,
        )
    finally:
        os.close(slave)
    seen = b""
    while chunk := _read(master):
        seen += chunk
    os.close(master)
    assert proc.returncode == 0, seen.decode(errors="replace")
    return seen.decode(errors="replace")


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO once the child side is closed and drained
        return b""


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("\n".join(LINES), {"line-2": 2}),
        ("\n\n" + "\n".join(LINES), {"line-4": 4}),  # blank lines count as lines of the file
        ("\n".join(LINES).replace("\n", "\n\n", 1), {"line-3": 3}),
        ("\n".join(LINES) + "\n   \n{also bad\n", {"line-2": 2, "line-7": 7}),
    ],
)
def test_invalid_line_yields_error_with_its_line_number_in_file(
    tmp_path: Path, text: str, numbers: dict[str, int]
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(text)
    proc = rlvr("score", str(path), "--rewards", '{"t_len": 1.0}')
    assert proc.returncode == 0, proc.stderr
    errors = {r["id"]: r["error"] for line in proc.stdout.splitlines() if (r := json.loads(line))["error"]}
    for item_id, number in numbers.items():
        assert errors[item_id].startswith(f"line {number}: "), errors
    assert errors["c"].startswith(f"line {text.splitlines().index(LINES[3]) + 1}: "), errors


@pytest.mark.parametrize(
    ("lines", "args", "says"),
    [
        ([{"id": "a", "completion": "x"}, {"id": "b", "completion": "y"}], [], "no rewards named: give --rewards"),
        (
            [{"id": "a", "completion": "x", "rewards": {}}, {"id": "b", "completion": "y", "rewards": []}, "{bad"],
            [],
            "no rewards named: give --rewards",
        ),
        ([{"id": "a", "completion": "x"}], ["--rewards", "{}"], "it names no reward"),
        ([{"id": "a", "completion": "x"}], ["--rewards", "[]"], "it names no reward"),
    ],
)
def test_no_reward_named_anywhere_yields_exit_two(
    tmp_path: Path, lines: list[dict[str, Any] | str], args: list[str], says: str
) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    proc = rlvr("score", str(path), *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert says in proc.stderr


def test_reward_named_by_some_items_yields_results_and_own_error_for_the_others(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "a", "completion": "ab", "rewards": {"t_len": 1}}) + '\n{"id": "b"}\n')
    proc = rlvr("score", str(path))
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(line)["reward"] for line in proc.stdout.splitlines()] == [2.0, None]


@pytest.mark.parametrize(
    ("rewards", "says"),
    [
        ("{bad", "not JSON"),
        ('{"t_len": "high"}', 't_len: input should be a valid number (got "high")'),
        ('[{"nam": "t_len"}]', "[0].name: field required"),
        ('[{"name": "t_len", "weight": "x"}]', "[0].weight: input should be a valid number"),
        ("5", "not an object or a list (got 5)"),
        ('"t_len"', "not an object or a list"),
        ("{}", "it names no reward"),
    ],
)
@pytest.mark.parametrize("command", ["score", "explain"])
def test_malformed_rewards_yields_one_line_saying_what_to_fix(
    rollouts: Path, command: str, rewards: str, says: str
) -> None:
    target = str(rollouts) if command == "score" else json.dumps({"completion": "x"})
    proc = rlvr(command, target, "--rewards", rewards, env={"COLUMNS": "60"})
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith('--rewards must be JSON like {"math": 1.0}')
    assert says in proc.stderr
    assert "pydantic" not in proc.stderr and "http" not in proc.stderr


def test_summary_of_one_item_yields_singular(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(LINES[0] + "\n")
    proc = rlvr("score", str(path), "--rewards", '{"t_len": 1.0}')
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^1 item in [\d.]+s", proc.stderr, re.M), proc.stderr


def test_summary_yields_items_per_second(rollouts: Path) -> None:
    proc = rlvr("score", str(rollouts), "--rewards", '{"t_len": 1.0}')
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^5 items in [\d.]+s \([\d.]+ items/s\); judged 3, mean reward", proc.stderr, re.M), proc.stderr


@pytest.mark.parametrize("command", ["score", "check"])
def test_small_batch_on_terminal_yields_progress_that_moves(tmp_path: Path, command: str) -> None:
    """8 items of 0.3 s each in one batch (one worker): the bar passes through counts between 0 and 8."""
    path = tmp_path / "in.jsonl"
    expected = {"expected": {"reward": 1.0}} if command == "check" else {}
    nap = [{"name": "t_nap", "params": {"seconds": 0.3}}]
    items = [{"id": n, "completion": "x", "rewards": nap, **expected} for n in range(8)]
    path.write_text("".join(json.dumps(item) + "\n" for item in items))
    seen = on_terminal(command, str(path), *(["-o", str(tmp_path / "out.jsonl")] if command == "score" else []))
    counts = {int(m) for m in re.findall(r"(\d+)/8", seen)}
    assert counts & set(range(1, 8)), seen


SUM = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"
CODE_ITEM = {"id": "sum", "completion": SUM, "reference": {"inputs": ["1 2\n"], "outputs": ["3\n"]}}


def containers_created(session: str, since: float) -> list[str]:
    """Ids of the runner containers labelled with ``session`` created since ``since`` (docker's event log)."""
    client = docker.from_env(timeout=10)
    events = client.events(
        since=int(since) - 1,
        until=int(time.time()) + 1,
        filters={"type": "container", "event": "create", "label": f"{OWNER_SESSION_LABEL}={session}"},
        decode=True,
    )
    return [e["id"] for e in events]


@pytest.mark.docker
@pytest.mark.parametrize(
    ("command", "backend", "in_containers"),
    [
        ("score", "docker", True),
        ("check", "docker", True),
        ("explain", "docker", True),
        ("score", "local", False),
    ],
)
def test_in_process_command_yields_code_run_in_configured_backend(
    tmp_path: Path, command: str, backend: str, in_containers: bool
) -> None:
    """RLVR_SANDBOX_BACKEND=docker in-process: the code runs in our labelled containers, removed at exit."""
    require_engine()
    session = f"cli-test-{uuid.uuid4().hex[:12]}"
    path = tmp_path / "item.jsonl"
    expected = {} if command == "score" else {"expected": {"reward": 1.0}}  # a golden case for check and explain
    path.write_text(json.dumps({**CODE_ITEM, "rewards": {"code": 1.0}, **expected}) + "\n")
    started = time.time()
    proc = rlvr(
        command,
        str(path),
        env={"RLVR_SANDBOX_BACKEND": backend, "RLVR_DOCKER_POOL_SIZE": "1", SESSION_ENV: session},
    )
    assert proc.returncode == 0, proc.stderr
    if command == "score":
        assert json.loads(proc.stdout)["reward"] == 1.0
    assert bool(containers_created(session, started)) is in_containers
    assert session_container_ids(session) == set()  # the backend was closed: no container outlives the command


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ({"completion": 5, "rewards": {"t_len": 1}}, "not a valid item: completion: Input should be a valid string"),
        ({"completion": "x", "rewards": {"t_len": 1}, "extra": 1}, "not a valid item: extra: Extra inputs"),
        ({"completion": "x"}, "no rewards named"),
    ],
)
def test_explain_of_bad_item_yields_one_line_and_exit_two(item: dict[str, Any], says: str) -> None:
    proc = rlvr("explain", json.dumps(item), env={"COLUMNS": "60"})
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and says in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"RLVR_WORKERS": "many"}, "RLVR_WORKERS: Input should be a valid integer"),
        ({"RLVR_PLUGIN_MODULES": "my_plugin"}, "RLVR_PLUGIN_MODULES must be JSON, like"),
        ({"RLVR_API_KEYS": '["a"'}, "RLVR_API_KEYS must be JSON, like"),
    ],
    ids=["not an integer", "a list not in JSON", "broken JSON"],
)
@pytest.mark.parametrize("command", ["score", "serve"])
def test_bad_setting_in_the_environment_yields_one_line_and_exit_two(
    rollouts: Path, command: str, env: dict[str, str], says: str
) -> None:
    args = [str(rollouts)] if command == "score" else ["--port", str(free_port())]
    proc = rlvr(command, *args, env={**env, "COLUMNS": "200"})
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith(f"invalid settings: {says}") and proc.stderr.count("\n") == 1, proc.stderr
