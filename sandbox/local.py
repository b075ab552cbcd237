"""The ``local`` backend: bubblewrap namespaces + rlimits (+ cgroups where the host allows).

Each job has a small runner of its own: PID 1 of fresh namespaces forked by a job host
(sandbox/hosts.py: one long-lived bubblewrap sandbox serving many jobs, one at a time),
or, where hosts cannot serve, of a bubblewrap sandbox started for the job (or a spare).
The runner runs each step in user, pid, mount and IPC namespaces of its own under its
rlimits (see ``sandbox/_runner.py``), so a job pays one runner however many tests it has, and
no step can reach the runner, another step, or anything of the host. stdin, stdout and stderr are
memfds passed to the runner (never host pipes that could fill up); output beyond the cap is
reported as ``limit="output"`` with ``stdout_truncated``: the runner drains the
program's pipes into them and stops the program at the cap.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import math
import os
import select
import signal
import socket
import threading
import time
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, replace
from typing import Any, cast

from sandbox import bwrap, seccomp
from sandbox.backend import Job, Step, StepResult
from sandbox.cgroups import JobCgroup, Leftover, Usage
from sandbox.classify import Outcome, step_result
from sandbox.errors import BackendUnavailable, Cancelled, SandboxError
from sandbox.hosts import HostJob, JobHosts
from sandbox.policy import Policy
from sandbox.precompile import precompiled
from sandbox.spares import Spares

log = logging.getLogger(__name__)

DEFAULT_PYTHON = "/usr/bin/python3"
RUNNER_TASKS = 3  # the runner, and a space's init or a harness and its peer (made ahead: dropped for a plain step)
RUNNER_MEMORY_BYTES = 64 << 20
MAX_OPEN_FILES = 512
MAX_STACK_BYTES = 256 << 20
FALLBACK_STACK_BYTES = 8 << 20
MIN_TMPFS_BYTES = 64 << 20
HOST_GRACE_S = 5.0
CANCEL_POLL_S = 0.05
# a last step the runner runs itself ends when the runner is gone: after the harness, the peer's end (PEER_EXIT_S in
# sandbox/_runner.py) and the kernel's teardown of the job's pid namespace, which a Solo's step does not count
FINAL_GRACE_S = 0.5
DRAIN_LIMIT_S = 60.0
CLOSE_WAIT_S = 2.0  # for the killed processes of a cgroup to exit, when the backend closes
EMPTY_CGROUPS_KEPT = 8  # a finished job's cgroups, emptied, kept for the next jobs (JobCgroup.leftover)
MARSHAL_VERSION = 4  # what the runner speaks: see sandbox/_runner.py
PYTHON_FLAGS = ("-I", "-S", "-B")  # the runner's own: a harness run with them may be run by the runner itself
FILES_PER_MESSAGE = 8  # the runner takes at most 8 fds per message
DEFAULT_SPARES = min(os.cpu_count() or 1, 4)  # per kind of sandbox (harness or not, tmpfs size) jobs asked for
HOST_IDLE_S = 60.0  # a job host idle this long is torn down (a burst's hosts do not stay): setting sandbox_host_idle_s
HOSTS_KEPT = 1  # idle hosts kept however long idle (the last used): the next job does not wait for a host to start
HOST_SWEEP_S = 10.0  # at most this long between looks for idle hosts


def rlimits(policy: Policy, cgroup: bool) -> list[tuple[str, int, int]]:
    """The rlimits of one step.

    With cgroups, memory is the cgroup's job (it counts resident pages, so thread stacks
    and runtimes that reserve address space work) and the stack may use all of it; NPROC
    is a loose backstop (2x) so that the pids cgroup, which counts refusals, trips first
    even when many forks race (the rlimit is checked earlier in fork than the cgroup). Without cgroups,
    RLIMIT_DATA caps memory and the stack stays at 8 MiB, because glibc and libuv size
    every thread's stack from RLIMIT_STACK and DATA counts those stacks.
    """
    cpu = max(1, math.ceil(policy.cpu_time_s))
    memory = policy.memory_mb << 20
    nproc = (policy.max_processes + RUNNER_TASKS) * (2 if cgroup else 1)
    limits = [
        ("RLIMIT_CPU", cpu, cpu + 1),
        ("RLIMIT_NPROC", nproc, nproc),
        ("RLIMIT_FSIZE", policy.max_file_bytes, policy.max_file_bytes),
        ("RLIMIT_NOFILE", MAX_OPEN_FILES, MAX_OPEN_FILES),
        ("RLIMIT_CORE", 0, 0),
    ]
    if cgroup:
        stack = min(memory, MAX_STACK_BYTES)
        return [*limits, ("RLIMIT_STACK", stack, stack)]
    return [*limits, ("RLIMIT_DATA", memory, memory), ("RLIMIT_STACK", FALLBACK_STACK_BYTES, FALLBACK_STACK_BYTES)]


class LocalBackend:
    """Runs jobs in bubblewrap on this host with the host's toolchains."""

    name = "local"
    host_toolchains = True

    def __init__(
        self,
        python: str = DEFAULT_PYTHON,
        use_cgroups: bool = True,
        spares: int = DEFAULT_SPARES,
        hosts: bool = True,
        host_idle_s: float = HOST_IDLE_S,
    ) -> None:
        """``hosts``: run jobs in job hosts (sandbox/hosts.py) where the machine allows, tearing down those idle
        for ``host_idle_s`` (but the last used), up to ``spares`` hosts more than jobs in flight; else,
        or where it does not, ``spares`` sandboxes of each kind are kept started ahead of demand
        (sandbox/spares.py), 0 for none."""
        self._bwrap = bwrap.find_bwrap()
        if not os.access(python, os.X_OK):
            raise BackendUnavailable(f"the local sandbox needs {python} (the runner and Python both use it)")
        seccomp.filter_program()  # BackendUnavailable now, not at the first job, where there is no libseccomp
        self._python = python
        self._use_cgroups = use_cgroups
        self._cgroup_problem: str | None = None if use_cgroups else "cgroups disabled by configuration"
        self._draining: list[tuple[JobCgroup, float]] = []  # cgroups whose processes were exiting at job end, since
        self._empty: list[JobCgroup] = []  # cgroups of finished jobs, nothing left in them, for the next jobs
        self._lock = threading.Lock()
        self._spares: Spares[Ready] = Spares(self._start_spare, self._discard_spare, Ready.alive, spares)
        self.hosts = JobHosts(self._bwrap, python, self._cgroup, self._release, spare=spares)
        if not hosts:
            self.hosts.problem = "job hosts disabled by configuration"
        self._host_idle_s = host_idle_s
        self._closed = threading.Event()
        threading.Thread(target=self._sweep_hosts, name="rlvr-host-sweep", daemon=True).start()

    def close(self) -> None:
        """Tear down idle job hosts and spare sandboxes and remove their cgroups (running jobs keep theirs)."""
        self._closed.set()
        self.hosts.close()
        self._spares.close()
        with self._lock:
            pending, self._draining = [cgroup for cgroup, _ in self._draining] + self._empty, []
            self._empty = []
        for cgroup in pending:
            with contextlib.suppress(OSError):
                cgroup.close(timeout_s=CLOSE_WAIT_S)

    def precompiled(self, python: str, source: str, filename: str) -> bytes:
        """``source`` compiled by this host's ``python`` (sandbox/precompile.py's format)."""
        return precompiled(python, source, filename)

    def run(self, job: Job) -> Iterator[StepResult]:
        """Run ``job``'s steps in one fresh sandbox; closing the iterator early tears it down."""
        run = _JobRun(self, job)
        try:
            for step in job.steps:
                yield run.step(step)
                run.done += 1
        finally:
            run.close()

    def open_live(self, job: Job) -> LiveStep:
        """Start ``job``'s one step with pipes for its stdin and stdout: a program that answers as it goes.

        For a session's kernel (service/runs/live.py). The step runs under its policy in the
        job's fresh sandbox, as any step; ``LiveStep.close`` tears the sandbox down.
        """
        return LiveStep(_JobRun(self, job))

    def _sweep_hosts(self) -> None:
        """Until the backend closes: tear down the job hosts idle for longer than ``host_idle_s``."""
        while not self._closed.wait(min(HOST_SWEEP_S, self._host_idle_s / 2)):
            self.hosts.close_idle(self._host_idle_s, HOSTS_KEPT)

    def _cgroup(self) -> JobCgroup | None:
        if self._cgroup_problem is not None:
            return None
        self._remove_drained()
        with self._lock:
            if self._empty:
                return self._empty.pop()
        try:
            return JobCgroup.create()
        except OSError as exc:
            self._cgroup_problem = f"cgroups unavailable ({exc}): memory and process limits are rlimits only"
            log.warning("local sandbox degraded: %s", self._cgroup_problem)
            return None

    def _start_spare(self, kind: Hashable) -> Ready:
        """A sandbox for a job not yet known, of ``kind`` (harness or not, tmpfs size): no files, a fresh cgroup."""
        harness, tmpfs_bytes = cast(tuple[bool, int], kind)
        cgroup = self._cgroup()
        try:
            attach = cgroup.attach if cgroup is not None else None
            box = bwrap.start(self._bwrap, self._python, {}, tmpfs_bytes, attach, harness)
        except BaseException:
            if cgroup is not None:
                self._release(cgroup)
            raise
        return Ready(box, cgroup)

    def _discard_spare(self, ready: Ready) -> None:
        ready.box.kill()
        if ready.cgroup is not None:
            self._release(ready.cgroup)

    def _release(self, cgroup: JobCgroup) -> None:
        """Keep a finished job's cgroup for another job, or remove it, once its killed processes have exited."""
        try:
            done = self._reuse_or_close(cgroup)
        except OSError:
            done = False
        if not done:
            with self._lock:
                if all(waiting != cgroup for waiting, _ in self._draining):  # released twice: waits once
                    self._draining.append((cgroup, time.monotonic()))

    def _reuse_or_close(self, cgroup: JobCgroup, waited: bool = False) -> bool:
        """Keep ``cgroup`` for another job if nothing of its job is left and fewer are kept, else remove it; False
        if a task of its job is still there (exiting, or not yet reaped) and not ``waited`` long enough for it.

        OSError if it cannot be removed yet. Waiting costs a file read a job; removing a
        cgroup with a task in it would fail (a failed rmdir costs ~0.3 ms, measured), and
        one removed would be made anew for the next job.
        """
        left = cgroup.leftover()
        if left is Leftover.TASKS and not waited:
            return False
        if left is Leftover.NOTHING:
            with self._lock:
                if cgroup in self._empty:  # released twice: kept once, never handed to two jobs
                    return True
                if len(self._empty) < EMPTY_CGROUPS_KEPT:
                    self._empty.append(cgroup)
                    return True
        cgroup.close(timeout_s=0.0)
        return True

    def _remove_drained(self) -> None:
        with self._lock:
            pending, self._draining = self._draining, []
        for cgroup, since in pending:  # since its job ended: a runner made ahead may have waited long before its job
            waited = time.monotonic() - since > DRAIN_LIMIT_S
            try:
                done = self._reuse_or_close(cgroup, waited)
            except OSError as exc:
                if waited:
                    log.warning("local sandbox: cgroup %s will not go away: %s", cgroup.memory.name, exc)
                done = waited
            if not done:
                with self._lock:
                    self._draining.append((cgroup, since))


@dataclass
class Ready:
    """A sandbox started ahead of its job, and its cgroup (None where the host has none for us)."""

    box: bwrap.Sandbox
    cgroup: JobCgroup | None

    def alive(self) -> bool:
        """Its bwrap still runs (a spare is never lent dead)."""
        return self.box.process.poll() is None


class _JobRun:
    """The state of one job: its sandbox, its cgroup and whether an earlier step broke it."""

    def __init__(self, backend: LocalBackend, job: Job) -> None:
        self.backend = backend
        self.job = job
        self.box: bwrap.Sandbox | HostJob | None = None
        self.files_due = False  # a spare sandbox or a host's job that has not got the job's files yet
        self.harness = any(step.peer for step in job.steps)
        hosted = backend.hosts.open(self.tmpfs_bytes, self.harness, job.preload) if job.steps else None
        no_hosts = backend.hosts.problem is not None  # spares serve only where hosts cannot (else they are not kept)
        spare = backend._spares.take((self.harness, self.tmpfs_bytes)) if job.steps and no_hosts else None
        if hosted is not None:
            self.box, self.cgroup, self.files_due = hosted, hosted.cgroup, bool(job.files)
        elif spare is not None:
            self.box, self.cgroup, self.files_due = spare.box, spare.cgroup, bool(job.files)
        else:
            self.cgroup = backend._cgroup()
        self.notes = () if self.cgroup is not None or backend._cgroup_problem is None else (backend._cgroup_problem,)
        self.broken: StepResult | None = None
        self.done = 0  # steps of the job run: the next to run is job.steps[done]
        self.limits: tuple[int, int] | None = None
        self.usage = Usage(0, 0) if self.cgroup is None else self.cgroup.usage()

    def _send_files(self) -> None:
        """Copy the job's files into a spare's or a host job's work dir (a fresh sandbox gets them from bwrap)."""
        assert self.box is not None
        self.files_due = False
        items = [(str(bwrap.checked_relpath(name)), data) for name, data in self.job.files.items()]
        for at in range(0, len(items), FILES_PER_MESSAGE):
            part = items[at : at + FILES_PER_MESSAGE]
            fds = [bwrap.memfd("job-file", data) for _, data in part]
            try:
                message = marshal.dumps({"files": [name for name, _ in part]}, MARSHAL_VERSION)
                socket.send_fds(self.box.control, [message], fds)
                ready = select.select([self.box.control], [], [], bwrap.START_TIMEOUT_S)[0]
                data = self.box.control.recv(1 << 16) if ready else b""
            except OSError as exc:
                raise SandboxError(f"the sandbox runner took no files: {exc}") from exc
            finally:
                for fd in fds:
                    os.close(fd)
            said = marshal.loads(data) if data else {"setup_error": "the sandbox runner did not answer"}
            if "setup_error" in said:
                raise SandboxError(f"the job's files could not be written: {said['setup_error']}")

    def _start(self) -> bwrap.Sandbox:
        """The job's runner in a bubblewrap sandbox of its own (no job host or spare took it)."""
        attach = self.cgroup.attach if self.cgroup is not None else None
        return bwrap.start(
            self.backend._bwrap, self.backend._python, self.job.files, self.tmpfs_bytes, attach, self.harness
        )

    @property
    def tmpfs_bytes(self) -> int:
        """Size of each tmpfs of the job (its files may be as large as any step's file limit)."""
        return max(MIN_TMPFS_BYTES, max((s.policy.max_file_bytes for s in self.job.steps), default=0))

    def step(self, step: Step) -> StepResult:
        if self.broken is not None:
            return replace(
                self.broken,
                stdout=b"",
                stderr=b"",
                wall_time_s=0.0,
                cpu_time_s=None,
                notes=(*self.notes, "not run: an earlier step of this job broke its sandbox"),
            )
        limits = self.ready(step)[1]
        fds = [bwrap.memfd("stdin", step.stdin), bwrap.memfd("stdout"), bwrap.memfd("stderr")]
        try:
            if self.cgroup is not None and limits != self.limits:
                if not self.cgroup.set_limits(*limits):
                    return self._over_memory(step)
                self.limits = limits
            before = self.usage
            started = time.monotonic()
            final = self._final(self.done)
            report = self._exchange_final(step, fds, final) if final is not None else self._exchange(step, fds)
            after = self.usage = self.cgroup.usage() if self.cgroup is not None else before
            if report is None or report.get("hung"):
                return self._lost(step, report, fds, time.monotonic() - started, after, before)
            if report.get("setup_error"):
                raise SandboxError(f"the sandbox could not set up {step.name or 'a step'}: {report['setup_error']}")
            return self._result(step, report, fds[1], fds[2], after, before)
        except OSError as exc:  # a cgroup file or memfd failed: the sandbox's fault, not the program's
            raise SandboxError(f"local sandbox failed: {exc}") from exc
        finally:
            for fd in fds:
                os.close(fd)

    def _over_memory(self, step: Step) -> StepResult:
        """A step not run: the job's memory (the program's files, an earlier step's /tmp) is over its limit already."""
        note = f"not run: the job already holds more memory than this step's limit ({step.policy.memory_mb} MiB)"
        return StepResult(None, signal.SIGKILL, b"", b"", 0.0, 0.0, "memory", notes=(*self.notes, note))

    def ready(self, step: Step) -> tuple[bwrap.Sandbox | HostJob, tuple[int, int]]:
        """Start the sandbox and send the files if not yet done: the sandbox, and the cgroup's (memory, pids) limits
        for ``step``."""
        if self.box is None:
            self.box = self._start()
        if self.files_due:
            self._send_files()
        policy = step.policy
        return self.box, ((policy.memory_mb << 20) + RUNNER_MEMORY_BYTES, policy.max_processes + RUNNER_TASKS)

    def spec(self, step: Step, final: bool = False) -> bytes:
        """The runner's message for ``step``; ``peer_ahead``: the job's next step has a peer, which the runner makes
        as soon as this one is over (with its harness, ``harness_ahead``, unless the runner will run that step
        itself); ``final``: the runner runs this step itself (``_final``)."""
        after = self.job.steps[self.done + 1 : self.done + 2]
        spec = {
            "argv": list(step.argv),
            "peer": list(step.peer),
            "wall_time_s": step.policy.wall_time_s,
            "max_output_bytes": step.policy.max_output_bytes,
            "rlimits": rlimits(step.policy, self.cgroup is not None),
            "peer_ahead": bool(after and after[0].peer),
            "harness_ahead": bool(after and after[0].peer) and self._final(self.done + 1) is None,
            "final": final,
        }
        return marshal.dumps(spec, MARSHAL_VERSION)

    def _final(self, index: int) -> HostJob | None:
        """The job host's runner, if it is to run step ``index`` itself (sandbox/_runner.py ``final_step``): the
        job's last step, a python harness with a peer, in a job host whose job's CPU a cpuacct cgroup counts (the
        runner cannot report it: we watch it from outside)."""
        box, step = self.box, self.job.steps[index]
        last = index == len(self.job.steps) - 1
        harness = bool(step.peer) and tuple(step.argv[1:-1]) == (*PYTHON_FLAGS, "-c")
        counted = self.usage.cpu_s is not None
        return box if isinstance(box, HostJob) and last and harness and counted else None

    def _exchange_final(self, step: Step, fds: list[int], box: HostJob) -> dict[str, Any] | None:
        """Have the runner run ``step`` itself and watch it end: the report a runner would make, from its pidfd,
        the wall deadline (SIGKILL) and how the template says it ended (the CPU is the cgroup's, ``step``); the
        runner's own report if it could not start the step; None if it is gone without one.

        Raises Cancelled (after tearing the sandbox down) as soon as the job's cancel event is set.
        """
        try:
            socket.send_fds(box.control, [self.spec(step, final=True)], fds)
        except OSError:
            return None
        start = time.monotonic()
        deadline, timed_out, gone = start + step.policy.wall_time_s + FINAL_GRACE_S, False, True
        watched: list[Any] = [box.pidfd, box.control]
        cancel = self.job.cancel
        while True:
            self._stop_if_cancelled(step)
            remaining = deadline - time.monotonic()
            if remaining <= 0 and not timed_out:
                box.stop_runner()
                timed_out, deadline = True, time.monotonic() + HOST_GRACE_S
                continue
            if remaining <= 0:  # killed, and its pid namespace's teardown (the kernel's) not over: as a Solo's
                gone = False
                break
            wait = remaining if cancel is None else min(remaining, CANCEL_POLL_S)
            ready = select.select(watched, [], [], wait)[0]
            if box.control in ready:
                data = box.control.recv(1 << 16)
                if data:  # said before the harness ran: the step could not start
                    return cast(dict[str, Any], marshal.loads(data))
                watched.remove(box.control)  # it closed the socket: the harness runs
            if box.pidfd in ready:
                break
        wall = time.monotonic() - start
        if box.control in watched:  # it ended before it handed itself over: what it said is all there is
            data = box.control.recv(1 << 16) if select.select([box.control], [], [], 0)[0] else b""
            return cast(dict[str, Any], marshal.loads(data)) if data else None
        status = box.runner_status() if gone else signal.SIGKILL  # unreaped: how it ended is our stop
        code = os.waitstatus_to_exitcode(status)
        peer_signal = code - 128 if code > 128 else 0  # final_step's way of saying the peer's signal
        return {
            "status": 0 if peer_signal else status,
            "cpu_time_s": None,
            "wall_time_s": wall,
            "timed_out": timed_out,
            "exec_error": "",
            "peer_signal": peer_signal,
            "final": True,
        }

    def _stop_if_cancelled(self, step: Step) -> None:
        """Tear the sandbox down and raise Cancelled if the job's cancel event is set."""
        if self.job.cancel is not None and self.job.cancel.is_set():
            self._teardown()
            raise Cancelled(f"{step.name or 'step'} stopped: the job was cancelled")

    def _exchange(self, step: Step, fds: list[int]) -> dict[str, Any] | None:
        """Send the step to the runner; its report, or None if the runner died ({"hung": True} if it hung).

        Raises Cancelled (after tearing the sandbox down) as soon as the job's cancel event is set.
        """
        assert self.box is not None
        try:
            socket.send_fds(self.box.control, [self.spec(step)], fds)
        except OSError:
            return None
        deadline = time.monotonic() + step.policy.wall_time_s + HOST_GRACE_S
        cancel = self.job.cancel
        while True:
            self._stop_if_cancelled(step)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return {"hung": True}
            wait = remaining if cancel is None else min(remaining, CANCEL_POLL_S)
            if select.select([self.box.control], [], [], wait)[0]:
                break
        data = self.box.control.recv(1 << 16)
        return marshal.loads(data) if data else None

    def _lost(
        self, step: Step, report: dict[str, Any] | None, fds: list[int], wall: float, after: Usage, before: Usage
    ) -> StepResult:
        """The runner died or hung during ``step``.

        No process of a step can reach the runner (it is outside the step's pid namespace),
        so this is the sandbox's failure, unless the job's cgroup killed it for memory the
        program took: then it is the program's memory limit.
        """
        self._teardown()
        said = self.box.bwrap_stderr() if self.box is not None else ""
        if after.oom_kills == before.oom_kills:
            why = "did not answer in time" if report else "died"
            raise SandboxError(
                f"the sandbox runner {why} during {step.name or 'a step'}: {said[-2000:] or 'no message'}"
            )
        why = "did not answer in time" if report else "was killed for memory during this step"
        notes = [*self.notes, f"the sandbox runner {why}; the job's sandbox is torn down"]
        out_size, err_size = os.fstat(fds[1]).st_size, os.fstat(fds[2]).st_size
        stdout, stderr = (
            os.pread(fds[1], step.policy.max_output_bytes, 0),
            os.pread(fds[2], step.policy.max_output_bytes, 0),
        )
        outcome = Outcome(
            None,
            signal.SIGKILL,
            wall,
            None,
            bool(report),
            out_size,
            err_size,
            stderr,
            after.oom_kills - before.oom_kills,
            after.pids_refused - before.pids_refused,
        )
        self.broken = self._make(step, outcome, stdout, stderr, notes)
        return self.broken

    def _result(
        self, step: Step, report: dict[str, Any], out_fd: int, err_fd: int, after: Usage, before: Usage
    ) -> StepResult:
        cap = step.policy.max_output_bytes
        out_size, err_size = os.fstat(out_fd).st_size, os.fstat(err_fd).st_size
        stdout, stderr = os.pread(out_fd, cap, 0), os.pread(err_fd, cap, 0)
        notes = list(self.notes)
        exec_error = str(report["exec_error"])
        if exec_error:
            if step.argv[0].startswith("/"):
                raise SandboxError(f"cannot execute {step.argv[0]} in the sandbox: {exec_error}")
            return StepResult(
                127,
                None,
                b"",
                f"cannot execute {step.argv[0]}: {exec_error}\n".encode(),
                float(report["wall_time_s"]),
                0.0,
                notes=(*notes, "exec failed"),
            )
        status = int(report["status"])
        exit_code = os.waitstatus_to_exitcode(status)
        cpu = None if report["cpu_time_s"] is None else float(report["cpu_time_s"])
        counted = None if after.cpu_s is None or before.cpu_s is None else after.cpu_s - before.cpu_s
        if report.get("final"):
            cpu = counted  # every process of the step: the runner ran it, and reaped the peer
        elif cpu is not None and counted is not None:
            # the cgroup's count, the larger: children the kernel reaped unseen (their parent ignores SIGCHLD)
            # are in no rusage; it includes the runner's own share of the step, a few milliseconds
            cpu = max(cpu, counted)
        outcome = Outcome(
            exit_code if exit_code >= 0 else None,
            -exit_code if exit_code < 0 else None,
            float(report["wall_time_s"]),
            cpu,
            bool(report["timed_out"]),
            out_size,
            err_size,
            stderr,
            after.oom_kills - before.oom_kills,
            after.pids_refused - before.pids_refused,
            int(report["peer_signal"]) or None,
        )
        result = self._make(step, outcome, stdout, stderr, notes)
        if cpu is None and result.limit is None:
            # a space's init is gone mid-step: only its RLIMIT_CPU, run up by the program, ends it
            note = "the step's CPU time could not be counted: its space's init ended with it"
            return replace(result, limit="cpu_time", notes=(*result.notes, note))
        return result

    def _make(self, step: Step, outcome: Outcome, stdout: bytes, stderr: bytes, notes: list[str]) -> StepResult:
        return step_result(outcome, stdout, stderr, step.policy, cgroup=self.cgroup is not None, notes=tuple(notes))

    def _teardown(self) -> None:
        if self.box is not None:
            self.box.kill()
        if self.cgroup is not None:
            with contextlib.suppress(OSError):
                for pid in self.cgroup.procs():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        """Kill the sandbox (if started) and release the job's cgroups without waiting for the dying."""
        self._teardown()
        if self.cgroup is not None:
            self.backend._release(self.cgroup)


class LiveStep:
    """A step running with the service at the other end of its stdin and stdout (pipes, not memfds).

    The runner drains the program's stdout into ``stdout`` as it comes (the pipe's reader
    must keep reading). Its stderr is dropped. Nothing of it is read back: the program says
    what it has to say on stdout.
    """

    def __init__(self, run: _JobRun) -> None:
        self._run = run
        self.stdin = self.stdout = -1
        try:
            (step,) = run.job.steps
            box, limits = run.ready(step)
            if run.cgroup is not None and not run.cgroup.set_limits(*limits):
                raise SandboxError("the job's files alone are over its memory limit")
            given = [*os.pipe(), *os.pipe(), bwrap.memfd("stderr")]
            theirs, self.stdin, self.stdout, ours = given[0], given[1], given[2], given[3]
            try:
                socket.send_fds(box.control, [run.spec(step)], [theirs, ours, given[4]])
            finally:
                for fd in (theirs, ours, given[4]):
                    os.close(fd)
        except OSError as exc:
            self.close()
            raise SandboxError(f"local sandbox failed to start a live step: {exc}") from exc
        except BaseException:
            self.close()
            raise

    def status(self, wait_s: float) -> int | None:
        """The program's wait status once the runner has reported the step over (within ``wait_s``), else None."""
        box = self._run.box
        if box is None or not select.select([box.control], [], [], wait_s)[0]:
            return None
        data = box.control.recv(1 << 16)
        report = marshal.loads(data) if data else {}
        return int(report["status"]) if "status" in report else None

    def tasks(self) -> int | None:
        """Running threads of the step's job (its runner and init included); None without cgroups."""
        cgroup = self._run.cgroup
        return cgroup.tasks() if cgroup is not None else None

    def close(self) -> None:
        """Kill the step and tear its sandbox down."""
        for fd in (self.stdin, self.stdout):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.stdin = self.stdout = -1
        self._run.close()
