"""GRPO with TRL, rewards from a running rlvr service (``make serve``).

pip install trl==1.16.0 ./client   # rlvr-client: the grpo package alone
python examples/trl_grpo.py --url http://127.0.0.1:8000

The reward functions are picklable, named (TRL logs ``rewards/rlvr_math/mean`` and
``rewards/rlvr_format/mean``) and take the reference from the ``solution`` column.
Completions the service could not judge come back as None: TRL leaves them out.
tests/trainers/test_trl.py trains with ``build_trainer`` (a tiny local model instead).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from trl import GRPOConfig, GRPOTrainer

from grpo.trl import rlvr_reward

SYSTEM = "Think step by step inside <think>...</think>, then give the final answer in \\boxed{}."


def to_prompt(row: dict[str, Any]) -> dict[str, Any]:
    """A conversational prompt for one NuminaMath row (its answer stays in the "solution" column)."""
    return {"prompt": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": row["problem"]}]}


def build_trainer(model: Any, dataset: Any, urls: Sequence[str], **config: Any) -> GRPOTrainer:
    """GRPOTrainer with the two rlvr rewards; ``config`` overrides GRPOConfig's settings below."""
    reward_funcs = [
        rlvr_reward("math", url=urls, asynchronous=True),  # reference from the "solution" column
        rlvr_reward("format", url=urls, asynchronous=True, reference_column=None),
    ]
    settings: dict[str, Any] = {
        "output_dir": "grpo-rlvr",
        "num_generations": 8,
        "reward_weights": [1.0, 0.2],
        "scale_rewards": "group",
        "max_completion_length": 1024,
        "logging_steps": 10,
    }
    processing_class = config.pop("processing_class", None)
    args = GRPOConfig(**{**settings, **config})
    return GRPOTrainer(
        model=model, reward_funcs=reward_funcs, args=args, train_dataset=dataset, processing_class=processing_class
    )


def main() -> None:
    from datasets import load_dataset

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="one or more service URLs, comma-separated")
    parser.add_argument("--model", default="Qwen/Qwen2.5-0.5B-Instruct")
    args = parser.parse_args()
    dataset = load_dataset("AI-MO/NuminaMath-TIR", split="train[:2000]").map(to_prompt)
    build_trainer(args.model, dataset, args.url.split(",")).train()


if __name__ == "__main__":
    main()
