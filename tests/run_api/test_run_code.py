"""POST /run_code on a real server, on every backend: SandboxFusion's outcomes, files, 4xx that say what to fix."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.run_api.conftest import b64

pytestmark = pytest.mark.integration

CPP_DOUBLE = '#include <cstdio>\nint main(){int x; scanf("%d",&x); printf("%d\\n", 2*x);}'

# body, top status, compile_result (None, or its status and return code), run_result status, return code
OUTCOMES: list[tuple[str, dict[str, Any], str, tuple[str, int | None] | None, str | None, int | None]] = [
    ("success_no_language", {"code": "print(6*7)"}, "Success", None, "Finished", 0),
    ("stdin", {"code": "print(int(input())+1)", "language": "python", "stdin": "41"}, "Success", None, "Finished", 0),
    ("exit_code", {"code": "import sys; sys.exit(3)", "language": "python"}, "Failed", None, "Finished", 3),
    ("assert", {"code": "assert 1 == 2", "language": "python"}, "Failed", None, "Finished", 1),
    ("syntax_error", {"code": "def f(:\n  pass", "language": "python"}, "Failed", None, "Finished", 1),
    ("killed_by_signal", {"code": "import os; os.kill(os.getpid(), 9)"}, "Failed", None, "Finished", -9),
    ("run_timeout", {"code": "while True: pass", "run_timeout": 1}, "Failed", None, "TimeLimitExceeded", None),
    ("memory", {"code": "x = bytearray(1 << 30)", "memory_limit_MB": 128}, "Failed", None, "Finished", None),
    ("output_flood", {"code": "while True: print('x' * 4096)", "run_timeout": 5}, "Failed", None, "Finished", None),
    ("cpp", {"code": CPP_DOUBLE, "language": "cpp", "stdin": "21"}, "Success", ("Finished", 0), "Finished", 0),
    ("cpp_compile_error", {"code": "int main(){ return 0", "language": "cpp"}, "Failed", ("Finished", 1), None, None),
    ("nodejs", {"code": "console.log(1 + 1)", "language": "nodejs"}, "Success", None, "Finished", 0),
    ("bash", {"code": "echo $((6*7))", "language": "bash"}, "Success", None, "Finished", 0),
]


@pytest.mark.parametrize(
    ("body", "status", "compiled", "run_status", "return_code"),
    [pytest.param(*row[1:], id=row[0]) for row in OUTCOMES],
)
def test_program_outcome_yields_sandboxfusion_status(
    url: str,
    body: dict[str, Any],
    status: str,
    compiled: tuple[str, int | None] | None,
    run_status: str | None,
    return_code: int | None,
) -> None:
    response = httpx.post(f"{url}/run_code", json=body, timeout=60)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["status"] == status, result
    assert result["message"] == ""
    if compiled is None:
        assert result["compile_result"] is None
    else:
        assert (result["compile_result"]["status"], result["compile_result"]["return_code"]) == compiled
    if run_status is None:
        assert result["run_result"] is None
        return
    run = result["run_result"]
    assert run["status"] == run_status
    assert isinstance(run["stdout"], str) and isinstance(run["stderr"], str)
    assert run["execution_time"] is not None
    if return_code is not None or run_status == "TimeLimitExceeded":
        assert run["return_code"] == return_code
    else:  # killed at a limit: whatever the code, never a success
        assert run["return_code"] not in (0, None)


def test_success_yields_stdout_verbatim(url: str) -> None:
    result = httpx.post(f"{url}/run_code", json={"code": "print(' a ', end='\\n\\n')\n"}, timeout=60).json()
    assert result["run_result"]["stdout"] == " a \n\n"


def test_syntax_error_yields_traceback_in_stderr(url: str) -> None:
    result = httpx.post(f"{url}/run_code", json={"code": "def f(:\n  pass"}, timeout=60).json()
    assert "SyntaxError" in result["run_result"]["stderr"]


def test_timeout_yields_partial_output(url: str) -> None:
    code = "import time\nprint('before', flush=True)\ntime.sleep(30)"
    result = httpx.post(f"{url}/run_code", json={"code": code, "run_timeout": 1}, timeout=60).json()
    assert result["run_result"]["status"] == "TimeLimitExceeded"
    assert result["run_result"]["stdout"] == "before\n"
    assert result["run_result"]["execution_time"] < 10


def test_files_in_and_fetch_files_out_yield_base64_contents(url: str) -> None:
    code = "data = open('data/in.txt').read()\nopen('out.txt', 'w').write(data.upper())\nprint(data)"
    body = {
        "code": code,
        "files": {"data/in.txt": b64(b"hello"), "skipped.txt": None, "x_IGNORE_THIS_FILE": b64(b"no")},
        "fetch_files": ["out.txt", "data/in.txt", "never-written.txt"],
    }
    result = httpx.post(f"{url}/run_code", json=body, timeout=60).json()
    assert result["status"] == "Success", result
    assert result["run_result"]["stdout"] == "hello\n"
    fetched = {k: base64.b64decode(v) for k, v in result["files"].items()}
    assert fetched == {"out.txt": b"HELLO", "data/in.txt": b"hello"}


def test_fetch_of_a_fifo_yields_it_left_out_and_named(url: str) -> None:
    body = {"code": "import os\nos.mkfifo('pipe')\nopen('ok.txt', 'w').write('1')", "fetch_files": ["pipe", "ok.txt"]}
    result = httpx.post(f"{url}/run_code", json=body, timeout=60).json()
    assert result["status"] == "Success"
    assert result["files"] == {"ok.txt": b64(b"1")}
    assert "pipe" in result["message"]


def test_uploaded_files_yield_nothing_of_the_host(url: str) -> None:
    code = "import os\nprint(sorted(os.listdir('.')))\nprint(os.path.exists('/work'), os.path.exists('/root/.ssh'))"
    result = httpx.post(f"{url}/run_code", json={"code": code, "files": {"a.txt": b64(b"a")}}, timeout=60).json()
    assert result["run_result"]["stdout"] == "['a.txt', 'main.py']\nFalse False\n"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"language": "python"}, "code"),
        ({"code": "1", "language": "php"}, "not available"),
        ({"code": "1", "files": {"/etc/passwd": b64(b"x")}}, "relative path"),
        ({"code": "1", "files": {"../up.txt": b64(b"x")}}, "relative path"),
        ({"code": "1", "files": {"a.txt": "not base64!"}}, "base64"),
        ({"code": "1", "files": {"main.py": b64(b"x")}}, "program itself"),
        ({"code": "1", "fetch_files": ["/etc/shadow"]}, "relative path"),
        ({"code": "1", "run_timeout": 0}, "run_timeout"),
        ({"code": "1", "run_timeout": "soon"}, "run_timeout"),
        ({"code": "1", "memory_limit_MB": False}, "memory_limit_MB"),
        ({"code": "1", "memory_limit_MB": "512"}, "memory_limit_MB"),
    ],
    ids=[
        "no_code", "language", "abs_file", "dotdot_file", "bad_base64", "source_name", "abs_fetch", "zero", "text",
        "bool_memory", "text_memory",
    ],
)
def test_malformed_request_yields_422_saying_what_to_fix(local_url: str, body: dict[str, Any], says: str) -> None:
    response = httpx.post(f"{local_url}/run_code", json=body, timeout=30)
    assert response.status_code == 422
    assert says in response.json()["error"]


def test_ping_yields_pong(local_url: str) -> None:
    assert httpx.get(f"{local_url}/v1/ping", timeout=10).json() == "pong"


def test_runs_yield_metrics(local_url: str) -> None:
    httpx.post(f"{local_url}/run_code", json={"code": "print(1)"}, timeout=60)
    metrics = httpx.get(f"{local_url}/metrics", timeout=10).text
    assert 'rlvr_runs_total{language="python",status="Success"}' in metrics
    assert "rlvr_runs_queued 0.0" in metrics
