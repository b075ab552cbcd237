"""A plugin cannot take the service down: hung, spinning and crashing plugins against a real server.

Each plugin item runs under a per-item deadline in a killable worker process: past it the
item gets a timeout verdict and the worker is stopped or killed, so its capacity comes
back; the rest of the batch is scored; and nothing keeps spinning after the reply.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.plugins import pip_install, write_package
from tests.server import REPO, server_process

pytestmark = pytest.mark.integration

UNRULY = '''
import signal
import time

from rewards import Item, Verdict, verifier


@verifier("unruly_wait", blocking=True)
def unruly_wait(item: Item, params: object) -> Verdict:
    """Waits forever on 'hang'; on 'deaf' too, with the deadline's signal blocked."""
    if item.completion == "deaf":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(3600)
    if item.completion == "hang":
        time.sleep(3600)
    return Verdict.ok(1.0, "answered")


@verifier("unruly_spin")
def unruly_spin(item: Item, params: object) -> Verdict:
    """A light verifier that loops forever on 'spin'."""
    while item.completion == "spin":
        pass
    return Verdict.ok(1.0, "answered")


@verifier("unruly_patient", blocking=True, timeout_s=30)
def unruly_patient(item: Item, params: object) -> Verdict:
    """Declares a 30 s deadline of its own; waits as many seconds as the completion says."""
    if item.completion.replace(".", "", 1).isdigit():
        time.sleep(float(item.completion))
    return Verdict.ok(1.0, "answered")


@verifier("unruly_raise")
def unruly_raise(item: Item, params: object) -> Verdict:
    """Raises on 'raise'."""
    if item.completion == "raise":
        return {}["missing key"]
    return Verdict.ok(1.0, "answered")
'''
ITEM_TIMEOUT_S = 0.3
MAX_ITEM_TIMEOUT_S = 1.5  # the ceiling on unruly_patient's declared 30 s
CODE = "```python\nprint(int(input()) * 2)\n```"
CODE_TESTS = {"inputs": ["2\n"], "outputs": ["4\n"]}
HEALTHY = [
    {"completion": "<think>a</think>b", "rewards": {"format": 1.0}},
    {"completion": CODE, "reference": CODE_TESTS, "rewards": {"code": 1.0}},
    {"completion": "fine", "rewards": {"unruly_wait": 1.0}},
    {"completion": "fine", "rewards": {"unruly_spin": 1.0}},
]


@pytest.fixture(scope="module")
def unruly_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = write_package(
        tmp_path_factory.mktemp("src"),
        "rlvr-plugin-unruly",
        {"__init__": "", "verifiers": UNRULY},
        {
            n: f"rlvr_plugin_unruly.verifiers:{n}"
            for n in ("unruly_wait", "unruly_spin", "unruly_raise", "unruly_patient")
        },
    )
    return pip_install(src, tmp_path_factory.mktemp("unruly-site"))


@pytest.fixture(scope="module")
def log_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("log") / "server.log"


@pytest.fixture(scope="module")
def server(unruly_site: Path, log_path: Path) -> Iterator[tuple[str, int]]:
    env = {
        "PYTHONPATH": os.pathsep.join([str(REPO), str(unruly_site)]),
        "RLVR_WORKERS": "1",
        "RLVR_PLUGIN_WORKERS": "2",
        "RLVR_ITEM_TIMEOUT_S": str(ITEM_TIMEOUT_S),
        "RLVR_MAX_ITEM_TIMEOUT_S": str(MAX_ITEM_TIMEOUT_S),
    }
    with server_process(env=env, log_path=log_path) as (url, proc):
        yield url, proc.pid


def _score(url: str, items: list[dict[str, Any]], timeout: float = 120) -> list[dict[str, Any]]:
    response = httpx.post(f"{url}/v1/score", json={"items": items}, timeout=timeout)
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def _statuses(results: list[dict[str, Any]]) -> list[str]:
    return [r["status"] for r in results]


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` and all its descendants, from /proc."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if _descends(int(stat.parent.name), pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _descends(child: int, ancestor: int) -> bool:
    while child > 1:
        if child == ancestor:
            return True
        try:
            child = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            return False
    return False


@pytest.mark.parametrize(
    ("verifier", "culprit"),
    [
        ("unruly_wait", "hang"),  # blocking=True, waits: stopped at its wall-clock deadline
        ("unruly_wait", "deaf"),  # ignores the deadline's signal: its worker is killed
        ("unruly_spin", "spin"),  # light, busy loop
    ],
)
def test_stuck_plugin_item_yields_timeout_and_its_batch_is_scored(
    server: tuple[str, int], verifier: str, culprit: str
) -> None:
    url, _ = server
    batch = [{"completion": c, "rewards": {verifier: 1.0}} for c in ("fine", culprit, "fine", "fine")]
    results = _score(url, batch + HEALTHY)
    assert _statuses(results) == ["ok", "timeout", "ok", "ok"] + ["ok"] * len(HEALTHY), results
    assert "deadline" in results[1]["components"][0]["reason"]
    assert [r["reward"] for r in results[len(batch) :]] == [1.0] * len(HEALTHY)


@pytest.mark.parametrize(
    ("seconds", "status", "reason"),
    [
        ("0.8", "ok", "answered"),  # past RLVR_ITEM_TIMEOUT_S, within its own (clamped) deadline
        ("5", "timeout", "exceeded its 1.5s wall-clock deadline"),  # its 30 s, clamped to the ceiling
    ],
)
def test_declared_deadline_is_honoured_up_to_the_ceiling(
    server: tuple[str, int], seconds: str, status: str, reason: str
) -> None:
    url, _ = server
    [result] = _score(url, [{"completion": seconds, "rewards": {"unruly_patient": 1.0}}])
    assert (result["status"], reason in result["components"][0]["reason"]) == (status, True), result
    listing = httpx.get(f"{url}/v1/verifiers", timeout=10).json()
    assert {v["name"]: v["timeout_s"] for v in listing["verifiers"]}["unruly_patient"] == 30


def test_fifty_hung_items_yield_timeouts_and_later_items_still_score(server: tuple[str, int]) -> None:
    url, _ = server
    hung = [{"completion": "hang", "rewards": {"unruly_wait": 1.0}}] * 50
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(_score, url, hung)
        time.sleep(1.0)  # the hung batch holds the plugin workers now
        started = time.monotonic()
        meanwhile = _score(url, HEALTHY, timeout=60)
        waited = time.monotonic() - started
        answered = pending.result()
    assert _statuses(answered) == ["timeout"] * 50
    assert _statuses(meanwhile) == ["ok"] * len(HEALTHY), meanwhile
    # a fair share of the plugin workers: at most one chunk of hung items (8 × 0.3 s) ahead of it
    assert waited < 30, waited
    assert _statuses(_score(url, HEALTHY)) == ["ok"] * len(HEALTHY)
    ready = httpx.get(f"{url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert {"plugin_pool", "verifier_threads"} <= set(ready.json()["checks"])


def test_spinning_plugin_leaves_no_cpu_busy_after_the_reply(server: tuple[str, int]) -> None:
    url, pid = server
    results = _score(url, [{"completion": c, "rewards": {"unruly_spin": 1.0}} for c in ("spin", "fine", "spin")])
    assert _statuses(results) == ["timeout", "ok", "timeout"]
    time.sleep(0.5)
    before = _cpu_seconds(pid)
    time.sleep(2.0)
    used = _cpu_seconds(pid) - before
    assert used < 0.5, f"the server and its workers used {used:.2f} s of CPU in the 2 s after the reply"


def test_capacity_shows_in_metrics(server: tuple[str, int]) -> None:
    url, _ = server
    _score(url, [{"completion": "deaf", "rewards": {"unruly_wait": 1.0}}])
    text = httpx.get(f"{url}/metrics", timeout=10).text
    counter = 'rlvr_workers_killed_total{pool="plugin_pool"}'
    killed = next(line for line in text.splitlines() if line.startswith(counter))
    assert float(killed.split()[-1]) >= 1
    assert "rlvr_stuck_threads 0.0" in text
    assert 'rlvr_component_healthy{component="plugin_pool"} 1.0' in text


def test_raising_plugin_yields_traceback_in_log_and_explain_only(server: tuple[str, int], log_path: Path) -> None:
    url, _ = server
    item = {"id": "q7", "completion": "raise", "rewards": {"unruly_raise": 1.0}}
    plain = httpx.post(f"{url}/v1/score", json={"items": [item]}, headers={"x-request-id": "rid-raise-1"}, timeout=60)
    [component] = plain.json()["results"][0]["components"]
    assert (component["status"], "traceback" in component["details"]) == ("error", False)
    assert "KeyError: 'missing key'" in component["reason"]
    explained = httpx.post(f"{url}/v1/score", params={"explain": "true"}, json={"items": [item]}, timeout=60)
    trace = explained.json()["explanations"][0]["components"][0]["traceback"]
    line = UNRULY.splitlines().index('        return {}["missing key"]') + 1
    assert f'rlvr_plugin_unruly/verifiers.py", line {line}, in unruly_raise' in trace
    assert trace.rstrip().endswith("KeyError: 'missing key'")
    logged = [json.loads(line) for line in log_path.read_text().splitlines() if '"rid-raise-1"' in line]
    [entry] = [e for e in logged if e["logger"] == "rlvr.service"]
    assert entry["level"] == "error"
    assert "verifier 'unruly_raise' raised on item q7 (request rid-raise-1)" in entry["msg"]
    assert f"line {line}, in unruly_raise" in entry["msg"]
    proc = subprocess.run(
        [sys.executable, "-m", "service", "explain", json.dumps(item), "--url", url],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "traceback:" in proc.stdout
    assert "KeyError: 'missing key'" in proc.stdout
