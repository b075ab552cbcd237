"""Job hosts a burst started are torn down once idle for ``host_idle_s`` but the last used: no process of them stays."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.proc_tree import descendants
from sandbox.backend import Job, Step
from sandbox.local import HOSTS_KEPT, LocalBackend
from tests.sandbox.conftest import FAST, python_step, skip_or_fail

IDLE_S = 1.0
HOLD = "import time\ntime.sleep(0.5)\nprint('held')"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _all_gone(pids: list[int], wait_s: float = 5.0) -> bool:
    """None of ``pids`` lives within ``wait_s`` (a killed pid namespace's processes exit after its init)."""
    deadline = time.monotonic() + wait_s
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(_alive(p) for p in pids)


def _burst(backend: LocalBackend, jobs: int) -> None:
    """``jobs`` jobs at once, each holding its host for a while (so each takes a host of its own)."""
    job = Job({}, (python_step(HOLD, policy=FAST),))
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda _: list(backend.run(job)), range(jobs)))
    assert all(r.stdout == b"held\n" for (r,) in results), results


# (jobs at once, idle hosts right after the burst at least, idle hosts after the idle time)
BURSTS = [(1, 1, 1), (6, 2, HOSTS_KEPT)]


@pytest.mark.parametrize(("jobs", "at_least", "kept"), BURSTS, ids=["one job", "a burst of six"])
def test_burst_then_idle_time_yields_extra_hosts_torn_down_and_no_process_left(
    jobs: int, at_least: int, kept: int
) -> None:
    backend = LocalBackend(spares=0, host_idle_s=IDLE_S)
    try:
        if backend.hosts.problem is None:
            list(backend.run(Job({}, (Step(("/bin/true",)),))))
        if backend.hosts.problem is not None:
            skip_or_fail(f"job hosts unavailable: {backend.hosts.problem}")
        _burst(backend, jobs)
        hosts = backend.hosts.idle()
        assert len(hosts) >= at_least, hosts
        trees = {pid: [p.pid for p in descendants(pid)] for pid in hosts}
        assert all(trees.values()), trees  # each host's runner runs under its bubblewrap
        time.sleep(IDLE_S * 2.5)
        left = backend.hosts.idle()
        assert len(left) == kept and set(left) <= set(hosts), (hosts, left)
        gone = [pid for pid in hosts if pid not in left]
        assert _all_gone([p for pid in gone for p in [pid, *trees[pid]]])
        started = backend.hosts.started
        list(backend.run(Job({}, (Step(("/bin/true",)),))))
        assert backend.hosts.started == started  # the kept host serves the next job
    finally:
        backend.close()
    assert _all_gone([p for pid in hosts for p in [pid, *trees[pid]]])


# (jobs at once, spares, fewest and most hosts started by 8 jobs a thread): a job that finds no runner made starts
# one more host while fewer than ``spares`` are idle; with one thread the second job always finds its host still making
SPARES = [(1, 0, 1, 1), (1, 2, 2, 3), (2, 0, 1, 2), (2, 2, 2, 4)]


@pytest.mark.parametrize(
    ("threads", "spares", "fewest", "most"),
    SPARES,
    ids=["one thread", "one thread, spares", "two threads", "two threads, spares"],
)
def test_jobs_back_to_back_yield_at_most_spares_hosts_more_than_jobs_in_flight(
    threads: int, spares: int, fewest: int, most: int
) -> None:
    backend = LocalBackend(spares=spares)
    job = Job({}, (Step(("/bin/true",)),))
    try:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda _: [list(backend.run(job)) for _ in range(8)], range(threads)))
        if backend.hosts.problem is not None:
            skip_or_fail(f"job hosts unavailable: {backend.hosts.problem}")
        started = backend.hosts.started
    finally:
        backend.close()
    assert fewest <= started <= most
