"""Build and pip-install verifier plugin packages for tests, offline, without touching .venv.

``pip install --target DIR`` writes the package and its dist-info (with the
``rlvr.verifiers`` entry points) into DIR; a process with DIR on PYTHONPATH then finds
the plugin through real entry points, exactly as an installed package.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.server import REPO

EXAMPLE_PLUGIN = REPO / "examples" / "plugin"


def pip_install(source: Path, target: Path) -> Path:
    """Install the package at ``source`` into ``target`` (built from a copy: no build/ left in the source)."""
    with tempfile.TemporaryDirectory() as build:
        copy = Path(build) / source.name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"]
        proc = subprocess.run([*cmd, "--target", str(target), str(copy)], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"pip install {source} failed:\n{proc.stdout}\n{proc.stderr}")
    return target


def write_package(root: Path, name: str, modules: dict[str, str], entry_points: dict[str, str]) -> Path:
    """A minimal installable package ``name`` at ``root/name`` with ``modules`` and rlvr.verifiers entry points."""
    package = name.replace("-", "_")
    src = root / name
    (src / package).mkdir(parents=True)
    for module, code in modules.items():
        (src / package / f"{module}.py").write_text(code)
    eps = "\n".join(f'{k} = "{v}"' for k, v in entry_points.items())
    (src / "pyproject.toml").write_text(
        f"""[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "0.0.1"

[project.entry-points."rlvr.verifiers"]
{eps}

[tool.setuptools]
packages = ["{package}"]
"""
    )
    return src
