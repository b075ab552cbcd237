"""The unit a verifier judges: one completion with its reference and context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Item:
    """One completion to score.

    ``reference`` is whatever the verifier needs: a gold answer string for math,
    test cases for code. ``completion_tokens`` is the trainer's token count when known.
    """

    completion: str
    reference: Any = None
    id: str = ""
    prompt: str | None = None
    group: str | None = None
    completion_tokens: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
