"""In-container agent: PID 1 of a pooled runner container, stdlib only (sent after wipe.py, concatenated).

Started as ``python3 -I -c SOURCE PROGRAM_UID HARNESS_UID TEMPLATE``, it reads one JSON request per
line on stdin and answers one JSON line on stdout:

    {"op": "step", "argv": [...], "peer": [...], "stdin": b64, "wall_time_s": s,
     "cpu_time_s": s, "max_output_bytes": n, "rlimits": [[name, soft, hard], ...],
     "files": {path: b64}}  (the submission's, with its first step: written before it)
                                                       -> {"ok": true, "result": {...}}
    {"op": "wipe"}                                     -> {"ok": true, "clean": bool, "left": [...]}

The agent is root with only SETUID, SETGID and KILL, non-dumpable, under no-new-privileges;
nothing it runs keeps any of that. A step runs as PROGRAM_UID. A step with a ``peer`` runs
its own process (the trusted judge harness) as HARNESS_UID with a private 0700 TMPDIR, and
the peer (the untrusted solution) as PROGRAM_UID: two uids, so neither can signal, ptrace
or read /proc of the other or of the agent, and the only channel between them is the pair
of pipes on the harness's fds 3 (peer's stdin) and 4 (peer's stdout). The submission's files
are root's, in root-owned sticky dirs: a program can add files but not alter those.

Each process gets its own session and rlimits; the step is killed on wall time, when its
stdout or stderr passes its cap, or when the CPU time of all its processes together
(the container cgroup's usage, less the agent's own) passes the step's limit. After the
step every other process in the container is killed and reaped (the agent is PID 1, so
orphans come to it), and its CPU time is what the agent's reaped children used: every
process of the step, waited for or not. The host classifies which limit was hit.

With a TEMPLATE source (else ""), a step that runs ``python3 -I -S -B`` (and its peer) is a
fork of the Python template (forker.py, template.py) instead of a new process: the same
set-up, uid and limits, an interpreter already started. The template (root, never given
anything of a submission) is spared by the kills after a step and by the wipe.
"""

import base64
import contextlib
import ctypes
import fcntl
import json
import os
import resource
import select
import signal
import sys
import time

if __name__ != "__main__":  # imported for checking; in the container wipe.py and gauges.py precede this source
    from sandbox.docker.forker import Template, forkable
    from sandbox.docker.gauges import CpuWatch, oom_kills, own_cpu_s, pids_refused
    from sandbox.docker.wipe import drop_to, kill_others, other_pids, wipe

WORK = "/box"
# The same environment as the local sandbox's: nothing else from the outside.
STEP_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORK, "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
READ_CHUNK = 65536
PR_SET_DUMPABLE = 4
HIGH_FD = 100  # stdio is staged above the fds it is moved onto
CPU_POLL_S = 0.05
XCPU_GRACE_S = 0.2


def set_dumpable(flag: int) -> None:
    """PR_SET_DUMPABLE: at 0, /proc/1/* is root-owned and our memory cannot be read or traced."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, flag, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl(PR_SET_DUMPABLE, {flag}) failed")


def write_files(files: dict) -> dict:
    """Write the submission's files (root's, read-only to programs) under the work dir."""
    root = os.path.realpath(WORK)
    for rel, data in files.items():
        target = os.path.realpath(os.path.join(root, rel))
        if os.path.isabs(rel) or not target.startswith(root + os.sep):
            return {"ok": False, "error": f"file path outside the work dir: {rel!r}"}
        parent = os.path.dirname(target)
        if not os.path.isdir(parent):
            os.makedirs(parent)
            os.chmod(parent, 0o1777)  # like the work dir: anyone may add, nobody may replace ours
        with open(target, "wb") as fh:
            fh.write(base64.b64decode(data))
    return {"ok": True}


def set_limit(kind: int, soft: int, hard: int) -> None:
    """setrlimit, clamped to the container's hard limit (raising it needs a capability we lack)."""
    _, ceiling = resource.getrlimit(kind)
    if ceiling != resource.RLIM_INFINITY:
        soft, hard = min(soft, ceiling), min(hard, ceiling)
    resource.setrlimit(kind, (soft, hard))


def child(argv: list, stdio: tuple, exec_w: int, rlimits: list, uid: int, private_tmp: bool) -> None:
    """In the forked child: new session, stdio onto fds 0.., rlimits, drop to ``uid``, exec. Never returns."""
    try:
        os.setsid()
        exec_w = fcntl.fcntl(exec_w, fcntl.F_DUPFD_CLOEXEC, HIGH_FD)
        staged = [fcntl.fcntl(fd, fcntl.F_DUPFD, HIGH_FD) for fd in stdio]
        for target, fd in enumerate(staged):
            os.dup2(fd, target)
        os.closerange(len(stdio), exec_w)
        os.closerange(exec_w + 1, 65536)
        os.chdir(WORK)
        with open("/proc/self/oom_score_adj", "w") as fh:
            fh.write("1000")  # the OOM killer takes the step, never the agent
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGXCPU):
            signal.signal(sig, signal.SIG_DFL)
        for name, soft, hard in rlimits:
            set_limit(getattr(resource, name), soft, hard)
        drop_to(uid)  # still non-dumpable until exec, so nobody reads the agent's memory we copy
        env = dict(STEP_ENV)
        if private_tmp:
            private = f"/tmp/.harness-{os.urandom(8).hex()}"
            with contextlib.suppress(OSError):  # a full /tmp is not the harness's failure: it keeps /tmp
                os.mkdir(private, 0o700)
                env.update(HOME=private, TMPDIR=private)
        os.execvpe(argv[0], argv, env)
    except BaseException as exc:
        os.write(exec_w, f"{type(exc).__name__}: {exc}".encode())
    os._exit(127)


def spawn(argv: list, stdio: tuple, rlimits: list, uid: int, private_tmp: bool = False) -> tuple[int, int]:
    """Fork and exec one process of the step; (pid, read end of its exec-error pipe)."""
    exec_r, exec_w = os.pipe2(os.O_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        child(argv, stdio, exec_w, rlimits, uid, private_tmp)
    os.close(exec_w)
    return pid, exec_r


def collect(pid: int, pidfd: int, pipes: dict, cap: int, deadline: float, watch: CpuWatch) -> str | None:
    """Read stdout/stderr until the process exits (or a stream passes ``cap``); "wall" or "cpu" if stopped for it.

    Over the CPU limit the step's process group gets SIGXCPU, as from RLIMIT_CPU, and
    XCPU_GRACE_S to die of it before the caller kills everything.
    """
    open_fds = set(pipes)
    exited = False
    verdict = None
    next_check = time.monotonic() + CPU_POLL_S
    while True:
        now = time.monotonic()
        if not exited and now >= deadline:
            return verdict or "wall"
        if not exited and now >= next_check:
            if verdict is None and watch.over():
                verdict, deadline = "cpu", min(deadline, now + XCPU_GRACE_S)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGXCPU)
            next_check = now + CPU_POLL_S
        watching = list(open_fds) + ([] if exited else [pidfd])
        if not watching:
            return verdict
        timeout = 0.0 if exited else max(0.0, min(deadline, next_check) - now)
        ready, _, _ = select.select(watching, [], [], timeout)
        if not ready and exited:
            return verdict  # drained; a leftover process may still hold the pipes open
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
            return verdict


def read_error(fd: int) -> str:
    """What a child wrote to its exec-error pipe (nothing once it exec'd); closes the pipe."""
    try:
        return os.read(fd, 4096).decode(errors="replace")
    finally:
        os.close(fd)


class Spawner:
    """Starts a step's processes: forked off the Python template when it can, else fork and exec."""

    def __init__(self, template: Template | None) -> None:
        self.template = template

    def usable(self, *argvs: list) -> bool:
        """True if every argv can be forked off a working template (waits for it to have started)."""
        if self.template is None or not all(forkable(argv) for argv in argvs if argv):
            return False
        try:
            self.template.wait_ready()
        except OSError:
            self.drop()
            return False
        return True

    def spawn(self, argv: list, stdio: tuple, rlimits: list, uid: int, private_tmp: bool = False) -> tuple[int, int]:
        """(pid, read end of its exec-error pipe) of a child of ours: off the template if usable() said so."""
        if self.template is not None:
            try:
                pid = self.template.spawn(argv, stdio, rlimits, uid, private_tmp)
            except OSError:
                self.drop()  # then a fresh process, as without a template
            else:
                exec_r, exec_w = os.pipe2(os.O_CLOEXEC)
                os.close(exec_w)  # nothing is exec'd: no exec error
                return pid, exec_r
        return spawn(argv, stdio, rlimits, uid, private_tmp)

    def spared(self) -> tuple[int, ...]:
        """The pids the kills spare: the template's, if it is still alive (else it is dropped)."""
        if self.template is not None and not self.template.alive():
            self.drop()
        return () if self.template is None else (self.template.pid,)

    def drop(self) -> None:
        """Stop using the template (until the next wipe starts another)."""
        if self.template is not None:
            self.template.stop()
            self.template = None


def run_step(request: dict, uids: tuple[int, int], session: Spawner) -> dict:
    """Run one step (and its peer) to completion or a limit, kill all it left, report what was observed."""
    program_uid, harness_uid = uids
    cap, rlimits, peer = request["max_output_bytes"], request["rlimits"], request.get("peer") or []
    spare = session.spared()  # the template outlives every step, forked off it or not
    # A step the template cannot run is spawned fresh; the template stays for the next.
    spawner = session if session.usable(request["argv"], peer) else Spawner(None)
    stdin_fd = os.memfd_create("stdin")
    os.write(stdin_fd, base64.b64decode(request["stdin"]))
    os.lseek(stdin_fd, 0, os.SEEK_SET)
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    stdio: tuple[int, ...] = (stdin_fd, out_w, err_w)
    ends = [stdin_fd, out_w, err_w]
    peer_pid = peer_exec_r = None
    if peer:
        to_peer_r, to_peer_w = os.pipe()
        from_peer_r, from_peer_w = os.pipe()
        devnull = os.open(os.devnull, os.O_WRONLY)
        stdio += (to_peer_w, from_peer_r)
        ends += [to_peer_r, to_peer_w, from_peer_r, from_peer_w, devnull]
    ooms, refused, children = oom_kills(), pids_refused(), own_cpu_s(resource.RUSAGE_CHILDREN)
    watch = CpuWatch(request["cpu_time_s"])
    started = time.monotonic()
    if peer:
        peer_pid, peer_exec_r = spawner.spawn(peer, (to_peer_r, from_peer_w, devnull), rlimits, program_uid)
    pid, exec_r = spawner.spawn(request["argv"], stdio, rlimits, harness_uid if peer else program_uid, bool(peer))
    for fd in ends:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    pipes = {out_r: bytearray(), err_r: bytearray()}
    killed_for = collect(pid, pidfd, pipes, cap, started + request["wall_time_s"], watch)
    for group in (pid, peer_pid):
        if group is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
    _, status, _ = os.wait4(pid, 0)
    wall = time.monotonic() - started
    survivors = 0 if kill_others(spare) else len(other_pids(spare))
    session.spared()  # drops the template if kill(-1) took it, with a step that would not die
    # Every process of the step is reaped by now; the cgroup's count, if higher, is as much the step's.
    cpu = max(own_cpu_s(resource.RUSAGE_CHILDREN) - children, watch.used_s)
    exec_error = read_error(exec_r)
    peer_exec_error = read_error(peer_exec_r) if peer_exec_r is not None else ""
    for fd in (out_r, err_r, pidfd):
        os.close(fd)
    out, err = bytes(pipes[out_r]), bytes(pipes[err_r])
    return {
        "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "stdout": base64.b64encode(out[:cap]).decode(),
        "stderr": base64.b64encode(err[:cap]).decode(),
        "stdout_bytes": len(out),
        "stderr_bytes": len(err),
        "wall_time_s": wall,
        "cpu_time_s": cpu,
        "timed_out": killed_for == "wall",
        "oom_kills": max(0, oom_kills() - ooms) if ooms >= 0 else 0,
        "pids_refused": pids_refused() - refused,
        "exec_error": exec_error,
        "peer_exec_error": peer_exec_error,
        "survivors": survivors,
    }


def new_template(source: str) -> Template | None:
    """A started Python template (None without a source, or if it cannot be started)."""
    if not source:
        return None
    try:
        return Template(source, STEP_ENV, WORK)
    except OSError:
        return None


def handle(request: dict, uids: tuple[int, int], spawner: Spawner, template_source: str) -> dict:
    """Dispatch one request; a wipe spares the template (and starts another if it is gone)."""
    op = request.get("op")
    if op == "step":
        written = write_files(request["files"]) if request.get("files") else {"ok": True}
        return {"ok": True, "result": run_step(request, uids, spawner)} if written["ok"] else written
    if op == "wipe":
        reply = wipe(uids, spawner.spared())
        spawner.spared()  # drops the template if kill(-1) took it, with a process that would not die
        if reply["clean"] and spawner.template is None:
            spawner.template = new_template(template_source)
        return reply
    return {"ok": False, "error": f"unknown op {op!r}"}


def main() -> None:
    """Serve requests until stdin closes."""
    set_dumpable(0)
    uids = (int(sys.argv[1]), int(sys.argv[2]))
    template_source = sys.argv[3]
    os.chmod(WORK, 0o1777)  # a root-owned sticky work dir: programs add files, cannot replace the job's
    spawner = Spawner(new_template(template_source))
    out = sys.stdout.buffer
    out.write(json.dumps({"ok": True, "ready": True}).encode() + b"\n")
    out.flush()
    for line in sys.stdin.buffer:
        try:
            reply = handle(json.loads(line), uids, spawner, template_source)
        except Exception as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(reply).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
