"""GRPO with a code interpreter: TRL's GRPOTrainer lets the model call ``python``, run in rlvr's sandbox.

TRL 1.16 takes tools as plain functions, ``GRPOTrainer(tools=[...])``: it renders each
one's schema (from its name, type hints and docstring ``Args:``) into the prompt through
the chat template, parses the model's tool calls with the tokenizer's response template,
calls the function and appends what it returns as a ``tool`` message, then generates on.
:func:`python_tool` makes such a function: each call runs the code as one fresh program
through rlvr's ``/run_code`` (``grpo.tools.ToolClient``), so nothing carries over between
calls. The model's chat template must be one TRL can parse tool calls from (Qwen2.5, Qwen3,
Llama 3.1, ...). tests/trainers/test_trl.py trains with ``build_trainer``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from trl import GRPOConfig, GRPOTrainer

from grpo.tools import ToolClient
from grpo.trl import rlvr_reward

SYSTEM = "Use the python tool to compute, then give the final answer in \\boxed{}."
MAX_OUTPUT_CHARS = 2000


def python_tool(client: ToolClient, *, run_timeout: float = 10.0) -> Callable[[str], str]:
    """A TRL tool named ``python`` that runs the model's code through ``client`` (a fresh sandbox per call)."""

    def python(code: str) -> str:
        """Run a Python program in a sandbox and return what it printed.

        Args:
            code: The whole Python program to run; print the values you want to see.
        """
        response = client.run(code, run_timeout=run_timeout)
        run = response.run_result
        if run is None:
            return f"[{response.status}: {response.message}]"
        text = run.stdout or ""
        if run.return_code:  # the traceback, when the program failed
            text += run.stderr or ""
        if run.status != "Finished":
            text += f"\n[{run.status}]"
        return text[:MAX_OUTPUT_CHARS] or "(no output)"

    return python


def to_prompt(row: dict[str, Any]) -> dict[str, Any]:
    """A conversational prompt (tools need one) for a NuminaMath row; its answer stays in "solution"."""
    return {"prompt": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": row["problem"]}]}


def build_trainer(model: Any, dataset: Any, url: str, **config: Any) -> GRPOTrainer:
    """GRPOTrainer with the ``python`` tool and the math reward; ``config`` overrides GRPOConfig's settings."""
    settings: dict[str, Any] = {
        "output_dir": "grpo-rlvr-tools",
        "num_generations": 8,
        "max_completion_length": 1024,
        "max_tool_calling_iterations": 4,
        "logging_steps": 10,
    }
    processing_class = config.pop("processing_class", None)
    return GRPOTrainer(
        model=model,
        reward_funcs=[rlvr_reward("math", url=url)],  # scores the assistant turns, not the tool's output
        tools=[python_tool(ToolClient(url))],
        args=GRPOConfig(**{**settings, **config}),
        train_dataset=dataset,
        processing_class=processing_class,
    )


def main() -> None:
    from datasets import load_dataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--model", default="Qwen/Qwen3-0.6B")
    args = parser.parse_args()
    dataset = load_dataset("AI-MO/NuminaMath-TIR", split="train[:2000]").map(to_prompt)
    build_trainer(args.model, dataset, args.url).train()


if __name__ == "__main__":
    main()
