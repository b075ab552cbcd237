"""Python sessions: their ids, owners, state, turns, idle expiry and the cap per caller.

A session belongs to the caller that made it (its API key, see :mod:`service.runs.auth`):
another caller gets 404 for its id, exactly as for an id that never existed, so ids leak
nothing. Cells of one session run one at a time, in order: a cell takes the session's
turn (a lease with a token) and gives it back with the state it left. A session idle for
``RLVR_RUN_SESSION_TTL_S`` is ended. A session is only data (its state is opaque bytes
made in the sandbox), so any process can run its next cell: one service keeps its
sessions in memory (:class:`LocalSessionStore`); replicas under Ray Serve share one store
actor (``service.ray.sessions``), so a session's cells may land on any replica.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Protocol

ID_BYTES = 16


class SessionLimit(Exception):
    """The caller already has as many sessions as it may."""


class SessionBusy(Exception):
    """Another cell of this session holds its turn."""


@dataclass
class Session:
    """One session: who owns it, its saved state, limits, use and whose turn it is."""

    id: str
    caller: str
    memory_mb: int | None
    files: dict[str, str | None] = field(default_factory=dict)
    """Files uploaded at creation (base64), written before the first cell; dropped once a state carries them."""
    state: bytes | None = None
    created: float = field(default_factory=time.monotonic)
    used: float = field(default_factory=time.monotonic)
    cells: int = 0
    turn: str | None = None
    """The token of the cell running now, if any."""
    turn_until: float = 0.0
    """When that cell's turn lapses if it never gives it back (its process died)."""


class Sessions:
    """The sessions of one service (plain data and methods: a Ray actor can hold one as it is)."""

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
            if now - session.used > self.ttl_s and not _running(session, now):
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

    def begin(self, session_id: str, caller: str, lease_s: float) -> tuple[Session, str] | None:
        """Take the session's turn for one cell: (session, turn token); None if no such session; SessionBusy."""
        session = self.get(session_id, caller)
        if session is None:
            return None
        now = time.monotonic()
        if _running(session, now):
            raise SessionBusy(session_id)
        session.turn, session.turn_until = secrets.token_hex(8), now + lease_s
        return session, session.turn

    def end(self, session_id: str, turn: str, state: bytes | None) -> None:
        """Give the turn back with ``state`` (None: keep the state from before); a lapsed turn changes nothing."""
        session = self._by_id.get(session_id)
        if session is None or session.turn != turn:
            return
        if state is not None:
            session.state, session.files = state, {}  # the state carries the files now: hold no second copy
        session.cells += 1
        session.turn, session.used = None, time.monotonic()

    def delete(self, session_id: str, caller: str) -> bool:
        """End the caller's session; False if it has none with this id."""
        if self.get(session_id, caller) is None:
            return False
        del self._by_id[session_id]
        return True


def _running(session: Session, now: float) -> bool:
    return session.turn is not None and now < session.turn_until


class SessionStore(Protocol):
    """Where the service keeps its sessions: in its own memory, or shared by replicas."""

    ttl_s: float

    def open_count(self) -> int:
        """Sessions open (as last seen, for the metrics gauge)."""
        ...

    async def create(self, caller: str, memory_mb: int | None, files: dict[str, str | None]) -> Session: ...

    async def begin(self, session_id: str, caller: str, lease_s: float) -> tuple[Session, str] | None: ...

    async def end(self, session_id: str, turn: str, state: bytes | None) -> None: ...

    async def delete(self, session_id: str, caller: str) -> bool: ...


class LocalSessionStore:
    """The sessions of one process, in its memory: a restart ends them all."""

    def __init__(self, sessions: Sessions) -> None:
        self.sessions = sessions
        self.ttl_s = sessions.ttl_s

    def open_count(self) -> int:
        return len(self.sessions)

    async def create(self, caller: str, memory_mb: int | None, files: dict[str, str | None]) -> Session:
        return self.sessions.create(caller, memory_mb, files)

    async def begin(self, session_id: str, caller: str, lease_s: float) -> tuple[Session, str] | None:
        return self.sessions.begin(session_id, caller, lease_s)

    async def end(self, session_id: str, turn: str, state: bytes | None) -> None:
        self.sessions.end(session_id, turn, state)

    async def delete(self, session_id: str, caller: str) -> bool:
        return self.sessions.delete(session_id, caller)
