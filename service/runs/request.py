"""The fields of one program in a request: SandboxFusion's RunCodeRequest, shared by both run routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.runs.spec import DEFAULT_LANGUAGE, Ceilings, RunSpec, run_spec


class ProgramRequest(BaseModel):
    """SandboxFusion's RunCodeRequest; unknown fields are ignored, as SandboxFusion ignores them."""

    model_config = ConfigDict(extra="ignore")

    code: str = Field(description="the program's source")
    language: str | None = Field(
        default=None,
        description="SandboxFusion's name (python, cpp, nodejs, go, java, rust, bash), or c, javascript; "
        f"left out or null: {DEFAULT_LANGUAGE}",
    )
    compile_timeout: float = Field(default=10.0, allow_inf_nan=False, description="seconds, compiled languages")
    run_timeout: float = Field(default=10.0, allow_inf_nan=False, description="seconds, wall clock (and CPU)")
    memory_limit_MB: int | None = Field(strict=True, default=-1, description="-1, 0 or null: the service's default")
    stdin: str | None = Field(default=None, description="null: empty stdin")
    files: dict[str, str | None] = Field(default_factory=dict, description="relative path → base64, written first")
    fetch_files: list[str] = Field(default_factory=list, description="relative paths returned base64 in `files`")

    def spec(self, ceilings: Ceilings) -> RunSpec:
        """The checked, clamped program (SpecError says what cannot be run)."""
        return run_spec(
            code=self.code,
            language=self.language,
            stdin=self.stdin,
            files=self.files,
            fetch_files=self.fetch_files,
            run_timeout_s=self.run_timeout,
            compile_timeout_s=self.compile_timeout,
            memory_mb=self.memory_limit_MB,
            ceilings=ceilings,
        )
