"""Smoke test of deploy/compose.yaml: build (or reuse) the images, start the stack, score math and code
through it with an API key, check the socket proxy holds, tear it down leaving no container behind.

Real parts only: the Docker engine, the service and runner images, compose. Locally it skips when
Docker or compose is missing; under CI=true it fails instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from tests.server import free_port

pytestmark = [pytest.mark.integration, pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(3600)]

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "deploy" / "compose.yaml"
IMAGE = "rlvr:latest"
RUNNER_IMAGE = "rlvr-runner:latest"
BUILD_TIMEOUT_S = 3000
READY_TIMEOUT_S = 240.0
HEALTHY_TIMEOUT_S = 90.0
DOCKER_SOCKET = "/var/run/docker.sock"


def compose_command() -> list[str] | None:
    """`docker compose` (the plugin) if present, else the standalone `docker-compose`, else None."""
    for cmd in (["docker", "compose"], ["docker-compose"]):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run([*cmd, "version"], capture_output=True, check=True, timeout=60)
            return cmd
    return None


def require_compose() -> list[str]:
    """The compose command; skip locally (fail under CI=true) without a Docker engine or compose."""
    problem = None
    try:
        docker.from_env(timeout=10).ping()
    except Exception as exc:
        problem = f"Docker engine unavailable: {type(exc).__name__}: {exc}"
    cmd = compose_command()
    if problem is None and cmd is None:
        problem = "neither `docker compose` nor `docker-compose` is installed"
    if problem is None and cmd is not None:
        return cmd
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true: the compose stack must be tested: {problem}")
    pytest.skip(str(problem))


def build_images() -> None:
    """Build the service and runner images offline, or reuse them when their content hash matches."""
    for script in ("deploy/image/build.sh", "sandbox/images/build_runner.sh"):
        done = subprocess.run([str(REPO / script), "offline"], cwd=REPO, capture_output=True, text=True,
                              timeout=BUILD_TIMEOUT_S)
        assert done.returncode == 0, f"{script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"


class Stack:
    """One compose project with a unique name, a fresh API key and a free loopback port."""

    def __init__(self, compose: list[str], workdir: Path) -> None:
        self.compose = compose
        self.project = f"rlvrsmoke{os.getpid()}{secrets.token_hex(3)}"
        self.key = secrets.token_urlsafe(24)
        keys = workdir / "api_keys"
        keys.write_text(f"# smoke test key\n{self.key}\n")
        keys.chmod(0o644)  # compose mounts the file as is; the service runs as uid 10001
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DOCKER_GID": str(os.stat(DOCKER_SOCKET).st_gid), "RLVR_API_KEYS_SECRET": str(keys),
                    "RLVR_PORT": str(self.port), "RLVR_IMAGE": IMAGE, "RLVR_RUNNER_IMAGE": RUNNER_IMAGE}
        self.client = docker.from_env(timeout=60)
        self.owner_host = ""  # the service container's hostname, which labels the runners it starts

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.compose, "-f", str(COMPOSE_FILE), "-p", self.project, *args], env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def up(self) -> None:
        done = self.run("up", "-d")
        assert done.returncode == 0, f"compose up failed:\n{done.stdout}\n{done.stderr}\n{self.logs()}"

    def logs(self) -> str:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            return self.run("logs", "--no-color", "--tail", "80", timeout=60).stdout
        return "(no logs)"

    def wait_ready(self) -> dict[str, Any]:
        deadline = time.monotonic() + READY_TIMEOUT_S
        last = "no answer"
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                reply = httpx.get(f"{self.url}/readyz", timeout=5)
                last = f"{reply.status_code} {reply.text}"
                if reply.status_code == 200:
                    return dict(reply.json())
            time.sleep(1)
        pytest.fail(f"the stack did not become ready in {READY_TIMEOUT_S:.0f}s (last: {last}):\n{self.logs()}")

    def containers(self) -> list[Any]:
        """Containers of this compose project, in any state."""
        project = f"com.docker.compose.project={self.project}"
        return list(self.client.containers.list(all=True, filters={"label": project}))

    def service_container(self) -> Any:
        (found,) = [c for c in self.containers() if c.labels.get("com.docker.compose.service") == "rlvr"]
        return found

    def runners(self) -> list[Any]:
        """Runner containers the service started, in any state."""
        if not self.owner_host:
            return []
        return list(self.client.containers.list(all=True, filters={"label": [f"rlvr.owner.host={self.owner_host}"]}))

    def down(self) -> subprocess.CompletedProcess[str]:
        return self.run("down", "-v", "--remove-orphans", "--timeout", "60", timeout=600)

    def remove_everything(self) -> None:
        """Last resort on teardown: whatever the project or its service left behind."""
        self.down()
        for ident in [c.id for c in self.containers() + self.runners()]:
            with contextlib.suppress(docker.errors.NotFound):
                self.client.api.remove_container(ident, force=True)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    compose = require_compose()
    build_images()
    stack = Stack(compose, tmp_path_factory.mktemp("compose"))
    try:
        stack.up()
        stack.wait_ready()
        stack.owner_host = stack.service_container().attrs["Config"]["Hostname"]
        yield stack
    finally:
        stack.remove_everything()


def score(stack: Stack, items: list[dict[str, Any]], key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key if key is not None else stack.key}"}
    return httpx.post(f"{stack.url}/v1/score", json={"items": items}, headers=headers, timeout=180)


MATH_ITEMS = [
    {"id": "right", "completion": "<think>1/2 + 1/3 = 5/6</think>The answer is $\\boxed{\\frac{5}{6}}$.",
     "reference": "5/6", "rewards": {"math": 1.0}},
    {"id": "wrong", "completion": "<think>1/2 + 1/3 = 2/5</think>The answer is $\\boxed{\\frac{2}{5}}$.",
     "reference": "5/6", "rewards": {"math": 1.0}},
]
DOUBLE_TESTS = {"inputs": ["3\n", "21\n"], "outputs": ["6\n", "42\n"]}
CODE_ITEMS = [
    {"id": "right", "completion": "<think>Read n, print 2n.</think>\n```python\nprint(2 * int(input()))\n```",
     "reference": DOUBLE_TESTS, "rewards": {"code": 1.0}},
    {"id": "wrong", "completion": "<think>Read n, print n+2.</think>\n```python\nprint(int(input()) + 2)\n```",
     "reference": DOUBLE_TESTS, "rewards": {"code": 1.0}},
]


@pytest.mark.parametrize(("items", "rewards"), [(MATH_ITEMS, [1.0, 0.0]), (CODE_ITEMS, [1.0, 0.0])],
                         ids=["math", "code"])
def test_items_scored_through_the_stack_yield_their_rewards(
        stack: Stack, items: list[dict[str, Any]], rewards: list[float]) -> None:
    reply = score(stack, items)
    assert reply.status_code == 200, reply.text
    results = reply.json()["results"]
    assert [r["id"] for r in results] == [i["id"] for i in items]
    assert [r["status"] for r in results] == ["ok", "ok"], json.dumps(results, indent=1)
    assert [r["reward"] for r in results] == rewards, json.dumps(results, indent=1)


def test_code_item_yields_a_runner_container_started_through_the_proxy(stack: Stack) -> None:
    assert score(stack, CODE_ITEMS[:1]).status_code == 200
    runners = stack.runners()
    assert runners, "the service scored code without starting a runner container"
    assert all(RUNNER_IMAGE in c.image.tags for c in runners)
    assert all(c.attrs["HostConfig"]["NetworkMode"] == "none" for c in runners)


def test_service_container_yields_healthy_by_its_healthcheck(stack: Stack) -> None:
    deadline = time.monotonic() + HEALTHY_TIMEOUT_S
    status = "unknown"
    while time.monotonic() < deadline:
        container = stack.service_container()
        status = container.attrs["State"].get("Health", {}).get("Status", "no healthcheck")
        if status != "starting":
            break
        time.sleep(2)
    assert status == "healthy"


@pytest.mark.parametrize("key", ["", "not-the-key"], ids=["no key", "wrong key"])
def test_request_without_the_key_yields_401(stack: Stack, key: str) -> None:
    reply = httpx.post(f"{stack.url}/v1/score", json={"items": MATH_ITEMS},
                       headers={"Authorization": f"Bearer {key}"} if key else {}, timeout=30)
    assert reply.status_code == 401


PROBE = """
import docker, json
client = docker.from_env(timeout=30)
out = {}
for name, call in [
    ("list_all", lambda: client.api.containers(all=True)),
    ("privileged", lambda: client.api.create_container("rlvr-runner:latest", ["true"], labels={"rlvr.sandbox": "1"},
        user="1000", host_config=client.api.create_host_config(privileged=True, network_mode="none"))),
    ("bind_root", lambda: client.api.create_container("rlvr-runner:latest", ["true"], labels={"rlvr.sandbox": "1"},
        user="1000", host_config=client.api.create_host_config(binds=["/:/host"], network_mode="none"))),
    ("info", lambda: client.info()),
]:
    try:
        call()
        out[name] = "allowed"
    except docker.errors.APIError as exc:
        out[name] = exc.status_code
print(json.dumps(out))
"""


def test_engine_calls_beyond_the_backend_s_needs_yield_403_from_the_service_container(stack: Stack) -> None:
    exit_code, output = stack.service_container().exec_run(["python3", "-c", PROBE])
    assert exit_code == 0, output.decode()
    assert json.loads(output.decode().strip().splitlines()[-1]) == {
        "list_all": 403, "privileged": 403, "bind_root": 403, "info": 403}


def test_stack_down_yields_no_containers_left(stack: Stack) -> None:
    done = stack.down()
    assert done.returncode == 0, done.stderr
    assert stack.containers() == []
    assert stack.runners() == []
