"""DAPO's soft overlong punishment (Yu et al. 2025, Eq. 13) on the completion's token length.

    R(y) = 0                              if |y| <= L_max - L_cache
         = ((L_max - L_cache) - |y|) / L_cache    if L_max - L_cache < |y| <= L_max
         = -1                             if |y| > L_max

times ``penalty_factor`` (veRL's ``overlong_buffer.penalty_factor``). Defaults are the DAPO
recipe's: ``max_length`` 20480 (``max_response_length``), ``cache_length`` 4096
(``overlong_buffer.len``), factor 1.0. ``|y|`` is the item's ``completion_tokens``; when a
trainer does not send it, it is estimated (see :func:`rewards.shaping.estimate_tokens`)
and the reason says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from rewards.item import Item
from rewards.registry import NO_REFERENCE, verifier
from rewards.shaping import ESTIMATE_HOW, token_length
from rewards.verdict import Verdict

DAPO_MAX_LENGTH = 20480
DAPO_CACHE_LENGTH = 4096


@dataclass(frozen=True)
class OverlongParams:
    """``max_length`` L_max and ``cache_length`` L_cache in tokens; ``penalty_factor`` scales the penalty."""

    max_length: int = DAPO_MAX_LENGTH
    """L_max, in tokens: completions longer than this get the full penalty."""

    cache_length: int = DAPO_CACHE_LENGTH
    """L_cache, in tokens: the soft zone before max_length where the penalty grows linearly."""

    penalty_factor: float = 1.0
    """Scales the penalty."""

    def __post_init__(self) -> None:
        if self.max_length <= 0:
            raise ValueError(f"max_length must be positive, got {self.max_length}")
        if not 0 <= self.cache_length <= self.max_length:
            raise ValueError(f"cache_length must be within [0, max_length={self.max_length}], got {self.cache_length}")
        if self.penalty_factor < 0:
            raise ValueError(f"penalty_factor must not be negative, got {self.penalty_factor}")


def soft_overlong_penalty(tokens: int, max_length: int, cache_length: int) -> float:
    """Eq. 13 of DAPO, in [-1, 0]."""
    expected = max_length - cache_length
    if tokens <= expected:
        return 0.0
    if tokens <= max_length:
        return (expected - tokens) / cache_length
    return -1.0


@verifier("overlong", params=OverlongParams, reference=NO_REFERENCE)
def overlong(item: Item, params: OverlongParams) -> Verdict:
    """0 up to L_max − L_cache tokens, then linearly down to −1 at L_max, −1 beyond.

    >>> overlong(Item("…", completion_tokens=18432), OverlongParams()).score
    -0.5
    """
    tokens, estimated = token_length(item)
    expected = params.max_length - params.cache_length
    score = params.penalty_factor * soft_overlong_penalty(tokens, params.max_length, params.cache_length)
    measured = f"≈{tokens} tokens ({ESTIMATE_HOW})" if estimated else f"{tokens} tokens"
    if tokens <= expected:
        where = f"<= {expected} (max_length {params.max_length} - cache_length {params.cache_length}): no penalty"
        rule = "|y| <= L_max - L_cache: 0"
    elif tokens <= params.max_length:
        where = f"in the soft zone ({expected}, {params.max_length}]: {score:.3f}"
        rule = "L_max - L_cache < |y| <= L_max: ((L_max - L_cache) - |y|) / L_cache"
    else:
        where = f"> max_length {params.max_length}: {score:.3f}"
        rule = "|y| > L_max: -1"
    return Verdict.ok(
        score + 0.0,
        f"{measured} {where}",
        tokens=tokens,
        estimated=estimated,
        max_length=params.max_length,
        cache_length=params.cache_length,
        rule=f"DAPO Eq. 13, {rule}, times penalty_factor {params.penalty_factor}",
    )
