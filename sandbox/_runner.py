"""In-sandbox runner: one per job, it forks each step under its rlimits and reports back.

Runs *inside* bubblewrap with the sandbox's own python3 (``python3 -I -S -c <this file>
FD``), so it must import nothing of ours. Reusing one namespace for all steps of a job
saves a bubblewrap start per test. The program's stdout and stderr are pipes that the
runner always drains into the host's memfds, stopping the program once either passes
the output cap (nothing can block on a full pipe, and output is capped exactly).

Protocol on the control socket FD (SOCK_SEQPACKET): the host sends a step (a marshal'd
dict) with its stdin/stdout/stderr fds (SCM_RIGHTS); the runner answers one marshal'd
dict. marshal and _socket, not json and socket: they import nothing, and every import
is paid by every job. After every
step it SIGKILLs every other process of the pid namespace (orphans, daemons), so no step
can touch the next. It makes itself non-dumpable so that the program, which runs under
the same uid, cannot ptrace it or read its fds; the program can still kill it, which the
host reports as the program's own death.
"""

import _signal as signal  # the C module: `signal` would import enum, paid by every job
import _socket
import array
import ctypes
import marshal
import os
import resource
import select
import sys
import time

PR_SET_DUMPABLE = 4
MAX_MESSAGE = 1 << 20
READ_CHUNK = 1 << 16
MARSHAL_VERSION = 4  # plain dicts of str/int/float/list: readable by any Python 3.4+


def kill_others(timeout_s=2.0):
    """SIGKILL every process of the namespace but init and us; wait until they are gone."""
    me = os.getpid()
    deadline = time.monotonic() + timeout_s
    while True:
        try:  # noqa: SIM105 - contextlib costs ~9 ms of imports per job
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        left = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
        if not left or time.monotonic() > deadline:
            return len(left)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.0005)


def child(spec, fds, exec_w):
    """In the forked child: wire stdio, apply limits, exec; report an exec failure on ``exec_w``."""
    try:
        os.setsid()
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):  # python ignores them; the program must not inherit that
            signal.signal(sig, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, exec_w)
        os.closerange(exec_w + 1, 65536)
        for name, soft, hard in spec["rlimits"]:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        os.execve(spec["argv"][0], spec["argv"], os.environ)
    except BaseException as exc:
        os.write(exec_w, f"{type(exc).__name__}: {exc}".encode())
    os._exit(127)


def drain(fd, sink, cap, counts):
    """Move what is readable from pipe ``fd`` into memfd ``sink`` (at most cap + 1 bytes); False at EOF."""
    data = os.read(fd, READ_CHUNK)
    if data and counts[fd] <= cap:
        os.write(sink, data[: cap + 1 - counts[fd]])
    counts[fd] += len(data)
    return bool(data)


def watch(pidfd, pipes, cap, deadline):
    """Drain stdout/stderr until the step exits; 'wall_time' or 'output' if it had to be stopped."""
    counts = dict.fromkeys(pipes, 0)
    open_pipes = set(pipes)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return "wall_time"
        ready = select.select([pidfd, *open_pipes], [], [], remaining)[0]
        for fd in ready:
            if fd != pidfd and not drain(fd, pipes[fd], cap, counts):
                open_pipes.discard(fd)
        if any(n > cap for n in counts.values()):
            return "output"
        if pidfd in ready:
            for fd in open_pipes:  # what the program wrote before exiting; orphans may keep the pipe open
                os.set_blocking(fd, False)
                try:
                    while drain(fd, pipes[fd], cap, counts):
                        pass
                except BlockingIOError:
                    pass
            return None


def run_step(spec, fds):
    """Run one step to completion, its wall deadline or its output cap; return the report."""
    stdin, stdout, stderr = fds
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    exec_r, exec_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child(spec, (stdin, out_w, err_w), exec_w)
    for fd in (stdin, out_w, err_w, exec_w):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    stopped = watch(pidfd, {out_r: stdout, err_r: stderr}, spec["max_output_bytes"], start + spec["wall_time_s"])
    if stopped:
        os.kill(-1, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    exec_error = os.read(exec_r, 4096).decode(errors="replace")
    for fd in (pidfd, exec_r, out_r, err_r, stdout, stderr):
        os.close(fd)
    survivors = kill_others()
    return {
        "status": status,
        "cpu_time_s": usage.ru_utime + usage.ru_stime,
        "wall_time_s": wall,
        "timed_out": stopped == "wall_time",
        "exec_error": exec_error,
        "survivors": survivors,
    }


def recv_step(sock):
    """The next step and its three fds, or (None, []) when the host is gone."""
    fds = array.array("i")
    data, ancdata, _, _ = sock.recvmsg(MAX_MESSAGE, _socket.CMSG_SPACE(3 * fds.itemsize))
    for level, kind, payload in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return (marshal.loads(data) if data else None), list(fds)


def main(control_fd):
    """Serve steps until the host closes the control socket."""
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    sock = _socket.socket(fileno=control_fd)
    sock.sendall(marshal.dumps({"pid": os.getpid()}, MARSHAL_VERSION))
    while True:
        spec, fds = recv_step(sock)
        if spec is None:
            return
        sock.sendall(marshal.dumps(run_step(spec, fds), MARSHAL_VERSION))


if __name__ == "__main__":
    main(int(sys.argv[1]))
