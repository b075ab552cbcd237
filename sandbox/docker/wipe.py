"""In-container cleanup, run by the agent (root, PID 1): nothing of a step or a submission survives it.

Stdlib only: runner.py sends this file, gauges.py and agent.py, concatenated, as the agent's source.
After every step every other process is killed and reaped. Between submissions the
scratch dirs (the work dir, /tmp, /dev/shm, /dev/mqueue) are emptied and every SysV IPC
object is removed. The agent holds no capability to touch other users' files or IPC
objects (only SETUID, SETGID and KILL), so that part runs in short-lived children that
take on each step uid in turn and delete what that uid owns; the agent then removes what
is left in its own root-owned dirs and checks that nothing at all remains. A leftover it
cannot remove is reported, and the host then discards the container instead of reusing it.
"""

import contextlib
import ctypes
import os
import signal
import time

SCRATCH = ("/box", "/tmp", "/dev/shm", "/dev/mqueue")
IPC_TABLES = ("shm", "sem", "msg")
IPC_RMID = 0
KILL_ROUNDS = 200
SPARE_ROUNDS = 5
LIBC = ctypes.CDLL(None, use_errno=True)


def reap_all() -> None:
    """Collect every exited child (orphans are reparented to us, PID 1)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def other_pids(spare: tuple[int, ...] = ()) -> list[int]:
    """Processes in the container other than the agent (and ``spare``)."""
    me = os.getpid()
    return [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != me and int(p) not in spare]


def kill_others(spare: tuple[int, ...] = ()) -> bool:
    """SIGKILL every other process until none is left; True when gone.

    ``spare`` (the Python template, root, which no step can reach) is spared for
    SPARE_ROUNDS rounds of killing each process by pid; past that kill(-1), which no
    fork can outrun, takes it too.
    """
    for round_no in range(KILL_ROUNDS):
        reap_all()
        others = other_pids(spare)
        if not others:
            return True
        if round_no < SPARE_ROUNDS and spare:
            for pid in others:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        else:
            spare = ()
            with contextlib.suppress(ProcessLookupError):
                os.kill(-1, signal.SIGKILL)
        time.sleep(0.001)
    reap_all()
    return not other_pids(spare)


def remove_contents(path: str) -> None:
    """Delete every entry under ``path`` this uid may delete, opening up its own dirs first."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for entry in entries:
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.chmod(entry.path, 0o700)  # succeeds only on our own dirs
                remove_contents(entry.path)
                os.rmdir(entry.path)
            else:
                os.unlink(entry.path)


def ipc_objects() -> list[tuple[str, int, int, int]]:
    """Every SysV IPC object in the container's IPC namespace: (kind, id, owner uid, creator uid)."""
    found = []
    for kind in IPC_TABLES:
        with open(f"/proc/sysvipc/{kind}") as fh:
            header = fh.readline().split()
            uid, cuid = header.index("uid"), header.index("cuid")
            for line in fh:
                row = line.split()
                found.append((kind, int(row[1]), int(row[uid]), int(row[cuid])))
    return found


def remove_ipc_of(uid: int) -> None:
    """IPC_RMID every object ``uid`` owns or created (what it may remove without privilege)."""
    for kind, ident, owner, creator in ipc_objects():
        if uid not in (owner, creator):
            continue
        if kind == "sem":
            LIBC.semctl(ident, 0, IPC_RMID)
        elif kind == "shm":
            LIBC.shmctl(ident, IPC_RMID, None)
        else:
            LIBC.msgctl(ident, IPC_RMID, None)


def drop_to(uid: int) -> None:
    """Become ``uid`` for good: no groups, no capabilities left."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)


def clean_as(uid: int) -> None:
    """In a child running as ``uid``: delete what it owns in the scratch dirs and its IPC objects."""
    pid = os.fork()
    if pid == 0:
        try:
            drop_to(uid)
            for path in SCRATCH:
                remove_contents(path)
            remove_ipc_of(uid)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def leftovers(spare: tuple[int, ...] = ()) -> list[str]:
    """What is still there of earlier steps: processes, scratch entries, IPC objects (empty when clean)."""
    left = [f"process {pid}" for pid in other_pids(spare)]
    for path in SCRATCH:
        left += [f"{path}/{name}" for name in os.listdir(path)]
    left += [f"SysV {kind} {ident} of uid {owner}" for kind, ident, owner, _ in ipc_objects()]
    return left


def wipe(uids: tuple[int, ...], spare: tuple[int, ...] = ()) -> dict:
    """Kill every process but ``spare``, remove every file and IPC object, and report what could not be removed."""
    kill_others(spare)
    spare = tuple(pid for pid in spare if os.path.exists(f"/proc/{pid}"))  # kill(-1) may have taken it
    for path in SCRATCH:  # the agent owns these sticky dirs, so it can unlink what lies directly in them
        remove_contents(path)
    if leftovers(spare):  # a program's own dirs or IPC objects: only its uid may remove them
        for uid in (*uids, *uids):  # twice: one uid's dir may hold the other's files
            clean_as(uid)
        for path in SCRATCH:
            remove_contents(path)
    left = leftovers(spare)
    return {"ok": True, "clean": not left, "left": left[:20]}
