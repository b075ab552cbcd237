"""Python sessions: their ids, owners, state, idle expiry and the cap per caller.

A session belongs to the caller that made it (its API key, see :mod:`service.runs.auth`):
another caller gets 404 for its id, exactly as for an id that never existed, so ids leak
nothing. Cells of one session run one at a time, in order. A session idle for
``RLVR_RUN_SESSION_TTL_S`` is ended. Sessions live in this process's memory: a restart ends
them all, and a session's id answers 404 on any other replica (docs/run-api.md).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field

ID_BYTES = 16


class SessionLimit(Exception):
    """The caller already has as many sessions as it may."""


@dataclass
class Session:
    """One session: who owns it, its saved state, limits and use."""

    id: str
    caller: str
    memory_mb: int | None
    files: dict[str, str | None] = field(default_factory=dict)
    """Files uploaded at creation (base64), written before the first cell; later cells carry them in the state."""
    state: bytes | None = None
    created: float = field(default_factory=time.monotonic)
    used: float = field(default_factory=time.monotonic)
    cells: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Sessions:
    """The sessions of one app."""

    def __init__(self, ttl_s: float, per_caller: int) -> None:
        self.ttl_s = ttl_s
        self.per_caller = per_caller
        self._by_id: dict[str, Session] = {}
        self.expired = 0

    def __len__(self) -> int:
        self.sweep()
        return len(self._by_id)

    def sweep(self) -> None:
        """End every session idle for longer than the TTL (and not running a cell)."""
        now = time.monotonic()
        for session in list(self._by_id.values()):
            if now - session.used > self.ttl_s and not session.lock.locked():
                del self._by_id[session.id]
                self.expired += 1

    def create(self, caller: str, memory_mb: int | None, files: dict[str, str | None]) -> Session:
        """A new session for ``caller``; SessionLimit when it has ``per_caller`` already."""
        self.sweep()
        owned = sum(1 for s in self._by_id.values() if s.caller == caller)
        if owned >= self.per_caller:
            raise SessionLimit(f"{owned} sessions open for this caller (the limit): DELETE one or let it expire")
        session = Session(secrets.token_urlsafe(ID_BYTES), caller, memory_mb, dict(files))
        self._by_id[session.id] = session
        return session

    def get(self, session_id: str, caller: str) -> Session | None:
        """The caller's session with this id, or None (none such, expired, or someone else's)."""
        self.sweep()
        session = self._by_id.get(session_id)
        if session is None or session.caller != caller:
            return None
        session.used = time.monotonic()
        return session

    def delete(self, session_id: str, caller: str) -> bool:
        """End the caller's session; False if it has none with this id."""
        if self.get(session_id, caller) is None:
            return False
        del self._by_id[session_id]
        return True
