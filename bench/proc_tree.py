"""Read the process tree from /proc: descendants of a pid, their names and memory."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    name: str
    cmdline: str


def processes() -> list[Proc]:
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        out.append(Proc(int(entry.name), ppid, name, cmdline))
    return out


def descendants(root: int) -> list[Proc]:
    procs = processes()
    children: dict[int, list[Proc]] = {}
    for p in procs:
        children.setdefault(p.ppid, []).append(p)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError):
            continue
    return total / 2**20


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu_s(root: int | None = None) -> float:
    """CPU seconds (user + system) used so far by ``root`` (default: this process) and its live descendants.

    A load-independent measure of work: on a machine shared with other jobs the wall clock of
    one contender says as much about the others' load as about its own cost.
    """
    root = os.getpid() if root is None else root
    total = 0
    for pid in [root, *(p.pid for p in descendants(root))]:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / TICK


def timed_round(fn: Callable[[], T]) -> tuple[T, tuple[float, float]]:
    """``fn()`` and its (wall, CPU) seconds; CPU of this process and its descendants (workers, a server)."""
    cpu, started = tree_cpu_s(), time.perf_counter()
    out = fn()
    return out, (time.perf_counter() - started, tree_cpu_s() - cpu)
