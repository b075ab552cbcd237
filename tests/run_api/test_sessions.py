"""Python sessions on a real server: state across cells, failures rolled back, owners, cap, TTL, restart."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.run_api.conftest import KEY, OTHER_KEY, b64
from tests.server import run_server

pytestmark = pytest.mark.integration

MINE = {"Authorization": f"Bearer {KEY}"}
THEIRS = {"Authorization": f"Bearer {OTHER_KEY}"}

# cell, status, result, state after it; each row runs in the same session, in order
CELLS: list[tuple[str, str, str | None, str]] = [
    ("import math\nx = 41\ndef f(y):\n    return y + 1\nclass A:\n    v = 7\na = A()", "ok", None, "updated"),
    ("f(x), round(math.pi, 2), a.v, open('up.txt').read()", "ok", "(42, 3.14, 7, 'up')", "updated"),
    ("open('w.txt', 'w').write('w')\nz = 1\n1 / 0\nz = 2", "error", None, "updated"),
    ("z, open('w.txt').read()", "ok", "(1, 'w')", "updated"),
    ("z = 100\nwhile True: pass", "timeout", None, "unchanged"),
    ("z", "ok", "1", "updated"),
    ("import os\nz = 200\nos._exit(3)", "crashed", None, "unchanged"),
    ("z + 1", "ok", "2", "updated"),
    ("z = 300\nx = bytearray(1 << 30)", "crashed", None, "unchanged"),  # killed at the memory limit
    ("g = (i for i in range(3))\nz", "ok", "1", "updated"),
]


def _exec(url: str, sid: str, code: str, headers: dict[str, str] = MINE) -> httpx.Response:
    return httpx.post(f"{url}/v1/sessions/{sid}/exec", json={"code": code, "timeout": 1}, headers=headers, timeout=60)


def _open(url: str, headers: dict[str, str] = MINE, **body: Any) -> str:
    response = httpx.post(f"{url}/v1/sessions", json=body, headers=headers, timeout=30)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_cells_yield_state_carried_and_failures_rolled_back(tight_url: str) -> None:
    sid = _open(tight_url, files={"up.txt": b64(b"up")})
    try:
        seen = []
        for code, _, _, _ in CELLS:
            response = _exec(tight_url, sid, code)
            assert response.status_code == 200, response.text
            cell = response.json()
            assert cell["survived"] is True
            seen.append((code, cell["status"], cell["result"], cell["state"]))
        assert seen == CELLS
    finally:
        httpx.delete(f"{tight_url}/v1/sessions/{sid}", headers=MINE, timeout=10)


def test_cell_yields_stdout_error_files_and_not_kept(tight_url: str) -> None:
    sid = _open(tight_url)
    try:
        cell = _exec(
            tight_url, sid, "print('out')\nopen('n.txt', 'w').write('n')\ng = (i for i in [1])\nraise KeyError('k')"
        )
        body = cell.json()
        assert (body["stdout"], body["files"], body["not_kept"]) == ("out\n", ["n.txt"], ["g"])
        assert body["error"] == {"type": "KeyError", "message": "'k'"}
        assert "KeyError" in body["stderr"]
    finally:
        httpx.delete(f"{tight_url}/v1/sessions/{sid}", headers=MINE, timeout=10)


def test_someone_elses_session_yields_404_as_if_none(tight_url: str) -> None:
    sid = _open(tight_url)
    try:
        assert _exec(tight_url, sid, "1", headers=THEIRS).status_code == 404
        assert httpx.delete(f"{tight_url}/v1/sessions/{sid}", headers=THEIRS, timeout=10).status_code == 404
        assert _exec(tight_url, sid, "1").status_code == 200  # still there for its owner
    finally:
        httpx.delete(f"{tight_url}/v1/sessions/{sid}", headers=MINE, timeout=10)


def test_sessions_past_cap_yield_429_and_delete_frees_one(tight_url: str) -> None:
    first, second = _open(tight_url), _open(tight_url)
    try:
        refused = httpx.post(f"{tight_url}/v1/sessions", json={}, headers=MINE, timeout=10)
        assert refused.status_code == 429 and "limit" in refused.json()["error"]
        assert httpx.delete(f"{tight_url}/v1/sessions/{first}", headers=MINE, timeout=10).status_code == 204
        third = _open(tight_url)
        assert httpx.delete(f"{tight_url}/v1/sessions/{third}", headers=MINE, timeout=10).status_code == 204
    finally:
        httpx.delete(f"{tight_url}/v1/sessions/{second}", headers=MINE, timeout=10)


def _readyz_sessions(url: str) -> int:
    return int(httpx.get(f"{url}/readyz", timeout=10).json()["runs"]["sessions"])


def test_idle_past_ttl_yields_404_and_metrics_drop(tight_url: str) -> None:
    sid = _open(tight_url, headers=THEIRS)
    assert "rlvr_sessions 1.0" in httpx.get(f"{tight_url}/metrics", timeout=10).text
    assert _readyz_sessions(tight_url) == 1
    time.sleep(5)  # the TTL is 4 s
    assert _exec(tight_url, sid, "1", headers=THEIRS).status_code == 404
    assert "rlvr_sessions 0.0" in httpx.get(f"{tight_url}/metrics", timeout=10).text
    assert _readyz_sessions(tight_url) == 0


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"language": "cpp"}, "Python only"),
        ({"files": {"/x": b64(b"x")}}, "relative path"),
        ({"ttl": 5}, "ttl"),
        ({"memory_limit_MB": True}, "memory_limit_MB"),
    ],
)
def test_bad_session_request_yields_422(tight_url: str, body: dict[str, Any], says: str) -> None:
    response = httpx.post(f"{tight_url}/v1/sessions", json=body, headers=MINE, timeout=10)
    assert response.status_code == 422
    assert says in response.json()["error"]


def test_service_restart_yields_404_for_old_sessions() -> None:
    with run_server(env={"RLVR_WORKERS": "1"}) as url:
        sid = _open(url, headers={})
        assert _exec(url, sid, "1", headers={}).json()["result"] == "1"
    with run_server(env={"RLVR_WORKERS": "1"}) as url:
        response = _exec(url, sid, "1", headers={})
    assert response.status_code == 404
    assert "restarted" in response.json()["error"]
