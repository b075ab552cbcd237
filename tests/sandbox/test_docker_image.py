"""The runner image: built from the current recipe, every toolchain's extras in place, nothing of a login system."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from sandbox.backend import Job, Step
from sandbox.bwrap import SANDBOX_PCH_DIR
from sandbox.docker import DEFAULT_IMAGE, DockerBackend
from sandbox.judge.program import harness_prefix
from sandbox.languages import resolve
from sandbox.policy import COMPILE_POLICY
from tests.sandbox.docker_engine import docker_backend, require_engine

pytestmark = [pytest.mark.docker, pytest.mark.integration]

BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "sandbox" / "images" / "build_runner.sh"


@pytest.fixture(scope="module")
def backend() -> Iterator[DockerBackend]:
    made = docker_backend(pool_size=1)
    yield made
    made.close()


def test_image_label_yields_the_current_recipe_hash() -> None:
    require_engine()
    recipe = subprocess.run([str(BUILD_SCRIPT), "hash"], capture_output=True, text=True, check=True).stdout.strip()
    labels = docker.from_env().images.get(DEFAULT_IMAGE).labels
    assert labels["rlvr.runner.hash"] == recipe, "stale runner image: run `make runner-image`"


@pytest.mark.parametrize(("path", "present"), [
    (f"{SANDBOX_PCH_DIR}/bits/stdc++.h.gch", True), ("/box", True),
    ("/home", False), ("/etc/shadow", False), ("/etc/gshadow", False), ("/root/.bashrc", False),
])
def test_image_path_yields_expected_presence(backend: DockerBackend, path: str, present: bool) -> None:
    (result,) = backend.run(Job({}, (Step(("/usr/bin/test", "-e", path)),)))
    assert (result.exit_code == 0) is present


def test_bits_stdcpp_include_yields_the_precompiled_header_in_docker_backend(backend: DockerBackend) -> None:
    source = b"#include <bits/stdc++.h>\nint main() { std::vector<int> v{1, 2}; std::cout << v.size() << '\\n'; }\n"
    cpp = resolve("cpp")
    build = Step((*(cpp.compile_argv() or ()), "-H"), policy=COMPILE_POLICY, name="compile")
    compiled, ran = backend.run(Job({cpp.source: source}, (build, Step(cpp.run_argv())), "cpp"))
    assert compiled.ok and ran.stdout == b"2\n"
    assert f"! {SANDBOX_PCH_DIR}/bits/stdc++.h.gch".encode() in compiled.stderr


READ_BLOB = (
    "import sys, marshal\n"
    "i = sys.stdin.buffer\n"
    "v, n, m = i.readline().decode().rsplit(' ', 2)\n"
    "code = marshal.loads(i.read(int(n)))\n"
    "print(v == repr(sys.version), code.co_filename, flush=True)\n"
)


def test_harness_blob_yields_code_the_image_interpreter_reads(backend: DockerBackend) -> None:
    """The judge's harness is compiled by the image's interpreter: whole, and of the very same sys.version."""
    python = resolve("python", check_host=False).run_argv()[0]
    prefix = harness_prefix(python, backend.precompiled)
    (result,) = backend.run(Job({}, (Step((python, "-I", "-S", "-c", READ_BLOB), prefix),)))
    assert (result.exit_code, result.stdout) == (0, b"True <harness>\n"), result.stderr
