"""Call a verifier so that whatever it does, the caller gets a Verdict back.

A verifier that raises gets an ``error`` verdict whose details carry the traceback under
``traceback``; the service logs it with the request id and shows it in explanations only.
"""

from __future__ import annotations

import traceback
from collections.abc import Sequence
from typing import Any

from rewards.item import Item
from rewards.registry import VerifierSpec
from rewards.verdict import Status, Verdict

MAX_TRACEBACK_CHARS = 4000


def run_item(spec: VerifierSpec, item: Item, params: Any) -> Verdict:
    """Run an item-scoped verifier; an exception or a wrong return type becomes an ``error`` verdict."""
    try:
        verdict = spec.fn(item, params)
    except Exception as exc:  # a verifier bug is reported on the item, never turned into 0
        return _raised(spec, exc)
    return _checked(spec, verdict)


def run_group(spec: VerifierSpec, items: Sequence[Item], params: Any) -> list[Verdict]:
    """Run a group-scoped verifier on all items of one group; one verdict per item, always."""
    try:
        verdicts = list(spec.fn(items, params))
    except Exception as exc:
        return [_raised(spec, exc)] * len(items)
    if len(verdicts) != len(items):
        reason = f"{spec.name} returned {len(verdicts)} verdicts for a group of {len(items)} items"
        return [Verdict.fail(Status.ERROR, reason) for _ in items]
    return [_checked(spec, v) for v in verdicts]


def _raised(spec: VerifierSpec, exc: Exception) -> Verdict:
    """The error verdict of a verifier that raised, with its traceback (the last frames, where it broke)."""
    trace = "".join(traceback.format_exception(exc))
    reason = f"{spec.name} failed: {type(exc).__name__}: {exc}"[:500]
    return Verdict.fail(Status.ERROR, reason, traceback=trace[-MAX_TRACEBACK_CHARS:])


def _checked(spec: VerifierSpec, verdict: Any) -> Verdict:
    if not isinstance(verdict, Verdict):
        return Verdict.fail(Status.ERROR, f"verifier {spec.name!r} returned {type(verdict).__name__}, not a Verdict")
    return verdict
