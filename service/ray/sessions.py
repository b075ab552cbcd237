"""Sessions shared by every replica of a Ray Serve deployment: one named actor holds them.

A session is data (owner, limits, opaque state bytes made in the sandbox), so any replica
can run its next cell: it takes the session's turn from the actor, runs the cell in its own
sandbox, and gives the turn back with the new state. Serve's proxy routes by load, not by
session, and that is fine: a session survives the loss of any replica. The actor is
detached (it outlives the replica that made it) and named after the Serve application; it
asks for no CPU. Its calls are served one at a time, so creation caps and turns stay exact.
"""

from __future__ import annotations

from typing import Any

import ray

from service.runs.sessions import Session, SessionBusy, SessionLimit, Sessions

NAMESPACE = "rlvr"


class SessionsHolder:
    """The actor's body: a :class:`Sessions`, with outcomes returned as values (no exceptions cross Ray)."""

    def __init__(self, ttl_s: float, per_caller: int) -> None:
        self.sessions = Sessions(ttl_s, per_caller)

    def create(self, caller: str, memory_mb: int | None, files: dict[str, str | None]) -> tuple[str, Any, int]:
        try:
            return "ok", self.sessions.create(caller, memory_mb, files), len(self.sessions)
        except SessionLimit as exc:
            return "limit", str(exc), len(self.sessions)

    def begin(self, session_id: str, caller: str, lease_s: float) -> tuple[str, Any, int]:
        try:
            return "ok", self.sessions.begin(session_id, caller, lease_s), len(self.sessions)
        except SessionBusy:
            return "busy", None, len(self.sessions)

    def end(self, session_id: str, turn: str, state: bytes | None) -> int:
        self.sessions.end(session_id, turn, state)
        return len(self.sessions)

    def delete(self, session_id: str, caller: str) -> tuple[bool, int]:
        return self.sessions.delete(session_id, caller), len(self.sessions)


class RaySessionStore:
    """A replica's view of the shared sessions (a :class:`~service.runs.sessions.SessionStore`)."""

    def __init__(self, app_name: str, ttl_s: float, per_caller: int) -> None:
        actor = ray.remote(num_cpus=0)(SessionsHolder)
        self.name = f"{app_name}-sessions"
        self.actor: Any = actor.options(  # type: ignore[attr-defined]
            name=self.name, namespace=NAMESPACE, lifetime="detached", get_if_exists=True
        ).remote(ttl_s, per_caller)
        self.ttl_s = ttl_s
        self._count = 0

    def open_count(self) -> int:
        return self._count

    async def create(self, caller: str, memory_mb: int | None, files: dict[str, str | None]) -> Session:
        outcome, value, self._count = await self.actor.create.remote(caller, memory_mb, files)
        if outcome == "limit":
            raise SessionLimit(value)
        return value  # type: ignore[no-any-return]

    async def begin(self, session_id: str, caller: str, lease_s: float) -> tuple[Session, str] | None:
        outcome, value, self._count = await self.actor.begin.remote(session_id, caller, lease_s)
        if outcome == "busy":
            raise SessionBusy(session_id)
        return value  # type: ignore[no-any-return]

    async def end(self, session_id: str, turn: str, state: bytes | None) -> None:
        self._count = await self.actor.end.remote(session_id, turn, state)

    async def delete(self, session_id: str, caller: str) -> bool:
        deleted, self._count = await self.actor.delete.remote(session_id, caller)
        return bool(deleted)
