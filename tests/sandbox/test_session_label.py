"""The suite's leak check counts only its own session's containers: another process's never fail a run."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable

import docker
import docker.errors
import pytest

from sandbox.docker import DEFAULT_IMAGE
from sandbox.docker.cleanup import owner_labels
from sandbox.docker.config import OWNER_HOST_LABEL, OWNER_PID_LABEL, OWNER_SESSION_LABEL, SANDBOX_LABEL, SESSION_ENV
from tests.sandbox.docker_engine import docker_backend, hostname_of, require_engine, session_container_ids

pytestmark = [pytest.mark.integration, pytest.mark.docker]


def _session() -> str:
    return os.environ[SESSION_ENV]  # set by tests/conftest.py for the whole session


@pytest.mark.parametrize(
    ("owner", "labels", "counted"),
    [
        ("this session's process", owner_labels, True),
        ("another test session", lambda: {SANDBOX_LABEL: "1", OWNER_SESSION_LABEL: "pytest-someone-else"}, False),
        (
            "a service on this host (no session)",
            lambda: {SANDBOX_LABEL: "1", OWNER_HOST_LABEL: socket.gethostname(), OWNER_PID_LABEL: "1"},
            False,
        ),
    ],
)
def test_container_yields_counted_only_when_of_this_session(
    owner: str, labels: Callable[[], dict[str, str]], counted: bool
) -> None:
    require_engine()
    client = docker.from_env(timeout=10)
    created = client.api.create_container(DEFAULT_IMAGE, command=["true"], labels=labels())["Id"]
    try:
        assert (created in (session_container_ids(_session()) or set())) is counted, owner
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            client.api.remove_container(created, force=True)


def test_backend_of_this_session_yields_labelled_containers() -> None:
    backend = docker_backend(pool_size=1)
    try:
        served_by = hostname_of(backend)
        assert any(cid.startswith(served_by) for cid in session_container_ids(_session()) or set())
    finally:
        backend.close()
