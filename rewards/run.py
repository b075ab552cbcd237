"""Call a verifier so that whatever it does, the caller gets a Verdict back."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rewards.item import Item
from rewards.registry import VerifierSpec
from rewards.verdict import Status, Verdict


def run_item(spec: VerifierSpec, item: Item, params: Any) -> Verdict:
    """Run an item-scoped verifier; an exception or a wrong return type becomes an ``error`` verdict."""
    try:
        verdict = spec.fn(item, params)
    except Exception as exc:  # a verifier bug is reported on the item, never turned into 0
        return Verdict.fail(Status.ERROR, f"{spec.name} failed: {type(exc).__name__}: {exc}"[:500])
    return _checked(spec, verdict)


def run_group(spec: VerifierSpec, items: Sequence[Item], params: Any) -> list[Verdict]:
    """Run a group-scoped verifier on all items of one group; one verdict per item, always."""
    try:
        verdicts = list(spec.fn(items, params))
    except Exception as exc:
        reason = f"{spec.name} failed: {type(exc).__name__}: {exc}"[:500]
        return [Verdict.fail(Status.ERROR, reason) for _ in items]
    if len(verdicts) != len(items):
        reason = f"{spec.name} returned {len(verdicts)} verdicts for a group of {len(items)} items"
        return [Verdict.fail(Status.ERROR, reason) for _ in items]
    return [_checked(spec, v) for v in verdicts]


def _checked(spec: VerifierSpec, verdict: Any) -> Verdict:
    if not isinstance(verdict, Verdict):
        return Verdict.fail(Status.ERROR, f"verifier {spec.name!r} returned {type(verdict).__name__}, not a Verdict")
    return verdict
