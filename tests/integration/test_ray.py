"""rlvr on a real two-node Ray cluster on this machine, started by deploy/ray/README.md's quick start.

One cluster for the module (starting it costs about a minute here): two nodes of one CPU,
`serve run deploy/ray/serve.yaml` (two replicas, one per node), math and code items over
HTTP through Serve's proxy and through a deployment handle (grpo.ray), then one replica's
process killed while a batch is in flight. Loopback only, free ports, `ray stop --force` after.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from grpo import RetryPolicy, RewardClient
from tests.sandbox.conftest import skip_or_fail

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.bwrap]

DOUBLE = {"inputs": ["3\n", "21\n"], "outputs": ["6\n", "42\n"]}
ITEMS: list[tuple[dict[str, Any], float]] = [
    ({"completion": "<think>1/2 + 1/3 = 5/6</think> $\\boxed{\\frac{5}{6}}$", "reference": "5/6",
      "rewards": {"math": 1.0}}, 1.0),
    ({"completion": "<think>1/2 + 1/3 = 2/5</think> $\\boxed{\\frac{2}{5}}$", "reference": "5/6",
      "rewards": {"math": 1.0}}, 0.0),
    ({"completion": "```python\nprint(2 * int(input()))\n```", "reference": DOUBLE, "rewards": {"code": 1.0}}, 1.0),
    ({"completion": "```python\nprint(int(input()) + 2)\n```", "reference": DOUBLE, "rewards": {"code": 1.0}}, 0.0),
]
# Slow enough (two tests of 0.6 s) that the batch is still in flight when the replica is killed.
SLOW = ({"completion": "```python\nimport time\ntime.sleep(0.6)\nprint(2 * int(input()))\n```", "reference": DOUBLE,
         "rewards": {"code": 1.0}}, 1.0)
REPLICA_RESTART_S = 120.0
KILL_AFTER_S = 1.0
HANDLE_SCRIPT = """
import json, sys, ray
from ray import serve
from grpo.ray import serve_client
ray.init(address="auto", logging_level="ERROR")
items = json.loads(sys.stdin.read())
with serve_client() as client:
    via_client = client.score(items).model_dump(mode="json")
via_score = serve.get_deployment_handle("RLVR", app_name="rlvr").score.remote({"items": items}).result()
print(json.dumps([via_client, via_score]))
"""


@pytest.fixture(scope="module")
def serve_url() -> Iterator[tuple[Any, str]]:
    try:
        import ray  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as exc:
        skip_or_fail(f"rlvr[ray] is not installed: {exc}")
    from tests.ray_cluster import local_cluster, serve_run

    with local_cluster() as cluster, serve_run(cluster) as url:
        yield cluster, url


class Recording(httpx.HTTPTransport):
    """A real transport that keeps the status of every response the client got."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        self.statuses.append(response.status_code)
        return response


def _client(url: str, transport: httpx.BaseTransport | None = None) -> RewardClient:
    return RewardClient(url, chunk_size=1, max_concurrency=4, timeout=120.0, transport=transport,
                        retry=RetryPolicy(attempts=8, base_backoff_s=0.5, max_backoff_s=4.0))


def test_two_replicas_yield_one_on_each_node(serve_url: tuple[Any, str]) -> None:
    cluster, _ = serve_url
    replicas = cluster.replicas()
    assert len(replicas) == 2, replicas
    assert len({r["node"] for r in replicas}) == 2, replicas


def test_math_and_code_items_over_http_yield_their_rewards(serve_url: tuple[Any, str]) -> None:
    _, url = serve_url
    with _client(url) as client:
        response = client.score([item for item, _ in ITEMS])
    assert [r.status for r in response.results] == ["ok"] * len(ITEMS), response.model_dump_json(indent=1)
    assert [r.reward for r in response.results] == [reward for _, reward in ITEMS]


def test_documented_curl_lines_yield_ready_and_a_reward(serve_url: tuple[Any, str]) -> None:
    from tests.ray_cluster import documented_curls

    readyz, score = documented_curls(serve_url[1])
    env = {**os.environ, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}  # curl must not go through a proxy
    answers = [subprocess.run(["bash", "-c", line], env=env, capture_output=True, timeout=60, check=True).stdout
               for line in (readyz, score)]
    assert json.loads(answers[0])["status"] == "ready"
    assert json.loads(answers[1])["results"][0]["reward"] == 1.0


def test_items_through_a_deployment_handle_yield_their_rewards(serve_url: tuple[Any, str]) -> None:
    cluster, _ = serve_url
    out = subprocess.run([sys.executable, "-c", HANDLE_SCRIPT], input=json.dumps([i for i, _ in ITEMS]).encode(),
                         env=cluster.env, capture_output=True, timeout=180)
    assert out.returncode == 0, out.stderr.decode()[-3000:]
    via_client, via_score = json.loads(out.stdout.decode().strip().splitlines()[-1])
    for response in (via_client, via_score):
        assert [r["reward"] for r in response["results"]] == [reward for _, reward in ITEMS], response


def test_replica_killed_mid_batch_yields_every_item_scored(serve_url: tuple[Any, str]) -> None:
    cluster, url = serve_url
    # the proxy prefers the replica on its own node (the head): that one has requests in flight
    (victim,) = [r for r in cluster.replicas() if r["head"]]
    cases = [SLOW] * 8 + ITEMS * 2
    batch = [item for item, _ in cases]
    killer = threading.Timer(KILL_AFTER_S, os.kill, (int(victim["pid"]), signal.SIGKILL))
    start = time.monotonic()
    recording = Recording()
    killer.start()
    try:
        with _client(url, recording) as client:
            response = client.score(batch)
    finally:
        killer.join()
    assert time.monotonic() - start > KILL_AFTER_S, "the batch was over before the replica was killed"
    assert 503 in recording.statuses, f"no request was lost with the replica: {recording.statuses}"
    assert [r.status for r in response.results] == ["ok"] * len(batch), response.model_dump_json(indent=1)
    assert [r.reward for r in response.results] == [reward for _, reward in cases]
    _wait_for_two_replicas(cluster, gone=int(victim["pid"]))


def _wait_for_two_replicas(cluster: Any, gone: int) -> None:
    """Serve replaces the killed replica: the module ends with two live replicas again."""
    deadline = time.monotonic() + REPLICA_RESTART_S
    replicas: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        replicas = cluster.replicas()
        if len(replicas) == 2 and gone not in {r["pid"] for r in replicas}:
            return
        time.sleep(2)
    raise AssertionError(f"the killed replica was not replaced in {REPLICA_RESTART_S}s: {replicas}")


def _cell(url: str, sid: str, code: str) -> dict[str, Any]:
    """One cell through the proxy, resent while the replica that took it is lost (503) or the proxy is busy."""
    deadline = time.monotonic() + REPLICA_RESTART_S
    while True:
        response = httpx.post(f"{url}/v1/sessions/{sid}/exec", json={"code": code}, timeout=120)
        if response.status_code not in (500, 503) or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            return response.json()  # type: ignore[no-any-return]
        time.sleep(1)


def test_replica_killed_between_cells_yields_session_state_carried(serve_url: tuple[Any, str]) -> None:
    cluster, url = serve_url
    # the proxy prefers the replica on its own node (the head): that one makes the session
    (victim,) = [r for r in cluster.replicas() if r["head"]]
    made = httpx.post(f"{url}/v1/sessions", json={}, timeout=60)
    assert made.status_code == 201, made.text
    sid = made.json()["id"]
    first = _cell(url, sid, "import math\nx = 41\nopen('f.txt', 'w').write('kept')")
    assert (first["status"], first["state"]) == ("ok", "updated"), first
    os.kill(int(victim["pid"]), signal.SIGKILL)
    # the next cells reach the other replica (or the victim's replacement): neither has seen this session
    after = [_cell(url, sid, code)["result"] for code in ("x + 1", "open('f.txt').read()", "math.floor(2.5)")]
    assert after == ["42", "'kept'", "2"]
    assert httpx.delete(f"{url}/v1/sessions/{sid}", timeout=60).status_code == 204
    assert httpx.post(f"{url}/v1/sessions/{sid}/exec", json={"code": "1"}, timeout=60).status_code == 404
    _wait_for_two_replicas(cluster, gone=int(victim["pid"]))
