"""n-gram repetition penalty (Yeo et al. 2025, App. C.2; TRL/open-r1 ``get_repetition_penalty_reward``).

    score = (1 - unique n-grams / total n-grams) * max_penalty

over the lower-cased completion. Tokens: whitespace-separated words, as open-r1 (so plain
English scores exactly as there), except that each Han, Kana or Hangul character is a
token of its own, since Chinese and Japanese put no spaces between words (open-r1 offers
jieba for Chinese; single characters need no dictionary and catch the same loops).
Fewer than ``ngram_size`` tokens: 0. Defaults are TRL's: 3-grams, ``max_penalty`` −1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rewards.item import Item
from rewards.registry import NO_REFERENCE, verifier
from rewards.verdict import Verdict

CJK_CHARS = "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
TOKEN = re.compile(f"[{CJK_CHARS}]|[^\\s{CJK_CHARS}]+")


@dataclass(frozen=True)
class RepetitionParams:
    """``ngram_size``: n; ``max_penalty`` (<= 0): the score of a completion that is one n-gram repeated."""

    ngram_size: int = 3
    max_penalty: float = -1.0

    def __post_init__(self) -> None:
        if self.ngram_size < 1:
            raise ValueError(f"ngram_size must be at least 1, got {self.ngram_size}")
        if self.max_penalty > 0:
            raise ValueError(f"max_penalty must not be positive, got {self.max_penalty}")


def tokens(text: str) -> list[str]:
    """Lower-cased whitespace words, with each CJK character a token of its own."""
    return TOKEN.findall(text.lower())


@verifier("repetition", params=RepetitionParams, reference=NO_REFERENCE)
def repetition(item: Item, params: RepetitionParams) -> Verdict:
    """(1 − unique/total n-grams) × max_penalty: 0 without repeats, towards max_penalty for loops.

    >>> repetition(Item("a b c a b c"), RepetitionParams()).score
    -0.25
    """
    words = tokens(item.completion)
    n = params.ngram_size
    if len(words) < n:
        return Verdict.ok(0.0, f"{len(words)} tokens, fewer than ngram_size {n}: no penalty", ngrams=0, unique=0)
    ngrams = list(zip(*(words[i:] for i in range(n)), strict=False))
    unique = len(set(ngrams))
    scaling = 1 - unique / len(ngrams)
    score = scaling * params.max_penalty + 0.0
    reason = f"{len(ngrams) - unique} of {len(ngrams)} {n}-grams repeat (unique {unique}): {score:.3f}"
    return Verdict.ok(score, reason, ngrams=len(ngrams), unique=unique, rule="(1 - unique/total n-grams) * max_penalty")
