"""A ``python3 -I -S -B main.py`` step shows its program what a fresh interpreter would.

The local sandbox forks such a step from its runner's started interpreter
(sandbox/_runner.py fork_script); the same program exec'd through /bin/sh is started
afresh. Each case runs both ways in one backend and compares exit status, stdout and
stderr byte for byte (on docker both are fresh starts: the table holds there too).
"""

from __future__ import annotations

import pytest

from sandbox.backend import Backend, Job, Step, StepResult
from sandbox.languages import resolve
from tests.sandbox.conftest import FAST

pytestmark = [pytest.mark.integration]

PROBE = """
import sys, pickle
main = sys.modules["__main__"]
print(sys.argv, sys.orig_argv, __file__, __name__, __package__, __spec__, __cached__, type(__builtins__))
print(type(__loader__).__name__, __loader__.name, __loader__.path, sys.path, sys.flags)
print(sorted(vars(main)), main is sys.modules["__main__"])
print(sorted(sys.modules))
for s in (sys.stdin, sys.stdout, sys.stderr):
    print(s.name, s.mode, s.encoding, s.errors, s.line_buffering, s.write_through, s.seekable())
class Point:
    pass
print(type(pickle.loads(pickle.dumps(Point()))).__name__)
import os
print(sorted(set(os.environ) - {"PWD"}), sorted(os.listdir("/proc/self/fd")), os.getcwd())  # sh sets PWD
print(sys.stdin.read())
"""
DEPTH = """
import sys
def down(n):
    try:
        return down(n + 1)
    except RecursionError:
        return n
print(sys.getrecursionlimit(), down(1))
sys.setrecursionlimit(3000)
print(sys.getrecursionlimit(), down(1))
sys.setrecursionlimit(60)
print(sys.getrecursionlimit(), down(1))
"""
PROGRAMS: dict[str, str | bytes] = {
    "what the interpreter shows it": PROBE,
    "how deep it may recurse": DEPTH,
    "an exception's traceback": "x = 1\nprint('before')\n1 / 0\n",
    "a syntax error": "x = (\n",
    "sys.exit with a message": "import sys\nsys.exit('bye')\n",
    "sys.exit(True)": "import sys\nsys.exit(True)\n",
    "an exit status past 255": "raise SystemExit(300)\n",
    "an unhandled KeyboardInterrupt": "raise KeyboardInterrupt\n",
    "a thread still running when the main ends": (
        "import threading, time\ndef late():\n    time.sleep(0.2)\n    print('thread')\n"
        "threading.Thread(target=late).start()\nprint('main')\n"
    ),
    "an atexit function": "import atexit\natexit.register(print, 'at exit')\nprint('body')\n",
    "output never flushed": "import sys\nsys.stdout.write('partial')\n",
    "ctypes, which the runner has imported too": "import ctypes\nprint(ctypes.c_int(5).value)\n",
    "the signal dispositions": (
        "import signal\nprint([signal.getsignal(s) for s in "
        "(signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE, signal.SIGXFSZ)])\n"
    ),
    "a coding cookie": b"# -*- coding: latin-1 -*-\nprint('\xe9')\n",
    "a byte order mark": b"\xef\xbb\xbfprint('bom')\n",
}


def run_as(backend: Backend, argv: tuple[str, ...], source: str | bytes) -> StepResult:
    data = source.encode() if isinstance(source, str) else source
    (result,) = backend.run(Job({"main.py": data}, (Step(argv, b"typed in", FAST),), "python"))
    return result


@pytest.mark.parametrize("source", PROGRAMS.values(), ids=PROGRAMS.keys())
def test_forked_script_yields_what_a_fresh_start_yields(backend: Backend, source: str | bytes) -> None:
    argv = resolve("python").run_argv(FAST)
    assert argv[-1] == "main.py"
    forked = run_as(backend, argv, source)
    fresh = run_as(backend, ("/bin/sh", "-c", "exec " + " ".join(argv)), source)
    seen = [(r.exit_code, r.signal, r.limit, r.stdout.decode(), r.stderr.decode()) for r in (forked, fresh)]
    assert seen[0] == seen[1]


LIMITED = {
    "a CPU loop": ("while True:\n    pass\n", ("cpu_time", "wall_time")),
    "memory past the limit": ("x = bytearray(1 << 30)\nprint(len(x))\n", ("memory",)),
    "output past the cap": ("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", ("output",)),
}


@pytest.mark.parametrize(("source", "limits"), LIMITED.values(), ids=LIMITED.keys())
def test_forked_script_over_a_limit_yields_that_limit(backend: Backend, source: str, limits: tuple[str, ...]) -> None:
    result = run_as(backend, resolve("python").run_argv(FAST), source)
    raised = result.exit_code == 1 and b"MemoryError" in result.stderr  # refused by RLIMIT_DATA, without cgroups
    assert result.limit in limits or (limits == ("memory",) and raised)
