"""In-container agent: PID 1 of a pooled runner container, stdlib only.

It reads one JSON request per line on stdin and answers one JSON line on stdout:

    {"op": "files", "files": {path: b64}}             -> {"ok": true}
    {"op": "step", "argv": [...], "stdin": b64, "limits": {...}} -> {"ok": true, "result": {...}}
    {"op": "wipe"}                                     -> {"ok": true, "clean": bool}

Each step is a fresh process in its own session under rlimits, killed with its whole
process group on wall time or when stdout passes its cap; after each step every other
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

WORK = "/work"
SCRATCH = ("/work", "/tmp")
STEP_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "GOCACHE": "/tmp/go-cache",
    "GOPATH": "/tmp/go",
    "GO111MODULE": "off",
    "GOTOOLCHAIN": "local",
    "CARGO_HOME": "/tmp/cargo",
}
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
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)
        time.sleep(0.002)
        reap_all()
        if not other_pids():
            return True
    return False


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


def child(argv: list, stdin_fd: int, out_w: int, err_w: int, limits: dict) -> None:
    """In the forked child: new session, stdio, rlimits, exec. Never returns."""
    try:
        os.setsid()
        os.dup2(stdin_fd, 0)
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.closerange(3, 65536)
        os.chdir(WORK)
        set_dumpable(1)  # our own /proc entries back to our uid; exec would do the same
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")  # the OOM killer takes the step, never the agent
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_DFL)
        cpu = max(1, int(limits["cpu_time_s"] + 0.999))
        set_limit(resource.RLIMIT_CPU, cpu, cpu + 1)
        set_limit(resource.RLIMIT_FSIZE, limits["max_file_bytes"], limits["max_file_bytes"])
        # +1: the agent runs as the same uid and counts against RLIMIT_NPROC too.
        set_limit(resource.RLIMIT_NPROC, limits["max_processes"] + 1, limits["max_processes"] + 1)
        set_limit(resource.RLIMIT_CORE, 0, 0)
        os.execvpe(argv[0], argv, STEP_ENV)
    except BaseException as exc:
        os.write(2, f"sandbox: cannot run {argv[0]!r}: {exc}\n".encode())
    os._exit(127)


def run_step(argv: list, stdin: bytes, limits: dict) -> dict:
    """Run one process to completion under ``limits`` and describe what it did."""
    stdin_fd = os.memfd_create("stdin")
    os.write(stdin_fd, stdin)
    os.lseek(stdin_fd, 0, os.SEEK_SET)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    ooms = oom_kills()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child(argv, stdin_fd, out_w, err_w, limits)
    for fd in (stdin_fd, out_w, err_w):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    cap_out = limits["max_output_bytes"]
    cap_err = limits.get("max_stderr_bytes", 64 << 10)
    bufs = {out_r: bytearray(), err_r: bytearray()}
    open_fds = {out_r, err_r}
    deadline = started + limits["wall_time_s"]
    limit = None
    exited = False
    while True:
        timeout = 0.0 if exited else deadline - time.monotonic()
        if timeout < 0:
            limit = "wall_time"
            break
        watch = list(open_fds) + ([] if exited else [pidfd])
        if not watch:
            break
        ready, _, _ = select.select(watch, [], [], timeout)
        if not ready and exited:
            break  # drained; a leftover process may still hold the pipes open
        for fd in ready:
            if fd == pidfd:
                exited = True
                continue
            data = os.read(fd, READ_CHUNK)
            if data:
                bufs[fd] += data
            else:
                open_fds.discard(fd)
        if len(bufs[out_r]) > cap_out:
            limit = "output"
            break
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - started
    for fd in open_fds:
        while select.select([fd], [], [], 0)[0]:
            data = os.read(fd, READ_CHUNK)
            if not data:
                break
            bufs[fd] += data
    for fd in (out_r, err_r, pidfd):
        os.close(fd)
    kill_others()
    cpu = usage.ru_utime + usage.ru_stime
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    if limit is None:
        if ooms >= 0 and oom_kills() > ooms:
            limit = "memory"
        elif sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu >= limits["cpu_time_s"]):
            limit = "cpu_time"
        elif sig == signal.SIGXFSZ:
            limit = "file_size"
    out = bytes(bufs[out_r])
    err = bytes(bufs[err_r])
    return {
        "exit_code": code,
        "signal": sig,
        "stdout": base64.b64encode(out[:cap_out]).decode(),
        "stderr": base64.b64encode(err[:cap_err]).decode(),
        "stdout_truncated": len(out) > cap_out,
        "wall_time_s": wall,
        "cpu_time_s": cpu,
        "max_rss_kb": usage.ru_maxrss,
        "limit": limit,
    }


def handle(request: dict) -> dict:
    """Dispatch one request."""
    op = request.get("op")
    if op == "files":
        return write_files(request["files"])
    if op == "step":
        result = run_step(request["argv"], base64.b64decode(request["stdin"]), request["limits"])
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
