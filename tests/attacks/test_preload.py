"""Boundary job → job host's template → the next job: the judge's code a host loads ahead (sandbox.backend.Preload).

An attacker who has read sandbox/hosts.py (``_load``) and sandbox/_runner.py (``preload``):
a host's template holds the harness and peer programs, their definitions run, and the two
bootstraps, compiled, and every job's runner is a fork of it; a submission finds them in
``sys.rlvr_preloaded`` and the runner's ``COMPILED``. It rewrites every one of them, in place
and by swapping, for code that prints a passing result line for whatever job reads it: from a
plain program, from the solution (the peer) and from the tests (the harness side). The next
job on the same host must run the harness as the judge sent it: a wrong solution fails, an
honest one passes.
"""

from __future__ import annotations

import hashlib
import subprocess
import textwrap

import pytest

from sandbox.backend import Job
from sandbox.judge import judge, parse_tests
from sandbox.judge.program import Limits, harness_preload, plan
from sandbox.languages import resolve
from sandbox.local import LocalBackend
from tests.sandbox.conftest import python_step

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

SUITE = {"test": "def check(candidate):\n    assert candidate(3) == 9\n", "entry_point": "square"}
HONEST = "def square(x):\n    return x * x\n"
WRONG = "def square(x):\n    return x + x\n"
# a harness whose main skips the real one's input and prints a pass for the job's nonce; a bootstrap that does the same
FORGED_HARNESS = (
    "import sys, json\n"
    "def main():\n"
    "    i = sys.stdin.buffer\n"
    "    i.read(int.from_bytes(i.read(4), 'little'))\n"
    "    print(json.loads(i.read())['nonce'] + ' {\"status\": \"pass\"}')\n"
)
FORGED_BOOTSTRAP = (
    "import sys, json\n"
    "i = sys.stdin.buffer\n"
    "v, n, m = i.readline().decode().rsplit(' ', 2)\n"
    "i.read(int(n) + int(m))\n"
    "i.read(int.from_bytes(i.read(4), 'little'))\n"
    "print(json.loads(i.read())['nonce'] + ' {\"status\": \"pass\"}')\n"
)
TAMPER = f"""
import sys, __main__
forged = {{}}
exec(compile({FORGED_HARNESS!r}, '<harness>', 'exec'), forged)
forged_bootstrap = compile({FORGED_BOOTSTRAP!r}, '<string>', 'exec')
preloaded, compiled = sys.rlvr_preloaded, __main__.COMPILED
assert len(preloaded) == 2 and len(compiled) >= 2, (len(preloaded), len(compiled))  # found, else the job fails
for key, namespace in list(preloaded.items()):
    namespace['main'] = forged['main']  # the loaded namespace, rewritten in place
    preloaded[key] = forged  # and swapped
for key in list(compiled):
    compiled[key] = forged_bootstrap
"""


def _tamper_as(where: str, backend: LocalBackend) -> str:
    """Run TAMPER ``where`` on ``backend``: "ran" if it did (found the preload and swapped it), else what happened."""
    if where == "plain program":
        (result,) = backend.run(Job({}, (python_step(TAMPER + "print('ran')\n"),)))
        return result.stdout.decode().strip() or result.stderr.decode()[-300:]
    if where == "solution":
        judged = judge(TAMPER + HONEST, parse_tests(SUITE), backend)
    else:
        test = SUITE["test"].replace("(candidate):\n", "(candidate):\n" + textwrap.indent(TAMPER, "    "))
        judged = judge(HONEST, parse_tests({**SUITE, "test": test}), backend)
    return "ran" if judged.score == 1.0 else judged.summary()


def test_a_harness_job_runs_on_the_preloaded_harness(one_host: LocalBackend) -> None:
    judge(HONEST, parse_tests(SUITE), one_host)  # the host's template loads the judge's preload
    probe = "import sys, hashlib\nprint(sorted(hashlib.sha256(k).hexdigest() for k in sys.rlvr_preloaded))"
    (result,) = one_host.run(Job({}, (python_step(probe),)))
    loaded = harness_preload(resolve("python").run_argv()[0])
    assert result.stdout.decode().strip() == str(sorted(hashlib.sha256(code).hexdigest() for code in loaded.code))


@pytest.mark.parametrize("where", ["plain program", "solution", "tests"])
def test_preloaded_code_rewritten_by_a_job_yields_the_next_job_its_own_verdict(
    where: str, one_host: LocalBackend
) -> None:
    judge(HONEST, parse_tests(SUITE), one_host)  # the host's template loads the judge's preload
    assert _tamper_as(where, one_host) == "ran"
    assert judge(WRONG, parse_tests(SUITE), one_host).score == 0.0
    assert judge(HONEST, parse_tests(SUITE), one_host).score == 1.0


def test_the_forged_bootstrap_would_pass_a_wrong_solution() -> None:
    """The swap has teeth: on a wrong solution's step (our own forged code, outside the sandbox) it signs a pass."""
    planned = plan(WRONG, parse_tests(SUITE), "python", Limits())
    (step,) = planned.job.steps
    done = subprocess.run([step.argv[0], "-I", "-S", "-c", FORGED_BOOTSTRAP], input=step.stdin, capture_output=True)
    assert done.stdout.decode() == f'{planned.nonces[0]} {{"status": "pass"}}\n'
