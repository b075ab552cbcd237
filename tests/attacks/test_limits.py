"""Class 6, clients choose their own limits: request params are clamped to operator ceilings on both backends.

Boundary: HTTP client → service (verifier params) → sandbox limits. The attacker sets any
param a verifier takes; the service lowers resource params to the settings' ceilings and
says so in the verdict's details. And a job nobody waits for stops: the request's
deadline or its client's disconnect sets the request's cancel event, which the code
verifier hands to its sandbox job (local backend; the docker backend does not honour
the event yet).
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bench.proc_tree import descendants
from grpo.wire import ScoreRequest
from rewards.code import CodeParams
from rewards.math_verifier import MathParams
from sandbox.backend import Backend
from sandbox.judge.current import use_backend
from service.app import build_scorer
from service.ceilings import ceilings_of, clamp
from service.settings import Settings
from tests.judge.conftest import local_backend  # noqa: F401  (the real local sandbox, or a skip/CI failure)
from tests.server import server_process

pytestmark = pytest.mark.integration

ALLOC_1_5_GIB = "```python\nx = bytearray(1536 << 20)\nx[::4096] = b'x' * len(x[::4096])\nprint('ok')\n```"
BUSY = "```python\nwhile True:\n    pass\n```"
NAP = "```python\nimport time\ntime.sleep(0.7)\nprint(input())\n```"
ECHO_TESTS = {"inputs": ["1\n"], "outputs": ["1\n"]}
SLEEPER = "```python\nimport time\ntime.sleep(60)\n```"
SLEEPER_REWARDS = [{"name": "code", "params": {"time_limit_s": 600.0}}]  # clamped to 10 s CPU, 21 s wall
STOP_WITHIN_S = 4.0
THREE_TESTS = {"inputs": ["1\n", "2\n", "3\n"], "outputs": ["1\n", "2\n", "3\n"]}


def score_one(on: Backend, settings: Settings, completion: str, reference: Any, params: dict[str, Any]) -> dict:
    """One code item through a real scorer on backend ``on``: its component result as the API returns it."""
    scorer = build_scorer(settings)
    previous = use_backend(on)
    try:
        request = ScoreRequest.model_validate(
            {
                "items": [{"completion": completion, "reference": reference}],
                "rewards": [{"name": "code", "params": params}],
            }
        )
        return asyncio.run(scorer.score(request)).results[0].components[0].model_dump()
    finally:
        use_backend(previous)
        scorer.close()


@pytest.mark.parametrize(
    ("program", "tests", "params", "ceilings", "verdicts", "clamped"),
    [
        # memory_mb=50000 used to let a 1.5 GiB allocation pass; the default ceiling is 1024 MB
        (ALLOC_1_5_GIB, ECHO_TESTS, {"memory_mb": 50000}, {}, ["MLE"], {"memory_mb": [50000, 1024]}),
        (
            BUSY,
            ECHO_TESTS,
            {"time_limit_s": 600.0},
            {"code_max_time_limit_s": 1.0},
            ["TLE"],
            {"time_limit_s": [600.0, 1.0]},
        ),
        (
            NAP,
            THREE_TESTS,
            {"total_time_limit_s": 600.0, "stop_at_first_failure": False},
            {"code_max_total_time_limit_s": 1.0},
            ["AC", "AC", "TLE"],
            {"total_time_limit_s": [600.0, 1.0]},
        ),
    ],
    ids=["memory_mb", "time_limit_s", "total_time_limit_s"],
)
def test_limit_above_ceiling_yields_clamped_limit_and_its_verdict(
    backend: Backend,
    program: str,
    tests: dict,
    params: dict[str, Any],
    ceilings: dict[str, float],
    verdicts: list[str],
    clamped: dict[str, list[float]],
) -> None:
    settings = Settings(workers=1, plugins=False, **ceilings)  # type: ignore[arg-type]
    component = score_one(backend, settings, program, tests, params)
    assert component["status"] == "ok", component
    assert [t["verdict"] for t in component["details"]["tests"]] == verdicts
    assert component["score"] == verdicts.count("AC") / len(verdicts)
    assert component["details"]["clamped"] == clamped


@pytest.mark.parametrize(
    ("params", "ceilings", "expected", "clamped"),
    [
        (CodeParams(memory_mb=50000), {"memory_mb": 1024}, CodeParams(memory_mb=1024), {"memory_mb": [50000, 1024]}),
        (CodeParams(memory_mb=256), {"memory_mb": 1024}, CodeParams(memory_mb=256), {}),
        (MathParams(timeout_s=600.0), {"timeout_s": 10.0}, MathParams(timeout_s=10.0), {"timeout_s": [600.0, 10.0]}),
        (CodeParams(), {"no_such_param": 1.0}, CodeParams(), {}),
    ],
    ids=["over", "under", "math_timeout", "unknown_field"],
)
def test_params_against_ceilings_yield_clamped_params(
    params: Any, ceilings: dict[str, float], expected: Any, clamped: dict[str, list[float]]
) -> None:
    assert clamp(params, ceilings) == (expected, clamped)


@pytest.mark.parametrize(
    ("verifier", "param"),
    [
        ("code", "time_limit_s"),
        ("code", "memory_mb"),
        ("code", "total_time_limit_s"),
        ("math", "timeout_s"),
        ("math", "max_answer_chars"),
        ("math", "max_completion_chars"),
        ("language", "max_chars"),
        ("repetition", "ngram_size"),
    ],
)
def test_every_resource_param_yields_a_ceiling(verifier: str, param: str) -> None:
    assert param in ceilings_of(Settings())[verifier]


@pytest.fixture(scope="module")
def plain_scorer() -> Iterator[Any]:
    scorer = build_scorer(Settings(workers=1, plugins=False))
    yield scorer
    scorer.close()


@pytest.mark.parametrize(
    ("name", "params", "clamped"),
    [
        # n-gram size × words: 250,000-grams of 500,000 words would be 10^11 list slots
        ("repetition", {"ngram_size": 250_000}, {"ngram_size": [250_000, 64]}),
        ("math", {"timeout_s": 600.0}, {"timeout_s": [600.0, 10.0]}),
        ("math", {"max_answer_chars": 10**9}, {"max_answer_chars": [10**9, 20_000]}),
    ],
    ids=["repetition_ngram", "math_timeout", "math_answer_chars"],
)
def test_in_process_param_above_ceiling_yields_clamp_in_details(
    plain_scorer: Any, name: str, params: dict[str, Any], clamped: dict[str, list[float]]
) -> None:
    item = {"completion": "a b " * 1000 + "\\boxed{1}", "reference": "1", "rewards": [{"name": name, "params": params}]}
    component = asyncio.run(plain_scorer.score(ScoreRequest.model_validate({"items": [item]}))).results[0].components[0]
    assert component.status == "ok", component.reason
    assert component.details["clamped"] == clamped


@pytest.mark.parametrize(
    "params",
    [{"time_limit_s": math.nan}, {"time_limit_s": math.inf}, {"memory_mb": 0}, {"total_time_limit_s": -1.0}],
    ids=["nan", "inf", "zero_memory", "negative_total"],
)
def test_non_finite_or_non_positive_limit_yields_bad_params(plain_scorer: Any, params: dict[str, Any]) -> None:
    item = {"completion": BUSY, "reference": ECHO_TESTS, "rewards": [{"name": "code", "params": params}]}
    request = ScoreRequest.model_validate({"items": [item]})
    result = asyncio.run(plain_scorer.score(request)).results[0]
    assert (result.status, result.reward) == ("bad_params", None)


PROGRAM_DEPTH = 3  # bwrap -> runner (the sandbox's PID 1) -> a space's init -> the step's program
HOST_PROGRAM_DEPTH = 4  # in a job host (sandbox/hosts.py): bwrap -> template -> the job's runner -> init -> program


def sandboxes_under(pid: int) -> list[str]:
    """Command lines of the bubblewrap sandboxes below process ``pid`` that run a program.

    A spare sandbox (started ahead of demand, sandbox/spares.py) runs none: its spaces'
    inits wait for a first step. Once lent, it is the job's, and counts as soon as it runs one.
    An idle job host holds its template and the next job's runner made ahead, whose spaces' inits
    wait for a first step too.
    """
    return [
        p.cmdline
        for p in descendants(pid)
        if p.name == "bwrap" and _depth(p.pid) >= (HOST_PROGRAM_DEPTH if " host " in p.cmdline else PROGRAM_DEPTH)
    ]


def _depth(pid: int) -> int:
    below = descendants(pid)
    parents = {p.pid: p.ppid for p in below}
    depth = 0
    for p in below:
        n, at = 0, p.pid
        while at != pid:
            at, n = parents[at], n + 1
        depth = max(depth, n)
    return depth


def wait_for(condition: Any, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return bool(condition())


def test_request_deadline_yields_timeout_verdict_and_stopped_sandbox(local_backend: Backend) -> None:  # noqa: F811
    scorer = build_scorer(Settings(workers=1, plugins=False))
    previous = use_backend(local_backend)
    try:
        item = {"completion": SLEEPER, "reference": ECHO_TESTS, "rewards": SLEEPER_REWARDS}
        request = ScoreRequest.model_validate({"items": [item]})
        result = asyncio.run(scorer.score(request, deadline_s=2.0)).results[0]
        assert (result.status, result.reward) == ("timeout", None)  # never a 0 for the request's own deadline
        assert wait_for(lambda: not sandboxes_under(os.getpid()), STOP_WITHIN_S), sandboxes_under(os.getpid())
    finally:
        use_backend(previous)
        scorer.close()


def test_client_disconnect_yields_stopped_sandbox(local_backend: Backend) -> None:  # noqa: F811
    body = json.dumps({"items": [{"completion": SLEEPER, "reference": ECHO_TESTS, "rewards": SLEEPER_REWARDS}]})
    head = (
        f"POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    )
    with server_process(env={"RLVR_WORKERS": "1"}) as (url, proc):
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as sock:
            sock.sendall(head.encode() + body.encode())
            assert wait_for(lambda: sandboxes_under(proc.pid), 15.0), "the sandbox job never started"
        gone_at = time.monotonic()  # the client went away without reading an answer
        assert wait_for(lambda: not sandboxes_under(proc.pid), STOP_WITHIN_S), sandboxes_under(proc.pid)
        assert time.monotonic() - gone_at < STOP_WITHIN_S  # not the 21 s the program's own wall limit allows
