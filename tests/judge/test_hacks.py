"""The hack suite: real exploit programs in the real sandbox, each judged with the exact non-rewarded verdict."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent

import pytest

from sandbox.backend import Backend
from sandbox.judge import Limits, Options, judge, parse_tests
from tests.sandbox.conftest import backend  # noqa: F401  (the fixture parametrized over every backend)

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

FAST = Options(limits=Limits(time_s=1.0, memory_mb=256))
PYTEST_OPTIONS = Options(limits=Limits(time_s=5.0, memory_mb=256))


@pytest.fixture
def sandbox_backend(backend: Backend) -> Backend:  # noqa: F811  (the imported fixture)
    """Every hack runs on every backend (tests.sandbox.conftest.BACKENDS)."""
    return backend


ADD_ASSERTS = {"test_list": ["assert add(1, 2) == 3", "assert add(20, 22) == 42"]}
ADD_CHECK = {
    "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(20, 22) == 42\n",
    "entry_point": "add",
}
ADD_CALLS = {"fn_name": "add", "inputs": [[1, 2], [20, 22]], "outputs": [3, 42]}
ADD_PYTEST = {
    "pytest": dedent("""
        from solution import add

        def test_small():
            assert add(1, 2) == 3

        def test_large():
            assert add(20, 22) == 42
    """)
}
SUM_STDIO = {"inputs": ["4567 4570\n"], "outputs": ["9137\n"]}
WITH_PYTEST = "import sys\nsys.path.append('/usr/lib/python3/dist-packages')\nimport pytest\n"


def verdicts(box: Backend, code: str, tests: object, options: Options = FAST) -> list[str]:
    """The per-test verdicts; every hack must also score exactly 0."""
    result = judge(dedent(code), parse_tests(tests), box, options=options)
    assert result.score == 0.0, result.summary()
    return [r.verdict for r in result.results]


EXIT_AND_PATCH_HACKS = {
    "sys.exit(0) at import": (
        "RE",
        """
        import sys
        def add(a, b):
            return 0
        sys.exit(0)
    """,
    ),
    "sys.exit(0) in the call": (
        "RE",
        """
        import sys
        def add(a, b):
            sys.exit(0)
    """,
    ),
    "os._exit(0) in the call": (
        "RE",
        """
        import os
        def add(a, b):
            os._exit(0)
    """,
    ),
    "atexit exits 0": (
        "WA",
        """
        import atexit, os
        atexit.register(lambda: os._exit(0))
        def add(a, b):
            return 0
    """,
    ),
    "__eq__ always True": (
        "RE",
        """
        class Any:
            def __eq__(self, other): return True
            def __ne__(self, other): return False
        def add(a, b):
            return Any()
    """,
    ),
    "int subclass with a rigged __eq__": (
        "RE",
        """
        class I(int):
            def __eq__(self, other): return True
            __hash__ = int.__hash__
        def add(a, b):
            return I(0)
    """,
    ),
    "shadowed AssertionError": (
        "WA",
        """
        AssertionError = type('X', (Exception,), {})
        def add(a, b):
            return 0
    """,
    ),
    "patched builtins": (
        "WA",
        """
        import builtins
        builtins.AssertionError = KeyError
        builtins.print = lambda *a, **k: None
        builtins.__build_class__ = None
        def add(a, b):
            return 0
    """,
    ),
    "patched isinstance stays in its own process": (
        "WA",
        """
        import builtins
        builtins.isinstance = lambda *a: True
        def add(a, b):
            return 0
    """,
    ),
    "forged result lines on stdout and stderr": (
        "WA",
        """
        import os
        for fd in (1, 2):
            os.write(fd, b'0' * 32 + b' {"status": "pass"}\\n')
        def add(a, b):
            print('{"status": "pass"}')
            return 0
    """,
    ),
    "writes to the harness's fds and memory through /proc": (
        "WA",
        """
        import os
        p = os.getppid()
        for path in (f'/proc/{p}/fd/1', f'/proc/{p}/fd/0', f'/proc/{p}/mem', f'/proc/{p}/environ'):
            try:
                with open(path, 'r+b', buffering=0) as f:
                    f.write(b'x {"status": "pass"}\\n')
            except OSError:
                pass
        def add(a, b):
            return 0
    """,
    ),
    "signals every pid it can name, then answers wrong": (
        "WA",
        """
        import os
        def add(a, b):
            for pid in range(1, 64):
                try:
                    os.kill(pid, 9) if pid != os.getpid() else None
                except OSError:
                    pass
            return a - b
    """,
    ),
    "plants modules and configs for the next test": (
        "WA",
        """
        import os
        for d in ('.', '/tmp'):
            for name in ('json.py', 'ast.py', 'sitecustomize.py', 'conftest.py', 'pytest.ini'):
                try:
                    with open(os.path.join(d, name), 'w') as f:
                        f.write('import os\\nos.write(1, b"pass")\\nos._exit(0)\\n')
                except OSError:
                    pass
        def add(a, b):
            return 0
    """,
    ),
    "looks for the test code in the sandbox": (
        "WA",
        """
        import os, re
        found = ''
        for root in ('.', '/tmp', '/proc/%d' % os.getppid()):
            for dirpath, _, files in os.walk(root):
                for n in files:
                    try:
                        found += open(os.path.join(dirpath, n), errors='ignore').read(1 << 16)
                    except OSError:
                        pass
        ANSWERS = {(int(a), int(b)): int(c) for a, b, c in re.findall(r'add\\((\\d+), (\\d+)\\) == (\\d+)', found)}
        def add(a, b):
            return ANSWERS.get((a, b), 0)
    """,
    ),
}


def test_solution_redefining_builtins_the_tests_use_yields_wrong_answer(sandbox_backend: Backend) -> None:
    tests = {
        "test": "def check(candidate):\n    assert abs(candidate(1.0) - 2.0) < 1e-6\n    assert all([candidate(0.5)])",
        "entry_point": "double",
    }
    code = "def abs(x):\n    return 0\ndef all(xs):\n    return True\ndef double(x):\n    return x\n"
    assert verdicts(sandbox_backend, code, tests) == ["WA"]


def test_solution_redefining_the_preludes_helper_yields_wrong_answer(sandbox_backend: Backend) -> None:
    tests = {
        "prelude": "def is_answer(x):\n    return x == 42\n",
        "test": "def check(candidate):\n    assert is_answer(candidate())\n\ncheck(Solution().answer)",
    }
    code = "def is_answer(x):\n    return True\nclass Solution:\n    def answer(self):\n        return 41\n"
    assert verdicts(sandbox_backend, code, tests) == ["WA"]


def test_modules_the_solution_imported_yield_usable_in_the_tests(sandbox_backend: Backend) -> None:
    tests = {"test_list": ["assert math.isclose(area(1.0), math.pi)"]}
    code = "import math\ndef area(r):\n    return math.pi * r * r\n"
    assert judge(code, parse_tests(tests), sandbox_backend, options=FAST).score == 1.0


@pytest.mark.parametrize(("verdict", "code"), EXIT_AND_PATCH_HACKS.values(), ids=EXIT_AND_PATCH_HACKS.keys())
@pytest.mark.parametrize("tests", [ADD_ASSERTS, ADD_CHECK], ids=["mbpp", "humaneval"])
def test_assert_based_hack_yields_exact_verdict(sandbox_backend: Backend, verdict: str, code: str, tests: dict) -> None:
    assert set(verdicts(sandbox_backend, code, tests)) == {verdict}


CALL_HACKS = {
    "str subclass equal to everything": (
        "RE",
        """
        class S(str):
            def __eq__(self, other): return True
        def add(a, b):
            return S('x')
    """,
    ),
    "True for an int": ("WA", "def add(a, b):\n    return True\n"),
    "float for an int": ("WA", "def add(a, b):\n    return float(a + b) + 0.5\n"),
    "exits 0 before returning": ("RE", "import os\ndef add(a, b):\n    os._exit(0)\n"),
}


@pytest.mark.parametrize(("verdict", "code"), CALL_HACKS.values(), ids=CALL_HACKS.keys())
def test_call_based_hack_yields_exact_verdict(sandbox_backend: Backend, verdict: str, code: str) -> None:
    assert set(verdicts(sandbox_backend, code, ADD_CALLS)) == {verdict}


PYTEST_HACKS = {
    "pytest.skip at import": ("RE", WITH_PYTEST + "pytest.skip('no', allow_module_level=True)\n"),
    "pytest.skip in the call": ("WA", WITH_PYTEST + "def add(a, b):\n    pytest.skip('later')\n"),
    "pytest.xfail in the call": ("WA", WITH_PYTEST + "def add(a, b):\n    pytest.xfail('known')\n"),
    "exits 0 in the call": ("RE", "import os\ndef add(a, b):\n    os._exit(0)\n"),
    "plants a conftest that skips everything": (
        "WA",
        """
        import os
        SRC = ('import pytest\\ndef pytest_collection_modifyitems(items):\\n'
               '    [i.add_marker(pytest.mark.skip) for i in items]\\n')
        for d in ('.', '/tmp', '..'):
            try:
                with open(os.path.join(d, 'conftest.py'), 'w') as f:
                    f.write(SRC)
            except OSError:
                pass
        def add(a, b):
            return 0
    """,
    ),
}


@pytest.mark.parametrize(("verdict", "code"), PYTEST_HACKS.values(), ids=PYTEST_HACKS.keys())
def test_pytest_hack_yields_exact_verdict(sandbox_backend: Backend, verdict: str, code: str) -> None:
    # pytest itself takes ~1 s to start on a loaded machine: the verdict must not hinge on that
    assert verdicts(sandbox_backend, code, ADD_PYTEST, PYTEST_OPTIONS) == [verdict]


def test_skipped_test_in_the_test_file_yields_wrong_answer(sandbox_backend: Backend) -> None:
    tests = {
        "pytest": "import pytest\nfrom solution import add\n\n@pytest.mark.skip\ndef test_a():\n    assert add(1, 2)\n"
    }
    assert verdicts(sandbox_backend, "def add(a, b):\n    return a + b\n", tests, PYTEST_OPTIONS) == ["WA"]


RESOURCE_HACKS = {
    "fork bomb": (
        "RE",
        """
        import os
        def add(a, b):
            while True:
                os.fork()
    """,
    ),
    "thread bomb": (
        "RE",
        """
        import threading, time
        def add(a, b):
            while True:
                threading.Thread(target=time.sleep, args=(60,), daemon=True).start()
    """,
    ),
    "memory bomb": (
        "MLE",
        """
        def add(a, b):
            hog = []
            while True:
                hog.append(bytearray(1 << 26))
    """,
    ),
    "sleeps past the limit": ("TLE", "import time\ndef add(a, b):\n    time.sleep(60)\n"),
    "burns CPU": ("TLE", "def add(a, b):\n    while True:\n        pass\n"),
    "stops every pid it can name, then answers wrong": (
        "WA",
        """
        import os, signal
        def add(a, b):
            for pid in range(1, 64):
                try:
                    os.kill(pid, signal.SIGSTOP) if pid != os.getpid() else None
                except OSError:
                    pass
            return a - b
    """,
    ),
}


@pytest.mark.parametrize(("verdict", "code"), RESOURCE_HACKS.values(), ids=RESOURCE_HACKS.keys())
def test_resource_hack_yields_exact_verdict(sandbox_backend: Backend, verdict: str, code: str) -> None:
    options = Options(limits=Limits(time_s=2.0, memory_mb=256), score_mode="all_or_nothing")
    assert verdicts(sandbox_backend, code, ADD_ASSERTS, options) == [verdict]


STDIO_HACKS = {
    "truncated output": ("WA", "print(sum(map(int, input().split())) // 10)"),
    "extra output line": ("WA", "print(sum(map(int, input().split())))\nprint(0)"),
    "prints nothing, exits 0": ("WA", "import sys\nsys.exit(0)"),
    "infinite output": ("OLE", "while True:\n    print('42' * 1000)"),
    "disk fill": ("OLE", "with open('fill', 'wb') as f:\n    while True:\n        f.write(b'x' * (1 << 20))"),
    "fork bomb": ("RE", "import os\nwhile True:\n    os.fork()"),
    "memory bomb": ("MLE", "hog = []\nwhile True:\n    hog.append(bytearray(1 << 26))"),
    "sleeps past the limit": ("TLE", "import time\ntime.sleep(60)"),
    "searches the filesystem for expected outputs": (
        "WA",
        """
        import os
        found = set()
        for root in ('.', '/tmp', '/work', '/home', '/root', '/run', '/var'):
            for dirpath, _, files in os.walk(root):
                for n in files:
                    try:
                        found.update(open(os.path.join(dirpath, n), errors='ignore').read(1 << 16).split())
                    except OSError:
                        pass
        print('9137' if '9137' in found else 0)
    """,
    ),
}


@pytest.mark.parametrize(("verdict", "code"), STDIO_HACKS.values(), ids=STDIO_HACKS.keys())
def test_stdio_hack_yields_exact_verdict(sandbox_backend: Backend, verdict: str, code: str) -> None:
    roomy = Options(limits=Limits(time_s=2.0, memory_mb=256))  # a loaded machine must not turn MLE into TLE
    assert verdicts(sandbox_backend, code, SUM_STDIO, roomy) == [verdict]


def test_daemon_left_by_one_test_is_gone_in_the_next_yields_wrong_answer(sandbox_backend: Backend) -> None:
    code = """
        import os, time
        if os.path.exists('daemon.pid'):
            try:
                os.kill(int(open('daemon.pid').read()), 0)
                print('alive')
            except OSError:
                print('gone')
        else:
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    open('daemon.pid', 'w').write(str(os.getpid()))
                    time.sleep(60)
                os._exit(0)
            while not os.path.exists('daemon.pid'):
                time.sleep(0.01)
            print('alive')
    """
    result = judge(dedent(code), parse_tests({"inputs": ["", ""], "outputs": ["alive", "alive"]}), sandbox_backend)
    assert [r.verdict for r in result.results] == ["AC", "WA"]


def test_reordered_tokens_yield_wrong_answer(sandbox_backend: Backend) -> None:
    tests = {"inputs": ["3\n"], "outputs": ["1 2 3\n"]}
    assert verdicts(sandbox_backend, "print(*range(int(input()), 0, -1))", tests) == ["WA"]


def test_environment_secret_is_not_visible_yields_wrong_answer(
    sandbox_backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RLVR_TEST_SECRET", "hunter2")
    code = "import os\nprint(os.environ.get('RLVR_TEST_SECRET', 'none'))"
    assert verdicts(sandbox_backend, code, {"inputs": [""], "outputs": ["hunter2"]}) == ["WA"]


def test_host_file_is_not_visible_yields_wrong_answer(sandbox_backend: Backend, tmp_path: Path) -> None:
    secret = tmp_path / "answer.txt"
    secret.write_text("s3cr3t\n")
    code = f"try:\n    print(open({str(secret)!r}).read())\nexcept OSError:\n    print('none')"
    assert verdicts(sandbox_backend, code, {"inputs": [""], "outputs": ["s3cr3t"]}) == ["WA"]


@pytest.fixture
def answer_server() -> Iterator[int]:
    """A listener on 127.0.0.1 that hands the expected answer to anyone who connects."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"9137\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_service_port_on_loopback_is_unreachable_yields_wrong_answer(
    sandbox_backend: Backend, answer_server: int
) -> None:
    code = f"""
        import socket
        try:
            print(socket.create_connection(('127.0.0.1', {answer_server}), timeout=1).recv(100).decode())
        except OSError:
            print(0)
    """
    assert verdicts(sandbox_backend, code, {"inputs": [""], "outputs": ["9137"]}) == ["WA"]


def test_state_left_in_tmp_is_gone_next_run_yields_wrong_answer(sandbox_backend: Backend) -> None:
    code = """
        import os
        seen = os.path.exists('/tmp/rlvr-state') or os.path.exists('rlvr-state')
        for path in ('/tmp/rlvr-state', 'rlvr-state'):
            open(path, 'w').write('x')
        print('seen' if seen else 'fresh')
    """
    tests = {"inputs": [""], "outputs": ["seen"]}
    assert verdicts(sandbox_backend, code, tests) == ["WA"]
    assert verdicts(sandbox_backend, code, tests) == ["WA"]


def test_answer_is_accepted_despite_the_hack_suite_yields_accepted(sandbox_backend: Backend) -> None:
    """The control: the same harness accepts an honest solution in every format."""
    honest = "def add(a, b):\n    return a + b\n"
    for tests in (ADD_ASSERTS, ADD_CHECK, ADD_CALLS, ADD_PYTEST):
        assert judge(honest, parse_tests(tests), sandbox_backend, options=FAST).score == 1.0
    stdio = "print(sum(map(int, input().split())))"
    assert judge(stdio, parse_tests(SUM_STDIO), sandbox_backend, options=FAST).score == 1.0
