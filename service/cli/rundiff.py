"""Compare two ``rlvr score`` outputs: which rewards, statuses and components changed, and why.

Items are matched by id (by line when ids are missing or repeated); for every changed
component the reasons before and after say why the verdict moved.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from grpo.wire import ComponentResult, ItemResult


@dataclass(frozen=True)
class Change:
    """One difference of one item between run A and run B."""

    id: str
    component: str
    field: str
    before: Any
    after: Any
    why: str


@dataclass
class RunDiff:
    """Everything that differs between two runs, plus what was compared."""

    compared: int = 0
    changes: list[Change] = field(default_factory=list)
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    mean_a: float | None = None
    mean_b: float | None = None

    @property
    def changed_items(self) -> int:
        return len({c.id for c in self.changes})

    @property
    def identical(self) -> bool:
        return not (self.changes or self.only_a or self.only_b)


def read_results(path: Path) -> list[ItemResult]:
    """The results of one ``rlvr score`` output file; a bad line raises ValueError naming it."""
    out = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append(ItemResult.model_validate_json(line))
        except ValidationError as exc:
            raise ValueError(f"{path}:{number}: not an rlvr score result: {exc.errors()[0]['msg']}") from None
    return out


def diff_runs(a: list[ItemResult], b: list[ItemResult]) -> RunDiff:
    """What changed from run ``a`` to run ``b``."""
    keyed_a, keyed_b = _keyed(a), _keyed(b)
    out = RunDiff(mean_a=_mean(a), mean_b=_mean(b))
    out.only_a = [k for k in keyed_a if k not in keyed_b]
    out.only_b = [k for k in keyed_b if k not in keyed_a]
    for key, ra in keyed_a.items():
        rb = keyed_b.get(key)
        if rb is not None:
            out.compared += 1
            out.changes += _item_changes(key, ra, rb)
    return out


def _keyed(results: list[ItemResult]) -> dict[str, ItemResult]:
    ids = [r.id for r in results]
    if None in ids or len(set(map(str, ids))) != len(ids):
        return {f"line-{n}": r for n, r in enumerate(results, 1)}
    return {str(r.id): r for r in results}


def _mean(results: list[ItemResult]) -> float | None:
    rewards = [r.reward for r in results if r.reward is not None]
    return sum(rewards) / len(rewards) if rewards else None


def _item_changes(key: str, a: ItemResult, b: ItemResult) -> list[Change]:
    changes = []
    comps_a, comps_b = _components(a), _components(b)
    why = "; ".join(
        f"{name}: {_reason_change(comps_a.get(name), comps_b.get(name))}"
        for name in dict.fromkeys([*comps_a, *comps_b])
        if _differs(comps_a.get(name), comps_b.get(name))
    )
    if a.reward != b.reward:
        changes.append(Change(key, "(reward)", "reward", a.reward, b.reward, why or (b.error or "")))
    if a.status != b.status:
        changes.append(Change(key, "(item)", "status", a.status, b.status, why or (b.error or "")))
    for name in dict.fromkeys([*comps_a, *comps_b]):
        ca, cb = comps_a.get(name), comps_b.get(name)
        if ca is None or cb is None:
            changes.append(Change(key, name, "component", _present(ca), _present(cb), "requested in only one run"))
            continue
        for attr in ("score", "status", "weight"):
            if getattr(ca, attr) != getattr(cb, attr):
                changes.append(Change(key, name, attr, getattr(ca, attr), getattr(cb, attr), _reason_change(ca, cb)))
        if (ca.score, ca.status, ca.weight) == (cb.score, cb.status, cb.weight) and ca.reason != cb.reason:
            changes.append(Change(key, name, "reason", ca.reason, cb.reason, "same verdict, new reason"))
    return changes


def _components(result: ItemResult) -> dict[str, ComponentResult]:
    counts: Counter[str] = Counter()
    out = {}
    for c in result.components:
        counts[c.name] += 1
        out[c.name if counts[c.name] == 1 else f"{c.name}#{counts[c.name]}"] = c
    return out


def _differs(a: ComponentResult | None, b: ComponentResult | None) -> bool:
    if a is None or b is None:
        return a is not b
    return (a.score, a.status, a.weight) != (b.score, b.status, b.weight)


def _reason_change(a: ComponentResult | None, b: ComponentResult | None) -> str:
    before = a.reason if a is not None else "absent"
    after = b.reason if b is not None else "absent"
    return after if before == after else f"was “{before}”, now “{after}”"


def _present(c: ComponentResult | None) -> str:
    return "absent" if c is None else "present"
