"""Keys, ceilings and load on a real server with one run slot: auth each way, clamping, queueing instead of 429."""

from __future__ import annotations

import base64
import concurrent.futures
import time

import httpx
import pytest

from tests.run_api.conftest import KEY

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {KEY}"}
SLEEP = "import time\ntime.sleep({s})\nprint('done')"


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize(
    ("headers", "query", "code"),
    [
        (AUTH, "", 200),
        ({}, f"?api_key={KEY}", 200),
        (_basic("rlvr", KEY), "", 200),
        (_basic(KEY, ""), "", 200),
        ({}, "", 401),
        ({"Authorization": "Bearer wrong"}, "", 401),
        (_basic("rlvr", "wrong"), "", 401),
        ({}, "?api_key=wrong", 401),
        ({"Authorization": "Basic %%%"}, "", 401),
    ],
    ids=["bearer", "query", "basic", "basic_user", "none", "bad_bearer", "bad_basic", "bad_query", "garbled_basic"],
)
def test_key_each_way_yields_access_or_401(tight_url: str, headers: dict[str, str], query: str, code: int) -> None:
    for path in ("/run_code", "/v1/run"):
        body = {"code": "print(1)"} if path == "/run_code" else {"runs": [{"code": "print(1)"}]}
        response = httpx.post(f"{tight_url}{path}{query}", json=body, headers=headers, timeout=60)
        assert response.status_code == code, (path, response.text)


def test_timeout_above_ceiling_yields_the_ceiling(tight_url: str) -> None:
    body = {"code": SLEEP.format(s=30), "run_timeout": 1000}
    started = time.monotonic()
    result = httpx.post(f"{tight_url}/run_code", json=body, headers=AUTH, timeout=60).json()
    assert result["run_result"]["status"] == "TimeLimitExceeded"
    assert result["run_result"]["execution_time"] < 5  # the ceiling is 1.5 s
    assert time.monotonic() - started < 10


def test_memory_above_ceiling_yields_the_ceiling(tight_url: str) -> None:
    code = "x = bytearray(400 << 20)\nprint('allocated')"  # fits the 1024 MB asked, not the 128 MB ceiling
    result = httpx.post(
        f"{tight_url}/run_code", json={"code": code, "memory_limit_MB": 1024}, headers=AUTH, timeout=60
    ).json()
    assert result["status"] == "Failed"
    assert result["run_result"]["return_code"] != 0
    assert "allocated" not in result["run_result"]["stdout"]


def test_more_programs_than_slots_yield_queueing_never_429(tight_url: str) -> None:
    body = {"code": SLEEP.format(s=0.5), "run_timeout": 1}
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [
            pool.submit(httpx.post, f"{tight_url}/run_code", json=body, headers=AUTH, timeout=60) for _ in range(4)
        ]
        responses = [f.result() for f in futures]
    elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [200] * 4
    assert [r.json()["run_result"]["stdout"] for r in responses] == ["done\n"] * 4
    assert elapsed >= 2.0  # one slot: the four half-second sleeps ran one after another


def test_wait_past_queue_timeout_yields_504_with_retry_after(tight_url: str) -> None:
    blocker = {"code": SLEEP.format(s=1.4), "run_timeout": 1.5}
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [
            pool.submit(httpx.post, f"{tight_url}/run_code", json=blocker, headers=AUTH, timeout=60) for _ in range(4)
        ]
        codes = sorted(f.result().status_code for f in futures)
        late = [f.result() for f in futures if f.result().status_code == 504]
    # one slot, a 3 s queue: two or three of the ~1.5 s programs get a slot in time, the last cannot
    assert codes[0] == 200 and codes[-1] == 504, codes
    assert late[0].headers["retry-after"]
    assert "busy" in late[0].json()["error"]
