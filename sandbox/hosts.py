"""Job hosts: long-lived bubblewrap sandboxes, each serving many jobs one after another, every job in fresh namespaces.

A host's runner (sandbox/_runner.py ``serve_jobs``) is a *template*: started once, with
its modules imported, it never runs anything of a job. For each job it forks the job's
runner straight into new user, pid, mount, IPC, network and UTS namespaces (clone(2)):
PID 1 of the new pid namespace, which mounts its own /tmp, /dev/shm, /box and
/proc and serves the job as a fresh sandbox's runner would. So a job pays neither a
bubblewrap start nor a Python start. The job's runner is put in the job's cgroup before
it makes anything (its pid comes by SCM_CREDENTIALS); killing it ends the job's pid
namespace. A host takes a job only once the last one's namespace is gone and nothing but
itself is left in its own; it serves at most ``MAX_JOBS`` jobs, then is torn down.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import select
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sandbox import bwrap
from sandbox.errors import SandboxError

log = logging.getLogger(__name__)
MAX_JOBS = 256  # per host: what a host could carry from job to job is bounded in time too
HOST_TMPFS_BYTES = 1 << 20  # the host's own tmpfs are only mount points: each job mounts its own
MARSHAL_VERSION = 4
UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid


@dataclass
class Host:
    """A job host's sandbox and how many jobs it has taken."""

    box: bwrap.Sandbox
    served: int = 0
    idle_since: float = 0.0

    def alive(self) -> bool:
        """Its bwrap (and so its template runner) still runs."""
        return self.box.process.poll() is None


class HostJob:
    """One job's runner in a host: its control socket; ``kill`` ends the job and hands the host back."""

    def __init__(self, hosts: JobHosts, host: Host, control: socket.socket, pidfd: int) -> None:
        self._hosts, self._host, self.control, self._pidfd = hosts, host, control, pidfd
        self.closed = False

    def bwrap_stderr(self) -> str:
        """What the host's bubblewrap or runners said on stderr, for error messages."""
        return self._host.box.bwrap_stderr()

    def kill(self) -> None:
        """SIGKILL the job's runner (its pid namespace dies with it); the host may take the next job."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        os.close(self._pidfd)
        self.control.close()
        self._hosts.give_back(self._host)


class JobHosts:
    """Idle job hosts of one backend; ``open`` runs a job in one, starting a host when none is idle."""

    def __init__(self, bwrap_path: str, python: str) -> None:
        self._bwrap, self._python = bwrap_path, python
        self._idle: list[Host] = []
        self._lock = threading.Lock()
        self._closed = False
        self.problem: str | None = None  # why jobs cannot run in hosts here (then each job starts its own sandbox)
        self.started = 0  # hosts started so far

    def open(self, tmp_bytes: int, harness: bool, attach: Callable[[Iterable[int]], None] | None) -> HostJob | None:
        """A job's runner in a host, in the job's cgroup (``attach``) and ready for its files and steps.

        None if hosts cannot serve jobs on this machine (``problem`` says why) or the host
        died under the job: the caller starts a sandbox of its own.
        """
        if self.problem is not None:
            return None
        host = self._take()
        if host is None:
            return None
        try:
            return self._job(host, tmp_bytes, harness, attach)
        except SandboxError as exc:
            host.box.kill()
            if host.served == 1:  # a fresh host that cannot make its first job: no host here can
                self.problem = f"job hosts unavailable ({exc}): every job starts a sandbox of its own"
                log.warning("local sandbox: %s", self.problem)
            else:  # e.g. it found a process of an earlier job left in its namespace, and ended
                log.warning("local sandbox: a job host failed after %d jobs (%s); it is replaced", host.served, exc)
            return None

    def _take(self) -> Host | None:
        with self._lock:
            while self._idle:
                host = self._idle.pop()
                if host.alive():
                    return host
                host.box.kill()
        try:
            box = bwrap.start(self._bwrap, self._python, {}, HOST_TMPFS_BYTES, None, host=True)
        except SandboxError as exc:
            self.problem = f"job hosts unavailable ({exc}): every job starts a sandbox of its own"
            log.warning("local sandbox: %s", self.problem)
            return None
        self.started += 1
        return Host(box)

    def _job(
        self, host: Host, tmp_bytes: int, harness: bool, attach: Callable[[Iterable[int]], None] | None
    ) -> HostJob:
        """Have ``host`` fork a job's runner; attach it to the job's cgroup, then let it start."""
        host.served += 1
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pidfd = -1
        try:
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            message = marshal.dumps({"tmp_bytes": tmp_bytes, "harness": harness}, MARSHAL_VERSION)
            socket.send_fds(host.box.control, [message], [theirs.fileno()])
            theirs.close()
            said, pid = _receive(ours)
            if said.get("job") is not True or pid <= 0:
                raise SandboxError(f"the job host made no job: {said.get('setup_error') or host.box.bwrap_stderr()}")
            pidfd = os.pidfd_open(pid)
            if attach is not None:
                attach((pid,))
            ours.send(b"go")
            said, _ = _receive(ours)
            if "pid" not in said:
                raise SandboxError(f"the job's runner did not start: {said.get('setup_error') or 'no message'}")
        except BaseException as exc:
            theirs.close()
            ours.close()
            if pidfd >= 0:
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                os.close(pidfd)
            if isinstance(exc, OSError):
                raise SandboxError(f"the job host failed: {exc}") from exc
            raise
        return HostJob(self, host, ours, pidfd)

    def give_back(self, host: Host) -> None:
        """A host whose job is over: idle again, or torn down when it has served MAX_JOBS (or the backend closed)."""
        with self._lock:
            if not self._closed and host.served < MAX_JOBS and host.alive():
                host.idle_since = time.monotonic()
                self._idle.append(host)
                return
        host.box.kill()

    def idle(self) -> list[int]:
        """The pids of the bubblewrap processes of the hosts waiting for a job."""
        with self._lock:
            return [host.box.process.pid for host in self._idle]

    def close_idle(self, idle_s: float, keep: int) -> None:
        """Tear down the hosts idle for more than ``idle_s``, but the ``keep`` last used."""
        now = time.monotonic()
        with self._lock:  # taken from the end: the last used are last in the list
            stale = [h for h in self._idle[: max(0, len(self._idle) - keep)] if now - h.idle_since > idle_s]
            self._idle = [h for h in self._idle if all(h is not s for s in stale)]
        for host in stale:
            host.box.kill()

    def close(self) -> None:
        """Tear down the idle hosts; a host still serving a job is torn down when it is given back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for host in idle:
            host.box.kill()


def _receive(sock: socket.socket) -> tuple[dict[str, Any], int]:
    """The next message on a job's socket and its sender's pid (in our pid namespace); ({}, 0) if none came."""
    if not select.select([sock], [], [], bwrap.START_TIMEOUT_S)[0]:
        return {}, 0
    data, ancdata, _, _ = sock.recvmsg(1 << 16, socket.CMSG_SPACE(UCRED.size))
    pid = 0
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS and len(payload) >= UCRED.size:
            pid = UCRED.unpack_from(payload)[0]
    return (marshal.loads(data) if data else {}), pid
