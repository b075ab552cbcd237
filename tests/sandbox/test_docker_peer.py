"""Step.peer on the docker backend: the pipes between a step and its peer, and the peer's lifetime and limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.backend import Job, Step, StepResult
from sandbox.docker import DockerBackend
from sandbox.policy import Policy
from tests.sandbox.docker_engine import docker_backend

pytestmark = [pytest.mark.docker, pytest.mark.integration]

PYTHON = "/usr/bin/python3"
POLICY = Policy(wall_time_s=20.0, cpu_time_s=1.0, memory_mb=256, max_processes=16)
# The step's side: send the peer a line on fd 3, print what comes back on fd 4, and its own uid.
ASK = "import os\nos.write(3, b'20 22\\n')\nos.close(3)\nprint(os.read(4, 100), os.getuid() > 0)\n"
ADD = "import sys\nprint(sum(map(int, input().split())))\nprint('noise', file=sys.stderr)\n"


@pytest.fixture(scope="module")
def backend() -> Iterator[DockerBackend]:
    made = docker_backend(pool_size=1)
    yield made
    made.close()


def peer_step(harness: str, peer: str, policy: Policy = POLICY) -> Job:
    return Job({}, (Step((PYTHON, "-c", harness), policy=policy, peer=(PYTHON, "-c", peer)),))


def run(backend: DockerBackend, job: Job) -> StepResult:
    (result,) = backend.run(job)
    return result


def test_peer_answering_on_its_stdout_yields_the_answer_on_fd_4_and_no_stderr(backend: DockerBackend) -> None:
    result = run(backend, peer_step(ASK, ADD))
    assert result.ok and result.stdout == b"b'42\\n' True\n" and result.stderr == b"", result


def test_peer_running_on_after_the_step_ends_yields_a_prompt_result_and_no_survivor(backend: DockerBackend) -> None:
    result = run(backend, peer_step("print('done')", "import time\ntime.sleep(60)"))
    assert result.ok and result.wall_time_s < 5 and not result.notes, result
    # the agent and the submission's Python template are root's; any process of a step is not
    count = "import os\nprint(len([p for p in os.listdir('/proc') if p.isdigit() and os.stat(f'/proc/{p}').st_uid]))"
    (after,) = backend.run(Job({}, (Step((PYTHON, "-c", count)),)))
    assert after.stdout == b"1\n"  # this one


@pytest.mark.parametrize(
    ("side", "limit"),
    [("peer", "cpu_time"), ("step", "cpu_time"), ("neither", None)],
)
def test_cpu_spent_by_either_side_yields_the_steps_cpu_limit(backend: DockerBackend, side: str, limit: str) -> None:
    spin = "while True:\n    pass\n"
    harness = (spin if side == "step" else "") + "import os\nos.read(4, 1)\nprint('peer ended')\n"
    peer = spin if side == "peer" else "print('ok')"
    result = run(backend, peer_step(harness, peer))
    assert result.limit == limit, result
    assert (result.cpu_time_s or 0) > POLICY.cpu_time_s if limit else result.stdout == b"peer ended\n"


def test_peer_that_cannot_be_executed_yields_eof_on_fd_4_and_a_note(backend: DockerBackend) -> None:
    job = Job({}, (Step((PYTHON, "-c", "import os\nprint(os.read(4, 10))"), policy=POLICY, peer=("./missing",)),))
    result = run(backend, job)
    assert result.stdout == b"b''\n"
    assert any(note.startswith("peer exec failed") for note in result.notes), result
