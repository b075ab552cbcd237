"""The service app with the OpenRLHF router mounted, for the end-to-end tests (a no-op once the app mounts it)."""

from __future__ import annotations

from fastapi import FastAPI

from service.app import create_app as create_service_app
from service.routes import openrlhf


def create_app() -> FastAPI:
    app = create_service_app()
    if not any(getattr(route, "path", "").startswith("/openrlhf") for route in app.routes):
        app.include_router(openrlhf.router)
    return app
