"""One program to run, checked and clamped: language, files, and limits within the operator's ceilings.

Requests speak SandboxFusion's terms (``run_timeout`` in seconds, ``memory_limit_MB`` with
-1 for "none", files as base64); a :class:`RunSpec` is what the sandbox needs: bytes and
:class:`~sandbox.policy.Policy` objects. A request may ask for less than the ceilings,
never more: anything above a ceiling is lowered to it, silently, as SandboxFusion's own
operators configure theirs. What cannot be honoured at all is a :class:`SpecError`
(HTTP 422 on ``/run_code``, an ``Invalid`` result in a ``/v1/run`` batch).
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from sandbox.errors import UnsupportedLanguage
from sandbox.languages import available_names, get_language
from sandbox.policy import COMPILE_POLICY, DEFAULT_POLICY, Policy
from service.settings import Settings

DEFAULT_LANGUAGE = "python"
"""What a request without ``language`` runs as (veRL 0.9's tutorial tool sends none)."""

SANDBOX_FUSION_NAMES = {"nodejs": "javascript"}
"""SandboxFusion's names that differ from the language table's (the others are the same or aliases)."""

IGNORED_FILE_MARK = "IGNORE_THIS_FILE"
"""SandboxFusion skips uploaded files whose name contains this, as it skips null contents."""


class SpecError(ValueError):
    """The request cannot be run as given; the message says what to change."""


@dataclass(frozen=True)
class Ceilings:
    """The operator's limits (settings ``run_*``): what no request can exceed."""

    max_run_timeout_s: float = 60.0
    max_compile_timeout_s: float = 60.0
    default_memory_mb: int = 1024
    max_memory_mb: int = 4096
    max_output_bytes: int = 1 << 20
    max_upload_bytes: int = 32 << 20
    max_fetch_bytes: int = 16 << 20

    @classmethod
    def from_settings(cls, settings: Settings) -> Ceilings:
        """The ceilings the settings name."""
        return cls(
            max_run_timeout_s=settings.run_max_timeout_s,
            max_compile_timeout_s=settings.run_max_compile_timeout_s,
            default_memory_mb=min(settings.run_default_memory_mb, settings.run_max_memory_mb),
            max_memory_mb=settings.run_max_memory_mb,
            max_output_bytes=settings.run_max_output_bytes,
            max_upload_bytes=settings.run_max_upload_bytes,
            max_fetch_bytes=settings.run_max_fetch_bytes,
        )


@dataclass(frozen=True)
class RunSpec:
    """A program ready for the sandbox: its language's table name, bytes, files and policies."""

    language: str
    code: bytes
    stdin: bytes
    files: Mapping[str, bytes]
    fetch: tuple[str, ...]
    """Paths to read back after the run, as the caller spelt them (checked by :func:`work_path`)."""
    run_policy: Policy
    compile_policy: Policy
    fetch_budget_bytes: int = 16 << 20
    inline: bool = False
    """Python only: run ``code`` as ``python3 -I -S -B -c code``, which the sandbox forks from its warm
    interpreter (~15 ms sooner than a fresh one) instead of starting ``main.py``: for the service's own
    drivers (a session's cell), whose tracebacks and ``__file__`` nobody reads."""


def language_name(requested: str | None) -> str:
    """The language table's name for ``requested`` (SandboxFusion's names included); None means python."""
    if requested is None or not requested.strip():
        return DEFAULT_LANGUAGE
    name = SANDBOX_FUSION_NAMES.get(requested.strip(), requested)
    try:
        return get_language(name).name
    except UnsupportedLanguage:
        accepted = ", ".join([*available_names(), *SANDBOX_FUSION_NAMES])
        raise SpecError(f"language {requested!r} is not available here; use one of: {accepted}") from None


def work_path(name: str, what: str) -> str:
    """``name`` as a clean path inside the work dir; SpecError for absolute paths, ``..`` and the like."""
    path = PurePosixPath(name)
    parts = [p for p in path.parts if p != "."]
    if not name or "\0" in name or path.is_absolute() or ".." in parts or not parts:
        raise SpecError(f"{what} {name!r}: give a relative path inside the work dir (no '/' prefix, no '..')")
    return str(PurePosixPath(*parts))


def decode_files(files: Mapping[str, str | None], limit_bytes: int) -> dict[str, bytes]:
    """Uploaded files (path → base64) as bytes, skipping what SandboxFusion skips."""
    out: dict[str, bytes] = {}
    total = 0
    for name, encoded in files.items():
        if encoded is None or IGNORED_FILE_MARK in name:
            continue
        path = work_path(name, "file")
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise SpecError(f"file {name!r}: its content is not valid base64") from None
        total += len(data)
        if total > limit_bytes:
            raise SpecError(f"files: more than {limit_bytes} bytes in all; upload less")
        out[path] = data
    return out


def run_spec(
    *,
    code: str,
    language: str | None,
    stdin: str | None,
    files: Mapping[str, str | None],
    fetch_files: Sequence[str],
    run_timeout_s: float,
    compile_timeout_s: float,
    memory_mb: int | None,
    ceilings: Ceilings,
    inline: bool = False,
) -> RunSpec:
    """Check a request's parts and clamp its limits; SpecError says what cannot be run."""
    name = language_name(language)
    if inline and name != "python":
        raise SpecError(f"only python runs inline, not {name}")
    uploaded = decode_files(files, ceilings.max_upload_bytes)
    source = get_language(name).source
    if source in uploaded:
        raise SpecError(f"file {source!r}: that name holds the {name} program itself; upload it under another name")
    for what, value in (("run_timeout", run_timeout_s), ("compile_timeout", compile_timeout_s)):
        if not math.isfinite(value) or value <= 0:
            raise SpecError(f"{what} must be a positive number of seconds, got {value!r}")
    run_s = min(run_timeout_s, ceilings.max_run_timeout_s)
    compile_s = min(compile_timeout_s, ceilings.max_compile_timeout_s)
    memory = ceilings.default_memory_mb if memory_mb is None or memory_mb <= 0 else memory_mb
    run_policy = replace(
        DEFAULT_POLICY,
        wall_time_s=run_s,
        cpu_time_s=run_s,
        memory_mb=min(memory, ceilings.max_memory_mb),
        max_output_bytes=ceilings.max_output_bytes,
    )
    return RunSpec(
        language=name,
        code=code.encode(),
        stdin=(stdin or "").encode(),
        files=uploaded,
        fetch=tuple(f for f in dict.fromkeys(fetch_files) if work_path(f, "fetch_files entry")),
        run_policy=run_policy,
        compile_policy=replace(COMPILE_POLICY, wall_time_s=compile_s, cpu_time_s=compile_s),
        fetch_budget_bytes=ceilings.max_fetch_bytes,
        inline=inline,
    )
