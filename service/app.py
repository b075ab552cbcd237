"""The FastAPI application, built by a factory from Settings (nothing happens at import)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from rewards import __version__, default_registry
from service.dispatch import Scorer
from service.errors import install_error_handlers
from service.pool import VerifierPool
from service.routes import health, score, verifiers
from service.settings import Settings

log = logging.getLogger("rlvr.service")

DESCRIPTION = """Verifiable rewards for RL on reasoning models.

POST a batch of completions to `/v1/score` with the rewards to apply (math, code, format,
language, shaping…); every item comes back with its reward and, for each component, a
score, a status and the reason. `reward` is null when an item could not be judged:
mask such items rather than train on them as zeros.
"""


def build_scorer(settings: Settings) -> Scorer:
    """The registry, worker pool and scorer that the app (or the CLI, in-process) uses."""
    registry = default_registry(plugins=settings.plugins, modules=settings.plugin_modules)
    for problem in registry.problems:
        log.error("verifier plugin not loaded: %s", problem)
    pool = VerifierPool(
        settings.workers, settings.item_timeout_s, plugins=settings.plugins, plugin_modules=settings.plugin_modules
    )
    return Scorer(
        registry,
        pool,
        threads=settings.threads,
        cache_size=settings.cache_size,
        max_completion_chars=settings.max_completion_chars,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app; its scorer and pools live for the app's lifespan."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scorer = build_scorer(settings)
        app.state.scorer = scorer
        log.info(
            "rlvr %s ready: verifiers %s; %d workers; sandbox backend %s",
            __version__,
            ", ".join(scorer.registry.names()),
            settings.workers,
            settings.sandbox_backend,
        )
        try:
            yield
        finally:
            scorer.close()

    app = FastAPI(title="rlvr", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    for module in (score, verifiers, health):
        app.include_router(module.router)
    return app
