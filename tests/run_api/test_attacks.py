"""Attacks on the run API by an agent's requests and code: what it sends is checked, what its cell forges is not
believed, and nothing it does becomes a 500, a SandboxError, or a service broken for the next caller."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.run_api.conftest import KEY, b64
from tests.server import REPO, free_port, run_server, serving

pytestmark = pytest.mark.integration

MINE = {"Authorization": f"Bearer {KEY}"}
X = b64(b"x")
DEEP = "/".join(["d"] * 400)


@pytest.fixture(scope="module")
def small_batch_url() -> Iterator[str]:
    """A local server whose batch answers hold 8 MiB of output and files in all."""
    env = {"RLVR_WORKERS": "1", "RLVR_RUN_MAX_CONCURRENCY": "2", "RLVR_RUN_MAX_BATCH_RESULT_BYTES": str(8 << 20)}
    with run_server(env=env) as base:
        yield base


def _post(url: str, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    """POST ``body`` as JSON with ``\\uXXXX`` escapes kept (a lone surrogate is legal JSON, not legal UTF-8)."""
    content = json.dumps(body).encode()
    return httpx.post(
        f"{url}{path}", content=content, headers={"content-type": "application/json", **(headers or {})}, timeout=60
    )


# body (besides code "print(1)"), what the 422 says
BAD_LAYOUTS: list[tuple[str, dict[str, Any], str]] = [
    ("file_is_a_dir_too", {"files": {"a": X, "a/b": X}}, "directory of another"),
    ("dir_is_a_file_too", {"files": {"a/b": X, "a": X}}, "directory of another"),
    ("program_is_a_dir", {"files": {"main.py/x": X}}, "directory of another"),
    ("name_past_name_max", {"files": {"n" * 256: X}}, "longer than"),
    ("path_past_path_max", {"files": {"/".join(["d" * 200] * 6): X}}, "longer than"),
    ("deep_distinct_trees", {"files": {f"{i}/{DEEP}/f": X for i in range(200)}}, "shallower"),
    ("too_many_files", {"files": {f"f{i}": "" for i in range(1001)}}, "more than 1000"),
    ("too_many_fetches", {"fetch_files": [f"f{i}" for i in range(1001)]}, "more than 1000"),
    ("surrogate_code", {"code": "print('\ud800')"}, "code: not valid Unicode"),
    ("surrogate_stdin", {"stdin": "\udc80"}, "stdin: not valid Unicode"),
    ("surrogate_file_name", {"files": {"\ud800": X}}, "not valid Unicode"),
    ("surrogate_fetch_name", {"fetch_files": ["\ud800"]}, "not valid Unicode"),
]


@pytest.mark.parametrize(("body", "says"), [c[1:] for c in BAD_LAYOUTS], ids=[c[0] for c in BAD_LAYOUTS])
def test_unlayable_request_yields_422_not_sandbox_error(local_url: str, body: dict[str, Any], says: str) -> None:
    response = _post(local_url, "/run_code", {"code": "print(1)", **body})
    assert response.status_code == 422, response.text
    assert says in response.json()["error"]


@pytest.mark.parametrize(("body", "says"), [c[1:] for c in BAD_LAYOUTS], ids=[c[0] for c in BAD_LAYOUTS])
def test_unlayable_batch_item_yields_invalid_and_the_rest_run(local_url: str, body: dict[str, Any], says: str) -> None:
    results = _post(local_url, "/v1/run", {"runs": [{"code": "print(1)", **body}, {"code": "print(2)"}]}).json()
    bad, good = results["results"]
    assert (bad["status"], good["status"], good["run_result"]["stdout"]) == ("Invalid", "Success", "2\n")
    assert says in bad["message"]


# files uploaded at creation, what the 422 says: the session's own files and the driver's name are not the caller's
BAD_SESSION_FILES: list[tuple[str, dict[str, str], str]] = [
    ("cell_file", {".rlvr/cell.py": b64(b"print('hijacked')")}, "session's own"),
    ("state_file", {"./.rlvr/state": X}, "session's own"),
    ("report_file", {".rlvr/out.json": X}, "session's own"),
    ("driver_dir_as_file", {".rlvr": X}, "session's own"),
    ("driver_program", {"main.py": X}, "program itself"),
    ("file_is_a_dir_too", {"a": X, "a/b": X}, "directory of another"),
    ("surrogate_name", {"\ud800": X}, "not valid Unicode"),
]


@pytest.mark.parametrize(("files", "says"), [c[1:] for c in BAD_SESSION_FILES], ids=[c[0] for c in BAD_SESSION_FILES])
def test_bad_session_files_yield_422_at_creation(tight_url: str, files: dict[str, str], says: str) -> None:
    response = _post(tight_url, "/v1/sessions", {"files": files}, MINE)
    assert response.status_code == 422, response.text
    assert says in response.json()["error"]


REPORT = "import json, os\nos.makedirs('.rlvr', exist_ok=True)\njson.dump({report}, open('.rlvr/out.json', 'w'))\n"
GOOD_REPORT = '{"result": "42", "error": None, "not_kept": [], "written": []}'
# a cell that forges the driver's report (or its variables), then what the service answers: crashed, state unchanged
FORGERIES: list[tuple[str, str]] = [
    (
        "result_not_text",
        REPORT.format(report='{"result": 5, "error": None, "not_kept": [], "written": []}') + "os._exit(0)",
    ),
    (
        "error_not_a_dict",
        REPORT.format(report='{"result": None, "error": "boom", "not_kept": [], "written": []}') + "os._exit(0)",
    ),
    (
        "error_type_not_text",
        REPORT.format(report='{"result": None, "error": {"type": 1, "message": ""}, "not_kept": [], "written": []}')
        + "os._exit(0)",
    ),
    (
        "lists_not_lists",
        REPORT.format(report='{"result": None, "error": None, "not_kept": 3, "written": "ab"}') + "os._exit(0)",
    ),
    (
        "result_past_cap",
        REPORT.format(report='{"result": "x" * 100000, "error": None, "not_kept": [], "written": []}') + "os._exit(0)",
    ),
    ("good_report_then_exit_3", REPORT.format(report=GOOD_REPORT) + "os._exit(3)"),
    # the driver's (or kernel's) own globals, reached from the cell's frame: its saving breaks
    ("driver_pickle_module", "import sys\nsys._getframe(0).f_back.f_globals['pickle'] = None\nz = 9"),
    (
        "driver_not_kept_variable",
        "import sys\nsys._getframe(0).f_back.f_globals['not_kept'] = 'boom'\ngen = (i for i in [])\nz = 9",
    ),
    # a live kernel's answer channel (fd 4: its dup of stdout), written before the kernel answers
    ("kernel_channel_garbage", "import os\nos.write(4, b'{\"sizes\": 5}\\n')\nz = 9"),
    ("kernel_channel_sizes_too_big", "import os\nos.write(4, b'{\"sizes\": [1, 1, 99999999]}\\n')\nz = 9"),
]


@pytest.mark.parametrize("cell", [c[1] for c in FORGERIES], ids=[c[0] for c in FORGERIES])
def test_forged_driver_report_yields_crashed_and_state_unchanged(tight_url: str, cell: str) -> None:
    sid = _post(tight_url, "/v1/sessions", {}, MINE).json()["id"]
    try:
        assert (
            _post(tight_url, f"/v1/sessions/{sid}/exec", {"code": "z = 1", "timeout": 1}, MINE).json()["status"] == "ok"
        )
        forged = _post(tight_url, f"/v1/sessions/{sid}/exec", {"code": cell, "timeout": 1}, MINE)
        assert forged.status_code == 200, forged.text
        assert (forged.json()["status"], forged.json()["state"], forged.json()["result"]) == (
            "crashed",
            "unchanged",
            None,
        )
        after = _post(tight_url, f"/v1/sessions/{sid}/exec", {"code": "z", "timeout": 1}, MINE).json()
        assert (after["status"], after["result"]) == ("ok", "1")
    finally:
        httpx.delete(f"{tight_url}/v1/sessions/{sid}", headers=MINE, timeout=10)


def test_job_past_the_descriptor_limit_leaves_none_behind() -> None:
    """A job the service cannot open descriptors for fails alone: the next program still runs (none leaked)."""
    port = free_port()
    cmd = ["prlimit", "--nofile=600:600", sys.executable, "-m", "service", "serve", "--host", "127.0.0.1"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "RLVR_WORKERS": "1"}
    with serving([*cmd, "--port", str(port)], f"http://127.0.0.1:{port}/readyz", env=env):
        url = f"http://127.0.0.1:{port}"
        many = {"code": "print(1)", "files": {f"f{i}": X for i in range(800)}}
        for _ in range(3):  # a cold start passes the files as descriptors (too many); a spare gets them by message
            response = _post(url, "/run_code", many)
            assert response.status_code == 200, response.text
            result = response.json()
            if result["status"] == "SandboxError":
                assert "Too many open files" in result["message"], result
            else:
                assert (result["status"], result["run_result"]["stdout"]) == ("Success", "1\n"), result
        after = _post(url, "/run_code", {"code": "print('next')"}).json()
        assert (after["status"], after["run_result"]["stdout"]) == ("Success", "next\n")


# what the program leaves under the name fetched: each is left out and named, and the good file still comes back
UNFETCHABLE: list[tuple[str, str]] = [
    ("fifo", "os.mkfifo('bad')"),
    ("directory", "os.mkdir('bad')"),
    ("link_to_own_memory", "os.symlink('/proc/self/mem', 'bad')"),
    ("link_to_endless_device", "os.symlink('/dev/zero', 'bad')"),
]


@pytest.mark.parametrize("make", [c[1] for c in UNFETCHABLE], ids=[c[0] for c in UNFETCHABLE])
def test_unfetchable_file_yields_it_named_and_the_others_fetched(url: str, make: str) -> None:
    code = f"import os\nopen('good', 'w').write('g')\n{make}"
    result = _post(url, "/run_code", {"code": code, "fetch_files": ["bad", "good"]}).json()
    assert (result["status"], result["files"]) == ("Success", {"good": b64(b"g")}), result
    assert "bad" in result["message"]


# cells in one session, in order, on every backend: the state each leaves is the next one's
BACKEND_CELLS: list[tuple[str, str, str | None]] = [
    ("open('f.txt', 'w').write('a')\nx = 1", "ok", None),
    ("x += 1\nopen('f.txt', 'a').write('b')\nx", "ok", "2"),
    ("import sys\nsys._getframe(0).f_back.f_globals['pickle'] = None\nx = 100", "crashed", None),
    ("x, open('f.txt').read()", "ok", "(2, 'ab')"),
]


def test_session_state_carries_on_every_backend(url: str) -> None:
    sid = _post(url, "/v1/sessions", {}).json()["id"]
    try:
        seen = []
        for code, _, _ in BACKEND_CELLS:
            cell = _post(url, f"/v1/sessions/{sid}/exec", {"code": code, "timeout": 5}).json()
            seen.append((code, cell["status"], cell["result"]))
        assert seen == BACKEND_CELLS
    finally:
        httpx.delete(f"{url}/v1/sessions/{sid}", timeout=10)


BIG_OUTPUT = "import sys\nopen('f', 'wb').write(b'f' * (1 << 20))\nsys.stdout.write('o' * (1 << 20))"
# items in one batch on a service whose batch answers hold 8 MiB, what each item keeps: (stdout bytes, file returned)
BATCH_SHARES: list[tuple[int, int, bool]] = [
    (1, 1 << 20, True),  # 8 MiB / 3 ≥ the 1 MiB program ceilings: nothing lowered
    (2, 1 << 20, True),
    (16, (8 << 20) // 48, False),  # 170 KiB each: the output is cut, the 1 MiB file left out and named
]


@pytest.mark.parametrize(("items", "stdout_bytes", "fetched"), BATCH_SHARES)
def test_batch_items_yield_shares_of_one_answer_budget(
    small_batch_url: str, items: int, stdout_bytes: int, fetched: bool
) -> None:
    runs = [{"code": BIG_OUTPUT, "fetch_files": ["f"]}] * items
    results = _post(small_batch_url, "/v1/run", {"runs": runs}).json()["results"]
    for result in results:
        assert len(result["run_result"]["stdout"]) == stdout_bytes
        assert ("f" in result["files"]) is fetched
        assert fetched or "f" in result["message"]
