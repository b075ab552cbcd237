"""veRL's own reward managers, built by veRL from its own hydra config, scoring through rlvr.

The config is veRL's ppo_trainer composed with the overrides of examples/verl/command.sh
(and examples/verl/reward.yaml merged in); ``load_reward_manager`` builds the manager and
its ``run_single`` scores a DataProto as veRL's reward loop does. The ``remote`` manager
ships the function to a Ray worker by pickling it, from the file path form (pickled by
value: the regression was a module-level lock that could not be pickled).
"""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import verl.trainer.config
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf, open_dict
from verl import DataProto
from verl.trainer.ppo.metric_utils import process_validation_metrics
from verl.trainer.ppo.reward import load_reward_manager

import grpo.verl
from grpo import RewardClient

sys.path.insert(0, str(Path(__file__).parent))
import tiny_model

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "verl"
GOOD = "<think>2 + 2 = 4</think> The answer is \\boxed{4}."
WRONG = "<think>hmm</think>\\boxed{5}"


def command_overrides(url: str) -> list[str]:
    """The hydra overrides of examples/verl/command.sh, its RLVR_URL default replaced by ``url``."""
    script = (EXAMPLES / "command.sh").read_text().replace("${RLVR_URL:-http://127.0.0.1:8000}", url)
    command = script[script.index("python3 -m verl.trainer.main_ppo") :].replace("\\\n", " ")
    words = shlex.split(command.replace("$HOME", "/tmp"))
    return [w for w in words[3:] if re.match(r"^\+?[\w.]+=", w)]


def verl_config(overrides: list[str]) -> Any:
    with initialize_config_dir(config_dir=str(Path(verl.trainer.config.__file__).parent), version_base=None):
        return compose(config_name="ppo_trainer", overrides=overrides)


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return tiny_model.tokenizer()


def sample(tokenizer: Any, response: str, source: str = "openai/gsm8k", truth: str = "4") -> DataProto:
    """One rollout the way veRL's reward loop gets it: prompt and response ids, mask, data_source, ground truth."""
    prompt = tokenizer("What is 2+2?", return_tensors="pt")["input_ids"]
    answer = tokenizer(response, return_tensors="pt")["input_ids"]
    ids = torch.cat([prompt, answer], dim=1)
    return DataProto.from_dict(
        tensors={"prompts": prompt, "responses": answer, "input_ids": ids, "attention_mask": torch.ones_like(ids)},
        non_tensors={
            "data_source": np.array([source], dtype=object),
            "reward_model": np.array([{"ground_truth": truth}], dtype=object),
            "extra_info": np.array([{"question": "What is 2+2?"}], dtype=object),
        },
    )


def score(manager: Any, rollouts: list[DataProto]) -> list[dict[str, Any]]:
    async def run() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(manager.run_single(r) for r in rollouts)))

    return manager.loop.run_until_complete(run())  # the manager's own loop, as in veRL's reward loop worker


def test_command_sh_config_yields_rlvr_rewards_from_verls_naive_manager(rlvr_url: str, tokenizer: Any) -> None:
    config = verl_config(command_overrides(rlvr_url))
    assert config.reward.custom_reward_function.path == "pkg://grpo.verl"
    manager = load_reward_manager(config, tokenizer)
    assert type(manager).__name__ == "NaiveRewardManager" and manager.is_async_reward_score
    results = score(manager, [sample(tokenizer, GOOD), sample(tokenizer, WRONG)])
    assert [r["reward_score"] for r in results] == [pytest.approx(1.2), pytest.approx(0.2)]
    assert results[0]["reward_extra_info"] == {
        "score": pytest.approx(1.2),
        "judged": 1.0,
        "math_score": 1.0,
        "format_score": 1.0,
    }
    print("veRL naive (command.sh):", [r["reward_extra_info"] for r in results])


def test_reward_yaml_yields_per_source_rewards_and_means_over_applied_samples(rlvr_url: str, tokenizer: Any) -> None:
    config = verl_config([])
    example = OmegaConf.load(EXAMPLES / "reward.yaml")
    example.reward.custom_reward_function.reward_kwargs.url = rlvr_url
    with open_dict(config):
        config = OmegaConf.merge(config, example)
    manager = load_reward_manager(config, tokenizer)
    rollouts = [
        sample(tokenizer, GOOD),
        sample(tokenizer, WRONG),
        sample(
            tokenizer,
            "```python\nprint(int(input())*2)\n```",
            "codecontests",
            '{"inputs": ["2\\n"], "outputs": ["4\\n"]}',
        ),
    ]
    results = score(manager, rollouts)
    infos = [r["reward_extra_info"] for r in results]
    assert len({frozenset(i) for i in infos}) == 1  # the same keys for every sample: veRL builds columns from them
    assert infos[2]["math_score"] is None and infos[2]["format_score"] is None  # not applied to the code sample
    assert infos[0]["code_score"] is None and infos[2]["code_score"] == 1.0  # the program passes its test
    # veRL's own metric code: the format mean is over the two samples format was applied to
    columns = {key: [i[key] for i in infos] for key in infos[0]}
    metrics = process_validation_metrics(["all"] * 3, ["u0", "u1", "u2"], columns)
    assert metrics["all"]["format_score"]["mean@1"] == pytest.approx(1.0)
    assert metrics["all"]["math_score"]["mean@1"] == pytest.approx(0.5)
    print("veRL naive (reward.yaml):", infos)


def test_remote_manager_yields_rewards_from_a_function_pickled_by_value(rlvr_url: str, tokenizer: Any) -> None:
    import ray

    overrides = [
        "reward.reward_manager.name=remote",
        "reward.num_workers=1",
        f"reward.custom_reward_function.path={grpo.verl.__file__}",  # a file: the function pickles by value
        "reward.custom_reward_function.name=compute_score",
        f"+reward.custom_reward_function.reward_kwargs.url={rlvr_url}",
        "+reward.custom_reward_function.reward_kwargs.rewards.math=1.0",
    ]
    config = verl_config(overrides)
    with RewardClient(rlvr_url) as client:  # the driver has used the module's clients before shipping it
        client.score_texts([GOOD], ["4"], rewards={"math": 1.0})
    grpo.verl.compute_score("d", GOOD, "4", url=rlvr_url)
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        manager = load_reward_manager(config, tokenizer)
        assert type(manager).__name__ == "RemoteRewardManager"
        results = score(manager, [sample(tokenizer, GOOD), sample(tokenizer, WRONG)])
    finally:
        ray.shutdown()
    assert [r["reward_score"] for r in results] == [1.0, 0.0]
    assert results[0]["reward_extra_info"] == {"score": 1.0, "judged": 1.0, "math_score": 1.0}
    print("veRL remote:", [r["reward_extra_info"] for r in results])
