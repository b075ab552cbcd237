"""The result of one verifier on one item: score, status, reason, details.

A status other than ``ok`` means "could not judge"; trainers mask those items
instead of treating them as wrong answers, so an error is never folded into 0.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    """Whether a verdict was reached, and if not, why."""

    OK = "ok"
    TIMEOUT = "timeout"
    ERROR = "error"
    BAD_REFERENCE = "bad_reference"
    BAD_PARAMS = "bad_params"
    TOO_LARGE = "too_large"
    SANDBOX_ERROR = "sandbox_error"
    UNSUPPORTED_LANGUAGE = "unsupported_language"
    TOOLCHAIN_MISSING = "toolchain_missing"
    INCOMPLETE_GROUP = "incomplete_group"
    UNKNOWN_VERIFIER = "unknown_verifier"


@dataclass(frozen=True)
class Verdict:
    """One verifier's judgement of one item.

    >>> Verdict.ok(1.0, "extracted 42; equal to reference 42").judged
    True
    """

    score: float | None
    status: Status
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def judged(self) -> bool:
        return self.status is Status.OK

    @classmethod
    def ok(cls, score: float, reason: str, **details: Any) -> Verdict:
        return cls(float(score), Status.OK, reason, details)

    @classmethod
    def fail(cls, status: Status, reason: str, **details: Any) -> Verdict:
        """A verdict that could not be reached: no score, so no one can mistake it for 0."""
        if status is Status.OK:
            raise ValueError("Verdict.fail needs an error status, not ok")
        return cls(None, status, reason, details)
