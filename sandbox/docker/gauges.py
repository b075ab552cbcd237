"""Counters the in-container agent reads about a step: CPU of all its processes, OOM kills, refused forks.

Stdlib only: runner.py sends this file, with wipe.py and agent.py, as the agent's source.
"""

import resource

OOM_COUNTERS = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")
CPU_USAGE = (  # (path, key or "", seconds per unit): cgroup v1 cpuacct, then v2
    ("/sys/fs/cgroup/cpuacct/cpuacct.usage", "", 1e-9),
    ("/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage", "", 1e-9),
    ("/sys/fs/cgroup/cpu.stat", "usage_usec", 1e-6),
)


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


def container_cpu_s() -> float | None:
    """CPU seconds used by every process of the container so far (cgroup); None when unreadable."""
    for path, key, scale in CPU_USAGE:
        try:
            with open(path) as fh:
                for line in fh:
                    name, _, value = line.rpartition(" ")
                    if name == key or not key:
                        return int(value) * scale
        except (OSError, ValueError):
            continue
    return None


def own_cpu_s(who: int) -> float:
    """User plus system CPU seconds of RUSAGE_SELF or RUSAGE_CHILDREN."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def pids_refused() -> int:
    """Forks the container's pids cgroup refused so far."""
    try:
        with open("/sys/fs/cgroup/pids/pids.events") as fh:
            return int(fh.read().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


class CpuWatch:
    """CPU seconds of the running step's processes together, from the cgroup less the agent's own."""

    def __init__(self, limit_s: float) -> None:
        self.limit_s = limit_s
        self.used_s = 0.0
        self._cgroup = container_cpu_s()
        self._self = own_cpu_s(resource.RUSAGE_SELF)

    def over(self) -> bool:
        """True once the step's processes together used more CPU than the limit (``used_s`` as last seen)."""
        now = container_cpu_s()
        if now is None or self._cgroup is None:
            return False
        self.used_s = (now - self._cgroup) - (own_cpu_s(resource.RUSAGE_SELF) - self._self)
        return self.used_s > self.limit_s
