"""The FastAPI application, built by a factory from Settings (nothing happens at import)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from rewards import __version__, default_registry
from rewards.lang_model import MODEL_PATH_ENV
from service.admission import Admission
from service.backends import sandbox_in_use, use_worker_backend
from service.ceilings import ceilings_of
from service.dispatch import Scorer
from service.errors import install_error_handlers
from service.fair import FairSlots
from service.metrics import Metrics
from service.middleware import BodyLimit, RequestContext
from service.pool import VerifierPool
from service.routes import health, openrlhf, ops, score, verifiers
from service.routes.docs import install_docs
from service.routes.run import router as run_router
from service.routes.run_code import router as run_code_router
from service.routes.sessions import router as sessions_router
from service.settings import Settings
from service.stats import RollingStats
from service.ui import router as ui_router

log = logging.getLogger("rlvr.service")
# a built-in worker's address space (a warm one uses ~80 MiB): an answer's giant integers (sympy's products, in C,
# past every deadline) end in MemoryError, judged 0, before they take the host's memory
BUILTIN_WORKER_ADDRESS_SPACE_BYTES = 2 << 30

DESCRIPTION = """Verifiable rewards for RL on reasoning models.

POST a batch of completions to `/v1/score` with the rewards to apply (math, code, format,
language, shaping…); every item comes back with its reward and, for each component, a
score, a status and the reason. `reward` is null when an item could not be judged:
mask such items rather than train on them as zeros.
"""


def build_scorer(settings: Settings) -> Scorer:
    """The registry, worker pool and scorer that the app (or the CLI, in-process) uses."""
    if settings.lid_model_path is not None:  # read by rewards.lang_model, here and in the forked workers
        os.environ[MODEL_PATH_ENV] = str(settings.lid_model_path)
    registry = default_registry(plugins=settings.plugins, modules=settings.plugin_modules)
    for problem in registry.problems:
        log.error("verifier plugin not loaded: %s", problem)
    for warning in registry.warnings:
        log.warning("verifier plugin: %s", warning)
    timeouts = {s.name: min(s.timeout_s, settings.max_item_timeout_s) for s in registry if s.timeout_s is not None}
    # plugins run only in a pool of their own; the built-in pool does not even load them
    pool = VerifierPool(
        settings.workers,
        settings.item_timeout_s,
        plugins=False,
        timeouts=timeouts,
        address_space_bytes=BUILTIN_WORKER_ADDRESS_SPACE_BYTES,
    )
    plugin_pool = None
    if any(s.source != "builtin" for s in registry):
        plugin_pool = VerifierPool(
            settings.plugin_workers,
            settings.item_timeout_s,
            plugins=settings.plugins,
            plugin_modules=settings.plugin_modules,
            wall_clock=True,
            timeouts=timeouts,
            sandbox=partial(use_worker_backend, settings),
        )
    return Scorer(
        registry,
        pool,
        threads=settings.threads,
        cache_size=settings.cache_size,
        max_completion_chars=settings.max_completion_chars,
        sandbox=FairSlots(*sandbox_slots(settings), thread_name_prefix="rlvr-sandbox"),
        workers=FairSlots(settings.workers, settings.workers // 8),
        ceilings=ceilings_of(settings),
        plugin_pool=plugin_pool,
    )


def sandbox_slots(settings: Settings) -> tuple[int, int]:
    """(slots, reserve): sandbox jobs at once and the slots kept for newcomers.

    A warm docker pool runs one job per container, so more slots than containers would
    only queue jobs inside the pool, where nobody shares them out fairly.
    """
    slots = settings.sandbox_slots
    if slots is None:
        warm_docker = settings.sandbox_backend == "docker" and not settings.docker_fresh_container
        slots = settings.docker_pool_size if warm_docker else settings.threads
    reserve = settings.sandbox_reserve_slots
    return slots, slots // 8 if reserve is None else reserve


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app; its scorer and pools live for the app's lifespan."""
    settings = settings or Settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scorer = build_scorer(settings)
        with sandbox_in_use(settings) as sandbox:  # closed after the scorer, which may still be using it
            scorer.health_checks["sandbox"] = sandbox.health
            scorer.observers += [metrics.observe, lambda name, verdict, _: app.state.stats.record(name, verdict)]
            app.state.scorer = scorer
            log.info(
                "rlvr %s ready: verifiers %s; %d workers; sandbox backend %s; auth %s",
                __version__,
                ", ".join(scorer.registry.names()),
                settings.workers,
                settings.sandbox_backend,
                "on" if app.state.api_keys else "off",
            )
            try:
                yield
            finally:
                app.state.draining = True
                scorer.close()
                runs = getattr(app.state, "runs", None)
                if runs is not None:
                    runs.close()

    app = FastAPI(
        title="rlvr", version=__version__, description=DESCRIPTION, lifespan=lifespan, docs_url=None, redoc_url=None
    )
    app.state.settings = settings
    app.state.api_keys = [k.encode() for k in settings.api_key_list()]
    app.state.admission = Admission(settings.max_inflight_items)
    app.state.metrics = metrics
    app.state.stats = RollingStats()
    app.state.draining = False
    metrics.watch(lambda: _live_state(app))
    install_error_handlers(app)
    install_docs(app)  # /docs with Swagger UI's assets from the package, not a CDN
    for module in (score, verifiers, openrlhf, ops, health):
        app.include_router(module.router)
    app.include_router(run_code_router)
    app.include_router(run_router)
    app.include_router(sessions_router)
    app.include_router(ui_router)  # /ui: dashboard, sample browser, playground
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "x-request-id"],
        )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestContext, metrics=metrics)
    return app


def _live_state(app: FastAPI) -> dict[str, Any]:
    scorer: Scorer | None = getattr(app.state, "scorer", None)
    return {
        "inflight_items": app.state.admission.inflight,
        "inflight_limit": app.state.admission.limit,
        "cache_hits": scorer.cache.hits if scorer else 0,
        "cache_misses": scorer.cache.misses if scorer else 0,
        "cache_entries": len(scorer.cache) if scorer else 0,
        "health": scorer.health() if scorer else {},
        "stuck_threads": scorer.threads.stuck if scorer else 0,
        "workers_killed": scorer.workers_killed() if scorer else {},
    }
