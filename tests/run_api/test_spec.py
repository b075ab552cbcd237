"""Checking and clamping one program request (service.runs.spec): pure functions, no sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from service.runs.spec import Ceilings, SpecError, language_name, run_spec, work_path
from tests.run_api.conftest import b64

CEILINGS = Ceilings(max_run_timeout_s=5, max_compile_timeout_s=20, default_memory_mb=256, max_memory_mb=512)


def _spec(**fields: Any) -> Any:
    values: dict[str, Any] = {
        "code": "print(1)",
        "language": None,
        "stdin": None,
        "files": {},
        "fetch_files": [],
        "run_timeout_s": 10.0,
        "compile_timeout_s": 10.0,
        "memory_mb": -1,
        "ceilings": CEILINGS,
    }
    values.update(fields)
    return run_spec(**values)


@pytest.mark.parametrize(
    ("requested", "name"),
    [(None, "python"), ("", "python"), ("python", "python"), ("nodejs", "javascript"), ("cpp", "cpp"), ("rs", "rust")],
)
def test_language_yields_table_name(requested: str | None, name: str) -> None:
    assert language_name(requested) == name


@pytest.mark.parametrize("requested", ["php", "python_gpu", "pytest", "typescript"])
def test_language_not_here_yields_spec_error(requested: str) -> None:
    with pytest.raises(SpecError, match="not available"):
        language_name(requested)


@pytest.mark.parametrize(("name", "path"), [("a.txt", "a.txt"), ("./d/a.txt", "d/a.txt"), ("d//a", "d/a")])
def test_relative_path_yields_clean_path(name: str, path: str) -> None:
    assert work_path(name, "file") == path


@pytest.mark.parametrize("name", ["", "/etc/passwd", "../x", "d/../../x", ".", "a\0b"])
def test_path_leaving_work_dir_yields_spec_error(name: str) -> None:
    with pytest.raises(SpecError, match="relative path"):
        work_path(name, "file")


@pytest.mark.parametrize(
    ("fields", "wall", "compile_wall", "memory"),
    [
        ({}, 5, 10, 256),
        ({"run_timeout_s": 2.5, "compile_timeout_s": 30, "memory_mb": 100}, 2.5, 20, 100),
        ({"memory_mb": None}, 5, 10, 256),
        ({"memory_mb": 0}, 5, 10, 256),
        ({"memory_mb": 10_000}, 5, 10, 512),
    ],
    ids=["defaults_above_ceiling", "below_ceilings", "null_memory", "zero_memory", "memory_above_ceiling"],
)
def test_limits_yield_request_clamped_to_ceilings(
    fields: dict[str, Any], wall: float, compile_wall: float, memory: int
) -> None:
    spec = _spec(**fields)
    assert (spec.run_policy.wall_time_s, spec.run_policy.cpu_time_s) == (wall, wall)
    assert spec.compile_policy.wall_time_s == compile_wall
    assert spec.run_policy.memory_mb == memory


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"run_timeout_s": 0}, "run_timeout"),
        ({"compile_timeout_s": -1}, "compile_timeout"),
        ({"run_timeout_s": float("nan")}, "run_timeout"),
        ({"files": {"a": "@@"}}, "base64"),
        ({"files": {"main.py": b64(b"x")}}, "program itself"),
        ({"files": {"big": b64(b"x" * 100)}, "ceilings": Ceilings(max_upload_bytes=10)}, "bytes"),
        ({"fetch_files": ["../x"]}, "relative path"),
    ],
    ids=["zero_timeout", "negative_compile", "nan", "base64", "source_name", "too_big", "fetch_outside"],
)
def test_request_that_cannot_run_yields_spec_error(fields: dict[str, Any], says: str) -> None:
    with pytest.raises(SpecError, match=says):
        _spec(**fields)


def test_files_yield_bytes_without_skipped_ones() -> None:
    spec = _spec(files={"d/a.txt": b64(b"a"), "b": None, "c_IGNORE_THIS_FILE": b64(b"c")}, stdin="in")
    assert dict(spec.files) == {"d/a.txt": b"a"}
    assert spec.stdin == b"in"


def test_fetch_files_yield_caller_spelling_once() -> None:
    assert _spec(fetch_files=["./o.txt", "o.txt", "./o.txt"]).fetch == ("./o.txt", "o.txt")
