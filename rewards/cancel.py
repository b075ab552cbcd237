"""The cancel event of the request the current thread works for, set by whoever runs the verifier.

A blocking verifier (code) runs on a thread the service cannot interrupt; what it can do
is tell the sandbox to stop. The service runs each such call inside :func:`cancel_scope`
with its request's event, sets the event when the client goes away or the request's
deadline passes, and the verifier passes :func:`current_cancel` on to the sandbox job.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[threading.Event | None] = ContextVar("rlvr_cancel", default=None)


@contextmanager
def cancel_scope(event: threading.Event | None) -> Iterator[None]:
    """Make ``event`` the current cancel event for the calls made inside the block."""
    token = _current.set(event)
    try:
        yield
    finally:
        _current.reset(token)


def current_cancel() -> threading.Event | None:
    """The cancel event of the work in progress on this thread, or None outside any scope."""
    return _current.get()
