"""Installing rlvr is quiet: the build backend has nothing to warn about (SPDX licence, licence file)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server import REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_editable_install_yields_no_build_warnings(tmp_path: Path) -> None:
    """`pip install -e` as `make install` runs it (build isolation: the newest setuptools), verbose."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    proc = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-v", "--no-deps", "--disable-pip-version-check", "-e", str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    warnings = [line.strip() for line in output.splitlines() if re.search(r"Warning\b|deprecat", line, re.I)]
    assert warnings == [], "\n".join(warnings[:20])
    (metadata,) = (venv / "lib").glob("python3*/site-packages/rlvr-*.dist-info/METADATA")
    assert "License-Expression: Apache-2.0" in metadata.read_text()
    assert "License-File: LICENSE" in metadata.read_text()
