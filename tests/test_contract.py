"""Every registered verifier follows the contract (rewards.contract), and the checks catch breakage."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rewards import Item, Verdict, default_registry, verifier
from rewards.contract import contract_problems
from rewards.registry import spec_of

REGISTRY = default_registry(plugins=False)


@pytest.mark.parametrize("name", REGISTRY.names())
def test_registered_verifier_yields_no_contract_problems(name: str) -> None:
    assert contract_problems(REGISTRY.get(name)) == []


@dataclass
class _MutableParams:
    x: int = 1


@dataclass(frozen=True)
class _Params:
    x: int = 1


def _raises(item: Item, params: _Params) -> Verdict:
    raise ValueError("no")


def _returns_float(item: Item, params: _Params) -> float:
    return 0.0


def _ok_without_score(item: Item, params: _Params) -> Verdict:
    return Verdict(None, Verdict.ok(1, "x").status, "judged but no score")


@pytest.mark.parametrize(
    ("fn", "params", "problem"),
    [
        (_raises, _Params, "raised ValueError: no"),
        (_returns_float, _Params, "returned float, not a Verdict"),
        (_ok_without_score, _Params, "status ok but score None"),
        (_raises, _MutableParams, "is not a frozen dataclass"),
        (lambda item, params: Verdict.ok(1, "x"), _Params, "cannot be pickled"),
    ],
)
def test_broken_verifier_yields_named_problem(fn: object, params: type, problem: str) -> None:
    spec = spec_of(verifier("broken", params=params)(fn))  # type: ignore[type-var]
    assert any(problem in p for p in contract_problems(spec)), contract_problems(spec)
