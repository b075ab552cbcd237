"""The ``backend`` fixture, parametrized over every sandbox backend, and helpers to run programs.

Adding a backend to the behaviour matrix is one line in BACKENDS. A backend that cannot
run here is skipped locally and fails under CI=true.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox.backend import Backend, Job, Step, StepResult
from sandbox.cgroups import CGROUP_ROOT
from sandbox.docker import DockerBackend
from sandbox.errors import SandboxError
from sandbox.languages import resolve
from sandbox.local import LocalBackend
from sandbox.policy import Policy

BACKENDS: dict[str, Callable[[], Backend]] = {
    "local": LocalBackend,
    "docker": DockerBackend,
}

FAST = Policy(wall_time_s=5.0, cpu_time_s=3.0, memory_mb=256, max_processes=32, max_output_bytes=1 << 20)


def skip_or_fail(reason: str) -> None:
    """Skip a test locally; under CI=true everything must run, so fail instead."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: this must run here: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Each backend in turn (skipped locally, failed under CI, when it cannot run here)."""
    try:
        made = BACKENDS[request.param]()
        list(made.run(Job({}, (Step(("/bin/true",)),))))
    except SandboxError as exc:  # BackendUnavailable included: no bwrap wheel, no user namespaces, no engine…
        skip_or_fail(f"{request.param} backend unavailable: {type(exc).__name__}: {exc}")
    yield made
    close = getattr(made, "close", None)
    if callable(close):
        close()


def python_step(source: str, stdin: bytes = b"", policy: Policy = FAST) -> Step:
    """A step running ``source`` (passed with -c) under the table's Python command."""
    argv = resolve("python").run_argv(policy)
    return Step((*argv[:-1], "-c", source), stdin, policy)


def run_python(backend: Backend, source: str, stdin: bytes = b"", policy: Policy = FAST) -> StepResult:
    """Run one Python program as a one-step job."""
    (result,) = backend.run(Job({}, (python_step(source, stdin, policy),), "python"))
    return result


def busy_cgroups() -> set[Path]:
    """This process's job cgroups that hold a process (an emptied one may be kept for the next job)."""
    found = set()
    for path in own_cgroups():
        try:
            if (path / "cgroup.procs").read_text().split():
                found.add(path)
        except FileNotFoundError:  # removed meanwhile
            pass
    return found


def own_cgroups() -> set[Path]:
    """This process's job cgroups, in every hierarchy (os.walk passes over cgroups other processes remove meanwhile)."""
    found = set()
    for top, subdirs, _ in os.walk(CGROUP_ROOT):
        if os.path.basename(top) == "rlvr-sandbox":
            found |= {Path(top, name) for name in subdirs if name.startswith(f"{os.getpid()}-")}
    return found
