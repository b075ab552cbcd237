"""GET /v1/verifiers: what can be asked for, with parameters and origin."""

from __future__ import annotations

from fastapi import APIRouter

from grpo.wire import VerifierInfo, VerifiersResponse
from service.auth import ApiKey
from service.deps import ScorerDep

router = APIRouter(tags=["verifiers"])


@router.get("/v1/verifiers", response_model=VerifiersResponse)
async def list_verifiers(scorer: ScorerDep, _: ApiKey) -> VerifiersResponse:
    """Every registered verifier, its parameters with defaults, and plugins that failed to load."""
    registry = scorer.registry
    return VerifiersResponse(
        verifiers=[VerifierInfo.model_validate(s.describe()) for s in registry],
        problems=registry.problems,
        warnings=registry.warnings,
    )
