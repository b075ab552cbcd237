"""Class 10, HTTP: slow clients are timed out, connections are capped below the descriptor limit,
any unicode round-trips or is refused (the item holding it gets its own ``invalid_item``; a
request with no valid item, or with it in a batch-level field, gets a 422), and no malformed
input is a 500.

Boundary: HTTP client → service. The attacker controls the bytes on the connection and
their pace, and every field of the body. All against a real ``rlvr serve`` (uvicorn) on
loopback, started with a descriptor limit of 512 (so a cap of 256 connections).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.server import REPO, free_port, serving

pytestmark = pytest.mark.integration

NOFILE = 512
HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 2.0
SEND_TIMEOUT_S = 2.0
SLACK_S = 1.5
SLOWLORIS = 1100
PARTIAL_HEAD = b"POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
FORMAT_ITEM = {"completion": "<think>a</think>b", "rewards": {"format": 1.0}}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    """(base URL, pid) of a real server limited to NOFILE descriptors, with short read deadlines."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "RLVR_WORKERS": "1",
        "RLVR_HTTP_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "RLVR_HTTP_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S),
        "RLVR_HTTP_SEND_TIMEOUT_S": str(SEND_TIMEOUT_S),
    }
    serve = [sys.executable, "-m", "service", "serve", "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with serving(["prlimit", f"--nofile={NOFILE}:{NOFILE}", *serve], url + "/healthz", env=env) as proc:
        yield url, proc.pid


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def closed_after(sock: socket.socket, limit_s: float) -> float | None:
    """Seconds until the server closes ``sock`` (EOF or reset), or None if it is still open after ``limit_s``."""
    started = time.monotonic()
    sock.settimeout(limit_s)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_slowloris_connections_yield_served_requests_and_bounded_descriptors(server: tuple[str, int]) -> None:
    url, pid = server
    attackers: list[socket.socket] = []
    try:
        for _ in range(SLOWLORIS):  # each sends half a request head and waits
            try:
                sock = connect(url)
                sock.sendall(PARTIAL_HEAD)
                attackers.append(sock)
            except OSError:  # the server closed it to make room: that is the defence working
                continue
        assert open_fds(pid) < NOFILE
        for _ in range(3):  # legitimate requests get through while the attack holds its connections
            response = httpx.post(f"{url}/v1/score", json={"items": [FORMAT_ITEM]}, timeout=30)
            assert response.status_code == 200
            assert response.json()["results"][0]["reward"] == 1.0
    finally:
        for sock in attackers:
            sock.close()


def send_nothing(sock: socket.socket) -> None:
    pass


def send_half_head(sock: socket.socket) -> None:
    sock.sendall(PARTIAL_HEAD)


def trickle_head(sock: socket.socket) -> None:
    for byte in PARTIAL_HEAD[:12]:  # a byte every 0.2 s never extends the deadline
        sock.sendall(bytes([byte]))
        time.sleep(0.2)


def send_half_body(sock: socket.socket) -> None:
    sock.sendall(PARTIAL_HEAD + b"content-length: 100\r\n\r\n" + b'{"items": [')


def send_giant_head(sock: socket.socket) -> None:
    sock.sendall(PARTIAL_HEAD + b"x-filler: " + b"a" * (256 << 10))


def idle_after_response(sock: socket.socket) -> None:
    body = json.dumps({"items": [FORMAT_ITEM]}).encode()
    sock.sendall(PARTIAL_HEAD + f"content-length: {len(body)}\r\n\r\n".encode() + body)
    sock.recv(65536)  # the answer; then the connection idles (keep-alive), then sends one byte and stalls
    sock.sendall(b"P")


@pytest.mark.parametrize(
    ("send", "deadline_s"),
    [
        (send_nothing, HEADER_TIMEOUT_S),
        (send_half_head, HEADER_TIMEOUT_S),
        (trickle_head, HEADER_TIMEOUT_S),
        (send_half_body, BODY_TIMEOUT_S),
        (idle_after_response, HEADER_TIMEOUT_S),
        (send_giant_head, 0.0),  # closed on the spot, whatever its pace
    ],
    ids=["nothing", "half_head", "trickled_head", "half_body", "stall_after_keepalive", "giant_head"],
)
def test_slow_client_yields_closed_connection(server: tuple[str, int], send: object, deadline_s: float) -> None:
    url, _ = server
    with connect(url) as sock:
        started = time.monotonic()
        try:
            send(sock)  # type: ignore[operator]
        except (BrokenPipeError, ConnectionResetError):  # closed while still sending: the deadline at work
            pass
        else:
            assert closed_after(sock, deadline_s + SLACK_S) is not None, "the server kept a slow connection open"
        assert time.monotonic() - started < deadline_s + SLACK_S + 0.5


def test_client_not_reading_yields_dropped_response(server: tuple[str, int]) -> None:
    url, _ = server
    items = [{"id": f"{n:05d}" + "x" * 4000, "completion": "a", "rewards": {"format": 1}} for n in range(2000)]
    body = json.dumps({"items": items}).encode()  # the answer echoes 8 MB of ids: more than any socket buffer
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(30)
        sock.connect((host, int(port)))
        sock.sendall(PARTIAL_HEAD + f"content-length: {len(body)}\r\n\r\n".encode() + body)
        time.sleep(SEND_TIMEOUT_S + SLACK_S + 3.0)  # scoring, then a stalled response
        received = bytearray()
        try:
            while chunk := sock.recv(1 << 20):
                received += chunk
        except ConnectionResetError:
            pass
    head, _, answer = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    length = int(next(v for k, _, v in (h.partition(b": ") for h in head.split(b"\r\n")) if k == b"content-length"))
    assert len(answer) < length, "the server kept a response nobody read"


def raw_post(url: str, body: bytes, path: str = "/v1/score") -> httpx.Response:
    return httpx.post(f"{url}{path}", content=body, headers={"content-type": "application/json"}, timeout=30)


LONE = "\\ud800"  # as JSON spells it: a lone surrogate, not Unicode text
PARAM_BODY = '{"items": [{"completion": "a"}], "rewards": [{"name": "code", "params": {"language": "' + LONE + '"}}]}'
# (body, the field its error names): alone in the batch, or a batch-level field
SURROGATE_BODIES = [
    (f'{{"items": [{{"id": "{LONE}", "completion": "a", "rewards": {{"format": 1}}}}]}}', "items.0.id"),
    (f'{{"items": [{{"group": "g{LONE}", "completion": "a", "rewards": {{"format": 1}}}}]}}', "items.0.group"),
    (f'{{"items": [{{"completion": "x{LONE}y", "rewards": {{"format": 1}}}}]}}', "items.0.completion"),
    (f'{{"items": [{{"prompt": "{LONE}", "completion": "a", "rewards": {{"format": 1}}}}]}}', "items.0.prompt"),
    (
        f'{{"items": [{{"completion": "a", "reference": {{"inputs": ["1"], "outputs": ["{LONE}"]}}, '
        '"rewards": {"code": 1}}]}',
        "items.0.reference.outputs.0",
    ),
    (
        f'{{"items": [{{"completion": "a", "metadata": {{"k{LONE}": 1}}, "rewards": {{"format": 1}}}}]}}',
        "items.0.metadata",
    ),
    (PARAM_BODY, "rewards.0.params.language"),
    (f'{{"items": [{{"completion": "a", "rewards": {{"fo{LONE}": 1}}}}]}}', "items.0.rewards"),
    (f'{{"items": [{{"completion": "a", "rewards": {{"fo{LONE}": "heavy"}}}}]}}', "items.0.rewards"),
]


SURROGATE_IDS = [
    "id",
    "group",
    "completion",
    "prompt",
    "expected_output",
    "metadata_key",
    "param",
    "reward_name",
    "bad_weight",
]


@pytest.mark.parametrize(("body", "where"), SURROGATE_BODIES, ids=SURROGATE_IDS)
def test_lone_surrogate_yields_422_naming_the_field(server: tuple[str, int], body: str, where: str) -> None:
    """Alone in its batch (every item invalid, or a batch-level field): the request is refused."""
    url, _ = server
    response = raw_post(url, body.encode())
    assert response.status_code == 422, response.text
    assert where in json.dumps(response.json())


ITEM_LEVEL = [(b, w, i) for (b, w), i in zip(SURROGATE_BODIES, SURROGATE_IDS, strict=True) if w.startswith("items.")]


@pytest.mark.parametrize(("body", "where"), [c[:2] for c in ITEM_LEVEL], ids=[c[2] for c in ITEM_LEVEL])
def test_lone_surrogate_in_one_item_yields_its_invalid_item_and_the_rest_scored(
    server: tuple[str, int], body: str, where: str
) -> None:
    """Among valid items, the item holding it gets its own invalid_item (reward null) and is never judged."""
    url, _ = server
    where = where.replace("items.0", "items.1", 1)
    parsed = json.loads(body)  # Python keeps the lone surrogate; json.dumps writes it back escaped
    parsed["items"][:0] = [FORMAT_ITEM]
    parsed["items"].append(FORMAT_ITEM)
    response = raw_post(url, json.dumps(parsed).encode())
    assert response.status_code == 200, response.text
    first, bad, last = response.json()["results"]
    assert (first["status"], last["status"]) == ("ok", "ok")
    assert (bad["status"], bad["reward"], bad["components"]) == ("invalid_item", None, [])
    assert where in bad["error"], bad["error"]


@pytest.mark.parametrize(
    "text",
    ["é", "😀", "\\ud83d\\ude00", "\\u0000", "\\u2028", "e\\u0301", "\\ufeff", "\\uffff", "𝔘𝔫𝔦"],
    ids=["latin", "emoji_raw", "emoji_pair", "nul", "line_separator", "combining", "bom", "noncharacter", "math"],
)
def test_valid_unicode_yields_exact_round_trip(server: tuple[str, int], text: str) -> None:
    url, _ = server
    sent = json.loads(f'"{text}"')
    body = f'{{"items": [{{"id": "{text}", "group": "{text}", "completion": "{text}", "rewards": {{"format": 1}}}}]}}'
    response = raw_post(url, body.encode())
    assert response.status_code == 200, response.text
    result = response.json()["results"][0]
    assert (result["id"], result["group"]) == (sent, sent)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 422),
        (b'{"items": [{"id": 1e400, "completion": "a"}]}', 422),
        (b'{"items": [{"completion": "a"}], "rewards": {"format": NaN}}', 422),
        (b'{"items": [{"completion": "a"}], "rewards": {"format": Infinity}}', 422),
        (b'{"items": "x"}', 422),
        (b'{"items": [{"completion": "a"', 422),
        (b"", 422),
        (b"\xff\xfe{}", 422),
        (b'{"items": [{"completion": "a", "id": ' + b"9" * 5000 + b"}]}", 422),
        (b'{"items": [{"completion": "a", "rewards": [{"name": "code", "params": {"time_limit_s": NaN}}]}]}', 200),
    ],
    ids=[
        "deep_nesting",
        "huge_float_id",
        "nan_weight",
        "inf_weight",
        "items_not_list",
        "truncated",
        "empty",
        "not_utf8",
        "5000_digit_id",
        "nan_param_is_bad_params",
    ],
)
def test_malformed_body_yields_4xx_never_500(server: tuple[str, int], body: bytes, status: int) -> None:
    url, _ = server
    response = raw_post(url, body)
    assert response.status_code == status, response.text[:300]
    payload = response.json()
    if status == 200:
        assert payload["results"][0]["status"] == "bad_params"
    else:
        assert payload["error"]
