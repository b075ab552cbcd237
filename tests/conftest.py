"""Suite-wide checks: the whole test session leaves no sandbox container behind.

The session labels its own containers (``RLVR_SANDBOX_SESSION``, inherited by the servers it
starts), so containers of another process on the host (another test run, a service) never count.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator

import pytest

from sandbox.docker.config import SESSION_ENV
from tests.sandbox.docker_engine import session_container_ids

SETTLE_S = 30.0


@pytest.fixture(scope="session", autouse=True)
def no_leaked_sandbox_containers() -> Iterator[None]:
    """No runner container of this session (its own label value) is left once the session ends."""
    session, outer = f"pytest-{uuid.uuid4().hex[:12]}", os.environ.get(SESSION_ENV)
    os.environ[SESSION_ENV] = session
    engine = session_container_ids(session) is not None
    yield
    if outer is None:
        del os.environ[SESSION_ENV]
    else:
        os.environ[SESSION_ENV] = outer
    if not engine:
        return
    deadline = time.monotonic() + SETTLE_S  # servers stopped by the last tests may still be removing theirs
    while (leaked := session_container_ids(session) or set()) and time.monotonic() < deadline:
        time.sleep(1)
    assert not leaked, f"{len(leaked)} sandbox containers leaked by the test session: {sorted(leaked)[:5]}"
