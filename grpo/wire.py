"""The wire format of the scoring API, shared by the service and the ``grpo`` client.

Imports nothing but pydantic: the client reuses these models, never a copy. It lives in
``grpo`` so the client distribution (``rlvr-client``) ships it without the server's packages.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

WireId = str | int
VerifierName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Weight = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-1e6, le=1e6)]


class RewardRequest(BaseModel):
    """One verifier to apply, with its weight and parameters."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: VerifierName = Field(examples=["math"])
    weight: Weight = 1.0
    params: dict[str, Any] = Field(default_factory=dict)


RewardsField = dict[VerifierName, Weight] | list[RewardRequest]
"""Short form ``{"math": 1.0, "format": 0.5}`` or full form ``[{"name": ..., "weight": ..., "params": ...}]``."""


def normalize_rewards(rewards: RewardsField) -> list[RewardRequest]:
    """Both spellings of ``rewards`` as a list of RewardRequest."""
    if isinstance(rewards, dict):
        return [RewardRequest.model_construct(name=name, weight=weight, params={}) for name, weight in rewards.items()]
    return list(rewards)


class ScoreItem(BaseModel):
    """One completion to score."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "q1-s0",
                    "group": "q1",
                    "prompt": "What is 1/2 + 1/3?",
                    "completion": "<think>1/2 + 1/3 = 3/6 + 2/6 = 5/6</think>The answer is $\\boxed{\\frac{5}{6}}$.",
                    "reference": "\\frac{5}{6}",
                    "rewards": {"math": 1.0, "format": 0.2},
                }
            ]
        },
    )

    id: WireId | None = Field(default=None, description="Echoed back; defaults to the item's index.")
    group: WireId | None = Field(default=None, description="Prompt group (the GRPO group of samples).")
    prompt: str | None = None
    completion: str
    reference: Any = Field(default=None, description="Gold answer (math) or tests (code): whatever the verifier needs.")
    completion_tokens: int | None = Field(default=None, ge=0)
    rewards: RewardsField | None = Field(default=None, description="Overrides the batch default for this item.")
    metadata: dict[str, Any] = Field(default_factory=dict)


class ScoreRequest(BaseModel):
    """A batch of items, with the rewards to apply to items that name none."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "rewards": {"math": 1.0, "format": 0.2},
                    "items": [
                        {"id": 0, "group": "q1", "completion": "<think>2+2=4</think>\\boxed{4}", "reference": "4"},
                        {"id": 1, "group": "q1", "completion": "<think>hmm</think>\\boxed{5}", "reference": "4"},
                    ],
                }
            ]
        },
    )

    items: list[ScoreItem]
    rewards: RewardsField | None = Field(default=None, description="Default for items without their own.")


class ComponentResult(BaseModel):
    """One verifier's verdict on one item."""

    name: str
    weight: float
    score: float | None
    status: str
    reason: str
    details: dict[str, Any] = Field(default_factory=dict)


class ItemResult(BaseModel):
    """The reward of one item: null when any component could not be judged, or the item itself was invalid."""

    id: WireId | None = None
    group: WireId | None = None
    reward: float | None
    status: str = Field(
        description="ok, or the error kind of the first component that could not be judged; "
        "invalid_item: the item is not a valid ScoreItem (see `error`), so it was not scored."
    )
    components: list[ComponentResult]
    error: str | None = Field(default=None, description="Why the item as a whole could not be scored, if so.")


class BatchSummary(BaseModel):
    items: int
    judged: int
    mean_reward: float | None
    statuses: dict[str, int]
    seconds: float


class ScoreResponse(BaseModel):
    results: list[ItemResult]
    summary: BatchSummary


class ParamInfo(BaseModel):
    name: str
    type: str
    default: Any = None
    required: bool = False
    description: str = ""
    json_schema: dict[str, Any] = Field(default_factory=dict, description="The type as JSON Schema.")


class VerifierInfo(BaseModel):
    name: str
    description: str
    scope: str
    heavy: bool
    blocking: bool
    source: str
    version: str
    timeout_s: float | None = Field(default=None, description="The verifier's own per-item deadline, if it sets one.")
    params: list[ParamInfo]
    params_schema: dict[str, Any] = Field(
        default_factory=dict, description="JSON Schema of `params`: each parameter's type, default and description."
    )
    reference_schema: dict[str, Any] | None = Field(
        default=None, description="JSON Schema of the references it accepts, with `examples`; null: not declared."
    )


class VerifiersResponse(BaseModel):
    verifiers: list[VerifierInfo]
    problems: list[str] = Field(default_factory=list, description="Plugins that failed to load, and why.")
    warnings: list[str] = Field(
        default_factory=list, description="Plugins that loaded with something to fix (e.g. a misnamed entry point)."
    )


class ErrorResponse(BaseModel):
    """Body of every 4xx/5xx the service sends on purpose."""

    error: str
    detail: Any = None
