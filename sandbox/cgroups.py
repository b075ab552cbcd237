"""Per-job cgroup (v1 memory + pids controllers, cpu and cpuacct where there are) so that limits bind the whole tree.

rlimits are per process: a memory bomb spread over many processes, or a fork bomb across
user namespaces, is only stopped for the whole job by a cgroup. The cpu cgroup gives each
job one job's share of the machine, however many processes and sessions it keeps busy
(the kernel shares CPU out per session otherwise): a job judged beside it is not starved
past its wall-time limit. The cpuacct cgroup counts the CPU of every process of the job,
those the kernel reaps unseen included. Where the host does not let us create child cgroups (cgroup v2
without delegation, read-only /sys/fs/cgroup), ``JobCgroup.create`` returns None and the
backend degrades to rlimits alone, saying so.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import signal
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
_PARENT_NAME = "rlvr-sandbox"


def _read(path: Path | str) -> str:
    """A cgroup or /proc file's text (os calls: a job reads and writes some twenty, text-mode open costs 25 us each)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks).decode()
    finally:
        os.close(fd)


def _write(path: Path | str, text: str) -> None:
    """Write ``text`` to a cgroup file in one write(2), as the kernel wants it."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


@functools.cache
def _own_path(controller: str) -> str:
    """This process's cgroup path in a v1 hierarchy holding ``controller`` (read once: the parent of its jobs')."""
    for line in _read("/proc/self/cgroup").splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return path.lstrip("/")
    raise OSError(f"no cgroup v1 {controller} hierarchy")


# what a cgroup may still hold of its last job's memory (page cache, kernel objects: a tmpfs is freed a little after
# the last process of its mount namespace exits) to be used again: the runner's headroom in a job's limit is 64 MiB
REUSE_MAX_BYTES = 1 << 20


def _counter(path: str, key: str) -> int:
    """The value of ``key`` in a flat-keyed cgroup file such as memory.oom_control."""
    for line in _read(path).splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


def _procs(directory: Path) -> list[int]:
    """Pids in the cgroup ``directory``."""
    return [int(p) for p in _read(f"{directory}/cgroup.procs").split()]


def _kill_left(directory: Path) -> None:
    """SIGKILL every process left in the cgroup ``directory``."""
    for pid in _procs(directory):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


_REAPED: set[Path] = set()


def _reap_stale(parent: Path) -> None:
    """Remove job cgroups left by processes that died without closing them (named ``<pid>-…``)."""
    for stale in parent.iterdir():
        pid, dash, _ = stale.name.partition("-")
        if stale.is_dir() and dash and pid.isdigit() and not Path(f"/proc/{pid}").exists():
            with contextlib.suppress(OSError):
                JobCgroup(stale, stale).close(timeout_s=0.5)


def _make(controller: str, name: str) -> Path:
    """A job's cgroup ``name`` in the v1 ``controller`` hierarchy, under this process's own."""
    parent = CGROUP_ROOT / controller / _own_path(controller) / _PARENT_NAME
    if parent not in _REAPED:
        parent.mkdir(exist_ok=True)
        _reap_stale(parent)
        _REAPED.add(parent)
    (parent / name).mkdir()
    return parent / name


class Leftover(Enum):
    """What a finished job left in its cgroup (``JobCgroup.leftover``)."""

    NOTHING = "nothing"
    TASKS = "tasks"
    MEMORY = "memory"


@dataclass(frozen=True)
class Usage:
    """Counters that tell which cgroup limit a step hit, and the CPU the job's processes have used."""

    oom_kills: int
    pids_refused: int
    cpu_s: float | None = None  # every process of the job, reaped or not (None without a cpuacct hierarchy)


@dataclass(frozen=True)
class JobCgroup:
    """A memory cgroup, a pids cgroup and (where there is a cpu hierarchy) a cpu cgroup for one job, removed by
    :meth:`close`."""

    memory: Path
    pids: Path
    cpu: Path | None = None
    cpuacct: Path | None = None

    @classmethod
    def create(cls) -> JobCgroup:
        """Make the cgroups under this process's own; OSError if the host forbids memory or pids ones."""
        name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        dirs = [_make(controller, name) for controller in ("memory", "pids")]
        optional: list[Path | None] = []
        for controller in ("cpu", "cpuacct"):
            try:
                optional.append(_make(controller, name))
            except OSError:  # cpu: jobs share the CPU as the kernel's sessions do; cpuacct: rusage counts alone
                optional.append(None)
        group = cls(dirs[0], dirs[1], *optional)
        try:
            _write(f"{group.memory}/memory.swappiness", "0")
            group.usage()
        except OSError:
            group.close()
            raise
        return group

    def set_limits(self, memory_bytes: int, max_pids: int) -> bool:
        """Cap the job's total memory (page cache and tmpfs included) and task count.

        False if the job already holds more memory than ``memory_bytes`` that the kernel
        cannot reclaim (its files on tmpfs, say: EBUSY): the cap is then unchanged, and
        the caller must not run a step under it (it may be an earlier step's, far higher).
        """
        _write(f"{self.pids}/pids.max", str(max_pids))
        try:
            _write(f"{self.memory}/memory.limit_in_bytes", str(memory_bytes))
        except OSError as exc:
            if exc.errno != errno.EBUSY:
                raise
            return False
        return True

    def attach(self, pids: Iterable[int]) -> None:
        """Move processes into the job's cgroups (their later children follow)."""
        for pid in pids:
            for directory in self._dirs():
                _write(f"{directory}/cgroup.procs", str(pid))

    def _dirs(self) -> tuple[Path, ...]:
        """The job's cgroup directories, memory first."""
        return (self.memory, self.pids, *(d for d in (self.cpu, self.cpuacct) if d is not None))

    def usage(self) -> Usage:
        """Cumulative OOM kills, refused forks and CPU seconds since the job started.

        The CPU is the cgroup's: it counts processes nobody reaps with wait(), whose time no
        rusage shows (children of a process that ignores SIGCHLD are reaped by the kernel).
        """
        cpu = None if self.cpuacct is None else int(_read(f"{self.cpuacct}/cpuacct.usage")) / 1e9
        return Usage(
            _counter(f"{self.memory}/memory.oom_control", "oom_kill"), _counter(f"{self.pids}/pids.events", "max"), cpu
        )

    def tasks(self) -> int:
        """Threads of the job's processes that still run (a zombie, ended and not yet reaped by its parent, is not)."""
        running = 0
        for tid in _read(f"{self.pids}/tasks").split():
            try:
                state = _read(f"/proc/{tid}/stat").rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue  # gone meanwhile
            running += state not in ("Z", "X")
        return running

    def procs(self) -> list[int]:
        """Pids still in the job."""
        return _procs(self.pids)

    def leftover(self) -> Leftover:
        """What of its last job, whose processes were killed, keeps this cgroup from another job.

        TASKS: a process still exiting, or an exited one its parent has yet to reap (a job
        host's runner, reaped when the host takes its next job): come back later. MEMORY: more
        than REUSE_MAX_BYTES still charged: remove it. NOTHING: its limits are lifted, and
        another job may use it, which saves its making and removal (~0.5 ms of CPU a job,
        measured); a job sees only differences of its counters, so the last job's are none
        of its business. Two file reads: it is asked again for each new job while TASKS.
        """
        if int(_read(f"{self.pids}/pids.current")):  # every task of the job, exited ones not yet reaped too
            return Leftover.TASKS
        if int(_read(f"{self.memory}/memory.usage_in_bytes")) > REUSE_MAX_BYTES:
            return Leftover.MEMORY
        _write(f"{self.pids}/pids.max", "max")
        _write(f"{self.memory}/memory.limit_in_bytes", "-1")
        return Leftover.NOTHING

    def close(self, timeout_s: float = 5.0) -> None:
        """Kill whatever is left in the job and remove its cgroups."""
        deadline = time.monotonic() + timeout_s
        for directory in self._dirs()[::-1]:
            while True:
                with contextlib.suppress(OSError):
                    _kill_left(directory)
                try:
                    os.rmdir(directory)
                except FileNotFoundError:  # removed meanwhile (a stale one, by another process's sweep)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.002)
                else:
                    break
