"""A hand-written GRPO step loop: sample a group per prompt, score it with rlvr, compute advantages.

python examples/plain_loop.py --url http://127.0.0.1:8000

The "policy" here is a stand-in that picks canned completions, so the loop runs without
a GPU; replace ``sample`` and ``update`` with your model's generation and optimizer step.
"""

from __future__ import annotations

import argparse
import random

from grpo import RewardClient, compute_advantages

PROBLEMS = [("What is 17 * 3?", "51"), ("Simplify 6/8.", "\\frac{3}{4}"), ("What is 2^10?", "1024")]
GROUP_SIZE = 8


def sample(prompt: str, answer: str, rng: random.Random) -> str:
    """Stand-in for generation: right or wrong, well-formed or not."""
    guess = answer if rng.random() < 0.5 else str(rng.randint(0, 99))
    thought = f"<think>Working on: {prompt}</think>" if rng.random() < 0.8 else ""
    return f"{thought}The answer is $\\boxed{{{guess}}}$."


def update(completions: list[str], advantages: list[float | None]) -> None:
    """Stand-in for the policy-gradient step: advantage-weighted log-likelihood of each completion."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(0)

    with RewardClient(args.url.split(","), rewards={"math": 1.0, "format": 0.2}) as client:
        for step in range(args.steps):
            completions, references, groups = [], [], []
            for index, (prompt, answer) in enumerate(PROBLEMS):
                for _ in range(GROUP_SIZE):
                    completions.append(sample(prompt, answer, rng))
                    references.append(answer)
                    groups.append(index)
            rewards = client.score_texts(completions, references, groups=groups)
            # unjudged items (None) are left out of the group baselines and get advantage 0
            advantages = compute_advantages(rewards, groups, method="grpo")
            update(completions, advantages)
            judged = [r for r in rewards if r is not None]
            print(
                f"step {step}: mean reward {sum(judged) / max(1, len(judged)):.3f}, "
                f"{len(rewards) - len(judged)} unjudged, max |advantage| "
                f"{max(abs(a) for a in advantages if a is not None):.3f}"
            )


if __name__ == "__main__":
    main()
