"""Reading ``fetch_files`` back: a trusted step, inside the same sandbox, after the program.

The backend returns only a step's stdout and stderr, so the files are read by one more
step in the job's work dir: a fixed Python script run isolated (``-I -S``: nothing in the
work dir can be imported) that prints one line of sizes, one per name asked (-1 missing,
-2 skipped), then the files' bytes, raw: a framing that needs no module the forked
interpreter has not imported already (json and base64 cost the step 10-20 ms). The service
checks the line (one size per name, none past the budget, their sum the bytes that follow). The program's processes
are gone by then (nothing of a step outlives it); all it can do is leave files, which is
what is being fetched. Missing files are left out (as SandboxFusion does), and so are
anything but regular files (a FIFO would block the read, a directory has no bytes),
unreadable files, and files past the byte budget, which the result names.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from sandbox.backend import Step, StepResult
from sandbox.languages import resolve
from sandbox.policy import Policy

FETCH_WALL_S = 10.0
FETCH_MEMORY_MB = 256
SCRIPT = r"""
import os, stat, sys  # all three are in the forked interpreter already: the step imports nothing
sizes, blobs = [], []
for name in names:
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        sizes.append(-1)
        continue
    except OSError:  # there, but not for reading (e.g. a link to /proc/self/mem)
        sizes.append(-2)
        continue
    try:
        data = os.read(fd, budget + 1) if stat.S_ISREG(os.fstat(fd).st_mode) else None
        while data is not None and len(data) <= budget and (more := os.read(fd, budget + 1 - len(data))):
            data += more
    except OSError:
        data = None
    finally:
        os.close(fd)
    if data is None or len(data) > budget:
        sizes.append(-2)
        continue
    budget -= len(data)
    sizes.append(len(data))
    blobs.append(data)
sys.stdout.buffer.write(" ".join(map(str, sizes)).encode() + b"\n" + b"".join(blobs))
"""


@dataclass(frozen=True)
class Fetched:
    """The files read back (path → base64) and why any requested one is missing."""

    files: dict[str, str] = field(default_factory=dict)
    problem: str = ""


def fetch_step(names: tuple[str, ...], budget_bytes: int, host_toolchains: bool) -> Step:
    """The step that prints ``names`` (relative to the work dir), sizes then bytes, at most ``budget_bytes`` in all."""
    python = resolve("python", check_host=host_toolchains).run_argv()
    # the table's command ends with the program file; the flags before it (-I -S -B) are what isolate.
    # The source comes last, its arguments written into it: the sandbox then forks it from its warm
    # interpreter instead of starting one. The names are checked relative paths, spelt as literals.
    argv = (*python[:-1], "-c", f"budget, names = {budget_bytes!r}, {list(names)!r}\n{SCRIPT}")
    output = budget_bytes + 24 * len(names) + 4096
    policy = Policy(
        wall_time_s=FETCH_WALL_S,
        cpu_time_s=FETCH_WALL_S,
        memory_mb=FETCH_MEMORY_MB + 4 * (budget_bytes >> 20),
        max_processes=4,
        max_output_bytes=output,
    )
    return Step(argv, b"", policy, "fetch_files")


def read_fetched(result: StepResult, names: tuple[str, ...], budget_bytes: int) -> Fetched:
    """The files the fetch step printed for ``names``; a step that failed leaves ``files`` empty and says why."""
    if not result.ok:
        reason = result.limit or f"exit {result.exit_code}, signal {result.signal}"
        return Fetched(problem=f"fetch_files: could not read the files back ({reason})")
    line, newline, body = result.stdout.partition(b"\n")
    try:
        sizes = [int(n) for n in line.split()] if newline and len(line) <= 24 * len(names) else None
    except ValueError:
        sizes = None
    kept = sum(n for n in sizes or () if n > 0)
    if sizes is None or len(sizes) != len(names) or min(sizes, default=0) < -2 or kept != len(body):
        return Fetched(problem="fetch_files: the files read back were garbled")
    if kept > budget_bytes:
        return Fetched(problem=f"fetch_files: the files read back were over the byte budget ({budget_bytes})")
    files: dict[str, str] = {}
    at = 0
    for name, size in zip(names, sizes, strict=True):
        if size >= 0:
            files[name] = base64.b64encode(body[at : at + size]).decode()
            at += size
    skipped = [name for name, size in zip(names, sizes, strict=True) if size == -2]
    problem = f"fetch_files: not regular files or over the byte budget: {', '.join(skipped)}" if skipped else ""
    return Fetched(files, problem)
