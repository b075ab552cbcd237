"""The sandbox behaviour matrix: every backend, the same programs, the exact result expected."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from sandbox.backend import Backend, Job, StepResult
from sandbox.policy import Policy
from tests.sandbox.conftest import FAST, python_step, run_python

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

REPO = Path(__file__).resolve().parents[2]


FAILED = -1  # exit_code and signal: "died somehow" (a MemoryError exit under rlimits, an OOM kill under cgroups)


@dataclass(frozen=True)
class Expect:
    """The exact result a program must produce."""

    exit_code: int | None = 0
    signal: int | None = None
    limit: str | None = None
    stdout: bytes | None = None
    stdout_truncated: bool = False


def check(result: StepResult, expect: Expect) -> None:
    """Assert every field of ``expect`` (stdout only when given)."""
    exit_code, sig = result.exit_code, result.signal
    if expect.exit_code == FAILED:
        assert not result.ok, result
        exit_code, sig = FAILED, expect.signal
    got = Expect(exit_code, sig, result.limit, result.stdout if expect.stdout is not None else None,
                 result.stdout_truncated)
    assert got == expect, f"stderr={result.stderr[-500:]!r} notes={result.notes}"


MATRIX = [
    ("print", 'print("hello")', b"", FAST, Expect(stdout=b"hello\n")),
    ("stdin_echo", "import sys; sys.stdout.write(sys.stdin.read()[::-1])", b"abc\n12", FAST,
     Expect(stdout=b"21\ncba")),
    ("nonzero_exit", "import sys; sys.exit(3)", b"", FAST, Expect(exit_code=3)),
    ("killed_by_signal", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)", b"", FAST,
     Expect(exit_code=None, signal=signal.SIGSEGV)),
    ("sleep_past_wall_time", "import time; time.sleep(60)", b"", replace(FAST, wall_time_s=1.0),
     Expect(exit_code=None, signal=signal.SIGKILL, limit="wall_time")),
    ("cpu_burn", "while True: pass", b"", replace(FAST, cpu_time_s=1.0, wall_time_s=20.0),
     Expect(exit_code=None, signal=signal.SIGXCPU, limit="cpu_time")),
    ("memory_bomb", "a = []\nwhile True: a.append(b'x' * (1 << 20))", b"", replace(FAST, memory_mb=128),
     Expect(exit_code=FAILED, limit="memory")),
    ("thread_bomb", "import threading, time\nwhile True: threading.Thread(target=time.sleep, args=(1,)).start()", b"",
     replace(FAST, max_processes=16), Expect(exit_code=1, limit="processes")),
    ("disk_fill", "n = 0\nwhile True:\n    open(f'/tmp/f{n}', 'wb').write(b'x' * (1 << 20)); n += 1", b"",
     replace(FAST, memory_mb=512), Expect(exit_code=1)),
    ("fork_bomb", "import os\nwhile True: os.fork()", b"", replace(FAST, max_processes=16, wall_time_s=10.0),
     Expect(exit_code=1, limit="processes")),
    ("file_too_big", "open('big', 'wb').write(b'x' * (8 << 20))", b"", replace(FAST, max_file_bytes=1 << 20),
     Expect(exit_code=1, limit="file_size")),
    ("huge_stdout", "import sys\nwhile True: sys.stdout.write('x' * 65536)", b"",
     replace(FAST, max_output_bytes=1 << 16),
     Expect(exit_code=None, signal=signal.SIGKILL, limit="output", stdout=b"x" * (1 << 16), stdout_truncated=True)),
    ("write_outside_work_dir",
     "import os\nfor p in ('/usr/evil', '/evil', '/etc/evil', '/proc/evil', '/dev/evil', '../evil'):\n"
     "    try:\n        open(p, 'w').write('x'); print('WROTE', p)\n    except OSError:\n        pass\n"
     "open('inside.txt', 'w').write('ok'); print(open('inside.txt').read())", b"", FAST, Expect(stdout=b"ok\n")),
]


@pytest.mark.parametrize(("source", "stdin", "policy", "expect"), [row[1:] for row in MATRIX],
                         ids=[row[0] for row in MATRIX])
def test_program_yields_exact_result(backend: Backend, source: str, stdin: bytes, policy: Policy,
                                     expect: Expect) -> None:
    check(run_python(backend, source, stdin, policy), expect)


def test_fork_bomb_leaves_the_machine_usable(backend: Backend) -> None:
    run_python(backend, "import os\nwhile True: os.fork()", policy=replace(FAST, max_processes=16))
    assert subprocess.run(["true"], check=False).returncode == 0
    check(run_python(backend, "print('alive')"), Expect(stdout=b"alive\n"))


def test_network_beyond_loopback_yields_connection_refused(backend: Backend) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        source = ("import socket\nnames = sorted(n for _, n in socket.if_nameindex())\n"
                  f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2); print('CONNECTED')\n"
                  "except OSError:\n    print('blocked', *names)\n")
        check(run_python(backend, source), Expect(stdout=b"blocked lo\n"))


def test_orphaned_daemon_yields_nothing_alive_after_its_step(backend: Backend) -> None:
    marker = f"rlvr{uuid.uuid4().hex[:11]}"  # the daemon's name (comm): a forked step's command line is its init's
    daemon = (f"import ctypes, os, time\nctypes.CDLL(None).prctl(15, {marker.encode()!r}, 0, 0, 0)\n"  # PR_SET_NAME
              "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
              "        while True:\n            open('ticks', 'a').write('t'); time.sleep(0.02)\n"
              "    os._exit(0)\nwhile not os.path.exists('ticks'): time.sleep(0.01)\n")
    watcher = ("import os, time\nbefore = os.path.getsize('ticks'); time.sleep(0.5)\n"
               "print('gone' if os.path.getsize('ticks') == before else 'alive')\n")
    job = Job({}, (python_step(daemon), python_step(watcher)), "python")
    first, second = list(backend.run(job))
    check(first, Expect())
    check(second, Expect(stdout=b"gone\n"))
    leftovers = [p for p in Path("/proc").glob("[0-9]*/comm") if _reads(p).count(marker.encode())]
    assert leftovers == []


def _reads(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_tmp_of_an_earlier_job_yields_nothing_in_the_next(backend: Backend) -> None:
    name = f"rlvr-{uuid.uuid4().hex}"
    writer = f"open('/tmp/{name}', 'w').write('x'); open('{name}', 'w').write('x'); print('written')"
    check(run_python(backend, writer), Expect(stdout=b"written\n"))
    reader = f"import os\nprint(os.path.exists('/tmp/{name}'), os.path.exists('{name}'), os.listdir('/tmp'))"
    check(run_python(backend, reader), Expect(stdout=b"False False []\n"))


def test_host_environment_secret_yields_nothing_inside(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = f"s3cr3t-{uuid.uuid4().hex}"
    monkeypatch.setenv("RLVR_FAKE_API_KEY", secret)
    assert os.environ["RLVR_FAKE_API_KEY"] == secret
    source = (f"import os\nprint(any('{secret}' in k + v for k, v in os.environ.items()),"
              " 'RLVR_FAKE_API_KEY' in os.environ)")
    check(run_python(backend, source), Expect(stdout=b"False False\n"))


FINGERPRINT = """import hashlib, json, os, sys
def fingerprint(path):
    \"\"\"A directory's listing or a file's sha256: what a program could learn about it.\"\"\"
    try:
        if os.path.isdir(path):
            return sorted(os.listdir(path))
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except FileNotFoundError:
        return None
    except OSError:
        return "unreadable"
"""
REPORT = "print(json.dumps({p: fingerprint(p) for p in json.loads(sys.stdin.read())}))\n"


def test_host_files_yield_nothing_inside(backend: Backend) -> None:
    candidates = [REPO, REPO / ".venv", REPO / "pyproject.toml", Path("/work"), Path("/root"), Path("/root/.cargo"),
                  Path("/root/.pyenv"), Path("/etc/shadow"), Path("/home")]
    present = [str(p) for p in candidates if p.exists()]
    host = {p: json.loads(_fingerprint_on_host(p)) for p in present}
    result = run_python(backend, FINGERPRINT + REPORT, json.dumps(present).encode())
    check(result, Expect(stdout=result.stdout))
    inside = json.loads(result.stdout)
    same = [p for p in present if inside[p] is not None and inside[p] == host[p]]
    assert same == [], "host files visible in the sandbox (same content inside as on the host)"


def _fingerprint_on_host(path: str) -> str:
    scope: dict[str, object] = {}
    exec(FINGERPRINT, scope)
    return json.dumps(scope["fingerprint"](path))  # type: ignore[operator]
