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

MAX_FILES = 1000
"""Uploaded files per program: the sandbox is handed each as a descriptor of its own."""
MAX_NAME_BYTES = 255
"""One component of an uploaded path (the file systems' NAME_MAX)."""
MAX_PATH_BYTES = 1024
"""One whole path, well inside the system's PATH_MAX with the work dir in front."""
MAX_LAYOUT_BYTES = 256 << 10
"""The uploaded paths and the directories they need, in all: the sandbox gets them on its command line."""


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
    max_batch_result_bytes: int = 256 << 20

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
            max_batch_result_bytes=settings.run_max_batch_result_bytes,
        )

    def batch_share(self, items: int) -> Ceilings:
        """The ceilings of each of ``items`` programs of one batch: its stdout, stderr and files share its answer."""
        share = self.max_batch_result_bytes // (3 * max(items, 1))
        return replace(
            self, max_output_bytes=min(self.max_output_bytes, share), max_fetch_bytes=min(self.max_fetch_bytes, share)
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


def utf8(text: str, what: str) -> bytes:
    """``text`` as UTF-8; SpecError for what has no UTF-8 form (a lone surrogate such as ``\\ud800``)."""
    try:
        return text.encode()
    except UnicodeEncodeError as exc:
        raise SpecError(f"{what}: not valid Unicode text ({exc.reason} at position {exc.start})") from None


def work_path(name: str, what: str) -> str:
    """``name`` as a clean path inside the work dir; SpecError for absolute paths, ``..`` and the like."""
    path = PurePosixPath(name)
    parts = [p for p in path.parts if p != "."]
    if not name or "\0" in name or path.is_absolute() or ".." in parts or not parts:
        raise SpecError(f"{what} {name!r}: give a relative path inside the work dir (no '/' prefix, no '..')")
    clean = str(PurePosixPath(*parts))
    if len(utf8(clean, f"{what} {name!r}")) > MAX_PATH_BYTES or any(len(p.encode()) > MAX_NAME_BYTES for p in parts):
        too_long = f"longer than {MAX_PATH_BYTES} bytes, or a part of it longer than {MAX_NAME_BYTES}"
        raise SpecError(f"{what} {name[:80]!r}…: {too_long}")
    return clean


def _check_layout(paths: Sequence[str], program: str | None) -> None:
    """SpecError when the files cannot all be laid out: too many, one in place of another's directory."""
    if len(paths) > MAX_FILES:
        raise SpecError(f"files: {len(paths)} uploaded, more than {MAX_FILES}; pack them into an archive")
    dirs = {str(parent) for p in paths for parent in PurePosixPath(p).parents if str(parent) != "."}
    for path in [*paths, *([program] if program else [])]:
        if path in dirs:
            raise SpecError(f"file {path!r} is also the directory of another uploaded file; rename one")
    if sum(len(p.encode()) + 16 for p in [*paths, *dirs]) > MAX_LAYOUT_BYTES:
        raise SpecError(f"files: their paths come to more than {MAX_LAYOUT_BYTES} bytes; use fewer or shallower ones")


def decode_files(files: Mapping[str, str | None], limit_bytes: int, program: str | None = None) -> dict[str, bytes]:
    """Uploaded files (path → base64) as bytes, skipping what SandboxFusion skips; none may sit on ``program``."""
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
    _check_layout(list(out), program)
    return out


def _fetch_list(names: Sequence[str]) -> tuple[str, ...]:
    """The files to read back, once each, as the caller spelt them; SpecError for a bad path or too many."""
    fetch = tuple(f for f in dict.fromkeys(names) if work_path(f, "fetch_files entry"))
    if len(fetch) > MAX_FILES:
        raise SpecError(f"fetch_files: {len(fetch)} names, more than {MAX_FILES}; fetch an archive instead")
    return fetch


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
    source = get_language(name).source
    uploaded = decode_files(files, ceilings.max_upload_bytes, source)
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
        code=utf8(code, "code"),
        stdin=utf8(stdin or "", "stdin"),
        files=uploaded,
        fetch=_fetch_list(fetch_files),
        run_policy=run_policy,
        compile_policy=replace(COMPILE_POLICY, wall_time_s=compile_s, cpu_time_s=compile_s),
        fetch_budget_bytes=ceilings.max_fetch_bytes,
        inline=inline,
    )
