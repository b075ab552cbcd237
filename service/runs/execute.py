"""Run one :class:`~service.runs.spec.RunSpec` through the sandbox backend and say what happened.

The program is one job on the backend: its files, an optional compile step, the run step,
and (if files are to be fetched) a trusted step that reads them back. Nothing runs on the
host. SandboxFusion's outcome rules apply: a program's own failure, whatever it is (exit
code, signal, crash, out of memory, output flood, time limit), is ``Failed``; only the
sandbox failing is ``SandboxError``. A failed compile skips the run (``run_result`` null).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from grpo.run_wire import CommandRunResult, RunCodeResponse
from sandbox.backend import Backend, Job, Step, StepResult
from sandbox.errors import Cancelled, SandboxError
from sandbox.languages import resolve
from service.runs.fetch import fetch_step, read_fetched
from service.runs.spec import RunSpec

TIME_LIMITS = ("wall_time", "cpu_time")
KILLED = -9
"""The return code of a program the sandbox stopped at a limit without an exit status (as ``kill -9``)."""


def command_result(result: StepResult) -> CommandRunResult:
    """A step's result in SandboxFusion's terms: the time limit is TimeLimitExceeded, anything else Finished."""
    stdout = result.stdout.decode("utf-8", errors="replace")
    stderr = result.stderr.decode("utf-8", errors="replace")
    if result.limit in TIME_LIMITS:
        return CommandRunResult(
            status="TimeLimitExceeded", execution_time=result.wall_time_s, stdout=stdout, stderr=stderr
        )
    code = _return_code(result)
    if code == 0 and result.limit is not None:
        code = KILLED  # stopped at a limit (output, files) after it had nothing left to do: still not a success
    return CommandRunResult(
        status="Finished", execution_time=result.wall_time_s, return_code=code, stdout=stdout, stderr=stderr
    )


def _return_code(result: StepResult) -> int:
    if result.exit_code is not None:
        return result.exit_code
    return -result.signal if result.signal is not None else KILLED


def _failed(command: CommandRunResult) -> bool:
    return command.status != "Finished" or command.return_code != 0


def _sandbox_error(message: str, stage: str, compile_result: CommandRunResult | None = None) -> RunCodeResponse:
    """SandboxFusion's shape for our failure: the stage that could not run has status Error."""
    broken = CommandRunResult(status="Error", stderr=message)
    if stage == "compile":
        return RunCodeResponse(status="SandboxError", message=message, compile_result=broken)
    return RunCodeResponse(status="SandboxError", message=message, compile_result=compile_result, run_result=broken)


def execute(backend: Backend, spec: RunSpec, cancel: threading.Event | None = None) -> RunCodeResponse:
    """Run ``spec`` on ``backend`` (blocking); Cancelled propagates when ``cancel`` is set."""
    try:
        lang = resolve(spec.language, check_host=backend.host_toolchains)
        fetch = fetch_step(spec.fetch, spec.fetch_budget_bytes, backend.host_toolchains)
    except SandboxError as exc:  # ToolchainMissing: this service cannot run the language now
        return _sandbox_error(str(exc), "run")
    compile_argv = lang.compile_argv(spec.compile_policy)
    run_argv = lang.run_argv(spec.run_policy)
    if spec.inline:  # python3 -I -S -B main.py → python3 -I -S -B -c <code>
        run_argv = (*run_argv[:-1], "-c", spec.code.decode())
    steps = [Step(run_argv, spec.stdin, spec.run_policy, "run")]
    if compile_argv is not None:
        steps.insert(0, Step(compile_argv, b"", spec.compile_policy, "compile"))
    if spec.fetch:
        steps.append(fetch)
    job = Job({**spec.files, lang.source: spec.code}, tuple(steps), lang.name, cancel)
    results = backend.run(job)
    compile_result: CommandRunResult | None = None
    stage = "compile" if compile_argv is not None else "run"
    try:
        if compile_argv is not None:
            compile_result = command_result(_next(results))
            if _failed(compile_result):
                return RunCodeResponse(status="Failed", compile_result=compile_result)
        stage = "run"
        run_result = command_result(_next(results))
        stage = "fetch"
        fetched = read_fetched(_next(results), spec.fetch, spec.fetch_budget_bytes) if spec.fetch else None
    except Cancelled:
        raise
    except SandboxError as exc:
        if stage == "fetch":  # the program ran and is judged; only its files could not be read back
            return _ended(compile_result, run_result, files={}, message=f"fetch_files: sandbox failed: {exc}")
        return _sandbox_error(f"{stage}: {exc}", stage, compile_result)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
    if fetched is None:
        return _ended(compile_result, run_result, files={}, message="")
    return _ended(compile_result, run_result, files=fetched.files, message=fetched.problem)


def _ended(
    compile_result: CommandRunResult | None, run_result: CommandRunResult, files: dict[str, str], message: str
) -> RunCodeResponse:
    return RunCodeResponse(
        status="Failed" if _failed(run_result) else "Success",
        message=message,
        compile_result=compile_result,
        run_result=run_result,
        files=files,
    )


def _next(results: Iterator[StepResult]) -> StepResult:
    try:
        return next(results)
    except StopIteration:
        raise SandboxError("the backend returned fewer results than the job has steps") from None
