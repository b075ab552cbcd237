"""Turn a solution and a TestSuite into a sandbox Job: compile once, then one step per test.

stdin/stdout tests run the program itself with the test's input; the expected output
never enters the sandbox. Call-, assert- and pytest-based tests run the trusted
harness (wire.py + harness.py + runner.py) as the step, and the solution in the step's
isolated peer (wire.py + peer.py). The harness travels on the step's stdin, never as a
file in the work dir that an earlier test's program could rewrite: a ``-c`` bootstrap reads
it, already compiled (marshal) by the backend's own interpreter (Backend.precompiled), then
the harness reads the peer's program (compiled the same way) and the job: the solution, the
test and a fresh nonce. The harness hands the peer its program down their pipe first, so
neither process compiles our code (~2 ms of every test).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from sandbox.backend import Job, Preload, Step
from sandbox.errors import UnsupportedLanguage
from sandbox.judge.cases import TestSuite
from sandbox.languages import resolve
from sandbox.policy import COMPILE_POLICY, Policy
from sandbox.precompile import code_of, precompiled

HARNESS_SOURCES = ("wire.py", "harness.py", "runner.py")
PEER_SOURCES = ("wire.py", "peer.py")
FUTURE = "from __future__ import annotations\n"
HARNESS_SLACK_S = 1.0  # two interpreter starts and the harness's own work
PYTEST_PATHS = ("/usr/lib/python3/dist-packages",)  # Debian's python3-pytest, read-only in the sandbox
BOOTSTRAP = (  # the harness's definitions, loaded ahead (sys.rlvr_preloaded: sandbox/backend.py Preload) or here
    "import sys, marshal\n"
    "i = sys.stdin.buffer\n"
    "v, n, m = i.readline().decode().rsplit(' ', 2)\n"
    "b, s = i.read(int(n)), i.read(int(m)).decode()\n"
    "g = v == repr(sys.version) and getattr(sys, 'rlvr_preloaded', {}).get(b)\n"
    "if not g:\n"
    "    g = {'__name__': '__main__', '__builtins__': __builtins__}\n"
    "    exec(marshal.loads(b) if v == repr(sys.version) else compile(s, '<harness>', 'exec'), g)\n"
    "g['main']()\n"
)
PEER_BOOTSTRAP = (  # reads the length-prefixed blob the harness sends first (runner.py), from fd 0 unbuffered
    "import os, sys, marshal\n"
    "def r(n):\n"
    "    b = b''\n"
    "    while len(b) < n:\n"
    "        c = os.read(0, n - len(b))\n"
    "        if not c:\n"
    "            raise SystemExit(1)\n"
    "        b += c\n"
    "    return b\n"
    "h, _, d = r(int.from_bytes(r(4), 'little')).partition(b'\\n')\n"
    "v, n, m = h.decode().rsplit(' ', 2)\n"
    "c = d[: int(n)]\n"
    "g = v == repr(sys.version) and getattr(sys, 'rlvr_preloaded', {}).get(c)\n"
    "if not g:\n"
    "    g = {'__name__': '__main__', '__builtins__': __builtins__}\n"
    "    exec(marshal.loads(c) if v == repr(sys.version) else compile(d[int(n) :].decode(), '<peer>', 'exec'), g)\n"
    "g['main']()\n"
)
Precompile = Callable[[str, str, str], bytes]
"""(python, source, filename) -> sandbox/precompile.py's blob: a backend's ``precompiled``."""


@dataclass(frozen=True)
class Limits:
    """Per-test limits: CPU time is the time limit, wall time a backstop for sleepers."""

    time_s: float = 5.0
    memory_mb: int = 512
    max_output_bytes: int = 1 << 20
    max_processes: int = 64

    def policy(self) -> Policy:
        return Policy(
            wall_time_s=self.time_s * 2 + 1,
            cpu_time_s=self.time_s,
            memory_mb=self.memory_mb,
            max_processes=self.max_processes,
            max_output_bytes=self.max_output_bytes,
        )


@dataclass(frozen=True)
class Planned:
    """A job plus what the judge needs to read its results: whether step 0 compiles, the nonces."""

    job: Job
    compiles: bool
    nonces: tuple[str, ...] = ()


@cache
def harness_program() -> str:
    """The harness's source, as one program of definitions: BOOTSTRAP runs it (or finds it run) and calls main()."""
    return _joined(HARNESS_SOURCES)


@cache
def peer_program() -> str:
    """The solution side's source, as one program of definitions: PEER_BOOTSTRAP runs it (or finds it run) and calls
    main()."""
    return _joined(PEER_SOURCES)


def _joined(names: tuple[str, ...]) -> str:
    here = Path(__file__).parent
    first, *rest = ((here / name).read_text() for name in names)
    return "\n".join([first, *(part.replace(FUTURE, "", 1) for part in rest)])  # one __future__ line, at the top


def harness_prefix(python: str, precompile: Precompile = precompiled) -> bytes:
    """The start of a harness step's stdin: the harness compiled by ``precompile``'s ``python`` and its source,
    then the peer's program the same way, length-prefixed (the harness passes it on to PEER_BOOTSTRAP).

    Compiling 600 lines costs a third of the harness's CPU; the sandbox reuses the
    compiled form only if its interpreter reports the very same ``sys.version``.
    """
    peer = precompile(python, peer_program(), "<peer>")
    return precompile(python, harness_program(), "<harness>") + len(peer).to_bytes(4, "little") + peer


def harness_preload(python: str, precompile: Precompile = precompiled) -> Preload:
    """What a backend may load ahead for harness steps (sandbox.backend.Preload): the two bootstraps, and the harness
    and peer programs compiled by ``python``, whose definitions it may run ahead: each bootstrap looks its program's
    bytes up and calls the ``main`` found there (~2 ms of a HumanEval problem's CPU: unmarshalling and defining in
    a fresh fork touch fresh pages)."""
    code = (precompile(python, harness_program(), "<harness>"), precompile(python, peer_program(), "<peer>"))
    return Preload((BOOTSTRAP, PEER_BOOTSTRAP), tuple(filter(None, map(code_of, code))))


def plan(
    source: str,
    suite: TestSuite,
    language: str,
    limits: Limits,
    *,
    check_host: bool = True,
    cancel: threading.Event | None = None,
    precompile: Precompile = precompiled,
) -> Planned:
    """The Job that runs ``source`` against every test of ``suite`` (``check_host``: see Backend.host_toolchains).

    ``precompile``: the backend's ``precompiled``, so the harness is compiled by the interpreter that reads it.
    """
    lang = resolve(language, check_host=check_host)
    policy = limits.policy()
    if suite.kind == "stdio":
        argv = lang.compile_argv(COMPILE_POLICY)
        build = () if argv is None else (Step(argv, policy=COMPILE_POLICY, name="compile"),)
        stdins = {c.input: c.input.encode() for c in suite.cases}  # equal inputs share one encoding
        runs = tuple(
            Step(lang.run_argv(policy), stdins[c.input], policy, f"test {n}") for n, c in enumerate(suite.cases, 1)
        )
        return Planned(Job({lang.source: source.encode()}, build + runs, lang.name, cancel), compiles=bool(build))
    if lang.name != "python":
        raise UnsupportedLanguage(f"{suite.kind}-based tests need python, not {language!r}")
    python = lang.run_argv(policy)[0]
    argv = (python, "-I", "-S", "-B", "-c", BOOTSTRAP)
    peer = (python, "-I", "-S", "-B", "-c", PEER_BOOTSTRAP)
    prefix = harness_prefix(python, precompile)
    policy = replace(policy, wall_time_s=policy.wall_time_s + HARNESS_SLACK_S)
    nonces = tuple(secrets.token_hex(16) for _ in suite.cases)
    steps = tuple(
        Step(argv, prefix + _harness_stdin(source, suite, n - 1, nonce), policy, f"test {n}", peer)
        for n, nonce in enumerate(nonces, 1)
    )
    job = Job({}, steps, lang.name, cancel, harness_preload(python, precompile))
    return Planned(job, compiles=False, nonces=nonces)


def _harness_stdin(source: str, suite: TestSuite, index: int, nonce: str) -> bytes:
    case = suite.cases[index]
    spec: dict[str, object] = {"nonce": nonce, "mode": suite.kind, "source": source, "prelude": suite.prelude}
    if suite.kind == "call":
        spec.update(fn_name=suite.fn_name, args=list(case.args))
    elif suite.kind == "assert":
        spec.update(setup=suite.setup, code=case.code)
    else:
        spec.update(code=case.code, sys_path=list(PYTEST_PATHS))
    return json.dumps(spec).encode()
