"""In-sandbox runner: one per job, it forks each step under its rlimits and reports back.

Runs *inside* bubblewrap with the sandbox's own python3 (``python3 -I -S -c <this file>
FD``), so it must import nothing of ours. Reusing one namespace for all steps of a job
saves a bubblewrap start per test. Protocol on the control socket FD (SOCK_SEQPACKET): the host sends
a JSON step with its stdin/stdout/stderr fds (SCM_RIGHTS); the runner answers one JSON
message. After every step it SIGKILLs every other process of the pid namespace (orphans,
daemons), so no step can touch the next. It makes itself non-dumpable so that the
program, which runs under the same uid, cannot ptrace it or read its fds; the program
can still kill it, which the host reports as the program's own death.
"""

import contextlib
import ctypes
import json
import os
import resource
import select
import signal
import socket
import sys
import time

PR_SET_DUMPABLE = 4
MAX_MESSAGE = 1 << 20


def kill_others(timeout_s=2.0):
    """SIGKILL every process of the namespace but init and us; wait until they are gone."""
    me = os.getpid()
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        left = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
        if not left or time.monotonic() > deadline:
            return len(left)
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        time.sleep(0.0005)


def child(spec, fds, err_w):
    """In the forked child: wire stdio, apply limits, exec. Never returns."""
    try:
        os.setsid()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        os.closerange(3, err_w)
        os.closerange(err_w + 1, 65536)
        for name, soft, hard in spec["rlimits"]:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        os.execve(spec["argv"][0], spec["argv"], os.environ)
    except BaseException as exc:
        os.write(err_w, f"{type(exc).__name__}: {exc}".encode())
    os._exit(127)


def run_step(spec, fds):
    """Run one step to completion or to its wall deadline; return the report."""
    err_r, err_w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child(spec, fds, err_w)
    os.close(err_w)
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    timed_out = not select.select([pidfd], [], [], spec["wall_time_s"])[0]
    if timed_out:
        os.kill(-1, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - start
    os.close(pidfd)
    exec_error = os.read(err_r, 4096).decode(errors="replace")
    os.close(err_r)
    survivors = kill_others()
    return {"status": status, "cpu_time_s": usage.ru_utime + usage.ru_stime, "wall_time_s": wall,
            "timed_out": timed_out, "exec_error": exec_error, "survivors": survivors}


def main(control_fd):
    """Serve steps until the host closes the control socket."""
    ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    sock = socket.socket(fileno=control_fd)
    sock.sendall(json.dumps({"pid": os.getpid()}).encode())
    while True:
        data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
        if not data:
            return
        report = run_step(json.loads(data), fds)
        sock.sendall(json.dumps(report).encode())


if __name__ == "__main__":
    main(int(sys.argv[1]))
