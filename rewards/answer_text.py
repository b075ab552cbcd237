"""The answer part of a completion, for verifiers that judge the answer and not the reasoning.

The text after the last ``</think>`` (an unterminated ``<think>`` means no answer: see
:func:`rewards.math_extract.answer_region`); when that text is one ``<answer>…</answer>``
block (open-r1's strict format, reasoning-gym's convention), the block's content.
"""

from __future__ import annotations

import re

from rewards.math_extract import answer_region

_TAGGED_RE = re.compile(r"\A\s*<answer>(.*)</answer>\s*\Z", re.DOTALL)


def final_answer(completion: str) -> tuple[str | None, str]:
    """(the answer, where it came from) or (None, why there is none).

    >>> final_answer("<think>2+2</think>\\n<answer>\\n4\\n</answer>")
    ('4', 'inside <answer> after </think>')
    """
    region, note = answer_region(completion)
    if region is None:
        return None, note
    tagged = _TAGGED_RE.match(region)
    if tagged and "<answer>" not in tagged.group(1):
        return tagged.group(1).strip(), f"inside <answer> {note}".strip()
    return region, note or "whole completion"
