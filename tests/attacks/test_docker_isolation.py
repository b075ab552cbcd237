"""Attacks on the docker backend's isolation (issue 12 classes 2, 3, 5), each a real program on the real engine.

Class 2: a program reaches a process not its own (the agent, PID 1; the judge harness beside
its peer) or sees the host. Class 3: a process outlives its step and reads a later test's
stdin. Class 5: CPU split over processes escapes the CPU limit. Class 7 (a warm container
carrying state into the next submission) is in test_docker_warm_state.py.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.docker import DockerBackend
from sandbox.judge import Limits, Options, judge, parse_tests
from sandbox.policy import Policy
from tests.attacks.docker_programs import PYTHON, python, run
from tests.sandbox.docker_engine import docker_backend

pytestmark = [pytest.mark.docker, pytest.mark.integration]

REPO = str(Path(__file__).resolve().parents[2])
CANARY = f"rlvr-canary-{uuid.uuid4().hex}"

# Each attack, run against process `pid`, raises OSError when refused.
ATTACKS = {
    "kill": "os.kill(pid, signal.SIGKILL)",
    "ptrace": "refused(libc.ptrace(16, pid, 0, 0))",  # PTRACE_ATTACH
    "list_fds": "os.listdir(f'/proc/{pid}/fd')",
    "read_stdin": "open(f'/proc/{pid}/fd/0', 'rb').read()",
    "read_environ": "open(f'/proc/{pid}/environ', 'rb').read()",
    "read_memory": "open(f'/proc/{pid}/mem', 'rb').read(1)",
    "write_stderr": "open(f'/proc/{pid}/fd/2', 'w').write('Traceback')",
}
ATTACK = """import ctypes, os, signal
libc = ctypes.CDLL(None, use_errno=True)
def refused(rc):
    if rc == -1:
        raise OSError(ctypes.get_errno(), "refused")
def uid_of(pid):
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("Uid:"))
others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
harness = [p for p in others if uid_of(p) not in (0, os.getuid())]
pid = TARGET
try:
    ATTACK
    print("SUCCEEDED", flush=True)
except OSError as exc:
    print("refused", exc.errno, flush=True)
"""
# The harness side of a peer step: a secret in its private TMPDIR, a go to the peer, its report back.
HARNESS = """import os
with open(os.path.join(os.environ["TMPDIR"], "secret"), "w") as fh:
    fh.write("expected output")
os.write(3, b"go\\n")
os.close(3)
report = b""
while chunk := os.read(4, 4096):
    report += chunk
with open(os.path.join(os.environ["TMPDIR"], "secret")) as fh:
    intact = fh.read() == "expected output"
print(report.decode().strip(), "| harness alive, secret intact" if intact else "| secret changed")
"""
# What a peer may try on the files of its harness and of the job.
FILE_ATTACKS = {
    "read_harness_tmp": "open(glob.glob('/tmp/.harness-*')[0] + '/secret').read()",
    "write_harness_tmp": "open(glob.glob('/tmp/.harness-*')[0] + '/planted.py', 'w').write('x')",
    "overwrite_job_file": "open('/box/judge.py', 'w').write('print(\"pass\")')",
    "replace_job_file": "os.rename('/box/mine', '/box/judge.py')",
    "remove_job_file": "os.unlink('/box/judge.py')",
}
FILE_ATTACK = """import glob, os
open('/box/mine', 'w').write('forged')
input()
try:
    {attack}
    print("SUCCEEDED", flush=True)
except OSError as exc:
    print("refused", exc.errno, flush=True)
"""


@pytest.fixture(scope="module")
def pooled() -> Iterator[DockerBackend]:
    made = docker_backend(pool_size=1)
    yield made
    made.close()


def attacking(target: str, attack: str) -> str:
    return ATTACK.replace("TARGET", target).replace("    ATTACK", "    " + ATTACKS[attack])


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_program_attacking_the_agent_yields_refused(pooled: DockerBackend, attack: str) -> None:
    (result,) = run(pooled, python(attacking("1", attack)))
    assert result.stdout.startswith(b"refused"), result


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_peer_attacking_its_harness_yields_refused(pooled: DockerBackend, attack: str) -> None:
    peer = (PYTHON, "-c", "input()\n" + attacking("harness[0]", attack))
    (result,) = run(pooled, python(HARNESS, peer=peer))
    assert result.stdout.startswith(b"refused"), result
    assert result.stdout.endswith(b"| harness alive, secret intact\n"), result


@pytest.mark.parametrize("attack", sorted(FILE_ATTACKS))
def test_peer_writing_what_its_harness_reads_yields_refused(pooled: DockerBackend, attack: str) -> None:
    peer = (PYTHON, "-c", FILE_ATTACK.format(attack=FILE_ATTACKS[attack]))
    (result,) = run(pooled, python(HARNESS, peer=peer), files={"judge.py": b"print('judge')\n"})
    assert result.stdout.startswith(b"refused"), result
    assert result.stdout.endswith(b"| harness alive, secret intact\n"), result


def test_program_looking_for_the_host_yields_only_its_own_environment(pooled: DockerBackend) -> None:
    os.environ["RLVR_ATTACK_CANARY"] = CANARY  # were the service's environment passed on, this would show
    try:
        source = (
            "import json, os\n"
            "seen = {'environ': dict(os.environ)}\n"
            "for path in ('/proc/1/cmdline', '/proc/self/mountinfo', '/proc/1/mountinfo', '/proc/1/environ'):\n"
            "    try:\n"
            "        seen[path] = open(path, 'rb').read().decode(errors='replace')\n"
            "    except OSError as exc:\n"
            "        seen[path] = f'refused {exc.errno}'\n"
            "print(json.dumps(seen))\n"
        )
        (result,) = run(pooled, python(source))
    finally:
        del os.environ["RLVR_ATTACK_CANARY"]
    seen = json.loads(result.stdout)
    assert set(seen["environ"]) == {"PATH", "HOME", "LANG", "TMPDIR"}
    assert seen["/proc/1/environ"] == "refused 13"
    everything = result.stdout.decode()
    assert CANARY not in everything and REPO not in everything


SPY = """import os, signal, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for sig in range(1, 32):
            try:
                signal.signal(sig, signal.SIG_IGN)
            except (OSError, ValueError):
                pass
        open('/tmp/spy', 'wb').close()
        end = time.monotonic() + 5
        while time.monotonic() < end:
            for p in os.listdir('/proc'):
                try:
                    data = open(f'/proc/{p}/fd/0', 'rb').read()
                except OSError:
                    continue
                with open('/tmp/spy', 'ab') as fh:
                    fh.write(data)
    os._exit(0)
while not os.path.exists('/tmp/spy'):
    time.sleep(0.01)
print('spy started')
"""


def test_process_left_by_a_step_yields_nothing_of_the_next_tests_stdin(pooled: DockerBackend) -> None:
    secret = b"expected 4242 for test 2"
    # processes of steps' uids (the agent and the Python template are root's)
    listing = (
        "import os; print(open('/tmp/spy', 'rb').read(), "
        "len([p for p in os.listdir('/proc') if p.isdigit() and os.stat(f'/proc/{p}').st_uid]))"
    )
    spy, test, after = run(
        pooled,
        python(SPY),
        python("import time, sys; time.sleep(0.5); print(len(sys.stdin.read()))", stdin=secret),
        python(listing),
    )
    assert spy.stdout == b"spy started\n" and test.stdout == f"{len(secret)}\n".encode()
    assert after.stdout == b"b'' 1\n"  # the spy saw only its own step, and is gone: only this one is left


FORKED = """import os, time
r, w = os.pipe()
for _ in range({children}):
    if os.fork() == 0:
        end = time.process_time() + {each_s}
        while time.process_time() < end:
            pass
        os.write(w, b"x")
        os._exit(0)
got = b""
while len(got) < {children}:
    got += os.read(r, 64)
print("answer", len(got))
"""
CPU_LIMITED = Policy(wall_time_s=30.0, cpu_time_s=1.0, memory_mb=256, max_processes=32)


@pytest.mark.parametrize(
    ("children", "each_s", "limit"),
    [
        (1, 1.6, "cpu_time"),  # one child over the limit, never waited for
        (8, 0.25, "cpu_time"),  # the same work split over children never waited for
        (4, 30.0, "cpu_time"),  # children that would spin until the wall limit: stopped on CPU
        (8, 0.02, None),  # an honest program with helpers well under the limit
    ],
)
def test_cpu_split_over_processes_yields_the_limit_of_the_whole(
    pooled: DockerBackend, children: int, each_s: float, limit: str | None
) -> None:
    (result,) = run(pooled, python(FORKED.format(children=children, each_s=each_s), policy=CPU_LIMITED))
    assert result.limit == limit, result
    assert result.cpu_time_s is not None
    if limit is None:
        assert result.stdout == f"answer {children}\n".encode()
    else:
        assert result.cpu_time_s > CPU_LIMITED.cpu_time_s
        assert result.wall_time_s < CPU_LIMITED.wall_time_s / 2  # stopped on CPU, not at wall time


# The same attacks from inside a judged solution: the peer of the harness that runs the tests.
SOLUTION_ATTACKING_THE_HARNESS = """
import ctypes, glob, os, signal
libc = ctypes.CDLL(None, use_errno=True)
for p in [int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()]:
    for attempt in (lambda: os.kill(p, signal.SIGKILL), lambda: libc.ptrace(16, p, 0, 0),
                    lambda: open(f'/proc/{p}/fd/0', 'rb').read(), lambda: open(f'/proc/{p}/fd/1', 'w').write('pass')):
        try:
            attempt()
        except OSError:
            pass
for d in glob.glob('/tmp/.harness-*'):
    try:
        open(d + '/unittest.py', 'w').write('raise SystemExit(0)')
    except OSError:
        pass
def add(a, b):
    return a OP b
"""
ADD_HUMANEVAL = {"test": "def check(candidate):\n    assert candidate(1, 2) == 3\n", "entry_point": "add"}
ADD_CALL = {"fn_name": "add", "inputs": [[1, 2], [20, 22]], "outputs": [3, 42]}


@pytest.mark.parametrize("suite", [ADD_HUMANEVAL, ADD_CALL], ids=["humaneval", "call"])
@pytest.mark.parametrize(("op", "score"), [("+", 1.0), ("-", 0.0)], ids=["right", "wrong"])
def test_solution_attacking_its_harness_yields_its_own_judged_score(
    pooled: DockerBackend, suite: dict, op: str, score: float
) -> None:
    source = SOLUTION_ATTACKING_THE_HARNESS.replace("OP", op)
    result = judge(source, parse_tests(suite), pooled, options=Options(limits=Limits(time_s=5.0)))
    assert result.score == score, result.summary()
    assert all(r.verdict in ("AC", "WA") for r in result.results), result.summary()
