"""The attack suite runs every program attack on every backend (skipped locally, failed under CI=true)."""

from collections.abc import Iterator

import pytest

from sandbox.backend import Job
from sandbox.local import LocalBackend
from tests.sandbox.conftest import (
    backend,  # noqa: F401 - the fixture, parametrized over backends
    python_step,
    skip_or_fail,
)


@pytest.fixture
def one_host() -> Iterator[LocalBackend]:
    """A local backend of its own, one job at a time (one host, one runner made ahead), kept however long idle."""
    local = LocalBackend(spares=0, host_idle_s=3600.0)
    try:
        list(local.run(Job({}, (python_step("pass"),))))
        if local.hosts.problem is not None:
            skip_or_fail(f"job hosts unavailable: {local.hosts.problem}")
        yield local
    finally:
        local.hosts.made_ahead(wait_s=10)  # else close() races the runner being made (its own test)
        local.close()
