"""Live kernels: a session's interpreter kept running between its cells, where the backend can (local).

A cell of a session with a live kernel is a message over a pipe (a few ms), not a sandbox
job. The kernel is one sandbox job of its own (``LocalBackend.open_live``), started from
the session's saved state by the first cell that finds none, with the session's memory
limit; each cell runs under its own CPU limit (set by the kernel) and wall limit (here:
past it the kernel is killed). After every cell the kernel still sends the session's
pickled state, which the session keeps as before: a kernel that is gone (killed by a
limit, a crash, the service restarted, another replica ran the last cell, idle past the
TTL) costs only its in-memory extras (generators, lambdas, threads); the next cell starts
a new kernel from the saved state. Nothing is shared: one sandbox per kernel, one kernel
per session.
"""

from __future__ import annotations

import base64
import json
import math
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from grpo.run_wire import CommandRunResult, RunCodeResponse
from sandbox.backend import Backend, Job, Step
from sandbox.errors import SandboxError
from sandbox.languages import resolve
from sandbox.local import LiveStep
from sandbox.policy import Policy
from service.runs.kernel import CELL_FILE, KERNEL, NEXT_FILE, OUT_FILE, interrupt_s
from service.runs.spec import RunSpec

KERNEL_WALL_S = 24 * 3600.0
"""The longest a kernel lives (then the next cell starts a new one from the saved state)."""
KERNEL_CPU_PER_CELL_S = 60.0
"""A kernel's whole CPU time is capped at this many seconds per cell's timeout ceiling (its hard RLIMIT_CPU)."""
KERNEL_OUTPUT_BYTES = 1 << 50
"""The kernel's stdout is the protocol, not a program's output: each cell's own output is capped by the kernel."""
START_WAIT_S = 5.0
"""How long, beyond the cell's timeout, a cell waits for a kernel to say it started the cell (a new one restores
the saved state first, as long as a stateless cell would)."""
KERNEL_TASKS = 3
"""A kernel's job between cells: its runner, its space's init and the kernel's one thread (more: a cell left some)."""
ALONE_WAIT_S = 0.2
"""How long a kernel's job may take to be down to KERNEL_TASKS after an answer (a joined thread ends a moment later)."""
HEAD_BYTES = 1 << 20
SWEEP_S = 10.0


class KernelGone(Exception):
    """The kernel did not start the cell (it had died, or never came up): run the cell another way."""


@dataclass
class Kernel:
    """One live kernel: its step, the hash of the state it last saved (what its memory holds), its last use,
    its memory limit."""

    step: LiveStep
    state_hash: int
    used: float
    buffer: bytearray
    memory_mb: int

    def _read(self, want: Callable[[bytearray], int], deadline: float) -> bytes | None:
        """Bytes from the kernel's stdout up to what ``want`` says is complete (-1: not yet); None past ``deadline``."""
        fd = self.step.stdout
        while (n := want(self.buffer)) < 0:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            data = os.read(fd, 1 << 16)
            if not data:
                raise EOFError
            self.buffer += data
        out = bytes(self.buffer[:n])
        del self.buffer[:n]
        return out

    def _line(self, deadline: float) -> bytes | None:
        def want(buf: bytearray) -> int:
            at = buf.find(b"\n", 0, HEAD_BYTES)
            if at < 0 and len(buf) > HEAD_BYTES:
                raise EOFError  # not the kernel's protocol: the cell wrote on it
            return at + 1 if at >= 0 else -1

        return self._read(want, deadline)


class LiveKernels:
    """The live kernels of this process, by session id."""

    def __init__(self, backend: Callable[[], Backend], ttl_s: float, max_kernels: int, memory_mb: int) -> None:
        """``memory_mb``: what the memory limits of the kernels kept add up to at most (what the run slots could hold:
        a kernel idle between cells holds its memory outside any slot)."""
        self._backend = backend
        self._ttl_s = ttl_s
        self._max = max_kernels
        self._memory_mb = memory_mb
        self._kernels: dict[str, Kernel] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep_loop, name="rlvr-kernel-sweep", daemon=True)
        self._sweeper.start()

    def __len__(self) -> int:
        return len(self._kernels)

    def supported(self) -> bool:
        """The backend can keep a step running with pipes (the local one)."""
        return hasattr(self._backend(), "open_live")

    def run(self, session_id: str, state: bytes | None, spec: RunSpec) -> RunCodeResponse:
        """Run the cell of ``spec`` on the session's kernel, started from ``spec`` (its saved ``state``) if it has none.

        A kernel whose memory is not ``state`` (a cell ran elsewhere since, or its answer was
        not kept) is ended first. Raises KernelGone when no kernel could start the cell: the
        caller runs it as a job. A cell interrupted at its time limit ends the kernel (its
        state rolls back, as a stateless cell's does).
        """
        kernel = self._take(session_id, hash(state))
        if kernel is None:
            kernel = self._start(spec, hash(state))
        started = time.monotonic()
        try:
            response, keep = self._ask(kernel, spec)
        except KernelGone:
            self._close(kernel)
            raise
        if keep and not _alone(kernel):  # the cell left a process or thread running (it defeated the kernel's kill)
            keep = False
        if keep:
            kernel.state_hash, kernel.used = hash(base64.b64decode(response.files[NEXT_FILE])), time.monotonic()
            with self._lock:
                displaced = self._kernels.pop(session_id, None)  # started meanwhile by a cell sent after a disconnect
                self._kernels[session_id] = kernel
            if displaced is not None:
                self._close(displaced)
            self._trim()
        else:
            self._close(kernel)
        response.run_result.execution_time = time.monotonic() - started  # type: ignore[union-attr]
        return response

    def drop(self, session_id: str) -> None:
        """End the session's kernel, if it has one."""
        with self._lock:
            kernel = self._kernels.pop(session_id, None)
        if kernel is not None:
            self._close(kernel)

    def close(self) -> None:
        """End every kernel (the service is stopping)."""
        self._closed.set()
        with self._lock:
            kernels, self._kernels = list(self._kernels.values()), {}
        for kernel in kernels:
            self._close(kernel)

    def _take(self, session_id: str, state_hash: int) -> Kernel | None:
        """The session's kernel if its memory is the session's last saved state."""
        with self._lock:
            kernel = self._kernels.pop(session_id, None)
        if kernel is not None and kernel.state_hash != state_hash:
            self._close(kernel)
            return None
        return kernel

    def _start(self, spec: RunSpec, state_hash: int) -> Kernel:
        python = resolve("python", check_host=False).run_argv()
        policy = Policy(
            wall_time_s=KERNEL_WALL_S,
            cpu_time_s=KERNEL_CPU_PER_CELL_S * max(spec.run_policy.cpu_time_s, 1.0),
            memory_mb=spec.run_policy.memory_mb,
            max_processes=spec.run_policy.max_processes,
            max_output_bytes=KERNEL_OUTPUT_BYTES,
            max_file_bytes=spec.run_policy.max_file_bytes,
        )
        job = Job(dict(spec.files), (Step((*python[:-1], "-c", KERNEL), b"", policy, "kernel"),), "python")
        try:
            step = self._backend().open_live(job)  # type: ignore[attr-defined]
        except SandboxError as exc:
            raise KernelGone(str(exc)) from exc
        return Kernel(step, state_hash, time.monotonic(), bytearray(), policy.memory_mb)

    def _ask(self, kernel: Kernel, spec: RunSpec) -> tuple[RunCodeResponse, bool]:
        """Send the cell, read its answer: (the response as a cell job would give it, whether the kernel lives on).

        The kernel interrupts the cell at ``interrupt_s`` and answers with what it printed; a cell
        that goes on is killed with the kernel at the job's time limit (the grace later).
        """
        timeout_s = spec.run_policy.wall_time_s
        ask = json.dumps(
            {
                "code": spec_cell(spec),
                "wall_s": interrupt_s(spec),
                "cpu_s": max(1, math.ceil(interrupt_s(spec))),
                "max_output": spec.run_policy.max_output_bytes,
                "max_state": spec.fetch_budget_bytes,
            }
        ).encode()
        try:
            _write_all(kernel.step.stdin, b"%d\n" % len(ask) + ask)
            said = kernel._line(time.monotonic() + timeout_s + START_WAIT_S)
        except (OSError, EOFError) as exc:
            raise KernelGone(f"the kernel is gone: {exc}") from exc
        if said != b"started\n":
            raise KernelGone("the kernel did not start the cell")
        deadline = time.monotonic() + timeout_s
        try:
            head = kernel._line(deadline)
            if head is None:
                return _timed_out(), False
            parsed = json.loads(head)
            sizes = [int(n) for n in parsed["sizes"]]
            most = (spec.run_policy.max_output_bytes, spec.run_policy.max_output_bytes, spec.fetch_budget_bytes)
            if len(sizes) != len(most) or not all(0 <= n <= m for n, m in zip(sizes, most, strict=True)):
                raise ValueError(f"sizes {sizes} are not the kernel's")
            body = kernel._read(lambda buf: sum(sizes) if len(buf) >= sum(sizes) else -1, deadline)
            if body is None:
                return _timed_out(), False
        except EOFError:
            return self._ended(kernel), False
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError):  # json.loads, int() of what it gave
            return _crashed("the kernel's answer was garbled (the cell wrote on its channel)"), False
        stdout, stderr = body[: sizes[0]], body[sizes[0] : sizes[0] + sizes[1]]
        report = parsed.get("report")
        timed_out = isinstance(report, dict) and report.get("timed_out") is not None
        files = {OUT_FILE: base64.b64encode(json.dumps(report).encode()).decode()}
        if not parsed.get("over"):
            files[NEXT_FILE] = base64.b64encode(body[sizes[0] + sizes[1] :]).decode()
        run = CommandRunResult(
            status="Finished",
            return_code=0,
            stdout=stdout.decode("utf-8", errors="replace"),
            stderr=stderr.decode("utf-8", errors="replace"),
        )
        return RunCodeResponse(status="Success", run_result=run, files=files), not parsed.get("over") and not timed_out

    def _ended(self, kernel: Kernel) -> RunCodeResponse:
        """The kernel died during the cell: a CPU limit is a timeout, anything else a crash."""
        status = kernel.step.status(1.0)
        if status is not None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
            return _timed_out()
        code = os.waitstatus_to_exitcode(status) if status is not None else -signal.SIGKILL
        return _crashed(f"the kernel ended (exit {code}): killed, out of memory, or the cell ended it")

    def _close(self, kernel: Kernel) -> None:
        kernel.step.close()

    def _trim(self) -> None:
        """Close the least recently used kernels past the cap, or past the memory their limits may add up to."""
        with self._lock:
            extra = []
            by_use = sorted(self._kernels.items(), key=lambda item: item[1].used)
            memory_mb = sum(kernel.memory_mb for _, kernel in by_use)
            for session_id, kernel in by_use:
                if len(self._kernels) <= self._max and memory_mb <= self._memory_mb:
                    break
                del self._kernels[session_id]
                memory_mb -= kernel.memory_mb
                extra.append((session_id, kernel))
        for _, kernel in extra:
            self._close(kernel)

    def _sweep_loop(self) -> None:
        while not self._closed.wait(min(SWEEP_S, self._ttl_s / 2)):
            now = time.monotonic()
            with self._lock:
                idle = [sid for sid, k in self._kernels.items() if now - k.used > self._ttl_s]
            for session_id in idle:
                self.drop(session_id)


def _alone(kernel: Kernel) -> bool:
    """The kernel's job holds nothing but the kernel (checked from outside: the kernel's own clean-up after a cell
    runs in the cell's process); True without cgroups, where only the kernel's own clean-up is left."""
    deadline = time.monotonic() + ALONE_WAIT_S
    while (tasks := kernel.step.tasks()) is not None and tasks > KERNEL_TASKS:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def spec_cell(spec: RunSpec) -> str:
    """The cell's source, from the files of its job."""
    return spec.files[CELL_FILE].decode()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _timed_out() -> RunCodeResponse:
    """A cell that went on past its interrupt: killed with its kernel, and its output with it."""
    return RunCodeResponse(
        status="Failed", run_result=CommandRunResult(status="TimeLimitExceeded", stdout="", stderr="")
    )


def _crashed(message: str) -> RunCodeResponse:
    run = CommandRunResult(status="Finished", return_code=-signal.SIGKILL, stdout="", stderr="")
    return RunCodeResponse(status="Failed", message=message, run_result=run)
