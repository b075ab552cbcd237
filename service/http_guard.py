"""uvicorn's HTTP protocol with read deadlines and a connection cap: slow clients cannot hold descriptors.

uvicorn times out idle keep-alive connections only after a response: a client that opens
a connection and sends its headers a byte at a time (slowloris), or never finishes its
body, holds a descriptor for ever, and a thousand of them exhaust the process's limit.
This subclass of the protocol uvicorn would pick (httptools, else h11) closes:

- a connection whose request headers are not complete ``header_timeout_s`` after it
  opened or after its previous response;
- a connection whose request body is not complete ``body_timeout_s`` after its headers;
- a connection that has sent more than ``MAX_HEAD_BYTES`` without completing a request
  head (uvicorn's httptools parser would buffer a giant URL or header for ever);
- a connection that stops reading its response for ``send_timeout_s`` (the response is
  dropped: a client that never reads would hold its connection and the response);
- beyond ``max_connections`` open connections, the one idle longest (no request being
  served), or the new one if every other is serving a request.

Only the protocols' public-ish state is read (``cycle``, ``connections``, ``transport``),
which both of uvicorn's HTTP/1.1 implementations share.
"""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

from service.settings import Settings

UNLIMITED_CONNECTIONS = 65_536
MAX_HEAD_BYTES = 64 << 10
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
HEAD_TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"


@dataclass(frozen=True)
class HttpLimits:
    """Read deadlines and the connection cap, from the settings."""

    header_timeout_s: float
    body_timeout_s: float
    send_timeout_s: float
    max_connections: int


def http_limits(settings: Settings) -> HttpLimits:
    """The settings' limits; the default cap is half the descriptor limit (the rest: sandboxes, pools, logs)."""
    cap = settings.http_max_connections
    if cap is None:
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        cap = UNLIMITED_CONNECTIONS if soft == resource.RLIM_INFINITY else max(16, soft // 2)
    return HttpLimits(settings.http_header_timeout_s, settings.http_body_timeout_s, settings.http_send_timeout_s, cap)


def guarded_protocol(limits: HttpLimits, base: type[asyncio.Protocol] = AutoHTTPProtocol) -> type[asyncio.Protocol]:
    """``base`` (uvicorn's HTTP protocol class) with ``limits`` enforced; pass it as uvicorn's ``http=``."""
    return type(f"Guarded{base.__name__}", (_Guard, base), {"limits": limits})


class _Guard:
    """The mixin: arms a timer per phase of each request and makes room under the cap on each new connection."""

    limits: HttpLimits
    # set by uvicorn's protocol classes
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    connections: set[Any]
    cycle: Any
    flow: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._guard_body_cycle: Any = None
        self._guard_stalls = 0
        self._await_headers()
        self._make_room()

    def data_received(self, data: bytes) -> None:
        waiting = _idle(self)
        super().data_received(data)  # type: ignore[misc]
        cycle = self.cycle
        if cycle is not None and cycle is not self._guard_body_cycle and not cycle.response_complete:
            self._guard_body_cycle = cycle  # headers just completed: the body's clock starts
            self._guard_head_bytes = 0
            self.loop.call_later(self.limits.body_timeout_s, self._body_overdue, cycle)
        elif waiting and _idle(self):  # still in a request head
            self._guard_head_bytes += len(data)
            if self._guard_head_bytes > MAX_HEAD_BYTES:
                self._refuse(HEAD_TOO_LARGE)

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._await_headers()

    def pause_writing(self) -> None:
        super().pause_writing()  # type: ignore[misc]
        self._guard_stalls += 1  # the client is not reading: it has send_timeout_s to start again
        self.loop.call_later(self.limits.send_timeout_s, self._send_overdue, self._guard_stalls)

    def _send_overdue(self, stall: int) -> None:
        # also when closing: a graceful close waits for the unread buffer to drain, i.e. for ever
        if stall == self._guard_stalls and self.flow.write_paused:
            self.transport.abort()  # drops the unread response; the app's send sees the client gone

    def _await_headers(self) -> None:
        self._guard_idle_since = self.loop.time()
        self._guard_head_bytes = 0
        self.loop.call_later(self.limits.header_timeout_s, self._headers_overdue, self.cycle)

    def _headers_overdue(self, armed: Any) -> None:
        """No new request's headers arrived since the timer was armed, and none is being served: close."""
        if self.cycle is armed and _idle(self):
            self._refuse(TIMED_OUT if self._guard_head_bytes else b"")

    def _body_overdue(self, cycle: Any) -> None:
        if cycle.more_body and not cycle.response_complete and not self.transport.is_closing():
            self.transport.close()  # the app's receive() then sees the client gone

    def _refuse(self, response: bytes) -> None:
        """Answer ``response`` (if any) to a connection between requests, and close it."""
        if not self.transport.is_closing():
            if response:
                self.transport.write(response)
            self.transport.close()

    def _make_room(self) -> None:
        if len(self.connections) <= self.limits.max_connections:
            return
        idle = [c for c in self.connections if c is not self and _idle(c) and not c.transport.is_closing()]
        if not idle:
            self.transport.close()
            return
        victim = min(idle, key=lambda c: getattr(c, "_guard_idle_since", 0.0))
        victim.transport.close()


def _idle(protocol: Any) -> bool:
    """True when the connection is serving no request (waiting for one, or for its headers)."""
    cycle = getattr(protocol, "cycle", None)
    return cycle is None or bool(cycle.response_complete)
