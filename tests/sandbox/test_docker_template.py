"""The docker backend's Python template: a forked step is what a fresh interpreter would be, and serves one submission.

Every program of the table runs twice on the real engine, as a fork of the template
(``fork_python=True``) and as a fresh ``python3`` (``fork_python=False``); the two must
agree on exit code, signal, stdout and stderr. The rest checks the template's boundary:
steps cannot reach it, and the next submission gets a new one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.backend import Job, Step, StepResult
from sandbox.docker import DockerBackend
from sandbox.policy import Policy
from tests.sandbox.docker_engine import docker_backend, hostname_of

pytestmark = [pytest.mark.docker, pytest.mark.integration]

PYTHON = ("/usr/bin/python3", "-I", "-S", "-B")
POLICY = Policy(wall_time_s=10.0, cpu_time_s=5.0, memory_mb=256, max_processes=32)
WHO = "import sys, __main__\nprint(sys.argv, sys.orig_argv, sorted(vars(__main__)), getattr(__main__, '__file__', 0))\n"
SEES = (
    WHO + "print(type(__loader__), __spec__, __doc__, __package__, sys.path, sys.flags, sys.executable)\n"
    "print(sorted(sys.modules))\n"
    "import os\nprint(sorted(os.environ.items()), os.getcwd(), os.umask(0), os.getuid() == os.geteuid() != 0)\n"
    "print(sys.stdin, sys.stdout, sys.stderr, sys.stdin.seekable(), sys.stdout.line_buffering, sys.stdin.read())\n"
    "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n"
    "print(os.getpgid(0) == os.getsid(0) == os.getpid())\n"
    "import resource\n"
    "print([resource.getrlimit(getattr(resource, n)) for n in dir(resource) if n.startswith('RLIMIT_')])\n"
    "print(sorted(k for k in dir(__builtins__)))\n"
)
THREADS = (
    "import threading, time, atexit\natexit.register(print, 'atexit ran')\n"
    "threading.Thread(target=lambda: (time.sleep(0.2), print('thread done'))).start()\nprint('main done')"
)
PROGRAMS = {  # name -> (argv after the flags, files, stdin)
    "file_sees": (("main.py", "a", "b"), {"main.py": SEES}, b"input"),
    "command_sees": (("-c", SEES, "x"), {}, b"input"),
    "exit_code": (("main.py",), {"main.py": "import sys\nprint('out')\nsys.exit(3)"}, b""),
    "exit_message": (("main.py",), {"main.py": "import sys\nsys.exit('bad input')"}, b""),
    "exit_none": (("-c", "raise SystemExit(None)"), {}, b""),
    "traceback": (("main.py",), {"main.py": "def f(x):\n    return 1 / x\n\nprint(f(0))\n"}, b""),
    "chained_traceback": (
        ("-c", "try:\n    {}['k']\nexcept KeyError as e:\n    raise ValueError('v') from e"),
        {},
        b"",
    ),
    "syntax_error": (("main.py",), {"main.py": "def f(:\n    pass\n"}, b""),
    "missing_file": (("nope.py",), {}, b""),
    "directory_script": (("pkg",), {"pkg/__main__.py": "import sys\nprint('from', sys.argv)"}, b""),
    "killed_by_signal": (("-c", "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)"), {}, b""),
    "keyboard_interrupt": (("-c", "raise KeyboardInterrupt"), {}, b""),
    "threads_and_atexit": (("main.py",), {"main.py": THREADS}, b""),
    "unflushed_output": (("-c", "import sys\nsys.stdout.write('no newline')\nsys.stderr.write('err')"), {}, b""),
    "stdin_lines": (("main.py",), {"main.py": "import sys\nprint(sum(int(x) for x in sys.stdin))"}, b"1\n2\n3\n"),
    "coding_cookie": (("main.py",), {"main.py": "# -*- coding: latin-1 -*-\nprint('\xe9')"}, b""),
    "recursion": (
        ("-c", "import sys\nsys.setrecursionlimit(5000)\nf = lambda n: n and f(n - 1)\nprint(f(4000))"),
        {},
        b"",
    ),
}


def encode(files: dict[str, str]) -> dict[str, bytes]:
    return {path: text.encode("latin-1" if "latin-1" in text else "utf-8") for path, text in files.items()}


@pytest.fixture(scope="module")
def backends() -> Iterator[dict[bool, DockerBackend]]:
    made = {fork: docker_backend(pool_size=1, fork_python=fork) for fork in (True, False)}
    yield made
    for backend in made.values():
        backend.close()


def run(backend: DockerBackend, *steps: Step, files: dict[str, bytes] | None = None) -> list[StepResult]:
    return list(backend.run(Job(files or {}, steps, "python")))


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_forked_step_yields_what_a_fresh_interpreter_does(backends: dict[bool, DockerBackend], name: str) -> None:
    args, files, stdin = PROGRAMS[name]
    step = Step((*PYTHON, *args), stdin, POLICY)
    seen = {fork: run(backend, step, files=encode(files))[0] for fork, backend in backends.items()}
    forked, fresh = seen[True], seen[False]
    assert (forked.exit_code, forked.signal, forked.limit) == (fresh.exit_code, fresh.signal, fresh.limit), seen
    assert forked.stdout == fresh.stdout
    assert forked.stderr == fresh.stderr


def test_forked_step_yields_the_template_command_line(backends: dict[bool, DockerBackend]) -> None:
    # The one trace of the fork a program can see: /proc/self/cmdline is the template's.
    probe = "print(b'rlvr-' + b'template' in open('/proc/self/cmdline', 'rb').read())"
    step = Step((*PYTHON, "-c", probe), policy=POLICY)
    assert run(backends[False], step)[0].stdout == b"False\n"
    assert run(backends[True], step)[0].stdout == b"True\n"


REACH_TEMPLATE = """import os, signal
parent = os.getppid()
for what, attempt in (
    ("kill", lambda: os.kill(parent, signal.SIGKILL)),
    ("stop", lambda: os.kill(parent, signal.SIGSTOP)),
    ("mem", lambda: open(f"/proc/{parent}/mem", "rb").read(1)),
    ("environ", lambda: open(f"/proc/{parent}/environ", "rb").read()),
    ("fds", lambda: os.listdir(f"/proc/{parent}/fd")),
):
    try:
        attempt()
        print(what, "reached")
    except PermissionError:
        print(what, "denied")
"""


def test_step_reaching_for_the_template_yields_permission_denied(backends: dict[bool, DockerBackend]) -> None:
    (result,) = run(backends[True], Step((*PYTHON, "-c", REACH_TEMPLATE), policy=POLICY))
    assert result.stdout.decode().split() == [
        "kill",
        "denied",
        "stop",
        "denied",
        "mem",
        "denied",
        "environ",
        "denied",
        "fds",
        "denied",
    ]


def test_state_a_step_leaves_in_its_interpreter_yields_nothing_to_the_next_step(
    backends: dict[bool, DockerBackend],
) -> None:
    plant = Step(
        (*PYTHON, "-c", "import builtins, sys\nbuiltins.planted = 1\nsys.modules['json'] = 'x'"), policy=POLICY
    )
    look = Step((*PYTHON, "-c", "import builtins, sys\nprint(hasattr(builtins, 'planted'), 'json' in sys.modules)"))
    assert run(backends[True], plant, look)[1].stdout == b"False False\n"


# Scans its own memory (what it inherited from the template included) for "zq" + 32 hex digits
# hashing to the digest in d.txt: the secret is never in this program's own text.
SCAN = """import hashlib, re, sys
digest = open('d.txt').read()
found = 0
with open('/proc/self/maps') as maps, open('/proc/self/mem', 'rb', 0) as mem:
    for line in maps:
        span, perms = line.split()[:2]
        if not perms.startswith('r') or '[vvar]' in line or '[vsyscall]' in line:
            continue
        start, end = (int(x, 16) for x in span.split('-'))
        try:
            mem.seek(start)
            data = mem.read(end - start)
        except OSError:
            continue
        found += sum(hashlib.sha256(m).hexdigest() == digest for m in re.findall(rb'zq([0-9a-f]{32})', data))
print('found', found)
"""


def test_secret_of_one_submission_yields_nothing_in_the_next_ones_memory(backends: dict[bool, DockerBackend]) -> None:
    import hashlib
    import secrets

    backend = backends[True]
    host = hostname_of(backend)
    secret = secrets.token_hex(16)
    holds = f"import sys\nkept = 'zq{secret}' + sys.stdin.read() + open('s.txt').read()\nprint(len(kept))"
    planted = run(
        backend,
        Step((*PYTHON, "-c", holds), f"zq{secret}".encode(), POLICY),
        files={"s.txt": f"zq{secret}".encode()},
    )
    assert planted[0].ok
    digest = {"d.txt": hashlib.sha256(secret.encode()).hexdigest().encode()}
    (own,) = run(backend, Step((*PYTHON, "-c", holds + "\n" + SCAN), b"", POLICY), files={"s.txt": b"", **digest})
    assert own.ok and b"found 0" not in own.stdout, own  # the scan does find a secret in its own memory
    (later,) = run(backend, Step((*PYTHON, "-c", SCAN), b"", POLICY), files=digest)
    assert hostname_of(backend) == host  # the same warm container, the same template
    assert later.stdout == b"found 0\n", later


ROOT_PIDS = "import os\nprint([p for p in os.listdir('/proc') if p.isdigit() and not os.stat('/proc/' + p).st_uid])"


def test_steps_of_any_kind_yield_the_same_template_to_later_submissions(backends: dict[bool, DockerBackend]) -> None:
    backend = backends[True]
    look = Step((*PYTHON, "-c", ROOT_PIDS), policy=POLICY)
    (before,) = run(backend, look)
    litter = Step(("/bin/sh", "-c", "sleep 60 & echo started"), policy=POLICY)  # not Python, and a leftover
    run(backend, litter, look)
    (after,) = run(backend, look)
    assert before.stdout.count(b",") == 1, before  # the agent (1) and the template
    assert after.stdout == before.stdout  # spared by the kills and the wipe: no start paid by the next submission
