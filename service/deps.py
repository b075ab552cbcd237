"""FastAPI dependency aliases for what lives on the app's lifespan state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from service.dispatch import Scorer
from service.settings import Settings


def get_scorer(request: Request) -> Scorer:
    return request.app.state.scorer  # type: ignore[no-any-return]


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


ScorerDep = Annotated[Scorer, Depends(get_scorer)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
