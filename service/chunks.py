"""How a batch's pool work is cut into chunks: the work that shares a reference travels together.

Each worker process keeps its own parse caches (the reference's parse, the answers' parses,
the LaTeX parser's prediction state for their shapes). A GRPO group's samples share one
reference and mostly a few answers, and several prompts of a batch may share a reference too:
in one chunk, one worker parses them once; spread over chunks, both workers parse them.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

POOL_CHUNK = 8
"""The fewest tasks a chunk is given when there are more to send (fewer round trips)."""
MAX_CHUNK = POOL_CHUNK
"""The most tasks a chunk holds: a newcomer waits at most one chunk (tests/attacks/test_fairness.py)."""


def affinity(verifier: str, reference: Any) -> Hashable:
    """What tasks travel together by: the verifier and its reference when plain (a string or number)."""
    plain = isinstance(reference, (str, int, float)) and not isinstance(reference, bool)
    return (verifier, reference) if plain else (verifier, None)


def chunked(affinities: Sequence[Hashable]) -> list[list[int]]:
    """Task indices in chunks: the tasks of one affinity adjacent and, up to ``MAX_CHUNK``, in one chunk.

    Small groups are packed together up to ``POOL_CHUNK`` tasks; a group never straddles two
    chunks unless it is larger than ``MAX_CHUNK``. Every index appears once.
    """
    groups: dict[Hashable, list[int]] = {}
    for index, key in enumerate(affinities):
        groups.setdefault(key, []).append(index)
    chunks: list[list[int]] = []
    current: list[int] = []
    for members in groups.values():
        for start in range(0, len(members), MAX_CHUNK):
            piece = members[start : start + MAX_CHUNK]
            if current and len(current) + len(piece) > MAX_CHUNK:
                chunks.append(current)
                current = []
            current.extend(piece)
            if len(current) >= POOL_CHUNK:
                chunks.append(current)
                current = []
    if current:
        chunks.append(current)
    return chunks
