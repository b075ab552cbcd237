"""In-sandbox runner: one per job, it runs each step under its rlimits and reports back.

Runs *inside* bubblewrap with the sandbox's own python3 (``python3 -I -S -c <this file>
FD``), so it must import nothing of ours. Reusing one namespace for all steps of a job
saves a bubblewrap start per test.

Two processes: the *root* (no limits) forks a *server* per distinct set of rlimits; the
server sets them on itself once and starts each program with ``posix_spawn`` (vfork:
a fraction of the cost of forking Python), which inherits them. When a step needs other
limits (hard limits cannot be raised again) the server hands the message back to the
root and exits, and the root forks a fresh server. The server is a child subreaper:
after every step it SIGKILLs everything the program left behind (orphans, daemons), so
no step can touch the next. The program's stdout and stderr are pipes that the server
always drains into the host's memfds, stopping the program once either passes the
output cap (nothing can block on a full pipe, and output is capped exactly).

Protocol on the control socket FD (SOCK_SEQPACKET): the host sends a step (a marshal'd
dict) with its stdin/stdout/stderr fds (SCM_RIGHTS); the server answers one marshal'd
dict. marshal, _socket and _signal, not json, socket and signal: they import nothing,
and every import is paid by every job. Both processes are non-dumpable, so the program
(same uid) cannot ptrace them or read their fds; it can still kill them, which the host
reports as the program's own doing.
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
PR_SET_CHILD_SUBREAPER = 36
HANDBACK = 3  # a server's exit code: "the next step needs other limits; it is on the handback socket"
MAX_MESSAGE = 1 << 20
READ_CHUNK = 1 << 16
MARSHAL_VERSION = 4  # plain dicts of str/int/float/list: readable by any Python 3.4+
libc = ctypes.CDLL(None)


def descendants(ancestor):
    """Pids of every live descendant of ``ancestor`` (orphans come back to it: it is a subreaper)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
    found, todo = [], [ancestor]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def signal_all(pids):
    """SIGKILL each of ``pids`` that still exists."""
    for pid in pids:
        try:  # noqa: SIM105 - contextlib costs ~9 ms of imports per job
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_descendants(timeout_s=2.0):
    """SIGKILL everything below us until nothing is left; how many survived the timeout."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = descendants(os.getpid())
        signal_all(left)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        if not left or time.monotonic() > deadline:
            return len(left)
        time.sleep(0.0005)


def drain(fd, sink, cap, counts):
    """Move what is readable from pipe ``fd`` into memfd ``sink`` (at most cap + 1 bytes); False at EOF."""
    data = os.read(fd, READ_CHUNK)
    if data and counts[fd] <= cap:
        try:  # noqa: SIM105 - the server's own RLIMIT_FSIZE may be below the output cap
            os.write(sink, data[: cap + 1 - counts[fd]])
        except OSError:
            pass
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
    start = time.monotonic()
    actions = [(os.POSIX_SPAWN_DUP2, stdin, 0), (os.POSIX_SPAWN_DUP2, out_w, 1), (os.POSIX_SPAWN_DUP2, err_w, 2)]
    try:
        pid = os.posix_spawnp(  # PATH lookup (the sandbox's PATH) for a bare command name
            spec["argv"][0],
            spec["argv"],
            os.environ,
            file_actions=actions,
            setsid=True,
            setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),  # python ignores both; the program must not inherit that
        )
    except OSError as exc:
        for fd in (stdin, out_w, err_w, out_r, err_r, stdout, stderr):
            os.close(fd)
        return {"exec_error": f"{type(exc).__name__}: {exc}", "wall_time_s": time.monotonic() - start}
    for fd in (stdin, out_w, err_w):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    stopped = watch(pidfd, {out_r: stdout, err_r: stderr}, spec["max_output_bytes"], start + spec["wall_time_s"])
    if stopped:
        signal_all(descendants(os.getpid()))  # no reaping here: wait4 below must get the program's status
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    for fd in (pidfd, out_r, err_r, stdout, stderr):
        os.close(fd)
    return {
        "status": status,
        "cpu_time_s": usage.ru_utime + usage.ru_stime,
        "wall_time_s": wall,
        "timed_out": stopped == "wall_time",
        "exec_error": "",
        "survivors": kill_descendants(),
    }


def recv_step(sock):
    """The next message and its fds, or (None, []) when the sender is gone."""
    fds = array.array("i")
    # close-on-exec: the host's memfds must not leak into the program (it gets pipes, or a dup2'd stdin)
    data, ancdata, _, _ = sock.recvmsg(MAX_MESSAGE, _socket.CMSG_SPACE(3 * fds.itemsize), _socket.MSG_CMSG_CLOEXEC)
    for level, kind, payload in ancdata:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return (data or None), list(fds)


def serve(sock, handback, spec, fds):
    """The server: apply ``spec``'s rlimits to ourselves, then run steps while they share them."""
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    limits = spec["rlimits"]
    for name, soft, hard in limits:
        resource.setrlimit(getattr(resource, name), (soft, hard))
    cpu_budget = next((soft for name, soft, _ in limits if name == "RLIMIT_CPU"), None)
    while True:
        sock.sendall(marshal.dumps(run_step(spec, fds), MARSHAL_VERSION))
        data, fds = recv_step(sock)
        if data is None:
            os._exit(0)
        spec = marshal.loads(data)
        used = resource.getrusage(resource.RUSAGE_SELF)
        if spec["rlimits"] != limits or (cpu_budget and used.ru_utime + used.ru_stime > cpu_budget / 2):
            handback.sendmsg([data], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array.array("i", fds).tobytes())])
            os._exit(HANDBACK)


def main(control_fd):
    """The root: fork a server for the first step, and a new one whenever a server hands a step back."""
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    os.set_inheritable(control_fd, False)
    sock = _socket.socket(fileno=control_fd)
    sock.sendall(marshal.dumps({"pid": os.getpid()}, MARSHAL_VERSION))
    keep, handback = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
    data, fds = recv_step(sock)
    while data is not None:
        pid = os.fork()
        if pid == 0:
            keep.close()
            serve(sock, handback, marshal.loads(data), fds)
        for fd in fds:
            os.close(fd)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != HANDBACK:
            return  # the host closed the socket, or the program killed the server: the host sees EOF
        data, fds = recv_step(keep)


if __name__ == "__main__":
    main(int(sys.argv[1]))
