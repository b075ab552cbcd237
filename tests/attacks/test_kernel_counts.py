"""Boundary program → kernel counts every sandbox of the service's uid shares → other jobs.

The kernel counts namespaces per user (``/proc/sys/user/max_*_namespaces``), and every
sandbox, job host and job runs as the same host uid. An attacker who has read
sandbox/_runner.py knows its Python program runs as a fork of its space's init: it
creates user, mount, IPC, UTS and network namespaces and holds each by a descriptor,
after trying to raise its space's own limits. Left unbounded, a few seconds of this use up
the machine-wide count, and every other job's sandbox (a job host's next job, a fresh bwrap)
fails to start: ``null`` verdicts that a program caused. Each space must refuse it early,
and a mount or network namespace at once (REFUSED).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.backend import Backend
from sandbox.local import LocalBackend
from sandbox.policy import Policy
from tests.sandbox.conftest import run_python

pytestmark = [pytest.mark.integration]

TRIES = 400  # far below the machine's count (~96k here), far above what a job needs
ENOSPC = 28
POLICY = Policy(wall_time_s=20.0, cpu_time_s=10.0, memory_mb=512, max_processes=32)
KINDS = ("user", "mnt", "ipc", "uts", "net")
FLAGS = {"user": 0x10000000, "mnt": 0x00020000, "ipc": 0x08000000, "uts": 0x04000000, "net": 0x40000000}
# kinds a program may not make at all: with one it could mount (a bind mount propagated into sixty copies held the
# kernel's mount lock, every job's, for seconds a call: outside round) or take RTNL, which every job's sandbox needs
REFUSED = ("mnt", "net")
BOMB = """
import array, ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
KIND, FLAG, TRIES = {kind!r}, {flag}, {tries}
libc.prctl(4, 1, 0, 0, 0)  # dumpable: /proc/self is ours again
for name in os.listdir('/proc/sys/user') if os.path.isdir('/proc/sys/user') else []:
    try:  # raise the space's own limits first, if it may
        with open(f'/proc/sys/user/{{name}}', 'w') as f:
            f.write('1000000')
    except OSError:
        pass
def own_userns():
    uid, gid = os.geteuid(), os.getegid()
    if libc.unshare(0x10000000) != 0:
        return ctypes.get_errno()
    libc.prctl(4, 1, 0, 0, 0)
    for name, text in (('setgroups', 'deny'), ('uid_map', f'0 {{uid}} 1'), ('gid_map', f'0 {{gid}} 1')):
        with open(f'/proc/self/{{name}}', 'w') as f:
            f.write(text)
    return 0
held, err = [], 0
if KIND == 'user':  # each child makes one and hands it back
    while len(held) < TRIES and not err:
        here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        if os.fork() == 0:
            made = libc.unshare(FLAG) == 0
            fds = [os.open('/proc/self/ns/user', os.O_RDONLY)] if made else []
            rights = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', fds))] if fds else []
            there.sendmsg([str(0 if made else ctypes.get_errno()).encode()], rights)
            os._exit(0)
        msg, anc, _, _ = here.recvmsg(16, socket.CMSG_SPACE(4))
        os.wait()
        err = int(msg)
        held += [array.array('i', data)[0] for _, _, data in anc]
        here.close(); there.close()
else:  # root of one namespace of its own, then as many of KIND as it can hold
    err = own_userns()
    while len(held) < TRIES and not err:
        if libc.unshare(FLAG) != 0:
            err = ctypes.get_errno()
        else:
            held.append(os.open(f'/proc/self/ns/{{KIND}}', os.O_RDONLY))
print(len(held), err)
"""


@pytest.fixture(scope="module")
def own_sandboxes() -> Iterator[LocalBackend]:
    """The local backend without job hosts: every job in a bwrap sandbox of its own."""
    backend = LocalBackend(hosts=False)
    yield backend
    backend.close()


@pytest.mark.parametrize("kind", KINDS)
def test_program_hoarding_namespaces_yields_an_early_refusal(backend: Backend, kind: str) -> None:
    _assert_refused_early(backend, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_program_hoarding_namespaces_in_a_sandbox_of_its_own_yields_an_early_refusal(
    own_sandboxes: LocalBackend, kind: str
) -> None:
    _assert_refused_early(own_sandboxes, kind)


def _assert_refused_early(backend: Backend, kind: str) -> None:
    result = run_python(backend, BOMB.format(kind=kind, flag=FLAGS[kind], tries=TRIES), policy=POLICY)
    assert result.exit_code == 0, result.stderr[-2000:]
    made, err = map(int, result.stdout.split())
    assert made < (1 if kind in REFUSED else TRIES), f"held {made} {kind} namespaces: nothing refused them"
    assert err != 0, result.stdout  # a refused kind: none at all, in a user namespace of its own (ENOSPC: the space's
    # bound; docker's seccomp refuses even that one, EPERM)
