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

Made ahead: as soon as a job hands its host back, a background thread has the host make
the next job's runner, of the kind the last job was (tmpfs size, harness or not), in a
fresh cgroup: the wait for the last job's namespace to go, the clone, the mounts, the
cgroup and the space (or peer) leave the next job's critical path. The runner made ahead
has nothing of any job until a job takes it. Any job with tmpfs of its size takes it (a
harness job makes its peer itself if the runner was made for a plain one, a plain job
leaves a peer unused); one with tmpfs of another size is torn down unused.
A job takes an idle host whose runner is made (of its tmpfs size first) if there is one, else the
host that has been making its runner longest. A job that finds no runner made also starts one
more host in the background, while fewer than ``spare`` hosts are idle: making a runner takes
from 2 ms to over 20 ms under load (moving it into its cgroup can wait for an RCU grace period,
measured), so with ``spare`` hosts idle beyond the jobs in flight one slow make does not
hold up the next job.
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
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Any

from sandbox import bwrap
from sandbox.backend import NO_PRELOAD, Preload
from sandbox.cgroups import JobCgroup
from sandbox.errors import SandboxError

log = logging.getLogger(__name__)
MAX_JOBS = 256  # per host: what a host could carry from job to job is bounded in time too
HOST_TMPFS_BYTES = 1 << 20  # the host's own tmpfs are only mount points: each job mounts its own
MARSHAL_VERSION = 4
UCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
AHEAD_WAIT_S = 5.0  # a job waits this long at most for its host's runner being made ahead, then makes its own
Kind = tuple[int, bool]  # of a job's runner: its tmpfs size, and whether it runs the judge harness


@dataclass
class Host:
    """A job host's sandbox and how many jobs it has taken."""

    box: bwrap.Sandbox
    served: int = 0
    idle_since: float = 0.0
    kind: Kind = (0, False)  # of the last job's runner it made: the next job's is made ahead of this kind
    ahead: Future[HostJob | None] | None = None  # the next job's runner, being made or made
    preload: Preload = NO_PRELOAD  # the last job's that had one: its template loads it before it makes a runner
    loaded: Preload = NO_PRELOAD  # what its template has loaded
    retired: bool = False  # torn down: a runner it was making ahead is discarded before anyone can wait on it
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def alive(self) -> bool:
        """Its bwrap (and so its template runner) still runs."""
        return self.box.process.poll() is None


class HostJob:
    """One job's runner in a host: its control socket and cgroup; ``kill`` ends the job and hands the host back."""

    def __init__(
        self, hosts: JobHosts, host: Host, control: socket.socket, pidfd: int, cgroup: JobCgroup | None, kind: Kind
    ) -> None:
        self._hosts, self._host, self.control, self._pidfd = hosts, host, control, pidfd
        self.cgroup, self.kind = cgroup, kind
        self.closed = False

    def bwrap_stderr(self) -> str:
        """What the host's bubblewrap or runners said on stderr, for error messages."""
        return self._host.box.bwrap_stderr()

    @property
    def pidfd(self) -> int:
        """The job's runner's pidfd: readable once the runner, and with it its whole pid namespace, has ended."""
        return self._pidfd

    def stop_runner(self) -> None:
        """SIGKILL the job's runner (its pid namespace dies with it), keeping the job: it is waited for, then asked
        about (``runner_status``)."""
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)

    def runner_status(self) -> int:
        """How the job's runner ended (its wait status), from the host's template, its parent: only once ``pidfd``
        is readable. SandboxError if the template does not say."""
        control = self._host.box.control
        try:
            control.send(marshal.dumps({"reap": True}, MARSHAL_VERSION))
            ready = select.select([control], [], [], bwrap.START_TIMEOUT_S)[0]
            data = control.recv(1 << 16) if ready else b""
            said = marshal.loads(data) if data else None
        except (OSError, ValueError, EOFError) as exc:
            raise SandboxError(f"the job host did not say how its runner ended: {exc}") from exc
        if type(said) is not dict or type(said.get("status")) is not int:
            raise SandboxError(f"the job host did not say how its runner ended: {self.bwrap_stderr()[-500:]}")
        return said["status"]

    def kill(self) -> None:
        """SIGKILL the job's runner (its pid namespace dies with it); the host may take the next job."""
        if self._end():
            self._hosts.give_back(self._host)

    def discard(self) -> None:
        """End a runner made ahead that no job will take, and remove its cgroup (the host is not given back)."""
        if self._end() and self.cgroup is not None:
            self._hosts.release_cgroup(self.cgroup)

    def _end(self) -> bool:
        """SIGKILL the runner and close our ends; False if that was done already."""
        if self.closed:
            return False
        self.closed = True
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        os.close(self._pidfd)
        self.control.close()
        return True


class JobHosts:
    """Idle job hosts of one backend; ``open`` runs a job in one, starting a host when none is idle."""

    def __init__(
        self,
        bwrap_path: str,
        python: str,
        new_cgroup: Callable[[], JobCgroup | None],
        release_cgroup: Callable[[JobCgroup], None],
        spare: int = 2,
    ) -> None:
        """``new_cgroup`` makes a job's cgroup (None: the job runs without), ``release_cgroup`` removes one;
        ``spare``: how many idle hosts a job that must wait for a runner may grow them to (0: none started
        ahead of demand)."""
        self._bwrap, self._python = bwrap_path, python
        self.new_cgroup, self.release_cgroup = new_cgroup, release_cgroup
        self.spare = spare
        self._idle: list[Host] = []
        self._lock = threading.Lock()
        self._closed = False
        self._spare_start: threading.Thread | None = None  # the start of a spare host, while it runs
        self.problem: str | None = None  # why jobs cannot run in hosts here (then each job starts its own sandbox)
        self.started = 0  # hosts started so far

    def open(self, tmp_bytes: int, harness: bool, preload: Preload = NO_PRELOAD) -> HostJob | None:
        """A job's runner in a host, in the job's cgroup and ready for its files and steps: the one the host made
        ahead if its tmpfs are of this size, else one made now. ``preload``: the job's (sandbox.backend.Preload),
        loaded by the host's template before it makes a runner, this one or the next.

        None if hosts cannot serve jobs on this machine (``problem`` says why) or the host
        died under the job: the caller starts a sandbox of its own.
        """
        kind = (tmp_bytes, harness)
        while self.problem is None:
            host = self._take(kind, preload)
            if host is None:
                return None
            if preload != NO_PRELOAD:  # a job with none (a plain program) leaves the host's as they are
                host.preload = preload
            ahead, host.ahead = host.ahead, None
            made = _taken(ahead)
            if made is not None and made.kind[0] == tmp_bytes:  # a harness job makes its peer if not made
                return made
            if made is not None:
                made.discard()
            if not host.alive():  # it died making the job ahead: take another
                continue
            try:
                return self._job(host, kind)
            except SandboxError as exc:
                host.box.kill()
                if host.served == 1:  # a fresh host that cannot make its first job: no host here can
                    self.problem = f"job hosts unavailable ({exc}): every job starts a sandbox of its own"
                    log.warning("local sandbox: %s", self.problem)
                else:  # e.g. it found a process of an earlier job left in its namespace, and ended
                    log.warning("local sandbox: a job host failed after %d jobs (%s); it is replaced", host.served, exc)
                return None
        return None

    def _take(self, kind: Kind, preload: Preload) -> Host | None:
        """An idle host: one whose runner is made, for tmpfs of this size, if any is (the last used first); else the
        one making its runner longest; else a new host. A spare host started meanwhile loads ``preload``."""
        with self._lock:
            for dead in [host for host in self._idle if not host.alive()]:
                self._idle.remove(dead)
                dead.box.kill()
            made = [host for host in self._idle if host.ahead is None or host.ahead.done()]
            fits = [host for host in made if host.kind[0] == kind[0]]
            if made or self._idle:
                host = (fits or made)[-1] if made else self._idle[0]
                self._idle.remove(host)
                if not made and len(self._idle) < self.spare and self._spare_start is None:
                    self._spare_start = threading.Thread(
                        target=self._start_spare, args=(kind, preload), name="rlvr-host-spare", daemon=True
                    )
                    self._spare_start.start()
                return host
        return self._start()

    def _start_spare(self, kind: Kind, preload: Preload) -> None:
        """Start one more host, idle at once and making a runner of ``kind`` ahead, with ``preload`` loaded."""
        try:
            host = self._start()
            if host is not None:
                host.kind, host.preload = kind, preload
                self.give_back(host)
        finally:
            self._spare_start = None

    def _start(self) -> Host | None:
        """A new host; None (and ``problem`` set) if hosts cannot start here."""
        try:
            box = bwrap.start(self._bwrap, self._python, {}, HOST_TMPFS_BYTES, None, host=True)
        except SandboxError as exc:
            self.problem = f"job hosts unavailable ({exc}): every job starts a sandbox of its own"
            log.warning("local sandbox: %s", self.problem)
            return None
        self.started += 1
        return Host(box)

    def _make_ahead(self, host: Host, ahead: Future[HostJob | None]) -> None:
        made = self._made_ahead(host)
        with host.lock:
            if host.retired and made is not None:
                made.discard()
                made = None
            ahead.set_result(made)

    def _made_ahead(self, host: Host) -> HostJob | None:
        """The next job's runner, made by ``host`` while it is idle; None (and the host torn down) if it failed."""
        try:
            return self._job(host, host.kind)
        except Exception as exc:  # the job that takes the host makes its runner itself, or takes another host
            log.info("local sandbox: a job host could not make a job ahead (%s); it is replaced", exc)
            host.box.kill()
            return None

    def _job(self, host: Host, kind: Kind) -> HostJob:
        """Have ``host`` fork a job's runner; put it in a new cgroup, then let it start."""
        cgroup = self.new_cgroup()
        try:
            return self._runner(host, kind, cgroup)
        except BaseException:
            if cgroup is not None:
                self.release_cgroup(cgroup)
            raise

    def _runner(self, host: Host, kind: Kind, cgroup: JobCgroup | None) -> HostJob:
        host.served += 1
        host.kind = kind
        if host.loaded != host.preload:
            _load(host)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pidfd = -1
        try:
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            message = marshal.dumps({"tmp_bytes": kind[0], "harness": kind[1]}, MARSHAL_VERSION)
            socket.send_fds(host.box.control, [message], [theirs.fileno()])
            theirs.close()
            said, pid = _receive(ours)
            if said.get("job") is not True or pid <= 0:
                raise SandboxError(f"the job host made no job: {said.get('setup_error') or host.box.bwrap_stderr()}")
            pidfd = os.pidfd_open(pid)
            if cgroup is not None:
                cgroup.attach((pid,))
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
        return HostJob(self, host, ours, pidfd, cgroup, kind)

    def give_back(self, host: Host) -> None:
        """A host whose job is over: idle again, making the next job's runner ahead, or torn down when it has served
        MAX_JOBS (or the backend closed)."""
        with self._lock:
            if not self._closed and host.served < MAX_JOBS and host.alive():
                host.idle_since = time.monotonic()
                host.ahead = Future()
                # a thread of its own, not a pool's: a pool's threads are gone in a forked child, which would
                # then wait for ever for the runners it had made ahead
                threading.Thread(
                    target=self._make_ahead, args=(host, host.ahead), name="rlvr-host-ahead", daemon=True
                ).start()
                self._idle.append(host)
                return
        host.box.kill()

    def idle(self) -> list[int]:
        """The pids of the bubblewrap processes of the hosts waiting for a job."""
        with self._lock:
            return [host.box.process.pid for host in self._idle]

    def made_ahead(self, wait_s: float) -> list[HostJob]:
        """The runners the idle hosts made ahead for the next jobs (waiting up to ``wait_s`` for those being made)."""
        with self._lock:
            pending = [host.ahead for host in self._idle if host.ahead is not None]
        done = [ahead.result(wait_s) for ahead in pending]
        return [made for made in done if made is not None]

    def close_idle(self, idle_s: float, keep: int) -> None:
        """Tear down the hosts idle for more than ``idle_s``, but the ``keep`` last used."""
        now = time.monotonic()
        with self._lock:  # taken from the end: the last used are last in the list
            stale = [h for h in self._idle[: max(0, len(self._idle) - keep)] if now - h.idle_since > idle_s]
            self._idle = [h for h in self._idle if all(h is not s for s in stale)]
        for host in stale:
            _retire(host)

    def close(self) -> None:
        """Tear down the idle hosts; a host still serving a job is torn down when it is given back."""
        spare_start = self._spare_start
        if spare_start is not None:  # a spare started after close() would be torn down, but after we return
            spare_start.join(bwrap.START_TIMEOUT_S)
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        pending = [ahead for ahead in map(_retire, idle) if ahead is not None]
        wait(pending, timeout=AHEAD_WAIT_S)  # each ends soon, its host gone: its cgroup is released before we return


def _retire(host: Host) -> Future[HostJob | None] | None:
    """Tear a host down, and the job's runner it made ahead (its cgroup removed) once that is done: that runner."""
    with host.lock:
        host.retired = True
        ahead, host.ahead = host.ahead, None
        if ahead is not None and ahead.done():
            _discard(ahead)
    host.box.kill()
    return ahead


def _taken(ahead: Future[HostJob | None] | None) -> HostJob | None:
    """The runner made ahead, waiting for it at most AHEAD_WAIT_S (then discarded once made: the job makes its own)."""
    if ahead is None:
        return None
    try:
        return ahead.result(timeout=AHEAD_WAIT_S)
    except TimeoutError:
        ahead.add_done_callback(_discard)
        return None


def _discard(ahead: Future[HostJob | None]) -> None:
    made = None if ahead.cancelled() or ahead.exception() is not None else ahead.result()
    if made is not None:
        made.discard()


def _load(host: Host) -> None:
    """Have the host's template load its ``preload`` (in place of what it had); it says nothing back."""
    preload = host.preload
    message = {"preload": {"sources": list(preload.sources), "code": list(preload.code)}}
    try:
        host.box.control.send(marshal.dumps(message, MARSHAL_VERSION))
    except OSError as exc:
        raise SandboxError(f"the job host took nothing to load: {exc}") from exc
    host.loaded = preload


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
