"""A filtering HTTP proxy in front of the Docker socket: allowed calls are forwarded, the rest get 403.

One request per client connection: the request is forwarded with ``Connection: close``
and the answer streamed back until the daemon closes, so a client can never slip a
second, unchecked request onto an approved connection. An approved attach becomes a
raw two-way stream (the daemon hijacks the connection), which is what the backend uses
to talk to the agent in each runner container.
"""

from __future__ import annotations

import http.client
import json
import logging
import selectors
import socket
import socketserver
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote

from .rules import SANDBOX_LABEL, Decision, decide

log = logging.getLogger("rlvr.socket_proxy")

MAX_HEAD_BYTES = 64 << 10
MAX_BODY_BYTES = 1 << 20
HEAD_TIMEOUT_S = 30.0
UPSTREAM_TIMEOUT_S = 30.0
CHUNK_BYTES = 1 << 16
KNOWN_CONTAINERS = 4096


@dataclass(frozen=True)
class Request:
    """The parsed head and body of one client request, plus any bytes that came after it."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    rest: bytes


class BadRequest(Exception):
    """The client sent something that is not a request this proxy will parse (answered with ``status``)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def read_request(sock: socket.socket) -> Request:
    """Read one request head and its Content-Length body; BadRequest on anything else."""
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD_BYTES:
            raise BadRequest(431, "request head too large")
        chunk = sock.recv(CHUNK_BYTES)
        if not chunk:
            raise BadRequest(400, "connection closed before the request head ended")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ")
        headers = [(k.strip(), v.strip()) for k, v in (line.split(":", 1) for line in lines[1:])]
    except ValueError:
        raise BadRequest(400, "malformed request head") from None
    names = {k.lower(): v for k, v in headers}
    if "transfer-encoding" in names:
        raise BadRequest(411, "chunked request bodies are not accepted: send Content-Length")
    try:
        length = int(names.get("content-length", "0"))
    except ValueError:
        raise BadRequest(400, "bad Content-Length") from None
    if not 0 <= length <= MAX_BODY_BYTES:
        raise BadRequest(413, "request body too large")
    while len(rest) < length:
        chunk = sock.recv(CHUNK_BYTES)
        if not chunk:
            raise BadRequest(400, "connection closed inside the request body")
        rest += chunk
    return Request(method, target, version, headers, rest[:length], rest[length:])


def encode_request(request: Request, hijack: bool) -> bytes:
    """The request as sent upstream: hop-by-hop headers replaced, Connection: close unless hijacking."""
    skip = {"connection", "keep-alive", "proxy-connection"} | (set() if hijack else {"upgrade"})
    lines = [f"{request.method} {request.target} {request.version}"]
    lines += [f"{k}: {v}" for k, v in request.headers if k.lower() not in skip]
    lines.append("Connection: Upgrade" if hijack else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body


def error_response(status: int, message: str) -> bytes:
    """A Docker-style JSON error answer that closes the connection."""
    body = json.dumps({"message": f"rlvr socket proxy: {message}"}).encode()
    reason = http.client.responses.get(status, "Error")
    head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over a Unix socket (the daemon's)."""

    def __init__(self, path: str, timeout: float = UPSTREAM_TIMEOUT_S) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class LabelChecker:
    """Asks the daemon whether a container carries the sandbox label; remembers the ones that do."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self._known: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, ident: str) -> bool:
        with self._lock:
            if ident in self._known:
                return True
        conn = UnixHTTPConnection(self.upstream)
        try:
            conn.request("GET", f"/containers/{quote(ident, safe='')}/json")
            response = conn.getresponse()
            info = json.loads(response.read()) if response.status == 200 else {}
        except (OSError, ValueError, http.client.HTTPException):
            return False
        finally:
            conn.close()
        labels = (info.get("Config") or {}).get("Labels") or {}
        if labels.get(SANDBOX_LABEL) != "1":
            return False
        if info.get("Id") == ident:  # names can be reused by another container; ids cannot
            with self._lock:
                self._known[ident] = None
                while len(self._known) > KNOWN_CONTAINERS:
                    self._known.popitem(last=False)
        return True


def pipe(client: socket.socket, upstream: socket.socket, both_ways: bool) -> None:
    """Copy upstream → client until the daemon closes (and client → upstream too when ``both_ways``)."""
    pairs = {upstream: client, client: upstream} if both_ways else {upstream: client}
    with selectors.DefaultSelector() as sel:
        for src in pairs:
            sel.register(src, selectors.EVENT_READ)
        while pairs:
            for key, _ in sel.select():
                src = cast(socket.socket, key.fileobj)
                try:
                    chunk = src.recv(CHUNK_BYTES)
                except OSError:
                    chunk = b""
                if chunk:
                    pairs[src].sendall(chunk)
                    continue
                if src is upstream:
                    return
                # The client is done sending (stdin closed); keep reading the daemon's answer.
                sel.unregister(src)
                del pairs[src]
                try:
                    upstream.shutdown(socket.SHUT_WR)
                except OSError:
                    return


class ProxyHandler(socketserver.BaseRequestHandler):
    """Checks one client request against the rules and forwards it or answers 403."""

    server: ProxyServer

    def handle(self) -> None:
        client: socket.socket = self.request
        client.settimeout(HEAD_TIMEOUT_S)
        try:
            request = read_request(client)
        except BadRequest as exc:
            client.sendall(error_response(exc.status, str(exc)))
            return
        except OSError:
            return
        decision = decide(request.method, request.target, request.body, self.server.labelled, self.server.images)
        if not decision.allowed:
            log.warning("denied %s %s: %s", request.method, request.target, decision.reason)
            client.sendall(error_response(403, decision.reason))
            return
        log.info("allowed %s %s: %s", request.method, request.target, decision.reason)
        self.forward(client, request, decision)

    def forward(self, client: socket.socket, request: Request, decision: Decision) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            upstream.settimeout(UPSTREAM_TIMEOUT_S)
            upstream.connect(self.server.upstream)
        except OSError as exc:
            upstream.close()
            client.sendall(error_response(502, f"cannot reach the Docker daemon: {exc.strerror}"))
            return
        with upstream:
            upstream.sendall(encode_request(request, decision.hijack))
            if decision.hijack and request.rest:
                upstream.sendall(request.rest)
            client.settimeout(None)
            upstream.settimeout(None)
            pipe(client, upstream, both_ways=decision.hijack)


class ProxyServer(socketserver.ThreadingTCPServer):
    """The listening proxy: one thread per client connection."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, listen: tuple[str, int], upstream: str, images: frozenset[str]) -> None:
        self.upstream = upstream
        self.images = images
        self.labelled = LabelChecker(upstream)
        super().__init__(listen, ProxyHandler)
