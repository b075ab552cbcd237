"""Suite-wide checks: the whole test session leaves no sandbox container behind."""

from __future__ import annotations

import time
from collections.abc import Iterator

import docker
import pytest

from sandbox.docker import sandbox_containers

SETTLE_S = 30.0


def _sandbox_container_ids() -> set[str] | None:
    try:
        return {c["Id"] for c in sandbox_containers(docker.from_env(timeout=10))}
    except Exception:  # no engine here: the docker tests themselves say so (and fail under CI=true)
        return None


@pytest.fixture(scope="session", autouse=True)
def no_leaked_sandbox_containers() -> Iterator[None]:
    """Count the runner containers (label rlvr.sandbox=1) before and after the whole session."""
    before = _sandbox_container_ids()
    yield
    if before is None:
        return
    deadline = time.monotonic() + SETTLE_S  # servers stopped by the last tests may still be removing theirs
    while (leaked := (_sandbox_container_ids() or set()) - before) and time.monotonic() < deadline:
        time.sleep(1)
    assert not leaked, f"{len(leaked)} sandbox containers leaked by the test session: {sorted(leaked)[:5]}"
