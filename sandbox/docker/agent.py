"""In-container agent: PID 1 of a pooled runner container, stdlib only.

It reads one JSON request per line on stdin and answers one JSON line on stdout:

    {"op": "files", "files": {path: b64}}             -> {"ok": true}
    {"op": "step", "argv": [...], "stdin": b64, "wall_time_s": s, "max_output_bytes": n,
     "rlimits": [[name, soft, hard], ...]}            -> {"ok": true, "result": {...}}
    {"op": "wipe"}                                     -> {"ok": true, "clean": bool}

Each step is a fresh process in its own session under rlimits, killed with its whole
process group on wall time or when stdout or stderr passes its cap; the agent reports
what it observed (exit status, CPU, byte counts, cgroup OOM kills and refused forks)
and the host classifies which limit was hit. After each step every other
process in the container is killed. The agent makes itself non-dumpable so that code
running as the same uid cannot open /proc/1/fd/1 and forge an answer, and as PID 1 it
cannot be killed from inside the container.
"""

import base64
import contextlib
import ctypes
import json
import os
import resource
import select
import shutil
import signal
import sys
import time

WORK = "/box"
SCRATCH = (WORK, "/tmp")
# The same environment as the local sandbox's: nothing else from the outside.
STEP_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORK, "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
READ_CHUNK = 65536
PR_SET_DUMPABLE = 4
LIBC = ctypes.CDLL(None, use_errno=True)
OOM_COUNTERS = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")


def set_dumpable(flag: int) -> None:
    """PR_SET_DUMPABLE: at 0, /proc/1/* is root-owned, so same-uid code cannot reach our pipes."""
    if LIBC.prctl(PR_SET_DUMPABLE, flag, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl(PR_SET_DUMPABLE, {flag}) failed")


def oom_kills() -> int:
    """The container cgroup's OOM-kill count (cgroup v1 or v2); -1 when unreadable."""
    for path in OOM_COUNTERS:
        try:
            with open(path) as fh:
                for line in fh:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except OSError:
            continue
    return -1


def reap_all() -> None:
    """Collect every exited child (orphans are reparented to us, PID 1)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def other_pids() -> list[int]:
    """Processes in the container other than the agent."""
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me]


def kill_others() -> bool:
    """SIGKILL every other process (kill(-1) spares only us); True when none is left."""
    for _ in range(50):
        reap_all()
        if not other_pids():
            return True
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        time.sleep(0.001)
    reap_all()
    return not other_pids()


def empty_dir(path: str) -> None:
    """Remove everything under ``path``, restoring write bits a program may have removed."""

    def fix(func, target, _exc):  # type: ignore[no-untyped-def]
        os.chmod(os.path.dirname(target), 0o700)
        if os.path.isdir(target) and not os.path.islink(target):
            os.chmod(target, 0o700)
            shutil.rmtree(target, onerror=fix)
        else:
            os.unlink(target)

    os.chmod(path, 0o700)
    for name in os.listdir(path):
        target = os.path.join(path, name)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target, onerror=fix)
        else:
            os.unlink(target)


def wipe() -> dict:
    """Kill all processes and empty the scratch dirs; report whether the container is clean."""
    clean = kill_others()
    for path in SCRATCH:
        try:
            empty_dir(path)
        except OSError:
            clean = False
        clean = clean and not os.listdir(path)
    return {"ok": True, "clean": clean}


def write_files(files: dict) -> dict:
    """Write the submission's files under the work dir, refusing paths that leave it."""
    root = os.path.realpath(WORK)
    for rel, data in files.items():
        target = os.path.realpath(os.path.join(root, rel))
        if os.path.isabs(rel) or not target.startswith(root + os.sep):
            return {"ok": False, "error": f"file path outside the work dir: {rel!r}"}
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as fh:
            fh.write(base64.b64decode(data))
    return {"ok": True}


def set_limit(kind: int, soft: int, hard: int) -> None:
    """setrlimit, clamped to the container's hard limit (raising it needs a capability we lack)."""
    _, ceiling = resource.getrlimit(kind)
    if ceiling != resource.RLIM_INFINITY:
        soft, hard = min(soft, ceiling), min(hard, ceiling)
    resource.setrlimit(kind, (soft, hard))


def child(argv: list, stdio: tuple, exec_w: int, rlimits: list) -> None:
    """In the forked child: new session, stdio, rlimits, exec. Never returns."""
    try:
        os.setsid()
        for target, fd in enumerate(stdio):
            os.dup2(fd, target)
        os.closerange(3, exec_w)
        os.closerange(exec_w + 1, 65536)
        os.chdir(WORK)
        set_dumpable(1)  # our own /proc entries back to our uid; exec would do the same
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")  # the OOM killer takes the step, never the agent
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_DFL)
        for name, soft, hard in rlimits:
            set_limit(getattr(resource, name), soft, hard)
        os.execvpe(argv[0], argv, STEP_ENV)
    except BaseException as exc:
        os.write(exec_w, f"{type(exc).__name__}: {exc}".encode())
    os._exit(127)


def pids_refused() -> int:
    """Forks the container's pids cgroup refused so far."""
    try:
        with open("/sys/fs/cgroup/pids/pids.events") as fh:
            return int(fh.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def collect(pid: int, pidfd: int, pipes: dict, cap: int, deadline: float) -> bool:
    """Read stdout/stderr until the child exits (or a stream passes ``cap``); True on the wall deadline."""
    open_fds = set(pipes)
    exited = False
    while True:
        timeout = 0.0 if exited else deadline - time.monotonic()
        if timeout < 0:
            return True
        watch = list(open_fds) + ([] if exited else [pidfd])
        if not watch:
            return False
        ready, _, _ = select.select(watch, [], [], timeout)
        if not ready and exited:
            return False  # drained; a leftover process may still hold the pipes open
        for fd in ready:
            if fd == pidfd:
                exited = True
                continue
            data = os.read(fd, READ_CHUNK)
            if data:
                pipes[fd] += data
            else:
                open_fds.discard(fd)
        if any(len(buf) > cap for buf in pipes.values()):
            return False


def run_step(argv: list, stdin: bytes, wall_time_s: float, cap: int, rlimits: list) -> dict:
    """Run one process to completion or its wall deadline and report what was observed."""
    stdin_fd = os.memfd_create("stdin")
    os.write(stdin_fd, stdin)
    os.lseek(stdin_fd, 0, os.SEEK_SET)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    exec_r, exec_w = os.pipe2(os.O_CLOEXEC)
    ooms, refused = oom_kills(), pids_refused()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child(argv, (stdin_fd, out_w, err_w), exec_w, rlimits)
    for fd in (stdin_fd, out_w, err_w, exec_w):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    pipes = {out_r: bytearray(), err_r: bytearray()}
    timed_out = collect(pid, pidfd, pipes, cap, started + wall_time_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - started
    exec_error = os.read(exec_r, 4096).decode(errors="replace")
    for fd in (out_r, err_r, exec_r, pidfd):
        os.close(fd)
    survivors = 0 if kill_others() else len(other_pids())
    out, err = bytes(pipes[out_r]), bytes(pipes[err_r])
    return {
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "stdout": base64.b64encode(out[:cap]).decode(),
        "stderr": base64.b64encode(err[:cap]).decode(),
        "stdout_bytes": len(out),
        "stderr_bytes": len(err),
        "wall_time_s": wall,
        "cpu_time_s": usage.ru_utime + usage.ru_stime,
        "timed_out": timed_out,
        "oom_kills": max(0, oom_kills() - ooms) if ooms >= 0 else 0,
        "pids_refused": pids_refused() - refused,
        "exec_error": exec_error,
        "survivors": survivors,
    }


def handle(request: dict) -> dict:
    """Dispatch one request."""
    op = request.get("op")
    if op == "files":
        return write_files(request["files"])
    if op == "step":
        result = run_step(
            request["argv"],
            base64.b64decode(request["stdin"]),
            request["wall_time_s"],
            request["max_output_bytes"],
            request["rlimits"],
        )
        return {"ok": True, "result": result}
    if op == "wipe":
        return wipe()
    return {"ok": False, "error": f"unknown op {op!r}"}


def main() -> None:
    """Serve requests until stdin closes."""
    set_dumpable(0)
    out = sys.stdout.buffer
    out.write(json.dumps({"ok": True, "ready": True}).encode() + b"\n")
    out.flush()
    for line in sys.stdin.buffer:
        try:
            reply = handle(json.loads(line))
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
