"""open-r1's reasoning-steps reward: count step markers, full credit from three on.

The pattern is open-r1's ``reasoning_steps_reward`` verbatim:
``(Step \\d+:|^\\d+\\.|\\n-|\\n\\*|First,|Second,|Next,|Finally,)`` without MULTILINE,
so ``^\\d+\\.`` only matches a numbered item at the very start of the completion (as in
open-r1); numbered lines later on are not counted. Score: min(1, count / target_steps).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rewards.item import Item
from rewards.registry import NO_REFERENCE, verifier
from rewards.verdict import Verdict

STEP_PATTERN = re.compile(r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)")
SHOWN_MARKERS = 5


@dataclass(frozen=True)
class ReasoningStepsParams:
    """``target_steps``: markers needed for full credit (open-r1's "magic number" 3)."""

    target_steps: int = 3

    def __post_init__(self) -> None:
        if self.target_steps < 1:
            raise ValueError(f"target_steps must be at least 1, got {self.target_steps}")


@verifier("reasoning_steps", params=ReasoningStepsParams, reference=NO_REFERENCE)
def reasoning_steps(item: Item, params: ReasoningStepsParams) -> Verdict:
    """min(1, step markers / target_steps).

    >>> reasoning_steps(Item("Step 1: add. Step 2: check. Finally, answer."), ReasoningStepsParams()).score
    1.0
    """
    markers = STEP_PATTERN.findall(item.completion)
    score = min(1.0, len(markers) / params.target_steps)
    shown = ", ".join(repr(m) for m in markers[:SHOWN_MARKERS]) + (", …" if len(markers) > SHOWN_MARKERS else "")
    reason = f"{len(markers)} step marker(s) of {params.target_steps} wanted" + (f": {shown}" if markers else "")
    return Verdict.ok(score, reason, steps=len(markers), rule="min(1, step markers / target_steps)")
