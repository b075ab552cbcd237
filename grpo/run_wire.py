"""The wire format of the run API (``/run_code``, ``/v1/run``, ``/v1/sessions``), shared by the service and ``grpo``.

``CommandRunResult`` and ``RunCodeResponse`` are SandboxFusion's response shapes, field for
field: its clients parse them with SandboxFusion's own models, so the names, the exact
status strings and which fields may be null are the contract (see docs/run-api.md).
Imports nothing but pydantic, as ``grpo.wire``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

CommandStatus = Literal["Finished", "TimeLimitExceeded", "Error"]
RunStatus = Literal["Success", "Failed", "SandboxError"]


class CommandRunResult(BaseModel):
    """One command (compile or run): how it ended, its time, exit status and output."""

    status: CommandStatus = Field(
        description="Finished: the process exited (any code); TimeLimitExceeded: stopped at the time limit; "
        "Error: the sandbox could not run it"
    )
    execution_time: float | None = Field(default=None, description="wall-clock seconds")
    return_code: int | None = Field(
        default=None, description="exit code, or minus the signal that killed it; null when the time limit hit"
    )
    stdout: str | None = None
    stderr: str | None = None


class RunCodeResponse(BaseModel):
    """What one program did: Success, Failed (the program's own failure) or SandboxError (ours)."""

    status: RunStatus
    message: str = ""
    compile_result: CommandRunResult | None = Field(default=None, description="null for interpreted languages")
    run_result: CommandRunResult | None = Field(default=None, description="null when the compile step failed")
    executor_pod_name: str | None = None
    files: dict[str, str] = Field(default_factory=dict, description="fetch_files read back, base64")


class RunBatchResult(BaseModel):
    """One program's outcome: /run_code's fields, the item's id, and Invalid for a malformed item."""

    id: str | int | None = None
    status: Literal["Success", "Failed", "SandboxError", "Invalid"]
    message: str = ""
    compile_result: CommandRunResult | None = None
    run_result: CommandRunResult | None = None
    files: dict[str, str] = Field(default_factory=dict)


class RunBatchResponse(BaseModel):
    results: list[RunBatchResult] = Field(description="in the order of the request's runs")


class SessionCreated(BaseModel):
    id: str
    language: Literal["python"] = "python"
    ttl_s: float = Field(description="idle seconds after which the session is ended")


class CellResponse(BaseModel):
    status: Literal["ok", "error", "timeout", "crashed", "sandbox_error"] = Field(
        description="ok; error: the cell raised (its changes up to the error are kept); timeout, crashed: its changes "
        "are dropped; sandbox_error: ours, state unchanged"
    )
    stdout: str
    stderr: str
    result: str | None = Field(description="repr of the cell's last expression, if it is one and not None")
    error: dict[str, str] | None = Field(description="type and message of the exception the cell raised")
    files: list[str] = Field(description="files the cell wrote or changed")
    not_kept: list[str] = Field(description="variables that cannot be carried to the next cell (not picklable)")
    state: Literal["updated", "unchanged"] = Field(description="whether the cell's changes carry to the next cell")
    survived: bool = Field(description="whether the session goes on (it always does; its state says from where)")
    execution_time: float | None
    message: str = ""
