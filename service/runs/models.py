"""SandboxFusion's response shapes (``RunCodeResponse`` and ``CommandRunResult``), field for field.

Clients parse these with SandboxFusion's own models, so the names, the exact status strings
and which fields may be null are the contract (see docs/run-api.md).
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
