"""A GRPO-shaped math batch: prompts × samples with the answer repetition real groups have.

Each prompt has a gold answer and a few spellings of it (and of wrong answers); each of
its samples is a realistic completion (reasoning, then a boxed or stated answer) drawn
mostly from a handful of answers, as sampled groups are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# (gold, equivalent spellings, wrong answers): easy and hard forms mixed.
PROBLEMS: list[tuple[str, list[str], list[str]]] = [
    ("42", ["42", "42.0", "042"], ["41", "24", "44"]),
    ("\\frac{3}{4}", ["\\frac{3}{4}", "\\dfrac{3}{4}", "0.75", "3/4"], ["\\frac{4}{3}", "0.7", "\\frac{1}{4}"]),
    ("2\\sqrt{3}", ["2\\sqrt{3}", "\\sqrt{12}", "2 \\sqrt 3"], ["3\\sqrt{2}", "\\sqrt{6}", "4"]),
    ("\\frac{\\pi}{4}", ["\\frac{\\pi}{4}", "\\pi/4", "0.25\\pi"], ["\\frac{\\pi}{2}", "\\pi", "45"]),
    ("(1, 3]", ["(1, 3]", "(1,3]"], ["[1, 3]", "(1, 3)", "(0, 3]"]),
    ("\\{1, 2, 3\\}", ["\\{1, 2, 3\\}", "\\{3, 2, 1\\}", "1, 2, 3"], ["\\{1, 2\\}", "\\{1, 2, 4\\}"]),
    ("(2, -1)", ["(2, -1)", "(2,-1)"], ["(-1, 2)", "(2, 1)"]),
    ("12\\%", ["12\\%", "12", "0.12"], ["15\\%", "1.2"]),
    ("1,000,000", ["1,000,000", "1000000", "10^6"], ["100000", "10^5"]),
    ("x = 5", ["x = 5", "5", "x=5"], ["x = -5", "6"]),
    (
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
        ["\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}"],
        ["\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}"],
    ),
    ("\\text{(B)}", ["\\text{(B)}", "B", "(B)"], ["A", "C", "(D)"]),
    ("3 - 2i", ["3 - 2i", "3-2i", "-2i + 3"], ["3 + 2i", "2 - 3i"]),
    ("\\frac{1}{e}", ["\\frac{1}{e}", "e^{-1}"], ["e", "1-\\frac{1}{e}"]),
    ("60^\\circ", ["60^\\circ", "60", "60^{\\circ}"], ["30^\\circ", "120"]),
    ("2.5 \\times 10^{-3}", ["2.5 \\times 10^{-3}", "0.0025", "\\frac{1}{400}"], ["2.5 \\times 10^{3}", "0.025"]),
]

REASONING = [
    "Let me set up the equation carefully. We have the given conditions, so substituting gives a linear relation.",
    "First, simplify the expression. Combining like terms and factoring, the structure becomes clearer.",
    "We can check small cases first. Trying the boundary values confirms the pattern we expect.",
    "Using the identity from before and solving step by step, we reach a clean closed form.",
    "Hmm, wait. Let me recheck the arithmetic: the previous step dropped a sign, so I correct it here.",
]
CLOSINGS = [
    "Therefore, the answer is $\\boxed{{{a}}}$.",
    "So the final answer is \\boxed{{{a}}}.",
    "</think>\nThe answer is $\\boxed{{{a}}}$",
    "Final Answer: The final answer is ${a}$. I hope it is correct.",
    "Thus we get \\[\\boxed{{{a}}}\\]",
]


@dataclass(frozen=True)
class Sample:
    group: int
    completion: str
    gold: str


def grpo_batch(prompts: int = 64, samples: int = 16, seed: int = 0) -> list[Sample]:
    """``prompts × samples`` completions; about 60% correct, answers repeating within groups."""
    rng = random.Random(seed)
    batch = []
    for p in range(prompts):
        gold, right, wrong = PROBLEMS[p % len(PROBLEMS)]
        favourites = [rng.choice(right), rng.choice(right), rng.choice(wrong)]
        for _ in range(samples):
            answer = rng.choice(favourites) if rng.random() < 0.85 else rng.choice(right + wrong)
            steps = " ".join(rng.sample(REASONING, k=rng.randint(2, 4)))
            closing = rng.choice(CLOSINGS).format(a=answer)
            think = "<think>\n" if "</think>" in closing else ""
            batch.append(Sample(p, f"{think}{steps}\n\n{closing}", gold))
    return batch
