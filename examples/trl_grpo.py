"""GRPO with TRL, rewards from a running rlvr service (``make serve``).

pip install "trl>=1.0" datasets   # plus this repo: pip install -e .
python examples/trl_grpo.py --url http://127.0.0.1:8000

The reward functions are picklable, named (TRL logs ``rewards/rlvr_math/mean`` and
``rewards/rlvr_format/mean``) and take the reference from the ``solution`` column.
Completions the service could not judge come back as None: TRL leaves them out.
"""

from __future__ import annotations

import argparse

from datasets import load_dataset
from trl import GRPOConfig, GRPOTrainer

from grpo.trl import rlvr_reward

SYSTEM = "Think step by step inside <think>...</think>, then give the final answer in \\boxed{}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="one or more service URLs, comma-separated")
    parser.add_argument("--model", default="Qwen/Qwen2.5-0.5B-Instruct")
    args = parser.parse_args()
    urls = args.url.split(",")

    dataset = load_dataset("AI-MO/NuminaMath-TIR", split="train[:2000]")
    dataset = dataset.map(
        lambda row: {"prompt": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": row["problem"]}]}
    )

    reward_funcs = [
        rlvr_reward("math", url=urls, asynchronous=True),  # reference from the "solution" column
        rlvr_reward("format", url=urls, asynchronous=True, reference_column=None),
    ]
    config = GRPOConfig(
        output_dir="grpo-rlvr",
        num_generations=8,
        reward_weights=[1.0, 0.2],
        scale_rewards="group",
        max_completion_length=1024,
        logging_steps=10,
    )
    trainer = GRPOTrainer(model=args.model, reward_funcs=reward_funcs, args=config, train_dataset=dataset)
    trainer.train()


if __name__ == "__main__":
    main()
