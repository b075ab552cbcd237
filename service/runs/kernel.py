"""One cell of a Python session, run as one ordinary sandbox job whose state travels with it.

The backend runs jobs, not long-lived processes, so a session is not a live interpreter:
each cell is a fresh sandbox in which a fixed driver (the job's program) restores the
session's state, runs the cell, and saves the state again for the next cell:

- variables: pickled, one by one (modules by name, re-imported); a value that cannot be
  pickled (a generator, an open file, a lambda) is not kept, and the cell's answer names it;
- functions and classes defined in cells: their definitions are re-run before the values
  are restored (so instances of a session's own classes come back);
- files: every regular file in the work dir, packed into the state.

The state is opaque bytes to the service: it is made, read and unpickled only inside the
sandbox, and capped in size. A cell that crashes, is killed or runs out of time leaves no new
state behind, so the session continues from the state before that cell ("rolled_back").
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, replace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from grpo.run_wire import RunCodeResponse
from service.runs.spec import Ceilings, RunSpec, SpecError, run_spec, utf8, work_path

DRIVER_DIR = ".rlvr"
STATE_FILE = ".rlvr/state"
"""The state the cell starts from, as uploaded (read-only on docker: a job's files are not its program's)."""
NEXT_FILE = ".rlvr/next"
"""The state the cell leaves, a new file the driver writes."""
CELL_FILE = ".rlvr/cell.py"
OUT_FILE = ".rlvr/out.json"
RESULT_CHARS = 65536
"""The longest ``repr`` of a cell's last expression kept."""
INTERRUPT_GRACE_S = 1.0
"""A cell is interrupted at its timeout (as Jupyter's interrupt does) and killed this much later if it goes on."""
SESSION_CODE = (
    f"RESULT_CHARS = {RESULT_CHARS}\n"
    + r"""
import _signal, ast, importlib, os, pickle, sys, types  # traceback only on an error: ~10 ms of imports
STATE, NEXT, CELL, OUT = ".rlvr/state", ".rlvr/next", ".rlvr/cell.py", ".rlvr/out.json"
KEEP_OUT = (".rlvr", "main.py")
def listing():
    out = {}
    for d, subdirs, names in os.walk("."):
        subdirs[:] = [s for s in subdirs if os.path.relpath(os.path.join(d, s)) not in KEEP_OUT]
        for n in names:
            p = os.path.relpath(os.path.join(d, n))
            if p not in KEEP_OUT and os.path.isfile(p) and not os.path.islink(p):
                out[p] = open(p, "rb").read()
    return out
def restore():
    main = types.ModuleType("__main__"); sys.modules["__main__"] = main; g = main.__dict__
    g["__builtins__"] = __builtins__
    saved = {"defs": [], "values": {}, "modules": {}, "files": {}}
    if os.path.exists(STATE):
        with open(STATE, "rb") as f:
            saved = pickle.load(f)
        for path, data in saved["files"].items():
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            open(path, "wb").write(data)
    not_kept = []
    for name, module in saved["modules"].items():
        try: g[name] = importlib.import_module(module)
        except Exception: not_kept.append(name)
    for source in saved["defs"]:
        try: exec(compile(source, "<session>", "exec"), g)
        except Exception: pass
    for name, blob in saved["values"].items():
        try: g[name] = pickle.loads(blob)
        except Exception: not_kept.append(name)
    return g, list(saved["defs"]), not_kept
class CellTimeout(BaseException):  # raised in the cell at its time limit ("wall" or "cpu"), as KeyboardInterrupt is
    pass
armed, waiting = [False], []  # waiting: the thread of the cell being waited for
def interrupt(signum, frame):
    if armed[0]:
        armed[0] = False
        raise CellTimeout("cpu" if signum == _signal.SIGXCPU else "wall")
def wait_threads():  # until every thread the cell started has ended: a cell is over when its threads are
    threading, seen = sys.modules.get("threading"), set()
    while threading is not None:
        me = threading.current_thread()
        left = [t for t in threading.enumerate() if t is not me and t not in seen]
        if not left:
            return
        for t in left:
            seen.add(t)
            waiting[:] = [t.name]
            try: t.join()
            except RuntimeError: pass  # a thread threading did not start (only seen): it cannot be joined
    waiting.clear()
def run_cell(g, source, defs, wall_s):  # (repr of the last expression, the error, the defs, "wall"/"cpu"/None)
    result = error = timed_out = None
    try:
        try:
            tree = ast.parse(source, "<cell>")
            kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            defs = defs + [ast.unparse(n) for n in tree.body if isinstance(n, kinds)]
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            _signal.signal(_signal.SIGALRM, interrupt)  # before each cell: an earlier one may have set its own
            _signal.signal(_signal.SIGXCPU, interrupt)
            armed[0] = True
            _signal.setitimer(_signal.ITIMER_REAL, wall_s)
            exec(compile(tree, "<cell>", "exec"), g)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), g)
                if value is not None:
                    result = repr(value)[:RESULT_CHARS]
            wait_threads()
        finally:
            armed[0] = False
            _signal.setitimer(_signal.ITIMER_REAL, 0)
    except CellTimeout as exc:
        timed_out, result = exc.args[0], None
        limit = "CPU time" if timed_out == "cpu" else "time"
        threads = f" waiting for its thread {waiting[0]!r}" if waiting else ""
        error = {"type": "TimeoutError", "message": f"the cell ran past its {limit} limit{threads} and was interrupted"}
    except BaseException as exc:
        import traceback
        traceback.print_exc()
        error = {"type": type(exc).__name__, "message": str(exc)}
    try: sys.stdout.flush(); sys.stderr.flush()
    except BaseException: pass  # a cell that closed them, or left them broken
    return result, error, defs, timed_out
def save(g, defs, not_kept, before):
    values, modules = {}, {}
    for name, value in list(g.items()):
        if name.startswith("__"):
            continue
        if isinstance(value, types.ModuleType):
            modules[name] = value.__name__
            continue
        try: values[name] = pickle.dumps(value)
        except Exception: not_kept.append(name)
    files = listing()
    written = sorted(p for p, d in files.items() if before.get(p) != d)
    state = pickle.dumps({"defs": defs, "values": values, "modules": modules, "files": files})
    return state, {"not_kept": sorted(set(not_kept)), "written": written}
"""
)
"""What the driver and the kernel share: restore the state, run a cell, save the state."""
DRIVER = (
    SESSION_CODE
    + r"""
g, defs, not_kept = restore()
before = listing()
result, error, defs, timed_out = run_cell(g, open(CELL).read(), defs, WALL_S)
report = {"not_kept": [], "written": []}
if timed_out is None:  # a cell interrupted at its limit leaves no state: the session goes on from before it
    state, report = save(g, defs, not_kept, before)
    os.makedirs(".rlvr", exist_ok=True)
    open(NEXT, "wb").write(state)
import json
with open(OUT, "w") as f:
    json.dump({"result": result, "error": error, "timed_out": timed_out, **report}, f)
sys.stdout.flush(); sys.stderr.flush()
os._exit(0)  # not waiting for threads the cell left at its time limit
"""
)
"""One cell in a fresh sandbox: restore, run, save the state to NEXT and the report to OUT."""
KERNEL = (
    SESSION_CODE
    + r"""
import json, resource, select
asks, answers = os.fdopen(os.dup(0), "rb"), os.dup(1)  # the service's pipes; a cell gets /dev/null and memfds
null = os.open("/dev/null", os.O_RDONLY); os.dup2(null, 0); os.close(null)
def answer(data):
    view = memoryview(data)
    while view:
        view = view[os.write(answers, view):]
g, defs, not_kept = restore()
while (line := asks.readline()):
    ask = json.loads(asks.read(int(line)))
    answer(b"started\n")
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = int(cpu.ru_utime + cpu.ru_stime) + ask["cpu_s"]
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    out, err = os.memfd_create("stdout"), os.memfd_create("stderr")
    os.dup2(out, 1); os.dup2(err, 2)
    before = listing()
    result, error, defs, timed_out = run_cell(g, ask["code"], defs, ask["wall_s"])
    try: os.kill(-1, 9)  # every other process of the space (the init and this one are spared): none outlives its cell
    except ProcessLookupError: pass
    state, report = save(g, defs, not_kept, before) if timed_out is None else (b"", {"not_kept": [], "written": []})
    not_kept = []
    over = len(state) > ask["max_state"]
    blobs = [os.pread(out, ask["max_output"], 0), os.pread(err, ask["max_output"], 0), b"" if over else state]
    os.close(out); os.close(err)
    report = {"result": result, "error": error, "timed_out": timed_out, **report}
    head = {"report": report, "sizes": [len(b) for b in blobs], "over": over}
    answer(json.dumps(head).encode() + b"\n" + b"".join(blobs))
    for _ in range(100):  # a joined thread's task is gone a moment after its join returns
        try: alone = len(os.listdir("/proc/self/task")) == 1
        except OSError: alone = False
        if alone: break
        select.select([], [], [], 0.002)
    if not alone:  # a thread threading never knew of (_thread) cannot be joined: end, the next cell starts anew
        os._exit(0)
"""
)
"""A session's live interpreter (service/runs/live.py): restore once, then cells asked on stdin, answered on stdout."""


KILLED = "the cell did not stop when interrupted at its time limit and was killed: output it had not flushed is lost"
ROLLED_BACK = "the session survived; its state is as before this cell"


@dataclass(frozen=True)
class CellOutcome:
    """What a cell did, and the session's state after it (None: keep the state from before the cell)."""

    status: str
    """ok, error (the cell raised), timeout, crashed (killed, out of memory), sandbox_error (ours)"""
    stdout: str
    stderr: str
    execution_time: float | None
    result: str | None
    error: dict[str, str] | None
    written: list[str]
    not_kept: list[str]
    state: bytes | None
    message: str


def cell_spec(
    cell: str,
    state: bytes | None,
    uploaded: dict[str, str | None],
    timeout_s: float,
    memory_mb: int | None,
    ceilings: Ceilings,
) -> RunSpec:
    """The job of one cell: the driver as the program, the cell and the previous state (or the uploads) as files.

    The job's time limit is the cell's plus INTERRUPT_GRACE_S: the driver interrupts the cell at its own.
    """
    files: dict[str, str | None] = {CELL_FILE: base64.b64encode(utf8(cell, "code")).decode()}
    if state is None:
        for name, content in uploaded.items():
            if content is not None and work_path(name, "file").split("/")[0] == DRIVER_DIR:
                raise SpecError(f"file {name!r}: {DRIVER_DIR}/ holds the session's own files; use another name")
        files.update(uploaded)
    else:
        files[STATE_FILE] = base64.b64encode(state).decode()
    grace = replace(ceilings, max_run_timeout_s=ceilings.max_run_timeout_s + INTERRUPT_GRACE_S)
    return run_spec(
        code=f"WALL_S = {min(timeout_s, ceilings.max_run_timeout_s)!r}\n{DRIVER}",
        language="python",
        stdin=None,
        files=files,
        fetch_files=[OUT_FILE, NEXT_FILE],
        run_timeout_s=min(timeout_s, ceilings.max_run_timeout_s) + INTERRUPT_GRACE_S,
        compile_timeout_s=1.0,
        memory_mb=memory_mb,
        ceilings=grace,
        inline=True,
    )


class _Error(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    type: str
    message: str


class _Report(BaseModel):
    """The driver's report, checked: the cell ran in the driver's process and could have written any file."""

    model_config = ConfigDict(extra="forbid", strict=True)
    result: str | None = Field(max_length=RESULT_CHARS)
    error: _Error | None
    not_kept: list[str]
    written: list[str]
    timed_out: Literal["wall", "cpu"] | None


def interrupt_s(spec: RunSpec) -> float:
    """When the cell of ``spec`` (made by ``cell_spec``) is interrupted: its job's time limit less the grace."""
    return spec.run_policy.wall_time_s - INTERRUPT_GRACE_S


def _report(response: RunCodeResponse) -> _Report | None:
    """The driver's report if the driver ran to its end (exit 0) and left one of the right shape, else None."""
    run = response.run_result
    if run is None or run.status != "Finished" or run.return_code != 0 or OUT_FILE not in response.files:
        return None
    try:
        return _Report.model_validate_json(base64.b64decode(response.files[OUT_FILE], validate=True))
    except (ValidationError, binascii.Error):
        return None


def cell_outcome(response: RunCodeResponse, budget_bytes: int) -> CellOutcome:
    """Read the cell's job: its output, the driver's report, and the new state if the cell left one."""
    run = response.run_result
    stdout = run.stdout or "" if run is not None else ""
    stderr = run.stderr or "" if run is not None else ""
    took = run.execution_time if run is not None else None
    if response.status == "SandboxError" or run is None:
        return CellOutcome("sandbox_error", stdout, stderr, took, None, None, [], [], None, response.message)
    if run.status == "TimeLimitExceeded":
        message = f"{KILLED}; {ROLLED_BACK}"
        return CellOutcome("timeout", stdout, stderr, took, None, None, [], [], None, message)
    report = _report(response)
    if report is None:
        why = response.message or f"exit {run.return_code}"
        return CellOutcome("crashed", stdout, stderr, took, None, None, [], [], None, f"{why}; {ROLLED_BACK}")
    if report.timed_out is not None:
        limit = "CPU time" if report.timed_out == "cpu" else "time"
        message = f"the cell ran past its {limit} limit and was interrupted; {ROLLED_BACK}"
        return CellOutcome(
            "timeout",
            stdout,
            stderr,
            took,
            None,
            report.error.model_dump() if report.error else None,
            [],
            [],
            None,
            message,
        )
    status = "error" if report.error else "ok"
    result, written, not_kept = report.result, report.written, report.not_kept
    error = report.error.model_dump() if report.error else None
    if NEXT_FILE not in response.files:  # over the fetch budget: the cell ran, its state cannot be carried
        message = f"the session's state grew past {budget_bytes} bytes: this cell's changes were not kept"
        return CellOutcome(status, stdout, stderr, took, result, error, written, not_kept, None, message)
    state = base64.b64decode(response.files[NEXT_FILE])
    return CellOutcome(status, stdout, stderr, took, result, error, written, not_kept, state, "")
