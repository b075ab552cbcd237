"""The language table: per language its source file, compile argv (or none) and run argv.

Argv entries are plain strings; ``{memory_mb}`` and ``{heap_mb}`` are filled from the
step's policy (runtimes such as the JVM and V8 size their heaps from a flag, not from
rlimits). Every toolchain is used from the host's ``/usr`` (Debian packages), which the
local sandbox binds read-only: nothing under ``/root`` or a venv is ever needed, so a
rustup or pyenv install in the home directory is deliberately *not* used — ``make
toolchains`` installs the Debian packages instead.

    >>> [s.name for s in job_for("cpp", b"int main(){}", [b"1", b"2"]).steps]  # doctest: +SKIP
    ['compile', 'test 0', 'test 1']
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from sandbox.backend import Job, Step
from sandbox.bwrap import SANDBOX_PCH_DIR
from sandbox.errors import ToolchainMissing, UnsupportedLanguage
from sandbox.policy import COMPILE_POLICY, DEFAULT_POLICY, Policy


@dataclass(frozen=True)
class Language:
    """How to build and run one language inside the sandbox's work dir."""

    name: str
    source: str
    run: tuple[str, ...]
    compile: tuple[str, ...] | None = None
    needs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()

    @property
    def tools(self) -> tuple[str, ...]:
        """Absolute host paths that must exist for this language to work."""
        argv0s = [self.run[0]] + ([self.compile[0]] if self.compile else [])
        return tuple(p for p in (*argv0s, *self.needs) if p.startswith("/"))

    def missing_tools(self) -> tuple[str, ...]:
        """The tools that are not installed (empty when the language is usable)."""
        return tuple(p for p in self.tools if not os.access(p, os.X_OK))  # access(2) follows symlinks itself

    def compile_argv(self, policy: Policy = COMPILE_POLICY) -> tuple[str, ...] | None:
        """The compile command for ``policy``, or None for interpreted languages."""
        return None if self.compile is None else _fill(self.compile, policy)

    def run_argv(self, policy: Policy = DEFAULT_POLICY) -> tuple[str, ...]:
        """The run command for ``policy``."""
        return _fill(self.run, policy)


def _fill(argv: tuple[str, ...], policy: Policy) -> tuple[str, ...]:
    values = {"memory_mb": str(policy.memory_mb), "heap_mb": str(max(16, policy.memory_mb * 3 // 4))}
    return tuple(a.format(**values) if "{" in a else a for a in argv)


LANGUAGES: tuple[Language, ...] = (
    Language("python", "main.py", ("/usr/bin/python3", "-I", "-S", "-B", "main.py"), aliases=("python3", "py")),
    Language(
        "cpp",
        "main.cpp",
        ("./main",),
        ("/usr/bin/g++", "-O2", "-std=c++17", "-pipe", f"-I{SANDBOX_PCH_DIR}", "-o", "main", "main.cpp"),
        aliases=("c++", "cxx"),
    ),
    Language("c", "main.c", ("./main",), ("/usr/bin/gcc", "-O2", "-std=c17", "-pipe", "-o", "main", "main.c", "-lm")),
    Language(
        "java",
        "Main.java",
        ("/usr/bin/java", "-Xmx{heap_mb}m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", ".", "Main"),
        (
            "/usr/bin/javac",
            "-J-Xmx{heap_mb}m",
            "-J-XX:+UseSerialGC",
            "-J-XX:TieredStopAtLevel=1",
            "-encoding",
            "UTF-8",
            "Main.java",
        ),
    ),
    Language(
        "javascript",
        "main.js",
        ("/usr/bin/node", "--max-old-space-size={heap_mb}", "main.js"),
        aliases=("js", "node", "nodejs"),
    ),
    Language(
        "rust",
        "main.rs",
        ("./main",),
        ("/usr/bin/rustc", "-O", "--edition", "2021", "-o", "main", "main.rs"),
        needs=("/usr/bin/cc",),
        aliases=("rs",),
    ),
    Language("go", "main.go", ("./main",), ("/usr/bin/go", "build", "-o", "main", "main.go"), aliases=("golang",)),
    Language("bash", "main.sh", ("/bin/bash", "main.sh"), aliases=("sh", "shell")),
)

_BY_NAME = {alias: lang for lang in LANGUAGES for alias in (lang.name, *lang.aliases)}


def get_language(name: str) -> Language:
    """The table entry for ``name`` (or an alias), whether or not it is installed."""
    try:
        return _BY_NAME[name.strip().lower()]
    except KeyError:
        raise UnsupportedLanguage(f"unsupported language {name!r}; known: {', '.join(available_names())}") from None


def available_names() -> tuple[str, ...]:
    """Canonical names of every language in the table."""
    return tuple(lang.name for lang in LANGUAGES)


def resolve(name: str, *, check_host: bool = True) -> Language:
    """The usable entry for ``name``: UnsupportedLanguage if unknown, ToolchainMissing if not installed.

    ``check_host=False`` for backends that bring their own toolchains (see Backend.host_toolchains).
    """
    lang = get_language(name)
    missing = lang.missing_tools() if check_host else ()
    if missing:
        raise ToolchainMissing(f"{lang.name}: toolchain not installed ({', '.join(missing)}); run `make toolchains`")
    return lang


def installed() -> tuple[Language, ...]:
    """The languages whose toolchain is present on this host."""
    return tuple(lang for lang in LANGUAGES if not lang.missing_tools())


def steps_for(
    name: str, stdins: Iterable[bytes], policy: Policy = DEFAULT_POLICY, compile_policy: Policy = COMPILE_POLICY
) -> tuple[Step, ...]:
    """A compile step (if the language has one) followed by one run step per stdin."""
    lang = resolve(name)
    compile_argv = lang.compile_argv(compile_policy)
    build = () if compile_argv is None else (Step(compile_argv, policy=compile_policy, name="compile"),)
    runs = tuple(Step(lang.run_argv(policy), stdin, policy, f"test {i}") for i, stdin in enumerate(stdins))
    return build + runs


def job_for(
    name: str,
    source: bytes,
    stdins: Iterable[bytes],
    policy: Policy = DEFAULT_POLICY,
    compile_policy: Policy = COMPILE_POLICY,
) -> Job:
    """A job that writes ``source`` to the language's file, builds it once, then runs it per stdin."""
    lang = resolve(name)
    return Job({lang.source: source}, steps_for(lang.name, stdins, policy, compile_policy), lang.name)
