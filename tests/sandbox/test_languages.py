"""The language table: names and aliases, clear errors, and every installed language's self-test."""

from __future__ import annotations

import pytest

from sandbox.backend import Backend, Job, Step
from sandbox.bwrap import PCH_DIR, SANDBOX_PCH_DIR
from sandbox.errors import ToolchainMissing, UnsupportedLanguage
from sandbox.languages import LANGUAGES, Language, get_language, job_for, resolve
from sandbox.local import LocalBackend
from sandbox.policy import COMPILE_POLICY, Policy
from sandbox.selftest import PROGRAMS, run_one
from tests.sandbox.conftest import skip_or_fail


@pytest.mark.parametrize(("name", "canonical"), [
    ("python", "python"), ("Python3", "python"), ("py", "python"), ("c++", "cpp"), ("cpp", "cpp"), ("c", "c"),
    ("java", "java"), ("js", "javascript"), ("node", "javascript"), ("rs", "rust"), ("golang", "go"),
    ("sh", "bash"), (" bash ", "bash"),
])
def test_name_or_alias_yields_canonical_language(name: str, canonical: str) -> None:
    assert get_language(name).name == canonical


@pytest.mark.parametrize("name", ["cobol", "", "python2", "brainfuck"])
def test_unknown_language_yields_unsupported_language(name: str) -> None:
    with pytest.raises(UnsupportedLanguage, match="unsupported language"):
        get_language(name)


def test_language_without_its_toolchain_yields_toolchain_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    ghost = Language("ghost", "main.gh", ("/usr/bin/rlvr-no-such-interpreter", "main.gh"))
    monkeypatch.setattr("sandbox.languages._BY_NAME", {"ghost": ghost})
    with pytest.raises(ToolchainMissing, match="rlvr-no-such-interpreter"):
        resolve("ghost")


@pytest.mark.parametrize(("language", "argv"), [
    ("python", ("/usr/bin/python3", "-I", "-S", "-B", "main.py")),
    ("java", ("/usr/bin/java", "-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", ".", "Main")),
    ("javascript", ("/usr/bin/node", "--max-old-space-size=192", "main.js")),
    ("cpp", ("./main",)),
])
def test_run_argv_yields_filled_command(language: str, argv: tuple[str, ...]) -> None:
    assert get_language(language).run_argv(Policy(memory_mb=256)) == argv


def test_compiled_language_job_yields_one_compile_then_one_step_per_test() -> None:
    if get_language("cpp").missing_tools():
        skip_or_fail("g++ is not installed: run `make toolchains`")
    job = job_for("c++", b"int main(){}", [b"1", b"2", b"3"])
    assert [s.name for s in job.steps] == ["compile", "test 0", "test 1", "test 2"]
    assert job.steps[0].argv[:4] == ("/usr/bin/g++", "-O2", "-std=c++17", "-pipe")
    assert set(job.files) == {"main.cpp"}


def test_every_language_has_a_selftest_program() -> None:
    assert set(PROGRAMS) == {lang.name for lang in LANGUAGES}


@pytest.mark.integration
@pytest.mark.bwrap
@pytest.mark.parametrize("language", [lang.name for lang in LANGUAGES])
def test_selftest_program_yields_ok(backend: Backend, language: str) -> None:
    missing = get_language(language).missing_tools()
    if missing:
        skip_or_fail(f"{language} toolchain missing ({', '.join(missing)}): run `make toolchains`")
    result = run_one(backend, language)
    assert result.passed, result.detail


@pytest.mark.integration
@pytest.mark.bwrap
def test_bits_stdcpp_include_yields_the_precompiled_header_in_local_backend() -> None:
    if not (PCH_DIR / "bits" / "stdc++.h.gch").exists():
        skip_or_fail(f"no precompiled header in {PCH_DIR}: run `make toolchains`")
    backend = LocalBackend()
    source = b"#include <bits/stdc++.h>\nint main() { std::vector<int> v{1, 2}; std::cout << v.size() << '\\n'; }\n"
    cpp = resolve("cpp")
    build = Step((*(cpp.compile_argv() or ()), "-H"), policy=COMPILE_POLICY, name="compile")
    compiled, ran = backend.run(Job({cpp.source: source}, (build, Step(cpp.run_argv())), "cpp"))
    assert compiled.ok and ran.stdout == b"2\n"
    assert f"! {SANDBOX_PCH_DIR}/bits/stdc++.h.gch".encode() in compiled.stderr
