"""The grpo client and adapters against a real uvicorn serving the real app, on a free loopback port.

Rewards here are real verifiers: ``format`` (R1 shape: a think block, then an answer),
``math``, and the dispatcher's test verifier ``t_group``, which cannot judge a lone item,
so the None-not-zero rule is seen end to end.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from grpo import AsyncRewardClient, RetryPolicy, RewardClient, compute_advantages
from grpo import verl as grpo_verl
from grpo.trl import rlvr_reward
from tests.grpo.harness import TrainerLike
from tests.server import REPO, free_port, serving

pytestmark = pytest.mark.integration

STARTUP_TIMEOUT_S = 90.0
ENV = {
    "RLVR_PLUGIN_MODULES": json.dumps(["tests.service.verifiers_for_tests"]),
    "RLVR_WORKERS": "1",
    "RLVR_THREADS": "4",
    "RLVR_LOG_LEVEL": "warning",
}
GOOD = "<think>2 + 2 = 4</think>The answer is \\boxed{4}."
NO_THINK = "The answer is \\boxed{5}."


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "tests.grpo.openrlhf_app:create_app", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "PYTHONPATH": str(REPO), **ENV}
    base = f"http://127.0.0.1:{port}"
    with serving(cmd, f"{base}/readyz", env=env):
        yield base


def test_client_yields_rewards_and_none_for_unjudged_items(url: str) -> None:
    with RewardClient(url) as client:
        assert client.score_texts([GOOD, NO_THINK], rewards={"format": 1.0}) == [1.0, 0.0]
        # a lone item of a group-scoped verifier cannot be judged: None, not 0
        assert client.score_texts(["a", "b", "c"], groups=["g1", "g1", "g2"], rewards={"t_group": 1.0}) == [
            2.0,
            2.0,
            None,
        ]
        assert client.score_texts(["c"], groups=["g2"], rewards={"t_group": 1.0}, fill_value=-1.0) == [-1.0]


def test_chunked_batch_yields_results_in_order(url: str) -> None:
    completions = [GOOD if i % 3 else NO_THINK for i in range(300)]
    with RewardClient(url, chunk_size=64, max_concurrency=4, rewards={"format": 1.0}) as client:
        response = client.score([{"completion": c, "group": i // 8} for i, c in enumerate(completions)])
    assert [r.id for r in response.results] == list(range(300))
    assert [r.reward for r in response.results] == [1.0 if i % 3 else 0.0 for i in range(300)]
    assert response.summary.items == 300


def test_async_client_yields_the_same_rewards(url: str) -> None:
    async def run() -> list[float | None]:
        async with AsyncRewardClient(url, chunk_size=2, rewards={"format": 1.0}) as client:
            return await client.score_texts([GOOD, NO_THINK, GOOD, GOOD, NO_THINK])

    assert asyncio.run(run()) == [1.0, 0.0, 1.0, 1.0, 0.0]


def test_dead_url_in_the_list_yields_failover_to_the_live_service(url: str) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with RewardClient([dead, url], retry=RetryPolicy(attempts=3, base_backoff_s=0.01)) as client:
        assert [client.score_texts([GOOD], rewards={"format": 1.0}) for _ in range(3)] == [[1.0]] * 3


def test_unknown_verifier_yields_an_error_not_a_retry(url: str) -> None:
    from grpo import RewardServiceError

    with RewardClient(url) as client, pytest.raises(RewardServiceError) as info:
        client.score_texts([GOOD], rewards={"no_such_verifier": 1.0})
    assert info.value.status_code == 422


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_trl_reward_function_yields_rewards_from_the_service(url: str, asynchronous: bool) -> None:
    trainer = TrainerLike()
    try:
        fn = rlvr_reward({"format": 1.0, "math": 1.0}, url=url, asynchronous=asynchronous)
        inputs = [{"prompt": "p", "solution": "4", "level": 1}] * 4
        prompts = [[{"role": "user", "content": "What is 2+2?"}]] * 4
        completions = [[{"role": "assistant", "content": c}] for c in (GOOD, NO_THINK, GOOD, "\\boxed{4}")]
        rewards = trainer.calculate_rewards(fn, inputs, prompts, completions, [[1, 2]] * 4)
    finally:
        trainer.close()
    assert rewards == [2.0, 0.0, 2.0, 1.0]
    assert trainer.metrics["rlvr_format_math/math"] == [0.75]
    assert compute_advantages(rewards, group_size=4, method="dr_grpo") == pytest.approx([0.75, -1.25, 0.75, -0.25])


@pytest.mark.parametrize("fn", [grpo_verl.compute_score, grpo_verl.compute_score_async], ids=["sync", "async"])
def test_verl_compute_score_yields_the_same_keys_per_sample(url: str, fn: Any) -> None:
    kwargs = {"url": url, "rewards": {"math": 1.0, "format": 0.5}}
    samples = [("openai/gsm8k", GOOD, "4", {"index": 0}), ("openai/gsm8k", NO_THINK, "4", None)]
    if inspect.iscoroutinefunction(fn):

        async def run() -> list[dict[str, float]]:
            return [
                await fn(data_source=d, solution_str=s, ground_truth=g, extra_info=e, **kwargs)
                for d, s, g, e in samples
            ]

        results = asyncio.run(run())
    else:
        results = [fn(data_source=d, solution_str=s, ground_truth=g, extra_info=e, **kwargs) for d, s, g, e in samples]
    assert results == [
        {"score": 1.5, "judged": 1.0, "math_score": 1.0, "format_score": 1.0},
        {"score": 0.0, "judged": 1.0, "math_score": 0.0, "format_score": 0.0},
    ]


def test_openrlhf_request_yields_openrlhf_response(url: str) -> None:
    prompt = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
    body = {
        "query": [prompt + GOOD + "<|im_end|>", prompt + NO_THINK + "<|im_end|>"],
        "prompts": [prompt, prompt],
        "labels": ["4", "4"],
    }
    # OpenRLHF's request_api_wrapper: a plain JSON POST, reading the body back
    answer = httpx.post(f"{url}/openrlhf/math:1,format:0.5", json=body, timeout=60)
    assert answer.status_code == 200
    assert answer.json() == {
        "rewards": [1.5, 0.0],
        "scores": [1.5, 0.0],
        "extra_logs": {"judged": [1.0, 1.0], "math": [1.0, 0.0], "format": [1.0, 0.0]},
    }
    empty = httpx.post(f"{url}/openrlhf/math", json={"query": [], "prompts": [], "labels": []}, timeout=60)
    assert empty.json() == {"rewards": [], "scores": [], "extra_logs": {}}


def test_openrlhf_unjudged_item_yields_fill_and_judged_zero(url: str) -> None:
    body = {"query": ["Pa", "Pb", "Qc"], "prompts": ["P", "P", "Q"], "labels": [None, None, None]}
    answer = httpx.post(f"{url}/openrlhf/t_group?fill=-1", json=body, timeout=60).json()
    assert answer["rewards"] == [2.0, 2.0, -1.0]
    assert answer["extra_logs"]["judged"] == [1.0, 1.0, 0.0]
    assert not any(math.isnan(r) for r in answer["rewards"])


LONE = "\ud800"  # a lone surrogate: not Unicode text, so the item holding it cannot be judged


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_client_item_with_a_lone_surrogate_yields_its_own_invalid_item_result(
    url: str, asynchronous: bool, caplog: pytest.LogCaptureFixture
) -> None:
    items = [{"completion": GOOD}, {"id": "bad", "completion": "x" + LONE}, {"completion": NO_THINK}]

    async def scored_async() -> Any:
        async with AsyncRewardClient(url, rewards={"format": 1.0}) as client:
            return await client.score(items)

    if asynchronous:
        response = asyncio.run(scored_async())
    else:
        with RewardClient(url, rewards={"format": 1.0}) as client:
            response = client.score(items)
    assert [(r.reward, r.status) for r in response.results] == [(1.0, "ok"), (None, "invalid_item"), (0.0, "ok")]
    bad = response.results[1]
    assert bad.id == "bad" and bad.error is not None and bad.error.startswith("items.1.completion: a lone UTF-16")
    assert response.summary.statuses == {"ok": 2, "invalid_item": 1}
    warned = [r.getMessage() for r in caplog.records if r.name == "grpo"]
    assert warned == ["1 of 3 items were invalid and not scored (reward None); first: " + bad.error]
    with RewardClient(url, rewards={"format": 1.0}) as client:
        assert client.score_texts([GOOD, "x" + LONE]) == [1.0, None]


@pytest.mark.parametrize(
    ("queries", "rewards", "judged"),
    [(["P" + GOOD, "P" + LONE, "P" + NO_THINK], [1.0, -1.0, 0.0], [1.0, 0.0, 1.0]), (["P" + LONE], [-1.0], [0.0])],
    ids=["one_of_three", "every_sample"],
)
def test_openrlhf_sample_with_a_lone_surrogate_yields_fill_and_the_rest_scored(
    url: str, queries: list[str], rewards: list[float], judged: list[float]
) -> None:
    body = {"query": queries, "prompts": ["P"] * len(queries), "labels": ["4"] * len(queries)}
    content = json.dumps(body).encode()  # ensure_ascii: the lone surrogate goes out escaped
    answer = httpx.post(
        f"{url}/openrlhf/format?fill=-1", content=content, headers={"content-type": "application/json"}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["rewards"] == rewards
    assert answer.json()["extra_logs"]["judged"] == judged


def test_plain_loop_example_yields_steps_against_the_service(url: str) -> None:
    script = REPO / "examples" / "plain_loop.py"
    done = subprocess.run(
        [sys.executable, str(script), "--url", url, "--steps", "2"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == ["step 0", "step 1"]


def test_verifiers_listing_yields_the_builtin_verifiers(url: str) -> None:
    async def listing() -> set[str]:
        async with AsyncRewardClient(url) as client:
            return {v.name for v in (await client.verifiers()).verifiers}

    with RewardClient(url) as client:
        names = {v.name for v in client.verifiers().verifiers}
    assert {"format", "math", "t_group"} <= names
    assert asyncio.run(listing()) == names
