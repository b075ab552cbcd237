"""The socket proxy on real sockets, in front of a fake daemon on a Unix socket that records what reaches it."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.socket_proxy.server import ProxyServer

LABELLED_ID = "ab" * 32
INSPECT = {LABELLED_ID: {"Id": LABELLED_ID, "Config": {"Labels": {"rlvr.sandbox": "1"}}},
           "db": {"Id": "cd" * 32, "Config": {"Labels": {}}}}


class FakeDaemon(socketserver.ThreadingUnixStreamServer):
    """Answers inspect with canned JSON, attach by echoing the stream, anything else with 200 {}."""

    daemon_threads = True

    def __init__(self, path: str) -> None:
        self.heads: list[str] = []
        super().__init__(path, FakeDaemonHandler)


class FakeDaemonHandler(socketserver.StreamRequestHandler):
    server: FakeDaemon

    def handle(self) -> None:
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = self.rfile.readline()
            if not line:
                return
            head += line
        text = head.decode()
        self.server.heads.append(text)
        path = text.split(" ")[1].split("?")[0]
        if path.endswith("/attach"):
            self.wfile.write(b"HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
            while chunk := self.rfile.read1(4096):
                self.wfile.write(chunk.upper())
            return
        ident = path.removeprefix("/containers/").removesuffix("/json")
        body = json.dumps(INSPECT[ident]).encode() if ident in INSPECT else b"{}"
        status = "200 OK" if ident in INSPECT or not path.endswith("/json") or "containers" not in path else "404 NF"
        self.wfile.write(f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[FakeDaemon]:
    server = FakeDaemon(str(tmp_path / "docker.sock"))
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(daemon: FakeDaemon) -> Iterator[tuple[str, int]]:
    server = ProxyServer(("127.0.0.1", 0), daemon.server_address, frozenset({"rlvr-runner:latest"}))  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address  # type: ignore[misc]
    server.shutdown()
    server.server_close()


def exchange(address: tuple[str, int], raw: bytes) -> bytes:
    """Send raw bytes, read until the proxy closes the connection."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(raw)
        reply = b""
        while chunk := sock.recv(4096):
            reply += chunk
    return reply


def test_denied_request_yields_403_and_never_reaches_the_daemon(proxy: tuple[str, int], daemon: FakeDaemon) -> None:
    reply = exchange(proxy, b"POST /v1.41/containers/prune HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 403 ")
    assert b"not on the allow list" in reply
    assert daemon.heads == []


def test_allowed_request_yields_daemon_answer_over_a_closed_connection(
        proxy: tuple[str, int], daemon: FakeDaemon) -> None:
    reply = exchange(proxy, b"GET /v1.41/_ping HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK")
    assert len(daemon.heads) == 1
    assert "Connection: close" in daemon.heads[0]
    assert "keep-alive" not in daemon.heads[0]


def test_second_request_on_an_allowed_connection_yields_nothing_upstream(
        proxy: tuple[str, int], daemon: FakeDaemon) -> None:
    reply = exchange(proxy, b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"
                            b"POST /containers/prune HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert reply.count(b"HTTP/1.1") == 1
    assert [h.split(" ")[1] for h in daemon.heads] == ["/_ping"]


def test_action_on_unlabelled_container_yields_403_after_an_inspect(
        proxy: tuple[str, int], daemon: FakeDaemon) -> None:
    reply = exchange(proxy, b"DELETE /v1.41/containers/db?force=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 403 ")
    assert [h.split(" ")[:2] for h in daemon.heads] == [["GET", "/containers/db/json"]]


def test_attach_to_labelled_container_yields_a_two_way_stream(proxy: tuple[str, int], daemon: FakeDaemon) -> None:
    with socket.create_connection(proxy, timeout=10) as sock:
        sock.sendall(f"POST /v1.41/containers/{LABELLED_ID}/attach?stdin=1&stream=1 HTTP/1.1\r\nHost: x\r\n"
                     "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        assert head.startswith(b"HTTP/1.1 101 ")
        sock.sendall(b"hello agent\n")
        echoed = b""
        while len(echoed) < len(b"HELLO AGENT\n"):
            echoed += sock.recv(4096)
    assert echoed == b"HELLO AGENT\n"
    assert "Connection: Upgrade" in daemon.heads[-1]


@pytest.mark.parametrize(("raw", "status"), [
    (b"POST /containers/create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"411"),
    (b"POST /containers/create HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", b"413"),
    (b"POST /containers/create HTTP/1.1\r\nContent-Length: many\r\n\r\n", b"400"),
    (b"nonsense\r\n\r\n", b"400"),
])
def test_request_the_proxy_will_not_parse_yields_an_error(
        proxy: tuple[str, int], daemon: FakeDaemon, raw: bytes, status: bytes) -> None:
    assert exchange(proxy, raw).startswith(b"HTTP/1.1 " + status)
    assert daemon.heads == []
