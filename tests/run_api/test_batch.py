"""POST /v1/run on a real server: results in order, each program with its own language, stdin, files, limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.run_api.conftest import b64

pytestmark = pytest.mark.integration

RUNS: list[dict[str, Any]] = [
    {"id": "py", "code": "print(input()[::-1])", "stdin": "abc"},
    {"id": "cpp", "code": '#include <cstdio>\nint main(){puts("c");}', "language": "cpp"},
    {"id": 3, "code": "print(open('f.txt').read())", "files": {"f.txt": b64(b"file")}},
    {"id": "slow", "code": "while True: pass", "run_timeout": 1},
    {"id": "js", "code": "console.log('js')", "language": "nodejs"},
    {"id": "out", "code": "open('o', 'w').write('o')", "fetch_files": ["o"]},
    {"id": "crash", "code": "1/0"},
]
EXPECTED = [
    ("py", "Success", "cba\n"),
    ("cpp", "Success", "c\n"),
    (3, "Success", "file\n"),
    ("slow", "Failed", ""),
    ("js", "Success", "js\n"),
    ("out", "Success", ""),
    ("crash", "Failed", ""),
]


def test_batch_yields_results_in_request_order(url: str) -> None:
    response = httpx.post(f"{url}/v1/run", json={"runs": RUNS}, timeout=120)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["id"], r["status"], r["run_result"]["stdout"]) for r in results] == EXPECTED
    assert results[3]["run_result"]["status"] == "TimeLimitExceeded"
    assert results[5]["files"] == {"o": b64(b"o")}
    assert "ZeroDivisionError" in results[6]["run_result"]["stderr"]
    assert results[1]["compile_result"]["status"] == "Finished"


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ({"id": "b", "code": 5}, "code"),
        ({"id": "b", "code": "1", "langauge": "python"}, "langauge"),
        ({"id": "b", "code": "1", "language": "cobol"}, "not available"),
        ({"id": "b", "code": "1", "files": {"/x": b64(b"x")}}, "relative path"),
        ("not an object", "item"),
    ],
    ids=["wrong_type", "unknown_field", "language", "absolute_file", "not_object"],
)
def test_bad_item_yields_its_own_invalid_result_and_the_rest_run(local_url: str, bad: Any, says: str) -> None:
    runs = [{"id": "a", "code": "print('a')"}, bad, {"id": "c", "code": "print('c')"}]
    results = httpx.post(f"{local_url}/v1/run", json={"runs": runs}, timeout=60).json()["results"]
    assert [r["status"] for r in results] == ["Success", "Invalid", "Success"]
    assert says in results[1]["message"]
    assert results[1]["id"] == ("b" if isinstance(bad, dict) else None)
    assert [results[0]["run_result"]["stdout"], results[2]["run_result"]["stdout"]] == ["a\n", "c\n"]


@pytest.mark.parametrize(("body", "code"), [({}, 422), ({"runs": "x"}, 422), ({"runs": []}, 200)])
def test_batch_envelope_yields_status(local_url: str, body: dict[str, Any], code: int) -> None:
    response = httpx.post(f"{local_url}/v1/run", json=body, timeout=30)
    assert response.status_code == code
    if code == 200:
        assert response.json() == {"results": []}
