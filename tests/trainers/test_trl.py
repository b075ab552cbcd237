"""TRL's own GRPOTrainer, on a tiny random Qwen2 on CPU, trained with rlvr rewards in every documented form.

The forms are the README's and examples/trl_grpo.py's: ``rlvr_reward("math", url=...)``
(sync), ``rlvr_reward(..., asynchronous=True)`` (async) and a conversational dataset. The
assertions read what TRL itself logged: one ``rewards/<name>/mean`` per rlvr reward, whose
value is the service's reward for the completions TRL generated.

Tools: examples/trl_tools.py's ``python`` tool in ``GRPOTrainer(tools=[...])``. A tiny model
taught in the fixture to emit one tool call; the rest is TRL's own loop (parsing the call,
calling the tool, appending its result), checked against the service's count of runs.
"""

from __future__ import annotations

import importlib.util
import math
import re
import statistics
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer
from trl.chat_template_utils import qwen2_5_chat_template

from grpo import RewardClient
from grpo.tools import ToolClient
from grpo.trl import rlvr_reward

sys.path.insert(0, str(Path(__file__).parent))
import tiny_model

QUESTIONS = [("What is 2+2?", "4"), ("What is 3*3?", "9")]
GENERATIONS = 4
# GRPOConfig for the tiny model on CPU: one prompt's group per step, short completions, no files
TINY = {
    "num_generations": GENERATIONS,
    "per_device_train_batch_size": GENERATIONS,
    "max_completion_length": 12,
    "logging_steps": 1,
    "report_to": "none",
    "save_strategy": "no",
    "use_cpu": True,
    "bf16": False,
}


class Recorder:
    """A plain reward function that keeps what TRL passed, to check the logged values against."""

    __name__ = "recorder"

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, prompts: list[Any], completions: list[Any], **kwargs: Any) -> list[float]:
        self.calls.append({"completions": list(completions), "solution": list(kwargs["solution"])})
        return [0.0] * len(completions)


def load_example(name: str) -> Any:
    """examples/<name>.py, loaded from its file (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[2] / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_model.build(tmp_path_factory.mktemp("tiny-qwen2"))


def dataset(conversational: bool) -> Dataset:
    rows = [{"prompt": [{"role": "user", "content": q}] if conversational else q, "solution": a} for q, a in QUESTIONS]
    return Dataset.from_list(rows)


def text(completion: Any) -> str:
    return completion if isinstance(completion, str) else "".join(m["content"] for m in completion)


@pytest.mark.parametrize("conversational", [False, True], ids=["standard", "conversational"])
def test_grpo_trainer_yields_one_logged_reward_per_rlvr_reward(
    rlvr_url: str, model_dir: Path, tmp_path: Path, conversational: bool
) -> None:
    recorder = Recorder()
    reward_funcs = [
        # the README's lines (examples/README.md, TRL section)
        rlvr_reward("math", url=rlvr_url, asynchronous=True),
        rlvr_reward("format", url=rlvr_url, asynchronous=True, reference_column=None),
        # the sync form, with a reward whose value is known for any completion (its length)
        rlvr_reward({"t_len": 1.0}, url=rlvr_url, reference_column=None),
        recorder,
    ]
    args = GRPOConfig(
        output_dir=str(tmp_path), max_steps=2, learning_rate=1e-3, reward_weights=[1.0, 0.2, 0.01, 0.0], seed=0, **TINY
    )
    tokenizer = tiny_model.tokenizer()
    trainer = GRPOTrainer(
        model=str(model_dir),
        reward_funcs=reward_funcs,
        args=args,
        train_dataset=dataset(conversational),
        processing_class=tokenizer,
    )
    trainer.train()

    logs = [entry for entry in trainer.state.log_history if "rewards/rlvr_math/mean" in entry]
    assert len(logs) == 2 == len(recorder.calls)
    for entry, call in zip(logs, recorder.calls, strict=True):
        completions = [text(c) for c in call["completions"]]
        # each rlvr reward under its own name (regression: two async rewards were merged as __call__)
        assert {k for k in entry if k.startswith("rewards/") and k.endswith("/mean")} == {
            "rewards/rlvr_math/mean",
            "rewards/rlvr_format/mean",
            "rewards/rlvr_t_len/mean",
            "rewards/recorder/mean",
        }
        assert entry["rewards/rlvr_t_len/mean"] == pytest.approx(statistics.mean(len(c) for c in completions))
        with RewardClient(rlvr_url) as client:
            math_rewards = client.score_texts(completions, call["solution"], rewards={"math": 1.0})
            format_rewards = client.score_texts(completions, rewards={"format": 1.0})
        assert entry["rewards/rlvr_math/mean"] == pytest.approx(statistics.mean(math_rewards))
        assert entry["rewards/rlvr_format/mean"] == pytest.approx(statistics.mean(format_rewards))
        # per-verifier scores and the unjudged fraction through TRL's log_metric
        assert entry["rlvr_t_len/unjudged_fraction"] == 0.0
        assert entry["rlvr_t_len/t_len"] == pytest.approx(entry["rewards/rlvr_t_len/mean"])
        assert not math.isnan(entry["reward"])
    print(f"TRL {conversational=}: " + ", ".join(f"{k}={v:.4g}" for k, v in logs[-1].items() if "rlvr" in k))


def test_example_script_yields_its_named_rewards(rlvr_url: str, model_dir: Path, tmp_path: Path) -> None:
    """examples/trl_grpo.py's trainer, as it builds it, on the tiny model and two NuminaMath-shaped rows."""
    example = load_example("trl_grpo")
    rows = Dataset.from_list([{"problem": q, "solution": a} for q, a in QUESTIONS]).map(example.to_prompt)
    trainer = example.build_trainer(
        str(model_dir),
        rows,
        [rlvr_url],
        output_dir=str(tmp_path),
        max_steps=1,
        processing_class=tiny_model.tokenizer(),
        **TINY,
    )
    trainer.train()
    (entry,) = [e for e in trainer.state.log_history if "rewards/rlvr_math/mean" in e]
    assert {"rewards/rlvr_math/mean", "rewards/rlvr_format/mean"} <= set(entry)
    assert entry["reward"] == pytest.approx(entry["rewards/rlvr_math/mean"] + 0.2 * entry["rewards/rlvr_format/mean"])


def test_readme_line_yields_a_logged_reward(rlvr_url: str, model_dir: Path, tmp_path: Path) -> None:
    """The README's TRL reward, evaluated as written (its service address swapped for the test's)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    (line,) = re.findall(r"`(rlvr_reward\([^`]+\))`", readme)
    reward = eval(line.replace("http://127.0.0.1:8000", rlvr_url), {"rlvr_reward": rlvr_reward})
    args = GRPOConfig(output_dir=str(tmp_path), max_steps=1, **TINY)
    trainer = GRPOTrainer(
        model=str(model_dir),
        reward_funcs=[reward],
        args=args,
        train_dataset=dataset(False),
        processing_class=tiny_model.tokenizer(),
    )
    trainer.train()
    (entry,) = [e for e in trainer.state.log_history if "rewards/rlvr_math/mean" in e]
    assert entry["rlvr_math/unjudged_fraction"] == 0.0


# --- tools: examples/trl_tools.py's `python` tool, called by TRL's own tool-calling loop ---

TOOL_PROMPT = [{"role": "user", "content": "What is 6*7?"}]
PROBLEM = {"problem": "What is 6*7?", "solution": "42"}
TOOL_CALL = '<tool_call>\n{"name": "python", "arguments": {"code": "print(6 * 7)"}}\n</tool_call><|im_end|>'


def run_code_requests(url: str) -> float:
    """How many ``POST /run_code`` the service has answered with 200, from its /metrics."""
    metrics = httpx.get(url + "/metrics").text
    line = 'rlvr_requests_total{code="200",method="POST",route="/run_code"} '
    return sum(float(row[len(line) :]) for row in metrics.splitlines() if row.startswith(line))


@pytest.fixture(scope="module")
def tool_tokenizer() -> Any:
    """The tiny tokenizer with TRL's own copy of Qwen2.5's chat template: one TRL knows how to parse tool calls from."""
    return tiny_model.tokenizer(qwen2_5_chat_template)


@pytest.fixture(scope="module")
def tool_caller(tmp_path_factory: pytest.TempPathFactory, tool_tokenizer: Any, rlvr_url: str) -> Path:
    """A tiny Qwen2 taught to answer TOOL_PROMPT and PROBLEM's prompt, rendered with the tool's schema, with TOOL_CALL.

    A random model never emits a well-formed tool call; this one does, so that everything
    after generation is TRL's own: parsing the call, calling the tool, appending its result.
    """
    tools = load_example("trl_tools")
    prompts = [TOOL_PROMPT, tools.to_prompt(PROBLEM)["prompt"]]
    with ToolClient(rlvr_url) as client:
        schema = [tools.python_tool(client)]
        contexts = [
            tool_tokenizer.apply_chat_template(p, tools=schema, add_generation_prompt=True, tokenize=False)
            for p in prompts
        ]
    directory = tiny_model.build(tmp_path_factory.mktemp("tool-caller"), layers=2, hidden=64, max_positions=2048)
    loss = tiny_model.teach(directory, tool_tokenizer, [(c, TOOL_CALL) for c in contexts])
    assert loss < 0.01, f"the tiny model did not learn the tool call (loss {loss})"
    return directory


TOOL_TINY = {**TINY, "max_completion_length": 256, "temperature": 0.1, "max_tool_calling_iterations": 1}


def test_grpo_trainer_with_the_python_tool_yields_rlvr_sandbox_output_in_completions(
    rlvr_url: str, tool_caller: Path, tool_tokenizer: Any, tmp_path: Path
) -> None:
    tools = load_example("trl_tools")
    recorder = Recorder()
    before = run_code_requests(rlvr_url)
    with ToolClient(rlvr_url) as client:
        trainer = GRPOTrainer(
            model=str(tool_caller),
            reward_funcs=[recorder],
            tools=[tools.python_tool(client)],
            args=GRPOConfig(output_dir=str(tmp_path), max_steps=1, seed=0, **TOOL_TINY),
            train_dataset=Dataset.from_list([{"prompt": TOOL_PROMPT, "solution": "42"}] * 2),
            processing_class=tool_tokenizer,
        )
        trainer.train()
    (call,) = recorder.calls
    results = [[m for m in completion if m["role"] == "tool"] for completion in call["completions"]]
    # TRL parsed each completion's tool call, called `python` with its code, and appended the result
    assert results == [[{"role": "tool", "name": "python", "content": "42\n"}]] * GENERATIONS, call["completions"]
    # ... which rlvr's sandbox computed: one /run_code per call TRL made
    assert run_code_requests(rlvr_url) - before == GENERATIONS
    (entry,) = [e for e in trainer.state.log_history if "tools/call_frequency" in e]
    assert entry["tools/call_frequency"] == 1.0 and entry["tools/failure_frequency"] == 0.0
    print("TRL tool completion:", call["completions"][0])


def test_tools_example_trainer_yields_tool_calls_run_by_rlvr(
    rlvr_url: str, tool_caller: Path, tool_tokenizer: Any, tmp_path: Path
) -> None:
    """examples/trl_tools.py's ``build_trainer`` as it builds it, on the taught tiny model."""
    tools = load_example("trl_tools")
    before = run_code_requests(rlvr_url)
    rows = Dataset.from_list([PROBLEM] * 2).map(tools.to_prompt)
    trainer = tools.build_trainer(
        str(tool_caller),
        rows,
        rlvr_url,
        output_dir=str(tmp_path),
        max_steps=1,
        processing_class=tool_tokenizer,
        **TOOL_TINY,
    )
    trainer.train()
    (entry,) = [e for e in trainer.state.log_history if "tools/call_frequency" in e]
    assert entry["tools/call_frequency"] == 1.0 and entry["tools/failure_frequency"] == 0.0
    assert run_code_requests(rlvr_url) - before == GENERATIONS
    assert "rewards/rlvr_math/mean" in entry
