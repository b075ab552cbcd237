"""Attacks on the docker backend's warm pool (issue 12 class 7): state left for the next submission.

A submission leaves what it can (files in every writable dir, a detached process, /dev/shm,
400 MiB of SysV shared memory, a semaphore set, a message queue, a POSIX queue); the next
one on the same warm container must find none of it, and an honest 400 MiB allocation must
not hit MLE because of it. What the wipe cannot remove sends the container away.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.docker import DockerBackend
from tests.attacks.docker_programs import POLICY, python, run
from tests.sandbox.docker_engine import docker_backend, hostname_of

pytestmark = [pytest.mark.docker, pytest.mark.integration]

LITTER = """import ctypes, os, subprocess
libc = ctypes.CDLL(None, use_errno=True)
def ok(rc):
    assert rc != -1, os.strerror(ctypes.get_errno())
    return rc
open('/tmp/trace', 'w').write('x')
open('/box/trace', 'w').write('x')
with open('/dev/shm/trace', 'wb') as fh:
    fh.write(b'x' * (8 << 20))
shm = ok(libc.shmget(0, 400 << 20, 0o1600))  # IPC_PRIVATE, IPC_CREAT | 0600
libc.shmat.restype = ctypes.c_void_p
ctypes.memset(libc.shmat(shm, None, 0), 1, 400 << 20)  # touched: 400 MiB charged to the container
ok(libc.semget(0, 1, 0o1600))
queue = ok(libc.msgget(0, 0o1600))
ok(libc.msgsnd(queue, b"\\x01\\0\\0\\0\\0\\0\\0\\0secret", 6, 0))
ok(libc.mq_open(b'/trace', os.O_CREAT | os.O_RDWR, 0o600, None))
subprocess.Popen(['/bin/sh', '-c', 'sleep 300'], start_new_session=True)
print('littered')
"""
INSPECT = """import os
for path in ('/box', '/tmp', '/dev/shm', '/dev/mqueue'):
    print(path, sorted(os.listdir(path)))
for kind in ('shm', 'sem', 'msg'):
    print(kind, len(open(f'/proc/sysvipc/{kind}').readlines()) - 1)
uids = [os.stat(f'/proc/{p}').st_uid for p in os.listdir('/proc') if p.isdigit()]
print('processes', len(uids) - uids.count(0), 'root', uids.count(0))
"""
# Of steps' uids, only this one; root's: the agent and the Python template started for this submission.
CLEAN = b"/box []\n/tmp []\n/dev/shm []\n/dev/mqueue []\nshm 0\nsem 0\nmsg 0\nprocesses 1 root 2\n"
HONEST_400_MIB = "x = bytearray(400 << 20)\nprint('allocated')"
DEEP_NEST = "import os\nfor _ in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\nprint('nested')"


@pytest.fixture
def warm() -> Iterator[DockerBackend]:
    made = docker_backend(pool_size=1, max_jobs_per_container=100)
    yield made
    made.close()


def test_submission_after_one_that_littered_yields_a_clean_container_and_no_mle(warm: DockerBackend) -> None:
    host = hostname_of(warm)
    (littered,) = run(warm, python(LITTER))
    assert littered.stdout == b"littered\n", littered
    (inspected,) = run(warm, python(INSPECT))
    (honest,) = run(warm, python(HONEST_400_MIB))
    assert hostname_of(warm) == host  # the same warm container served all of them
    assert inspected.stdout == CLEAN
    assert honest.ok and honest.stdout == b"allocated\n", honest


def test_leftover_the_wipe_cannot_remove_yields_a_fresh_container(warm: DockerBackend) -> None:
    host = hostname_of(warm)
    (nested,) = run(warm, python(DEEP_NEST, policy=POLICY))
    assert nested.stdout == b"nested\n", nested
    (inspected,) = run(warm, python(INSPECT))
    assert inspected.stdout == CLEAN
    assert hostname_of(warm) != host
