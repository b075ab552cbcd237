"""Helpers for tests against the real Docker engine: skip locally, fail under CI=true."""

from __future__ import annotations

import os

import docker
import pytest

from sandbox.backend import Job, Step
from sandbox.docker import DEFAULT_IMAGE, DockerBackend, DockerConfig, sandbox_containers
from sandbox.docker.config import OWNER_PID_LABEL


def engine_problem(image: str = DEFAULT_IMAGE) -> str | None:
    """Why the docker backend cannot be tested here, or None when it can."""
    try:
        client = docker.from_env(timeout=10)
        client.ping()
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return f"runner image {image} is missing: run `make runner-image`"
    except Exception as exc:
        return f"Docker engine unavailable: {type(exc).__name__}: {exc}"
    return None


def require_engine() -> None:
    """Skip (or fail under CI=true) when the engine or the runner image is missing."""
    problem = engine_problem()
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: the docker backend must be tested: {problem}")
    pytest.skip(problem)


def docker_backend(**config: object) -> DockerBackend:
    """A started DockerBackend on the real engine (skips or fails as ``require_engine``)."""
    require_engine()
    backend = DockerBackend(DockerConfig(**config))  # type: ignore[arg-type]
    backend.start()
    return backend


def our_container_ids() -> set[str]:
    """Runner containers owned by this test process, in any state."""
    client = docker.from_env(timeout=10)
    mine = str(os.getpid())
    return {c["Id"] for c in sandbox_containers(client) if (c.get("Labels") or {}).get(OWNER_PID_LABEL) == mine}


def session_container_ids(session: str) -> set[str] | None:
    """The runner containers labelled with ``session`` (RLVR_SANDBOX_SESSION), in any state; None: no engine here."""
    try:
        return {c["Id"] for c in sandbox_containers(docker.from_env(timeout=10), session)}
    except Exception:  # no engine here: the docker tests themselves say so (and fail under CI=true)
        return None


HOSTNAME_JOB = Job({}, (Step(("/bin/cat", "/etc/hostname")),))


def hostname_of(backend: DockerBackend) -> str:
    """The container (its hostname is its short id) that served one small job."""
    (result,) = backend.run(HOSTNAME_JOB)
    return result.stdout.decode().strip()
