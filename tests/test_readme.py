"""README.md's shell blocks, run as written: the curl call and `rlvr score` against a real service.

Each command of a ```sh block that calls `.venv/bin/rlvr` or `curl` runs in a fresh directory
holding the repository's examples, with this interpreter standing in for `.venv/bin/rlvr` and
the test server's URL for port 8000; a command must exit 0 and write what the README says.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server import REPO, run_server

pytestmark = pytest.mark.integration

README = REPO / "README.md"
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
DOCUMENTED_PORT = re.compile(r"(?:http://)?(?:127\.0\.0\.1|localhost):8000")


def documented_commands() -> list[str]:
    """The README's `rlvr` and `curl` commands, joined across backslash-newlines and open quotes."""
    commands: list[str] = []
    for block in SH_BLOCK.findall(README.read_text()):
        pending = ""
        for line in block.splitlines():
            pending = f"{pending}\n{line}" if pending else line
            try:
                shlex.split(pending, comments=True)
            except ValueError:  # an open quote: the command goes on on the next line
                continue
            if pending.startswith((".venv/bin/rlvr ", "curl ")):
                commands.append(pending)
            pending = ""
    return commands


def test_readme_yields_the_commands_this_test_runs() -> None:
    commands = documented_commands()
    assert sum(c.startswith("curl ") for c in commands) == 1, commands
    assert sum(c.startswith(".venv/bin/rlvr score ") for c in commands) == 2, commands


def test_documented_commands_yield_scores(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    env = {**os.environ, "PYTHONPATH": str(REPO), "RLVR_WORKERS": "1"}
    python = shlex.quote(sys.executable)
    with run_server(env={"RLVR_WORKERS": "1"}) as url:
        for command in documented_commands():
            runnable = DOCUMENTED_PORT.sub(url, command).replace(".venv/bin/rlvr ", f"{python} -m service ", 1)
            proc = subprocess.run(
                ["bash", "-c", runnable], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
            )
            assert proc.returncode == 0, f"{command}\n{proc.stderr}"
            if command.startswith("curl "):
                rewards = [r["reward"] for r in json.loads(proc.stdout)["results"]]
                assert rewards == [1.2, 0.2], proc.stdout
            else:
                scored = [json.loads(line) for line in (tmp_path / "scored.jsonl").read_text().splitlines()]
                assert [r["id"] for r in scored] == ["q1-0", "q1-1", "q2-0", "q2-1"], command
                assert [r["status"] for r in scored] == ["ok"] * 4, scored
                assert [r["components"][0]["score"] for r in scored] == [1.0, 0.0, 1.0, 0.0], scored
                (tmp_path / "scored.jsonl").unlink()
