"""Cosine-scaled length reward (Yeo et al. 2025; open-r1/TRL ``get_cosine_scaled_reward``).

    progress = min(length / max_len, 1)
    correct: min_value_correct + ½ (max_value_correct − min_value_correct)(1 + cos(π · progress))
    wrong:   max_value_wrong + ½ (min_value_wrong − max_value_wrong)(1 + cos(π · progress))

so a correct answer earns 1.0 when empty and 0.5 at ``max_len`` (shorter is better), a
wrong one −1.0 when empty and −0.5 at ``max_len`` (longer is less bad). Defaults and the
length (characters of the completion) are open-r1's. One deliberate difference: open-r1
does not clip ``progress``, so past ``max_len`` its cosine turns back up and a very long
correct answer is rewarded again; here the reward stays at its ``max_len`` value.
Correctness comes from the verifier named by ``correctness`` (default ``math``); when that
verifier cannot judge the item, neither can this one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rewards.item import Item
from rewards.registry import verifier
from rewards.shaping import CORRECTNESS_REFERENCE, Unit, is_correct, judge, length, not_judged
from rewards.verdict import Verdict


@dataclass(frozen=True)
class CosineLengthParams:
    """Reward range for correct and wrong answers, ``max_len`` in ``unit``, and the correctness verifier."""

    min_value_wrong: float = -1.0
    """Reward of a wrong answer of max_len or more."""

    max_value_wrong: float = -0.5
    """Reward of an empty wrong answer."""

    min_value_correct: float = 0.5
    """Reward of a correct answer of max_len or more."""

    max_value_correct: float = 1.0
    """Reward of an empty correct answer."""

    max_len: int = 1000
    """The length, in unit, at which the reward reaches its end of the range."""

    unit: Unit = "chars"
    """What length counts: characters, or tokens (completion_tokens of the item)."""

    correctness: str = "math"
    """The verifier that decides whether the answer is correct."""

    correct_threshold: float = 1.0
    """The correctness score from which an answer counts as correct."""

    def __post_init__(self) -> None:
        if self.max_len <= 0:
            raise ValueError(f"max_len must be positive, got {self.max_len}")


def cosine_scaled(length: int, correct: bool, p: CosineLengthParams) -> float:
    """The reward for a completion of ``length`` (see the module docstring)."""
    cosine = math.cos(math.pi * min(length / p.max_len, 1.0))
    if correct:
        return p.min_value_correct + 0.5 * (p.max_value_correct - p.min_value_correct) * (1.0 + cosine)
    return p.max_value_wrong + 0.5 * (p.min_value_wrong - p.max_value_wrong) * (1.0 + cosine)


@verifier("cosine_length", params=CosineLengthParams, heavy=True, reference=CORRECTNESS_REFERENCE)
def cosine_length(item: Item, params: CosineLengthParams) -> Verdict:
    """Length-scaled reward: short correct answers best, long wrong answers least bad.

    Calls the correctness verifier in-process, so it is ``heavy`` like math: it runs in the
    worker pool under the same deadline.
    """
    verdict = judge(item, params.correctness)
    if not verdict.judged:
        return not_judged(verdict, params.correctness)
    correct = is_correct(verdict, params.correct_threshold)
    size, unit = length(item, params.unit)
    score = cosine_scaled(size, correct, params)
    reason = (
        f"{'correct' if correct else 'wrong'} ({params.correctness}: {verdict.reason[:120]}); "
        f"{size} {unit} of max_len {params.max_len}: {score:.3f}"
    )
    rule = (
        "correct: min_value_correct + (max_value_correct - min_value_correct)(1 + cos(pi p))/2"
        if correct
        else "wrong: max_value_wrong + (min_value_wrong - max_value_wrong)(1 + cos(pi p))/2"
    )
    return Verdict.ok(
        score,
        reason,
        correct=correct,
        length=size,
        unit=unit,
        correctness_score=verdict.score,
        rule=f"{rule}, p = min(length / max_len, 1)",
    )
