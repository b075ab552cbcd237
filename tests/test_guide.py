"""docs/writing-a-verifier.md, followed literally as a new user would, in a fresh environment.

The guide's marked blocks are the script: ``<!-- guide-test: run -->`` console blocks
run their ``$`` commands in order and every output line they show must appear;
``<!-- guide-test: file PATH -->`` blocks are written to PATH; ``<!-- guide-test: serve -->``
starts the service in the background (on a free port instead of 8000).

The user's environment is a new virtualenv that sees .venv's packages (rlvr and its
dependencies) through a .pth file, with an ``rlvr`` command: the plugin is installed
there, never into .venv, and pip is kept off the network.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.server import REPO, free_port, serving

pytestmark = pytest.mark.integration

GUIDE = REPO / "docs" / "writing-a-verifier.md"
MARK = re.compile(r"^<!-- guide-test: (run|serve|file (\S+)) -->\n```\w*\n(.*?)^```", re.MULTILINE | re.DOTALL)
GUIDE_PORT = "8000"


@dataclass(frozen=True)
class Step:
    kind: str  # "run", "serve" or "file"
    path: str
    body: str


def guide_steps() -> list[Step]:
    """The marked blocks of the guide, in order."""
    steps = []
    for m in MARK.finditer(GUIDE.read_text()):
        kind = m.group(1).split()[0]
        steps.append(Step(kind, m.group(2) or "", m.group(3)))
    return steps


def commands(body: str) -> list[tuple[str, list[str]]]:
    """``$ command`` lines of a console block, each with the output lines shown after it."""
    out: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out and line.strip() and line.strip() != "...":
            out[-1][1].append(line.strip())
    return out


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A fresh virtualenv seeing .venv's packages, with ``python``, ``pip`` (as a module) and ``rlvr`` on PATH."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
    )
    dev_site = sysconfig.get_paths()["purelib"]
    (site / "_rlvr_dev_env.pth").write_text(f"import site; site.addsitedir({dev_site!r})\n")
    rlvr = venv / "bin" / "rlvr"
    # as pip writes a console script: verifier workers start by importing it again, under another name
    script = "import sys\nfrom service.cli import main\nif __name__ == '__main__':\n    sys.exit(main())\n"
    rlvr.write_text(f"#!{venv / 'bin' / 'python'}\n{script}")
    rlvr.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RLVR_", "PYTHON", "PIP_"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        RLVR_REPO=str(REPO),
        RLVR_WORKERS="1",
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        HOME=str(tmp_path),
    )
    return env


@contextlib.contextmanager
def serving_command(command: str, cwd: Path, env: dict[str, str]) -> Iterator[None]:
    """The guide's serve command, run as written, until it answers /readyz."""
    port = command.split("--port ")[1].split()[0]
    with serving(["bash", "-c", f"exec {command}"], f"http://127.0.0.1:{port}/readyz", env=env, cwd=cwd):
        yield


def test_guide_followed_literally_yields_served_plugin(tmp_path: Path, user_env: dict[str, str]) -> None:
    steps = guide_steps()
    assert [s.kind for s in steps].count("serve") == 1 and len(steps) >= 8
    cwd, port = tmp_path, str(free_port())
    transcript: list[str] = []
    with contextlib.ExitStack() as stack:
        for step in steps:
            body = step.body.replace(GUIDE_PORT, port)
            if step.kind == "file":
                (cwd / step.path).write_text(body)
                continue
            if step.kind == "serve":
                ((command, _),) = commands(body)
                stack.enter_context(serving_command(command, cwd, user_env))
                continue
            for command, shown in commands(body):
                if command.startswith("cd "):
                    cwd = (cwd / command[3:].strip()).resolve()
                    continue
                proc = subprocess.run(
                    ["bash", "-c", command], cwd=cwd, env=user_env, capture_output=True, text=True, timeout=300
                )
                transcript.append(f"$ {command}\n{proc.stdout}{proc.stderr}")
                assert proc.returncode == 0, "\n".join(transcript)
                got = proc.stdout.splitlines()
                missing = [s for s in shown if not any(s in line for line in got)]
                assert not missing, f"lines shown in the guide but not printed: {missing}\n{proc.stdout}"
    assert (cwd / "rlvr_plugin_mine" / "__init__.py").exists()
    installed = [p.name for p in (tmp_path / "venv").rglob("*.dist-info")]
    assert "rlvr_plugin_mine-0.1.0.dist-info" in installed
    assert not list(Path(sysconfig.get_paths()["purelib"]).glob("rlvr_plugin_mine*")), "leaked into .venv"
