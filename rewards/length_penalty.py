"""Kimi k1.5's group-relative length penalty (Kimi Team 2025, §2.3.3; open-r1 ``len_reward``).

Within the group of completions sampled for one prompt, with lengths min_len … max_len:

    λ = 0.5 − (len − min_len) / (max_len − min_len)
    correct: λ          wrong: min(0, λ)

so the shortest correct answer earns 0.5 and the longest −0.5, and a wrong answer is
never rewarded for being short. When every completion has the same length, all get 0
(as open-r1). It needs the whole group: items are grouped by their ``group`` field, and
an item without a group, a group of one, or a group smaller than ``group_size`` gets
status ``incomplete_group`` rather than a made-up score. Length is in tokens when every
item of the group carries ``completion_tokens`` (``unit="auto"``), else in characters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from rewards.item import Item
from rewards.registry import verifier
from rewards.shaping import CORRECTNESS_REFERENCE, is_correct, judge, length, not_judged
from rewards.verdict import Status, Verdict

RULE_CORRECT = "Kimi k1.5, correct: lambda = 0.5 - (len - min_len) / (max_len - min_len)"
RULE_WRONG = "Kimi k1.5, wrong: min(0, lambda), lambda = 0.5 - (len - min_len) / (max_len - min_len)"


@dataclass(frozen=True)
class LengthPenaltyParams:
    """Correctness verifier and threshold, length ``unit``, and the expected ``group_size`` (null: any ≥ 2)."""

    correctness: str = "math"
    """The verifier that decides whether the answer is correct."""

    correct_threshold: float = 1.0
    """The correctness score from which an answer counts as correct."""

    unit: Literal["auto", "tokens", "chars"] = "auto"
    """What length counts: tokens when every item has completion_tokens (auto), else characters."""

    group_size: int | None = None
    """The completions a group must have (null: any number from 2)."""

    def __post_init__(self) -> None:
        if self.group_size is not None and self.group_size < 2:
            raise ValueError(f"group_size must be at least 2, got {self.group_size}")


def kimi_lambda(size: int, min_len: int, max_len: int) -> float:
    """λ = 0.5 − (len − min_len) / (max_len − min_len); 0 when all lengths are equal."""
    if max_len == min_len:
        return 0.0
    return 0.5 - (size - min_len) / (max_len - min_len)


@verifier("length_penalty", params=LengthPenaltyParams, scope="group", heavy=True, reference=CORRECTNESS_REFERENCE)
def length_penalty(items: Sequence[Item], params: LengthPenaltyParams) -> list[Verdict]:
    """λ for correct answers, min(0, λ) for wrong ones, λ from the lengths within each group.

    ``heavy`` because it calls the correctness verifier (math) for every item.
    """
    verdicts: list[Verdict | None] = [None] * len(items)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        if item.group is None:
            verdicts[i] = Verdict.fail(
                Status.INCOMPLETE_GROUP,
                "item has no group: length_penalty compares the "
                "lengths of a prompt's completions; send them with the same 'group' id",
            )
        else:
            groups[item.group].append(i)
    for group, members in groups.items():
        wanted = params.group_size or 2
        if len(members) < wanted:
            reason = (
                f"group {group!r} has {len(members)} item(s); length_penalty needs "
                f"{'all ' + str(wanted) if params.group_size else 'at least 2'} completions of the prompt "
                "in one request"
            )
            for i in members:
                verdicts[i] = Verdict.fail(Status.INCOMPLETE_GROUP, reason, group_items=len(members))
            continue
        for i, verdict in zip(members, _score_group([items[i] for i in members], params), strict=True):
            verdicts[i] = verdict
    return [v for v in verdicts if v is not None]


def _score_group(group: list[Item], params: LengthPenaltyParams) -> list[Verdict]:
    unit = params.unit
    if unit == "auto":
        unit = "tokens" if all(item.completion_tokens is not None for item in group) else "chars"
    measured = [length(item, unit) for item in group]
    sizes = [size for size, _ in measured]
    lo, hi = min(sizes), max(sizes)
    out = []
    for item, (size, how) in zip(group, measured, strict=True):
        verdict = judge(item, params.correctness)
        if not verdict.judged:
            out.append(not_judged(verdict, params.correctness))
            continue
        correct = is_correct(verdict, params.correct_threshold)
        lam = kimi_lambda(size, lo, hi)
        score = lam if correct else min(0.0, lam)
        spread = (
            f"all {len(group)} have {size} {how}: no length signal"
            if lo == hi
            else f"{size} {how}, group of {len(group)} spans {lo}–{hi}: λ={lam:.3f}"
        )
        out.append(
            Verdict.ok(
                score,
                f"{'correct' if correct else 'wrong'} ({params.correctness}); {spread}",
                correct=correct,
                length=size,
                unit=how,
                min_len=lo,
                max_len=hi,
                group_items=len(group),
                rule=RULE_CORRECT if correct else RULE_WRONG,
            )
        )
    return out
