"""veRL's own reward managers, built by veRL from its own hydra config, scoring through rlvr.

The config is veRL's ppo_trainer composed with the overrides of examples/verl/command.sh
(and examples/verl/reward.yaml merged in); ``load_reward_manager`` builds the manager and
its ``run_single`` scores a DataProto as veRL's reward loop does. The ``remote`` manager
ships the function to a Ray worker by pickling it, from the file path form (pickled by
value: the regression was a module-level lock that could not be pickled).

Tools: examples/verl/tool_config.yaml through veRL's own ``load_all_tools``; the tool's
``BaseTool`` lifecycle, and veRL's ``ToolAgentLoop`` on one trajectory whose LLM turns are
scripted, run cells in an rlvr session (the service's /metrics and /readyz say so).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import ray
import torch
import verl.trainer.config
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf, open_dict
from verl import DataProto
from verl.experimental.agent_loop.agent_loop import DictConfigWrap, ToolListWrap
from verl.experimental.agent_loop.tool_agent_loop import ToolAgentLoop
from verl.tools.tool_registry import load_all_tools
from verl.trainer.ppo.metric_utils import process_validation_metrics
from verl.trainer.ppo.reward import load_reward_manager
from verl.utils.dataset.rl_dataset import RLHFDataset
from verl.utils.import_utils import resolve_config_path
from verl.workers.rollout.replica import TokenOutput

import grpo.verl
from grpo import RewardClient

sys.path.insert(0, str(Path(__file__).parent))
import tiny_model

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "verl"
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


# --- tools: examples/verl/tool_config.yaml, loaded by veRL's own tool loader ---

TOOL_OVERRIDES = [
    "actor_rollout_ref.rollout.multi_turn.enable=True",
    "actor_rollout_ref.rollout.multi_turn.tool_config_path=examples/verl/tool_config.yaml",
]


def open_sessions(url: str) -> int:
    """The sessions the service holds, from /readyz (0 before the run API's first use)."""
    return httpx.get(url + "/readyz").json().get("runs", {}).get("sessions", 0)


def requests_to(url: str, route: str, code: int = 200) -> float:
    """How many POSTs to ``route`` (a route template) the service has answered with ``code``, from its /metrics."""
    line = f'rlvr_requests_total{{code="{code}",method="POST",route="{route}"}} '
    return sum(float(r[len(line) :]) for r in httpx.get(url + "/metrics").text.splitlines() if r.startswith(line))


@pytest.fixture
def verl_tools(rlvr_url: str, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """veRL's loader on the documented config, run from the repository's root as veRL's trainer is."""
    monkeypatch.chdir(REPO)
    monkeypatch.syspath_prepend(str(REPO))  # `python3 -m verl.trainer.main_ppo` from the root has it on sys.path
    monkeypatch.setenv("RLVR_URL", rlvr_url)  # the YAML reads the service's address from the environment
    config = verl_config(TOOL_OVERRIDES)
    multi_turn = config.actor_rollout_ref.rollout.multi_turn
    return load_all_tools(resolve_config_path(multi_turn.tool_config_path), multi_turn.function_tool_path)


def test_tool_config_yields_our_tool_whose_lifecycle_runs_cells_in_an_rlvr_session(
    rlvr_url: str, verl_tools: list[Any]
) -> None:
    (tool,) = verl_tools
    assert type(tool).__name__ == "RlvrPythonTool" and tool.name == "python"
    assert tool.tool_schema.function.parameters.required == ["code"]
    cells = requests_to(rlvr_url, "/v1/sessions/{session_id}/exec")

    async def lifecycle() -> list[
        Any
    ]:  # veRL's BaseTool contract, without an agent loop: the instance owns its session
        instance_id, _ = await tool.create()
        first = await tool.execute(instance_id, {"code": "import os\nx = 41"})
        second = await tool.execute(instance_id, {"code": f"print(x + 1)\nos.getpid() != {os.getpid()}"})
        reward = await tool.calc_reward(instance_id)
        during = open_sessions(rlvr_url)
        await tool.release(instance_id)
        return [first, second, reward, during]

    first, second, reward, during = asyncio.run(lifecycle())
    assert first[0].text == "(no output)" and first[2]["status"] == "ok"
    assert second[0].text == "42\nTrue"  # x carried over; the code ran in another process than this one
    assert reward == 1.0 and during == 1
    assert requests_to(rlvr_url, "/v1/sessions/{session_id}/exec") - cells == 2  # both cells ran in rlvr
    assert open_sessions(rlvr_url) == 0  # release ended the session


class ScriptedServer:
    """The LLM server's stand-in: answers each generate call with the next scripted assistant turn's token ids."""

    def __init__(self, tokenizer: Any, turns: list[str]) -> None:
        self.tokenizer, self.turns, self.prompts = tokenizer, list(turns), []

    async def generate(self, *, prompt_ids: list[int], **kwargs: Any) -> TokenOutput:
        self.prompts.append(self.tokenizer.decode(prompt_ids))
        return TokenOutput(token_ids=self.tokenizer(self.turns.pop(0))["input_ids"], stop_reason="completed")


def tool_call(code: str) -> str:
    return f"<tool_call>\n{json.dumps({'name': 'python', 'arguments': {'code': code}})}\n</tool_call><|im_end|>"


def test_tool_agent_loop_yields_one_rlvr_session_per_trajectory_across_its_calls(
    rlvr_url: str, verl_tools: list[Any]
) -> None:
    """veRL's ToolAgentLoop runs a trajectory: it parses each turn's hermes tool call, calls our tool, feeds the result
    back; only the LLM's generation is a stand-in. Two calls share the trajectory's session, which ends with it."""
    config = verl_config(TOOL_OVERRIDES)
    tokenizer = tiny_model.tokenizer()
    server = ScriptedServer(tokenizer, [tool_call("x = 41"), tool_call("print(x + 1)"), "It is 42.<|im_end|>"])
    loop = ToolAgentLoop(
        trainer_config=DictConfigWrap(config),
        server_manager=server,
        tokenizer=tokenizer,
        processor=None,
        dataset_cls=RLHFDataset,
        data_config=DictConfigWrap(config.data),
        tools=ToolListWrap(verl_tools),
    )
    cells, before = requests_to(rlvr_url, "/v1/sessions/{session_id}/exec"), requests_to(rlvr_url, "/v1/sessions", 201)
    prompt = [{"role": "user", "content": "What is 41 + 1?"}]

    async def trajectory() -> tuple[str, int, dict[str, Any]]:
        output = await loop.run({"temperature": 1.0}, raw_prompt=prompt)
        open_during = open_sessions(rlvr_url)
        await asyncio.sleep(0.5)  # the trajectory's AgentData is gone: its session is ended on this loop
        return tokenizer.decode(output.response_ids), open_during, output.extra_fields

    response, open_during, extra_fields = loop.loop.run_until_complete(trajectory())
    assert open_during == 1 and server.turns == []
    # veRL makes each extra_fields key a batch column that Ray pickles (regression: it held the session object)
    assert ray.cloudpickle.loads(ray.cloudpickle.dumps(extra_fields))["rlvr_sessions"].keys() == {"python"}
    assert "<|im_start|>tool\n42<|im_end|>" in response  # the second call saw the first call's x
    assert requests_to(rlvr_url, "/v1/sessions/{session_id}/exec") - cells == 2
    assert requests_to(rlvr_url, "/v1/sessions", 201) - before == 1  # one session for the trajectory's two calls
    assert open_sessions(rlvr_url) == 0
    print("veRL tool agent loop response:", response)
