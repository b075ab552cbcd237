"""Find and remove runner containers left behind by a service that died without cleaning up."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import docker
import docker.errors

from sandbox.docker.config import OWNER_HOST_LABEL, OWNER_PID_LABEL, OWNER_SESSION_LABEL, SANDBOX_LABEL, SESSION_ENV

log = logging.getLogger(__name__)


def owner_labels() -> dict[str, str]:
    """Labels naming this process (and the session of ``RLVR_SANDBOX_SESSION``, if set) as the containers' owner."""
    labels = {SANDBOX_LABEL: "1", OWNER_HOST_LABEL: socket.gethostname(), OWNER_PID_LABEL: str(os.getpid())}
    session = os.environ.get(SESSION_ENV)
    return {**labels, OWNER_SESSION_LABEL: session} if session else labels


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sandbox_containers(client: docker.DockerClient, session: str | None = None) -> list[dict[str, Any]]:
    """Every runner container on the daemon (any state) as the API lists them; of one ``session`` only, if given."""
    labels = [f"{SANDBOX_LABEL}=1", *([f"{OWNER_SESSION_LABEL}={session}"] if session else [])]
    found: list[dict[str, Any]] = client.api.containers(all=True, filters={"label": labels})
    return found


def remove_leftovers(client: docker.DockerClient) -> int:
    """Remove runner containers whose owner (on this host) is no longer running; return how many."""
    host = socket.gethostname()
    removed = 0
    for info in sandbox_containers(client):
        labels = info.get("Labels") or {}
        if labels.get(OWNER_HOST_LABEL) != host:
            continue  # another host's service: only it can tell whether its owner lives
        pid = labels.get(OWNER_PID_LABEL, "")
        if pid.isdigit() and _pid_alive(int(pid)):
            continue
        try:
            client.api.remove_container(info["Id"], force=True)
            removed += 1
        except docker.errors.NotFound:
            pass
    if removed:
        log.info("removed %d leftover sandbox container(s)", removed)
    return removed
