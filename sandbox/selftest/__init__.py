"""One tiny program per language that must print OK, and a runner for all of them.

A language whose self-test fails is broken on this backend, whatever its table says
(piston's ``packages/<lang>/<version>/test.*``). ``python -m sandbox.selftest``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.backend import Backend, StepResult
from sandbox.errors import SandboxError
from sandbox.languages import LANGUAGES, job_for

PROGRAMS: dict[str, str] = {
    "python": 'import sys\nprint(sys.stdin.readline().strip() or "missing")\n',
    "cpp": "#include <iostream>\n#include <string>\n"
    'int main() { std::string s; std::cin >> s; std::cout << s << "\\n"; }\n',
    "c": '#include <stdio.h>\nint main(void) { char s[8] = {0}; if (scanf("%7s", s) == 1) puts(s); return 0; }\n',
    "java": "import java.util.Scanner;\npublic class Main {\n  public static void main(String[] a) {\n"
    "    System.out.println(new Scanner(System.in).next());\n  }\n}\n",
    "javascript": 'const s = require("fs").readFileSync(0, "utf8").trim();\nconsole.log(s);\n',
    "rust": "use std::io::Read;\nfn main() {\n    let mut s = String::new();\n"
    '    std::io::stdin().read_to_string(&mut s).unwrap();\n    println!("{}", s.trim());\n}\n',
    "go": 'package main\n\nimport "fmt"\n\nfunc main() {\n\tvar s string\n\tfmt.Scan(&s)\n\tfmt.Println(s)\n}\n',
    "bash": 'read -r s\necho "$s"\n',
}
STDIN = b"OK\n"


@dataclass(frozen=True)
class SelfTest:
    """The outcome of one language's self-test."""

    language: str
    passed: bool
    detail: str
    wall_time_s: float


def _describe(results: list[StepResult]) -> str:
    last = results[-1]
    what = f"exit {last.exit_code}" if last.signal is None else f"signal {last.signal}"
    if last.limit:
        what += f", limit {last.limit}"
    return f"{what}; stdout={last.stdout[:80]!r} stderr={last.stderr[-300:]!r}"


def run_one(backend: Backend, language: str) -> SelfTest:
    """Build and run ``language``'s program in ``backend``; passed iff it printed OK."""
    try:
        job = job_for(language, PROGRAMS[language].encode(), [STDIN])
        results = list(backend.run(job))
    except SandboxError as exc:
        return SelfTest(language, False, f"{type(exc).__name__}: {exc}", 0.0)
    passed = all(r.ok for r in results) and results[-1].stdout == b"OK\n"
    wall = sum(r.wall_time_s for r in results)
    return SelfTest(language, passed, "OK" if passed else _describe(results), wall)


def run_all(backend: Backend, languages: tuple[str, ...] | None = None) -> list[SelfTest]:
    """Self-test every language of the table (or those named)."""
    return [run_one(backend, lang) for lang in (languages or tuple(lang.name for lang in LANGUAGES))]
