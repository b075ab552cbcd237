"""In-sandbox runner: PID 1 of a job's sandbox; it runs each step in namespaces of its own.

Runs *inside* bubblewrap (``--as-pid-1``) with the sandbox's own python3 (``python3 -I
-S -c <this file> FD``), so it must import nothing of ours. One runner serves all steps
of a job, which saves a bubblewrap start per test.

Each step's program runs in a fresh user, pid, mount and IPC namespace whose init is
ours (the *step init*): the program cannot see, signal or ptrace the runner or any other
step (none of them has a pid in its namespace), nothing it starts outlives the step
(the kernel kills a pid namespace with its init), and its /tmp, /dev/shm and IPC objects
are its own. The init is non-dumpable, and PID 1 of a namespace cannot be killed from
inside it. A step with a *peer* (the judge harness's untrusted solution side) runs the
peer in namespaces of its own too, with an empty /proc and /box, joined to the step's
program only by two pipes (fds 3 and 4 of the program).

Per step the runner forks a *keeper*, which unshares the namespaces and forks the init;
the init sets the step's rlimits, starts the program with ``posix_spawn`` and reports
its exit status, then kills everything left and exits. The keeper reaps the init and
reports the CPU time of every process of the step (each was reaped inside the step's
namespace, so all of it adds up in the keeper's RUSAGE_CHILDREN). The runner drains the
program's stdout and stderr into the host's memfds, stopping the step at the output cap
or the wall deadline by killing its init.

Protocol on the control socket FD (SOCK_SEQPACKET): the host sends a step (a marshal'd
dict) with its stdin/stdout/stderr fds (SCM_RIGHTS); the runner answers one marshal'd
dict. marshal, _socket and _signal, not json, socket and signal: they import nothing,
and every import is paid by every job.
"""

import _signal as signal  # the C module: `signal` would import enum, paid by every job
import _socket
import array
import ctypes
import fcntl
import marshal
import os
import resource
import select
import sys
import time

PR_SET_DUMPABLE = 4
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID = 0x20000, 0x08000000, 0x10000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
STOP_GRACE_S = 2.0
HIGH_FD = 64  # where a step's fds are moved before they are dup'd onto 0..4, so no source is clobbered
MAX_MESSAGE = 1 << 20
MAX_FDS = 8  # a step sends at most five: stdin, stdout, stderr and the two peer pipes
READ_CHUNK = 1 << 16
MARSHAL_VERSION = 4  # plain dicts of str/int/float/list: readable by any Python 3.4+
libc = ctypes.CDLL(None, use_errno=True)


def check(result, what):
    """Raise OSError with errno if a libc call failed."""
    if result != 0:
        raise OSError(ctypes.get_errno(), what)


def mount_tmpfs(path, size, mode):
    """A fresh tmpfs on ``path`` in this mount namespace."""
    opts = f"size={size},mode={mode:o}".encode()
    check(libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, opts), f"mount tmpfs on {path}")


def enter_namespaces(peer):
    """Unshare user and pid namespaces (a peer: mount and IPC too), keeping our uid and gid (called by the keeper).

    A step's program shares /tmp, /box and IPC objects with the job's other steps (its
    own earlier tests: nothing of theirs is alive, nothing of another job is there); a
    peer gets all of them fresh, so it shares nothing with the harness that judges it.
    """
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWPID | (CLONE_NEWNS | CLONE_NEWIPC if peer else 0)
    check(libc.unshare(flags), "unshare")
    # /proc/self of a non-dumpable process belongs to root, so the maps are written while dumpable;
    # no untrusted process can address us meanwhile (an earlier step's are dead, a peer has no /proc).
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    finally:
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def private_mounts(tmp_bytes):
    """A peer's own /tmp, /dev/shm and /box, and an empty /proc (called by its init)."""
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    for path in ("/tmp", "/dev/shm"):
        mount_tmpfs(path, tmp_bytes, 0o1777)
    mount_tmpfs("/box", tmp_bytes, 0o755)
    mount_tmpfs("/proc", 1 << 16, 0o555)
    os.chdir("/box")


def say(fd, message):
    """One length-prefixed marshal'd message on a keeper's report pipe (atomic: under PIPE_BUF)."""
    data = marshal.dumps(message, MARSHAL_VERSION)
    os.write(fd, len(data).to_bytes(2, "little") + data)


class Stop(Exception):
    """Raised in a step's init by SIGTERM: the runner wants the step over."""


def on_stop(_signum, _frame):
    """SIGTERM handler of a step's init."""
    raise Stop


def init(start, tmp_bytes, peer, report_w):
    """PID 1 of a step: wait for the step, start its program, report its exit status, kill and reap the rest.

    Everything is reaped here with waitpid, never left to the kernel's teardown (which
    reaps without accounting), so the CPU time reported counts every process of the step.
    """
    try:
        signal.signal(signal.SIGTERM, on_stop)
        if peer:
            private_mounts(tmp_bytes)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # inherited from the runner; said again after the unshare
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # a namespace's init ignores default-action signals
        data, fds = recv_step(start)  # ready: the runner hands over the step when it comes
        if data is None:
            return
        spec = marshal.loads(data)
        fds = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD) for fd in fds]
        for name, soft, hard in spec["rlimits"]:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        actions = [(os.POSIX_SPAWN_DUP2, fd, n) for n, fd in enumerate(fds)]
        pid = os.posix_spawnp(  # PATH lookup (the sandbox's PATH) for a bare command name
            spec["argv"][0],
            spec["argv"],
            os.environ,
            file_actions=actions,
            setsid=True,
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM),  # python's dispositions, not the program's
        )
    except Stop:
        return
    except OSError as exc:
        say(report_w, {"exec_error": f"{type(exc).__name__}: {exc}"})
        return
    try:
        for fd in fds:
            os.close(fd)
        while True:  # reap orphans as they come back to us, until the program itself exits
            done, status = os.waitpid(-1, 0)
            if done == pid:
                say(report_w, {"status": status})
                break
    except Stop:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:  # noqa: SIM105 - contextlib costs ~9 ms of imports per job
        os.kill(-1, signal.SIGKILL)  # everything else in the namespace (ESRCH: nothing is left)
    except ProcessLookupError:
        pass
    try:
        while True:
            os.waitpid(-1, 0)
    except ChildProcessError:
        pass
    used = resource.getrusage(resource.RUSAGE_CHILDREN)  # every process of the step, each reaped here
    say(report_w, {"cpu_time_s": used.ru_utime + used.ru_stime})


def keeper(start, tmp_bytes, peer, report_w):
    """Enter the step's namespaces, fork its init, reap it; if the init was killed, report the CPU time."""
    try:
        enter_namespaces(peer)
        pid = os.fork()
    except OSError as exc:
        say(report_w, {"setup_error": f"{type(exc).__name__}: {exc}"})
        return
    if pid == 0:
        try:
            init(start, tmp_bytes, peer, report_w)
        finally:
            os._exit(0)
    say(report_w, {"init": pid})
    os.waitpid(pid, 0)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)  # the init's own count, if it was killed before it spoke
    say(report_w, {"keeper_cpu_time_s": used.ru_utime + used.ru_stime})


class Launched:
    """A step's namespaces and init, made ahead of the step; then its program, and what its init said."""

    def __init__(self, tmp_bytes, peer):
        report_r, report_w = os.pipe()
        start, self.start_sock = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        self.pid = os.fork()
        if self.pid == 0:
            try:  # a forked runner: whatever happens, it must never return into the runner's loop
                os.close(report_r)
                self.start_sock.close()
                keeper(start, tmp_bytes, peer, report_w)
            finally:
                os._exit(0)
        os.close(report_w)
        start.close()
        self.report = report_r
        self.said = {}
        self.buffer = b""
        self.open = True

    def start(self, argv, rlimits, fds):
        """Hand the step to the waiting init: its argv, rlimits and stdio (and peer pipe) fds."""
        message = marshal.dumps({"argv": argv, "rlimits": rlimits}, MARSHAL_VERSION)
        try:
            self.start_sock.sendmsg([message], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", fds))])
        except OSError as exc:  # the init died while it waited
            self.said["setup_error"] = f"{type(exc).__name__}: {exc}"
            self.open = False
        self.start_sock.close()

    def read(self):
        """Take in what the keeper and init said; False once the keeper is done (or gone)."""
        data = os.read(self.report, 4096)
        self.buffer += data
        while len(self.buffer) >= 2 and len(self.buffer) >= 2 + int.from_bytes(self.buffer[:2], "little"):
            size = int.from_bytes(self.buffer[:2], "little")
            self.said.update(marshal.loads(self.buffer[2 : 2 + size]))
            self.buffer = self.buffer[2 + size :]
        done = ("cpu_time_s", "keeper_cpu_time_s", "setup_error")
        self.open = bool(data) and not any(key in self.said for key in done)
        return self.open

    def stop(self):
        """Have the step's init kill and reap everything of the step (SIGKILL if it does not within a grace)."""
        pid = self.said.get("init")
        if not pid or not self.open:
            return
        try:
            os.kill(pid, signal.SIGTERM)
            if not select.select([self.report], [], [], STOP_GRACE_S)[0]:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def finish(self):
        """Wait until the step's CPU time is reported (the keeper exits by itself: see reap_keepers)."""
        while self.open:
            self.read()
        os.close(self.report)

    @property
    def cpu_time_s(self):
        """CPU time of every process of the step, as its init (or, if the init was killed, its keeper) counted."""
        return self.said.get("cpu_time_s", self.said.get("keeper_cpu_time_s", 0.0))


def reap_keepers():
    """Reap the keepers of finished steps without waiting for the ones still tearing down."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def drain(fd, sink, cap, counts):
    """Move what is readable from pipe ``fd`` into memfd ``sink`` (at most cap + 1 bytes); False at EOF."""
    data = os.read(fd, READ_CHUNK)
    if data and counts[fd] <= cap:
        try:  # noqa: SIM105 - a full memfd must not stop the drain
            os.write(sink, data[: cap + 1 - counts[fd]])
        except OSError:
            pass
    counts[fd] += len(data)
    return bool(data)


def watch(main, pipes, cap, deadline):
    """Drain stdout/stderr until the program exits; 'wall_time' or 'output' if it had to be stopped."""
    counts = dict.fromkeys(pipes, 0)
    open_pipes = set(pipes)
    while "status" not in main.said and "exec_error" not in main.said and main.open:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "wall_time"
        ready = select.select([main.report, *open_pipes], [], [], remaining)[0]
        for fd in ready:
            if fd == main.report:
                main.read()
            elif not drain(fd, pipes[fd], cap, counts):
                open_pipes.discard(fd)
        if any(n > cap for n in counts.values()):
            return "output"
    for fd in open_pipes:  # what the program wrote before exiting (its namespace is being killed)
        os.set_blocking(fd, False)
        try:
            while drain(fd, pipes[fd], cap, counts):
                pass
        except BlockingIOError:
            pass
    return None


def run_step(spec, fds, ready):
    """Run one step (and its peer) to completion, its wall deadline or its output cap; the report.

    ``ready`` holds the namespaces made ahead for the next step, by kind (peer or not).
    """
    stdin, stdout, stderr = fds
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    start = time.monotonic()
    own = [stdin, out_w, err_w]
    peer = None
    if spec["peer"]:
        to_peer_r, to_peer_w = os.pipe()
        from_peer_r, from_peer_w = os.pipe()
        null = os.open("/dev/null", os.O_RDWR)
        peer = ready.pop(True, None) or Launched(spec["tmp_bytes"], True)
        peer.start(spec["peer"], spec["rlimits"], [to_peer_r, from_peer_w, null])
        for fd in (to_peer_r, from_peer_w, null):
            os.close(fd)
        own += [to_peer_w, from_peer_r]  # fds 3 and 4 of the program: sandbox.backend.PEER_WRITE_FD, PEER_READ_FD
    main = ready.pop(False, None) or Launched(spec["tmp_bytes"], False)
    main.start(spec["argv"], spec["rlimits"], own)
    for fd in own:
        os.close(fd)
    stopped = watch(main, {out_r: stdout, err_r: stderr}, spec["max_output_bytes"], start + spec["wall_time_s"])
    wall = time.monotonic() - start
    for launched in (main, peer):
        if launched is not None:
            while launched.open and "init" not in launched.said:
                launched.read()  # the init's pid may still be in the pipe
            if launched is peer or stopped:
                launched.stop()
            launched.finish()
    for fd in (out_r, err_r, stdout, stderr):
        os.close(fd)
    said = main.said
    error = said.get("setup_error") or (peer.said.get("setup_error") if peer else None)
    if error:
        return {"setup_error": error}
    cpu = main.cpu_time_s + (peer.cpu_time_s if peer else 0.0)
    peer_status = peer.said.get("status") if peer else None
    return {
        "peer_signal": os.WTERMSIG(peer_status) if peer_status is not None and os.WIFSIGNALED(peer_status) else 0,
        "status": said.get("status", 9),  # killed at the deadline or cap: reported as SIGKILL
        "cpu_time_s": cpu,
        "wall_time_s": wall,
        "timed_out": stopped == "wall_time",
        "exec_error": said.get("exec_error", ""),
    }


def recv_step(sock):
    """The next message and its fds, or (None, []) when the sender is gone."""
    fds = array.array("i")
    # close-on-exec: the host's memfds must not leak into the program (it gets pipes, or a dup2'd stdin)
    data, ancdata, _, _ = sock.recvmsg(
        MAX_MESSAGE, _socket.CMSG_SPACE(MAX_FDS * fds.itemsize), _socket.MSG_CMSG_CLOEXEC
    )
    for level, kind, payload in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return (data or None), list(fds)


def main(control_fd, tmp_bytes):
    """Serve steps until the host closes the control socket, making each step's namespaces ahead of it."""
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    os.set_inheritable(control_fd, False)
    sock = _socket.socket(fileno=control_fd)
    sock.sendall(marshal.dumps({"pid": os.getpid()}, MARSHAL_VERSION))
    ready = {False: Launched(tmp_bytes, False)}
    while True:
        data, fds = recv_step(sock)
        if data is None:
            return
        spec = marshal.loads(data)
        spec["tmp_bytes"] = tmp_bytes
        sock.sendall(marshal.dumps(run_step(spec, fds, ready), MARSHAL_VERSION))
        reap_keepers()
        ready[False] = Launched(tmp_bytes, False)
        if spec["peer"]:  # a job's steps are alike: the next one will want a peer too
            ready[True] = Launched(tmp_bytes, True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
