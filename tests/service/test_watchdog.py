"""Built-in verifiers on threads: a call past its deadline is stopped, or its thread written off; the rest is scored."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from grpo.wire import ScoreRequest
from rewards import Item, Registry, Verdict, verifier
from service.dispatch import Scorer
from service.pool import VerifierPool
from tests.server import REPO

TIMEOUT_S = 0.3
BLOCK_S = 3.0


@verifier("w_light")
def w_light(item: Item, params: object) -> Verdict:
    """Loops in Python on 'spin', waits in C on 'block', raises on 'raise'; else scores 1."""
    if item.completion == "spin":
        while True:
            pass
    if item.completion == "block":
        threading.Event().wait(BLOCK_S)  # a C-level wait: no bytecode runs, the interrupt waits for it
    if item.completion == "raise":
        raise KeyError("missing")
    return Verdict.ok(1.0, "fine")


@verifier("w_group", scope="group")
def w_group(items: list[Item], params: object) -> list[Verdict]:
    """A light group verifier that loops on a group containing 'spin'."""
    while any(i.completion == "spin" for i in items):
        pass
    return [Verdict.ok(1.0, "fine") for _ in items]


@pytest.fixture
def scorer() -> Iterator[Scorer]:
    registry = Registry()
    for fn in (w_light, w_group):
        registry.register(fn, source="builtin")
    s = Scorer(registry, VerifierPool(1, TIMEOUT_S, plugins=False), threads=4, cache_size=0, max_completion_chars=100)
    s.threads.grace_s = 0.5
    yield s
    s.close()


def _statuses(scorer: Scorer, completions: list[str], verifier_name: str = "w_light") -> list[str]:
    items = [{"completion": c, "group": "g"} for c in completions]
    request = ScoreRequest.model_validate({"items": items, "rewards": {verifier_name: 1.0}})
    return [r.status for r in asyncio.run(scorer.score(request)).results]


@pytest.mark.parametrize(
    ("completions", "statuses"),
    [
        (["ok", "spin", "ok", "ok"], ["ok", "timeout", "ok", "ok"]),
        (["spin", "spin", "ok"], ["timeout", "timeout", "ok"]),
        (["ok", "block", "ok"], ["ok", "timeout", "ok"]),
        (["raise", "ok"], ["error", "ok"]),
    ],
)
def test_overrun_call_yields_timeout_and_the_rest_of_its_chunk_is_scored(
    scorer: Scorer, completions: list[str], statuses: list[str]
) -> None:
    started = time.monotonic()
    assert _statuses(scorer, completions) == statuses
    assert time.monotonic() - started < BLOCK_S


def test_group_call_past_its_deadline_yields_timeout_for_its_group(scorer: Scorer) -> None:
    assert _statuses(scorer, ["ok", "spin"], "w_group") == ["timeout", "timeout"]


def test_interrupted_loop_leaves_no_cpu_busy(scorer: Scorer) -> None:
    assert _statuses(scorer, ["spin", "ok"]) == ["timeout", "ok"]
    before = time.process_time()
    time.sleep(1.0)
    assert time.process_time() - before < 0.3


def test_written_off_thread_is_reported_until_it_returns(scorer: Scorer) -> None:
    assert _statuses(scorer, ["block", "ok"]) == ["timeout", "ok"]
    ok, detail = scorer.threads.health()
    assert (scorer.threads.stuck, ok) == (1, True)
    assert detail.startswith("1 of 4 verifier threads stuck")
    assert scorer.health()["verifier_threads"]["detail"] == detail
    deadline = time.monotonic() + BLOCK_S + 2
    while scorer.threads.stuck and time.monotonic() < deadline:
        time.sleep(0.1)
    assert scorer.threads.stuck == 0
    assert scorer.threads.written_off == 1


def test_lane_full_of_stuck_threads_is_not_ready(scorer: Scorer) -> None:
    request = ScoreRequest.model_validate({"items": [{"completion": "block"}] * 4, "rewards": {"w_light": 1.0}})

    async def four_chunks() -> None:
        await asyncio.gather(*(scorer.score(request) for _ in range(4)))

    asyncio.run(four_chunks())
    ok, detail = scorer.threads.health()
    assert not ok, detail
    assert not scorer.health()["verifier_threads"]["ok"]


PROFILED = """
import asyncio, sys
from rewards import Verdict
from service.watchdog import Call, ThreadLane

lane = ThreadLane(2)
out = []
calls = [Call(lambda: [Verdict.ok(1.0, "x")], lambda v, s: out.append(v), 1, 5.0, "t") for _ in range(50)]
asyncio.run(lane.run(calls))
sys.setprofile(lambda *args: None)  # as a profiler or coverage tool does
asyncio.run(lane.run(calls))
sys.setprofile(None)
print(len(out))
"""


def test_lane_leaves_profiled_threads_running() -> None:
    """A chunk's end must not leave the interpreter in a state where profiled code stops advancing."""
    proc = subprocess.run(
        [sys.executable, "-c", PROFILED],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout.strip()) == (0, "100"), proc.stderr
