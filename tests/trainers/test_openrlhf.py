"""OpenRLHF's own code against rlvr: its train_ppo_ray argument parsing on examples/openrlhf.sh's flags,
its PromptDataset, and its remote-RM client (SingleTurnAgentExecutor) posting to the URL it parsed.

Only the generation engine is a stand-in (vLLM needs a GPU): it answers with a fixed
completion, and OpenRLHF's executor tokenizes, decodes, posts and reads the reward as in
training. The argument parsing is train_ppo_ray's own ``__main__`` block, run with the
example's flags and stopped where it would start training (its imports of ray, deepspeed
and vLLM at the top of the module are not needed to parse).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import datetime
import importlib.util
import os
import re
import shlex
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from datasets import Dataset
from openrlhf.datasets import PromptDataset
from openrlhf.utils.agent import SingleTurnAgentExecutor

sys.path.insert(0, str(Path(__file__).parent))
import tiny_model

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "openrlhf.sh"
GOOD = "<think>2 + 2 = 4</think> The answer is \\boxed{4}."
WRONG = "The answer is \\boxed{5}."


def example_flags(url: str) -> list[str]:
    """The train_ppo_ray flags of examples/openrlhf.sh, with the service at ``url``."""
    script = EXAMPLE.read_text().replace("${RLVR}", url)
    command = script[script.index("python3 -m openrlhf.cli.train_ppo_ray") :].replace("\\\n", " ")
    return shlex.split(command)[3:]


def example_flags_with_reward_url(url: str, reward_url: str) -> list[str]:
    """The example's flags with another --reward.remote_url."""
    flags = example_flags(url)
    flags[flags.index("--reward.remote_url") + 1] = reward_url
    return flags


def parse_like_train_ppo_ray(argv: list[str]) -> Any:
    """train_ppo_ray's own ``if __name__ == "__main__":`` block on ``argv``; returns the args it would train with.

    The block reads the names the module imports at its top: argparse, os and datetime (the class).
    """
    spec = importlib.util.find_spec("openrlhf.cli.train_ppo_ray")
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text())
    main = next(n for n in tree.body if isinstance(n, ast.If) and "__main__" in ast.unparse(n.test))
    captured: list[Any] = []
    namespace = {"argparse": argparse, "os": os, "datetime": datetime.datetime, "train": captured.append}
    saved, sys.argv = sys.argv, ["train_ppo_ray.py", *argv]
    try:
        exec(compile(ast.Module(body=main.body, type_ignores=[]), spec.origin, "exec"), namespace)
    finally:
        sys.argv = saved
    (args,) = captured
    return args


class FixedEngine:
    """Stands in for OpenRLHF's vLLM engine: ``await generate(prompt_ids, params)`` returns one completion."""

    def __init__(self, tokenizer: Any, completion: str) -> None:
        self.ids = tokenizer(completion + "<|im_end|>", add_special_tokens=False)["input_ids"]
        self.text = completion

    async def generate(self, prompt_token_ids: list[int], sampling_params: Any, multi_modal_data: Any = None) -> Any:
        output = SimpleNamespace(token_ids=self.ids, text=self.text, finish_reason="stop", logprobs=None)
        return SimpleNamespace(outputs=[output])


def rollout(args: Any, completion: str, problem: str = "What is 2+2?", solution: str = "4") -> dict[str, Any]:
    """One prompt through OpenRLHF's PromptDataset and SingleTurnAgentExecutor, the reward from the parsed URL."""
    tokenizer = tiny_model.tokenizer()
    strategy = SimpleNamespace(args=args, is_rank_0=lambda: True)
    dataset = PromptDataset(Dataset.from_list([{"problem": problem, "solution": solution}]), tokenizer, strategy)
    _, prompt, label, _ = dataset[0]
    executor = SingleTurnAgentExecutor(args.reward.remote_url)
    params = SimpleNamespace(max_tokens=128, logprobs=None)
    engine = FixedEngine(tokenizer, completion)
    return asyncio.run(executor.execute(prompt, label, params, 512, tokenizer, engine))


def test_example_flags_yield_one_reward_url_and_rlvr_rewards(rlvr_url: str) -> None:
    args = parse_like_train_ppo_ray(example_flags(rlvr_url))
    # OpenRLHF split the URL on commas: the spec joined with '+' stays one URL
    assert args.reward.remote_url == [f"{rlvr_url}/openrlhf/math:1+format:0.2"]
    assert (args.data.input_key, args.data.label_key, args.data.apply_chat_template) == ("problem", "solution", True)
    assert args.rollout.n_samples_per_prompt == 8 and args.algo.advantage.estimator == "group_norm"
    good, wrong = rollout(args, GOOD), rollout(args, WRONG)
    assert good["reward"] == [pytest.approx(1.2)] and good["scores"] == [pytest.approx(1.2)]
    assert good["extra_logs"] == {"judged": [1.0], "math": [1.0], "format": [1.0]}
    assert wrong["reward"] == [0.0] and wrong["extra_logs"] == {"judged": [1.0], "math": [0.0], "format": [0.0]}
    print("OpenRLHF:", {"good": good["extra_logs"], "wrong": wrong["extra_logs"]})


@pytest.mark.parametrize(
    ("spec", "urls"),
    [
        ("math:1;format:0.2", 1),
        ("math:1%2Cformat:0.2", 1),  # a percent-encoded comma is not split by OpenRLHF
        ("math:1,format:0.2", 2),  # regression: the old documented form became two URLs
    ],
    ids=["semicolon", "percent-2C", "comma"],
)
def test_reward_url_spellings_yield_what_openrlhf_makes_of_them(rlvr_url: str, spec: str, urls: int) -> None:
    args = parse_like_train_ppo_ray(example_flags_with_reward_url(rlvr_url, f"{rlvr_url}/openrlhf/{spec}"))
    assert len(args.reward.remote_url) == urls
    if urls == 1:
        assert rollout(args, GOOD)["reward"] == [pytest.approx(1.2)]
    else:
        # the second URL is "format:0.2" on its own, not a service URL: OpenRLHF gets no reward from it
        assert args.reward.remote_url[1] == "format:0.2"


def test_bad_weight_yields_no_reward_and_a_422_that_says_how_to_write_it(rlvr_url: str) -> None:
    import httpx

    args = parse_like_train_ppo_ray(example_flags_with_reward_url(rlvr_url, f"{rlvr_url}/openrlhf/math:nan"))
    body = {"query": ["q"], "prompts": ["q"], "labels": ["4"]}
    answer = httpx.post(args.reward.remote_url[0], json=body, timeout=30)
    assert answer.status_code == 422 and "math:1+format:0.2" in answer.text


def test_readme_flags_yield_rlvr_rewards(rlvr_url: str) -> None:
    """The OpenRLHF flags in the README, with its service address swapped for the test's."""
    readme = (EXAMPLE.parents[1] / "README.md").read_text()
    (line,) = re.findall(r"`(--reward\.remote_url [^`]+)`", readme)
    argv = shlex.split(line.replace("http://127.0.0.1:8000", rlvr_url))
    args = parse_like_train_ppo_ray([*argv, "--data.input_key", "problem"])
    assert args.reward.remote_url == [f"{rlvr_url}/openrlhf/math:1+format:0.2"]
    assert rollout(args, GOOD)["reward"] == [pytest.approx(1.2)]
