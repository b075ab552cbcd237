"""rlvr as a Ray Serve application: the same FastAPI app (``create_app``) behind a Serve ingress.

Each replica builds its own app, so the normal lifespan gives it its own worker pool and
sandbox backend (Serve runs the ASGI lifespan of an ingress app at replica start and stop).
Besides HTTP, a trainer already on Ray can call a replica through a deployment handle:
``handle.score.remote(request_dict)``, or ``handle.call.remote(...)`` (what ``grpo.ray`` uses),
which pass through the same app in process: auth, admission, validation and errors included.
Python sessions are shared by the replicas (``service.ray.sessions``): a session's cells
may land on any replica, and a session outlives the loss of the replica that made it.

    serve run deploy/ray/serve.yaml        # or: serve run service.ray.app:builder workers=2
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI
from ray import serve
from ray.serve import Application

from service.app import create_app
from service.ray.sessions import RaySessionStore
from service.settings import Settings

APP_NAME = "rlvr"
DEPLOYMENT_NAME = "RLVR"
DEFAULT_AUTOSCALING = {"min_replicas": 1, "max_replicas": 8, "target_ongoing_requests": 4}
DEFAULT_MAX_ONGOING_REQUESTS = 16
IN_PROCESS_URL = "http://rlvr.replica"
# A whole GRPO step can sit in one request: the in-process call must not time out before the app does.
IN_PROCESS_TIMEOUT = httpx.Timeout(None)


class ScoreRejected(Exception):
    """A handle call the app refused (bad request, busy, shutting down): its HTTP status and body."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"rlvr answered {status}: {body[:500].decode(errors='replace')}")
        self.status = status
        self.body = body


@serve.deployment(
    name=DEPLOYMENT_NAME,
    max_ongoing_requests=DEFAULT_MAX_ONGOING_REQUESTS,
    autoscaling_config=DEFAULT_AUTOSCALING,
    ray_actor_options={"num_cpus": 1},
)
@serve.ingress()
class RLVRDeployment:
    """One replica: the rlvr FastAPI app with its own worker pool, threads and sandbox backend."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        # RLVR_* variables (from the runtime_env) still apply; explicit values win.
        self.settings = Settings(**(settings or {}))

    def __serve_build_asgi_app__(self) -> FastAPI:
        """Called by Serve after ``__init__``; Serve then runs the app's lifespan."""
        app = create_app(self.settings)  # exactly what `rlvr serve` runs
        app.state.session_store = RaySessionStore(
            serve.get_replica_context().app_name,
            self.settings.run_session_ttl_s,
            self.settings.run_max_sessions_per_caller,
        )
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=IN_PROCESS_URL, timeout=IN_PROCESS_TIMEOUT
        )
        return app

    async def call(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request through this replica's app, without a socket: (status, headers, body)."""
        response = await self._client.request(method, path, headers=headers, content=body)
        return response.status_code, dict(response.headers), response.content

    async def score(self, request: dict[str, Any], api_key: str | None = None) -> dict[str, Any]:
        """Score a ScoreRequest given as a dict; the ScoreResponse as a dict. Raises ScoreRejected."""
        headers = {"content-type": "application/json"}
        if api_key:
            headers["authorization"] = f"Bearer {api_key}"
        status, _, body = await self.call("POST", "/v1/score", headers, json.dumps(request).encode())
        if status != 200:
            raise ScoreRejected(status, body)
        return json.loads(body)  # type: ignore[no-any-return]


def builder(args: dict[str, Any]) -> Application:
    """Serve application builder: ``args`` are Settings fields (``workers``, ``sandbox_backend``…)."""
    return RLVRDeployment.bind(dict(args))  # type: ignore[attr-defined,no-any-return]
