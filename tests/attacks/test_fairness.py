"""Class 9, one client starves the rest: sandbox slots are shared fairly, admission counts verifier calls.

Boundary: HTTP client → service (sandbox capacity). The attacker sends as many requests,
items and code components as it likes, under one API key or none. Defences: the sandbox
lane's per-tenant, per-request queues (service.fair) with slots kept for newcomers, and
admission that counts every component of every item.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from grpo.wire import ScoreRequest
from service.admission import work_units
from service.fair import FairSlots, QueueTimeout
from tests.judge.conftest import local_backend  # noqa: F401  (the real local sandbox, or a skip/CI failure)
from tests.server import run_server

SLEEP_S = 3.0
SLEEPER = f"```python\nimport time\ntime.sleep({SLEEP_S})\nprint(input())\n```"
TRIVIAL = "```python\nprint(input())\n```"
TESTS = {"inputs": ["1\n"], "outputs": ["1\n"]}
TRIVIAL_WITHIN_S = 2.0  # alone it takes well under a second; behind the sleepers it took a whole sleep or more


def hold(started: list[str], name: str, release: threading.Event) -> str:
    started.append(name)
    release.wait(10)
    return name


async def start_order(slots: int, reserve: int, hog: int, newcomer: int, freed: int) -> list[str]:
    """Jobs started, in order: ``hog`` jobs of tenant A, then ``newcomer`` of B, then ``freed`` of A's end."""
    fair = FairSlots(slots, reserve)
    started: list[str] = []
    releases = {f"a{n}": threading.Event() for n in range(hog)} | {f"b{n}": threading.Event() for n in range(newcomer)}
    tasks = [
        asyncio.ensure_future(fair.run(name[0], "request-" + name[0], hold, started, name, ev))
        for name, ev in releases.items()
        if name[0] == "a"
    ]
    await asyncio.sleep(0.2)
    tasks += [
        asyncio.ensure_future(fair.run(name[0], "request-" + name[0], hold, started, name, ev))
        for name, ev in releases.items()
        if name[0] == "b"
    ]
    await asyncio.sleep(0.2)
    for n in range(freed):
        releases[f"a{n}"].set()
        await asyncio.sleep(0.2)
    snapshot = list(started)
    for ev in releases.values():
        ev.set()
    await asyncio.gather(*tasks)
    fair.close()
    return snapshot


@pytest.mark.parametrize(
    ("slots", "reserve", "hog", "newcomer", "freed", "expected"),
    [
        # the reserve: A may not take the last free slot, so B's first job starts at once
        (4, 1, 10, 1, 0, ["a0", "a1", "a2", "b0"]),
        # without a reserve B waits for a slot, then gets it before A's queued jobs
        (2, 0, 5, 1, 1, ["a0", "a1", "b0"]),
        # both wait: freed slots alternate between the tenant with fewer running jobs
        (2, 0, 5, 2, 2, ["a0", "a1", "b0", "a2"]),
        # alone, a tenant uses every slot but the reserve
        (4, 1, 10, 0, 0, ["a0", "a1", "a2"]),
    ],
    ids=["reserve", "freed_slot_to_newcomer", "alternate", "alone"],
)
def test_hog_and_newcomer_yield_fair_start_order(
    slots: int, reserve: int, hog: int, newcomer: int, freed: int, expected: list[str]
) -> None:
    assert asyncio.run(start_order(slots, reserve, hog, newcomer, freed)) == expected


async def cancelled_while_queued() -> list[str]:
    """Jobs started when a request gives up (deadline, disconnect) while its job still waits for a slot."""
    fair = FairSlots(1)
    started: list[str] = []
    release = threading.Event()
    running = asyncio.ensure_future(fair.run("A", "ra", hold, started, "a0", release))
    await asyncio.sleep(0.1)
    queued = asyncio.ensure_future(fair.run("B", "rb", hold, started, "b0", release))
    await asyncio.sleep(0.1)
    queued.cancel()
    release.set()
    await running
    after = asyncio.ensure_future(fair.run("C", "rc", hold, started, "c0", release))
    await after
    fair.close()
    return started


def test_request_gone_while_queued_yields_job_never_started() -> None:
    assert asyncio.run(cancelled_while_queued()) == ["a0", "c0"]


async def bounded_waits(hold_s: float, wait_s: float) -> tuple[list[str], int, int]:
    """A job holds the only slot for ``hold_s``; B waits at most ``wait_s``; C (unbounded) comes after.

    What B got (its name or "timeout"), C's name, and the slots running and jobs queued at the end.
    """
    fair = FairSlots(1)
    outcome: list[str] = []

    async def job(name: str, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return name

    holder = asyncio.ensure_future(fair.run_async("A", "ra", lambda: job("a", hold_s), wait_s=wait_s))
    await asyncio.sleep(0.01)
    try:
        outcome.append(await fair.run_async("B", "rb", lambda: job("b", 0.01), wait_s=wait_s))
    except QueueTimeout:
        outcome.append("timeout")
    outcome.append(await holder)  # a started job is never cut short by its wait deadline
    outcome.append(await fair.run_async("C", "rc", lambda: job("c", 0.01)))
    return outcome, fair.running, fair.queued


@pytest.mark.parametrize(
    ("hold_s", "wait_s", "expected"),
    [
        (0.3, 0.05, ["timeout", "a", "c"]),  # the slot stays busy past B's deadline
        (0.05, 1.0, ["b", "a", "c"]),  # the slot frees within B's deadline
        (0.3, 0.1, ["timeout", "a", "c"]),  # A's own deadline (0.1) is shorter than its run: it still ends
    ],
    ids=["deadline_passed", "served_in_time", "running_job_outlives_deadline"],
)
def test_wait_deadline_yields_queue_timeout_and_no_lost_slot(hold_s: float, wait_s: float, expected: list[str]) -> None:
    assert asyncio.run(bounded_waits(hold_s, wait_s)) == (expected, 0, 0)


@pytest.mark.parametrize(
    ("body", "units"),
    [
        ({"items": [{"completion": "x"}] * 60, "rewards": {"math": 1.0}}, 60),
        ({"items": [{"completion": "x", "rewards": [{"name": "code"}] * 300}]}, 300),
        ({"items": [{"completion": "x"}] * 3, "rewards": {"math": 1.0, "format": 0.5}}, 6),
        ({"items": [{"completion": "x"}, {"completion": "y", "rewards": {"code": 1.0}}]}, 2),
    ],
    ids=["sixty_items", "one_item_300_code", "two_components_each", "no_rewards_counts_one"],
)
def test_request_yields_work_units_per_component(body: dict[str, Any], units: int) -> None:
    assert work_units(ScoreRequest.model_validate(body)) == units


def code_items(completion: str, n: int) -> dict[str, Any]:
    return {"items": [{"completion": completion, "reference": TESTS} for _ in range(n)], "rewards": {"code": 1.0}}


Server = tuple[str, list[dict[str, str]], int]


@pytest.fixture(scope="module", params=["keys", "no_keys"])
def server(request: pytest.FixtureRequest, local_backend: Any) -> Iterator[Server]:  # noqa: F811
    """A real server with 8 sandbox slots (1 kept for newcomers) and 2 math workers; the attacker's and the
    victim's headers, and
    how many requests the attacker splits its 21 sleepers into (three waves of the 7 slots).

    With API keys the attacker gains nothing by splitting: its requests share one key's
    share. Without keys the service cannot tell clients apart, so each request is its own
    tenant and the attack is the issue's: one request of 21.
    """
    env = {
        "RLVR_WORKERS": "2",
        "RLVR_THREADS": "8",
        "RLVR_MAX_INFLIGHT_ITEMS": "100",
        "RLVR_PLUGIN_MODULES": '["tests.service.verifiers_for_tests"]',
    }
    if request.param == "keys":
        env["RLVR_API_KEYS"] = '["attacker", "victim"]'
        with run_server(env=env) as url:
            yield url, [{"authorization": "Bearer attacker"}, {"authorization": "Bearer victim"}], 3
    else:
        with run_server(env=env) as url:
            yield url, [{}, {}], 1


@pytest.mark.integration
def test_sleeping_requests_yield_trivial_item_in_its_own_time(server: Server) -> None:
    url, (attacker, victim), splits = server
    per_request = 21 // splits
    with httpx.Client(timeout=120) as client, ThreadPoolExecutor(splits) as pool:
        hogs = [
            pool.submit(client.post, f"{url}/v1/score", json=code_items(SLEEPER, per_request), headers=attacker)
            for _ in range(splits)
        ]
        time.sleep(1.0)  # the sleepers hold their slots
        latencies = []
        for _ in range(3):
            started = time.perf_counter()
            response = client.post(f"{url}/v1/score", json=code_items(TRIVIAL, 1), headers=victim)
            latencies.append(time.perf_counter() - started)
            assert response.json()["results"][0]["reward"] == 1.0
        still_running = sum(not h.done() for h in hogs)
        results = [h.result() for h in hogs]
    assert still_running > 0, "the attacker's requests ended before the victim's were measured"
    assert all(r.status_code == 200 and r.json()["summary"]["judged"] == per_request for r in results)
    assert max(latencies) < TRIVIAL_WITHIN_S, latencies


@pytest.mark.integration
@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"items": [{"completion": TRIVIAL, "reference": TESTS, "rewards": [{"name": "code"}] * 300}]}, 413, "300"),
        (code_items(TRIVIAL, 60), 200, None),
    ],
    ids=["one_item_300_code_components", "sixty_items"],
)
def test_request_work_yields_admission(server: Server, body: dict[str, Any], status: int, message: str | None) -> None:
    url, (attacker, _), _ = server
    response = httpx.post(f"{url}/v1/score", json=body, headers=attacker, timeout=120)
    assert response.status_code == status
    if message is not None:
        assert f"{message} verifier calls" in response.json()["error"]


def naps(seconds: float, n: int) -> dict[str, Any]:
    nap = [{"name": "t_nap", "params": {"seconds": seconds}}]
    return {"items": [{"completion": str(k)} for k in range(n)], "rewards": nap}


@pytest.mark.integration
def test_worker_pool_backlog_yields_newcomer_served_next(server: Server) -> None:
    """64 pool items of 0.25 s (8 chunks of 2 s on 2 workers: 8 s in line) do not make a newcomer wait them out."""
    url, (attacker, victim), splits = server
    with httpx.Client(timeout=120) as client, ThreadPoolExecutor(splits) as pool:
        assert client.post(f"{url}/v1/score", json=naps(0.0, 2), headers=victim).status_code == 200  # workers warm
        hogs = [
            pool.submit(client.post, f"{url}/v1/score", json=naps(0.25, 64 // splits), headers=attacker)
            for _ in range(splits)
        ]
        time.sleep(1.0)  # the backlog is in line
        started = time.perf_counter()
        response = client.post(f"{url}/v1/score", json=naps(0.0, 1), headers=victim)
        waited = time.perf_counter() - started
        still_running = sum(not h.done() for h in hogs)
        assert all(h.result().json()["summary"]["judged"] == 64 // splits for h in hogs)
    assert response.json()["results"][0]["reward"] == 1.0
    assert still_running > 0, "the attacker's requests ended before the victim's was measured"
    assert waited < 2.0 + TRIVIAL_WITHIN_S, waited  # at most one chunk in progress, never the backlog
