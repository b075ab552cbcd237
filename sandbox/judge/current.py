"""The process's sandbox backend, chosen once at start-up.

The service calls :func:`use_backend` from its start-up (lifespan) with the backend its
settings name; verifiers call :func:`current_backend` and never choose one themselves.
Without a configured backend the first use creates the local bubblewrap backend.
"""

from __future__ import annotations

import threading

from sandbox.backend import Backend

_lock = threading.Lock()
_backend: Backend | None = None


def use_backend(backend: Backend | None) -> Backend | None:
    """Make ``backend`` this process's backend (None: back to the default); returns the previous one."""
    global _backend
    with _lock:
        previous, _backend = _backend, backend
    return previous


def current_backend() -> Backend:
    """The configured backend, or a LocalBackend created on first use (BackendUnavailable if it cannot run)."""
    global _backend
    with _lock:
        if _backend is None:
            from sandbox.local import LocalBackend

            _backend = LocalBackend()
        return _backend
