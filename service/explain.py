"""The full trace of a verdict, for audits: ``POST /v1/score?explain=true`` and ``rlvr explain``.

For every component: which verifier (source, version) ran with which effective
parameters (defaults filled in), what it extracted, what it compared that with, which
rule decided, its reason and all its details; for the item, how the reward adds up.
Verifiers report the last three in their details under the conventional keys
``extracted``, ``expected`` and ``rule`` (see docs/writing-a-verifier.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from grpo.wire import ItemResult, RewardRequest, RewardsField, ScoreItem, ScoreResponse, normalize_rewards
from rewards import ParamError, Registry, RegistryError

EXTRACTED_KEYS = ("extracted", "extracted_answer", "answer")
EXPECTED_KEYS = ("expected", "reference_parsed", "reference_normalized", "reference", "gold")
RULE_KEYS = ("rule", "decided_by")


class VerifierOrigin(BaseModel):
    source: str
    version: str
    scope: str
    heavy: bool
    blocking: bool
    description: str


class ComponentTrace(BaseModel):
    """How one component's verdict came about."""

    name: str
    weight: float
    score: float | None
    status: str
    contribution: float | None = Field(description="weight × score, or null when not judged.")
    reason: str
    extracted: Any = None
    expected: Any = None
    rule: str | None = None
    traceback: str | None = Field(default=None, description="Where the verifier raised, when it did.")
    params: dict[str, Any] | None = Field(description="Effective parameters, defaults included.")
    verifier: VerifierOrigin | None
    details: dict[str, Any]


class ItemTrace(BaseModel):
    """How one item's reward came about."""

    id: str | int | None
    reward: float | None
    status: str
    formula: str
    error: str | None = None
    components: list[ComponentTrace]


class ExplainedResponse(ScoreResponse):
    """A ScoreResponse plus one trace per item, in the same order."""

    explanations: list[ItemTrace]


def explain_response(
    registry: Registry,
    items: Sequence[ScoreItem | ItemResult],
    rewards: RewardsField | None,
    response: ScoreResponse,
) -> ExplainedResponse:
    """Attach the trace of every item of ``response``, scored from ``items`` (an invalid one: its result)."""
    default = normalize_rewards(rewards) if rewards is not None else []
    traces = []
    for wire, result in zip(items, response.results, strict=True):
        if isinstance(wire, ItemResult):
            traces.append(trace_item(registry, [], result))
            continue
        asked = normalize_rewards(wire.rewards) if wire.rewards is not None else default
        traces.append(trace_item(registry, asked, result))
    return ExplainedResponse(results=response.results, summary=response.summary, explanations=traces)


def trace_item(registry: Registry, asked: list[RewardRequest], result: ItemResult) -> ItemTrace:
    """The trace of one result; ``asked`` are the rewards requested for it, in order."""
    comps = []
    for index, c in enumerate(result.components):
        request = asked[index] if index < len(asked) and asked[index].name == c.name else None
        origin, params = _origin_and_params(registry, c.name, request.params if request else {})
        comps.append(
            ComponentTrace(
                name=c.name,
                weight=c.weight,
                score=c.score,
                status=c.status,
                contribution=None if c.score is None else c.weight * c.score,
                reason=c.reason,
                extracted=_first(c.details, EXTRACTED_KEYS),
                expected=_first(c.details, EXPECTED_KEYS),
                rule=_rule(c.details),
                traceback=c.details.get("traceback"),
                params=params,
                verifier=origin,
                details={k: v for k, v in c.details.items() if k != "traceback"},
            )
        )
    return ItemTrace(
        id=result.id,
        reward=result.reward,
        status=result.status,
        formula=formula(result),
        error=result.error,
        components=comps,
    )


def formula(result: ItemResult) -> str:
    """How the reward adds up, e.g. ``1×1 (math) + 0.2×0 (format) = 1``."""
    if not result.components:
        return f"no components: {result.error or 'nothing requested'}"
    terms = " + ".join(
        f"{c.weight:g}×{'?' if c.score is None else f'{c.score:g}'} ({c.name})" for c in result.components
    )
    if result.reward is None:
        blocked = [c.name for c in result.components if c.status != "ok"]
        return f"{terms}: not judged ({', '.join(f'{n} is {_status(result, n)}' for n in blocked)}), reward null"
    return f"{terms} = {result.reward:g}"


def _status(result: ItemResult, name: str) -> str:
    return next(c.status for c in result.components if c.name == name)


def _origin_and_params(
    registry: Registry, name: str, raw: dict[str, Any]
) -> tuple[VerifierOrigin | None, dict[str, Any] | None]:
    try:
        spec = registry.get(name)
    except RegistryError:
        return None, None
    info = spec.describe()
    origin = VerifierOrigin(**{k: info[k] for k in VerifierOrigin.model_fields})
    try:
        params = dataclasses.asdict(spec.parse_params(raw))
    except ParamError:
        params = None
    return origin, params


def _first(details: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((details[k] for k in keys if k in details), None)


def _rule(details: dict[str, Any]) -> str | None:
    rule = _first(details, RULE_KEYS)
    return None if rule is None else str(rule)
