"""An example rlvr plugin: ``exact_answer`` compares the last ``<answer>…</answer>`` with the reference.

Copy this package to start your own verifier (see docs/writing-a-verifier.md in rlvr).
"""

from __future__ import annotations

from dataclasses import dataclass

from rewards import Item, Status, Verdict, verifier

__version__ = "0.1.0"
__all__ = ["ExactAnswerParams", "exact_answer"]


@dataclass(frozen=True)
class ExactAnswerParams:
    """How the answer is found and compared; each parameter's string is published by GET /v1/verifiers."""

    case_sensitive: bool = False
    """Compare letter case too."""

    tag: str = "answer"
    """The tag that holds the answer: the last <tag>…</tag> is read."""

    def __post_init__(self) -> None:
        if not self.tag.isidentifier():
            raise ValueError(f"tag must be a plain tag name like 'answer', got {self.tag!r}")


# The references this verifier accepts, as JSON Schema with examples (published by GET /v1/verifiers).
REFERENCE = {
    "description": "The expected answer, compared after collapsing whitespace (and case, by default).",
    "type": "string",
    "minLength": 1,
    "examples": ["Paris", "42"],
}


@verifier("exact_answer", params=ExactAnswerParams, reference=REFERENCE)
def exact_answer(item: Item, params: ExactAnswerParams) -> Verdict:
    """1 if the last ``<answer>…</answer>`` equals the reference (spaces and, by default, case ignored), else 0.

    >>> exact_answer(Item("<think>capital of France</think><answer> Paris </answer>", "paris"),
    ...              ExactAnswerParams()).score
    1.0
    """
    if not isinstance(item.reference, str) or not item.reference.strip():
        # We cannot judge without a reference: an error status, never a 0 the trainer would learn from.
        return Verdict.fail(Status.BAD_REFERENCE, "exact_answer: the reference must be a non-empty string")
    expected = _normalize(item.reference, params.case_sensitive)
    answer = _last_tagged(item.completion, params.tag)
    if answer is None:
        # The model did not answer in the asked format: that is a wrong answer, so ok with score 0.
        reason = f"no <{params.tag}>…</{params.tag}> in the completion"
        return Verdict.ok(0.0, reason, extracted=None, expected=expected, rule="no answer tag")
    extracted = _normalize(answer, params.case_sensitive)
    equal = extracted == expected
    rule = "exact match" + ("" if params.case_sensitive else ", case ignored")
    reason = f"extracted {extracted[:80]!r}; {'equal' if equal else 'not equal'} to {expected[:80]!r} ({rule})"
    return Verdict.ok(1.0 if equal else 0.0, reason, extracted=extracted[:200], expected=expected[:200], rule=rule)


def _last_tagged(text: str, tag: str) -> str | None:
    """The text inside the last ``<tag>…</tag>``; ``rfind`` keeps it linear on huge completions."""
    close = text.rfind(f"</{tag}>")
    if close < 0:
        return None
    open_ = text.rfind(f"<{tag}>", 0, close)
    return None if open_ < 0 else text[open_ + len(tag) + 2 : close]


def _normalize(text: str, case_sensitive: bool) -> str:
    words = " ".join(text.split())
    return words if case_sensitive else words.casefold()
