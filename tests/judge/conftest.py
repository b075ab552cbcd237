"""Fixtures for the judge tests: the real local sandbox (skipped locally, a failure under CI=true)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from sandbox.backend import Backend, Job, Step


@pytest.fixture(scope="session")
def local_backend() -> Iterator[Backend]:
    """A working LocalBackend, or a skip (a failure under CI=true) saying why not."""
    try:
        from sandbox.local import LocalBackend

        backend = LocalBackend()
        probe = Job({"main.py": b"print('ok')"}, (Step(("/usr/bin/python3", "-I", "-S", "main.py")),), "python")
        result = next(iter(backend.run(probe)))
        problem = None if result.stdout == b"ok\n" else f"probe printed {result.stdout!r}, stderr {result.stderr!r}"
    except Exception as exc:  # any reason the sandbox cannot run here
        problem = f"{type(exc).__name__}: {exc}"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: the local sandbox must work: {problem}")
        pytest.skip(f"local sandbox unavailable: {problem}")
    yield backend
