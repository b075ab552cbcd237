"""The sandbox backend the settings name, opened once at start-up, with its health check.

The service's start-up and the CLI's in-process commands both use :func:`sandbox_in_use`,
so ``RLVR_SANDBOX_BACKEND`` and the ``RLVR_DOCKER_*`` settings mean the same in both.

There is no unsandboxed backend: code runs in bubblewrap (``local``) or in hardened
containers (``docker``), or it does not run and code items get ``sandbox_error``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sandbox.backend import Backend, Job, Step
from sandbox.errors import SandboxError
from sandbox.judge.current import use_backend
from sandbox.policy import Policy
from service.settings import Settings

log = logging.getLogger("rlvr.service")
LOCAL_PROBE_EVERY_S = 30.0
_PROBE = Job(files={}, steps=(Step(argv=("/bin/true",), policy=Policy(wall_time_s=10.0, cpu_time_s=5.0)),))


@dataclass
class OpenedBackend:
    """The backend (None when it could not be opened), its health check and how to close it."""

    backend: Backend | None
    health: Callable[[], tuple[bool, str]]
    close: Callable[[], None] = field(default=lambda: None)


def open_backend(settings: Settings) -> OpenedBackend:
    """Open the configured backend; a failure is logged and reported by /readyz, not fatal."""
    try:
        if settings.sandbox_backend == "docker":
            return _docker(settings)
        return _local(settings)
    except SandboxError as exc:
        log.error("sandbox backend %s unavailable: %s", settings.sandbox_backend, exc)
        message = f"{settings.sandbox_backend} sandbox unavailable: {exc}"
        return OpenedBackend(None, lambda: (False, message))


@contextmanager
def sandbox_in_use(settings: Settings) -> Iterator[OpenedBackend]:
    """The configured backend, made this process's backend until the block ends, then closed."""
    sandbox = open_backend(settings)
    previous = use_backend(sandbox.backend) if sandbox.backend is not None else None
    try:
        yield sandbox
    finally:
        if sandbox.backend is not None:
            use_backend(previous)
        sandbox.close()


def use_worker_backend(settings: Settings) -> None:
    """In a plugin worker process: open the configured backend as the process's own (docker: one warm container)."""
    opened = open_backend(settings.model_copy(update={"docker_pool_size": 1}))
    if opened.backend is not None:
        use_backend(opened.backend)


def _docker(settings: Settings) -> OpenedBackend:
    from sandbox.docker import DockerBackend, DockerConfig

    backend = DockerBackend(
        DockerConfig(
            image=settings.docker_image,
            pool_size=settings.docker_pool_size,
            fresh_container=settings.docker_fresh_container,
        )
    )
    try:
        backend.start()
    except SandboxError as exc:  # the daemon may come back: runs reconnect, /readyz says what is wrong
        log.error("docker sandbox not ready at start-up: %s", exc)
    return OpenedBackend(backend, backend.health, backend.close)


def _local(settings: Settings) -> OpenedBackend:
    from sandbox.local import LocalBackend

    backend = LocalBackend(host_idle_s=settings.sandbox_host_idle_s)
    return OpenedBackend(backend, _CachedProbe(backend), backend.close)  # close: its spare sandboxes


class _CachedProbe:
    """Runs a trivial job in the local sandbox at most every 30 s: namespaces may be refused at run time."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._at = -LOCAL_PROBE_EVERY_S
        self._result = (False, "not probed yet")

    def __call__(self) -> tuple[bool, str]:
        if time.monotonic() - self._at >= LOCAL_PROBE_EVERY_S:
            self._at = time.monotonic()
            try:
                [result] = list(self.backend.run(_PROBE))
                self._result = (
                    result.ok,
                    "local: bubblewrap sandbox"
                    if result.ok
                    else f"local sandbox probe failed: exit {result.exit_code}, {result.stderr[:200]!r}",
                )
            except SandboxError as exc:
                self._result = (False, f"local sandbox unavailable: {exc}")
        return self._result
