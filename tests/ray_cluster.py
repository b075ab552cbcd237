"""A real two-node Ray cluster on this machine, on loopback only, and `serve run` of rlvr on it.

Ray maps 127.0.0.1 to the machine's outward address unless told not to: the head, the
drivers and ``serve run`` get ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` (then "127.0.0.1"
stays loopback), and the second node, for which that variable would forbid joining, is
started by the ``ray`` CLI with that mapping switched off (``JOIN_ON_LOOPBACK``).
Every port is a free loopback port; ``ray stop --force`` and a kill of the process groups
we started clean up, whatever happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from tests.server import REPO, free_port

VENV_BIN = Path(sys.executable).parent
RAY_README = REPO / "deploy" / "ray" / "README.md"
DOCUMENTED_GCS_PORT = 6379
STARTUP_TIMEOUT_S = 150.0
# A raylet must register with the GCS within 30 s (hard-coded in ray._private.node); on a
# saturated machine the first start can miss that, so the cluster start is tried twice.
START_ATTEMPTS = 2
LOOPBACK_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0"}
JOIN_ON_LOOPBACK = (  # run as `python -c JOIN_ON_LOOPBACK start …`: the `ray` CLI, 127.0.0.1 kept as is
    "import sys, ray._private.services as s; s.resolve_ip_for_localhost = lambda host: host; "
    "from ray.scripts.scripts import main; sys.exit(main())"
)
# What a driver prints about the rlvr replicas: their pids and nodes.
REPLICAS_SCRIPT = """
import json, os, ray
ray.init(address="auto", namespace="serve", logging_level="ERROR")
head = next(n["NodeID"] for n in ray.nodes() if n["Alive"] and "node:__internal_head__" in n["Resources"])
names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True) if "rlvr#RLVR" in a["name"]]
info = []
for name in names:
    try:  # a killed replica stays listed until Serve replaces it
        info.append(ray.get(ray.get_actor(name, namespace="serve").__ray_call__.remote(
            lambda self: {"pid": os.getpid(), "node": ray.get_runtime_context().get_node_id()}), timeout=20))
        info[-1]["head"] = info[-1]["node"] == head
    except (ValueError, ray.exceptions.RayError):
        pass
print(json.dumps(info))
"""


@dataclass
class Cluster:
    """A running local cluster: its GCS address, temp dir and the environment to reach it."""

    address: str
    temp_dir: Path
    env: dict[str, str]
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def replicas(self) -> list[dict[str, object]]:
        """pid, node id and whether on the head node, of every running rlvr replica."""
        out = subprocess.run(
            [sys.executable, "-c", REPLICAS_SCRIPT], env=self.env, capture_output=True, timeout=120, check=True
        )
        return json.loads(out.stdout.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


def ray_env(address: str | None = None) -> dict[str, str]:
    env = {**os.environ, **LOOPBACK_ENV, "PYTHONPATH": str(REPO), "PATH": f"{VENV_BIN}:{os.environ['PATH']}"}
    if address:
        env["RAY_ADDRESS"] = address
    return env


def documented_block(marker: str, readme: Path = RAY_README) -> list[str]:
    """The shell lines between ``<!-- marker`` and ``<!-- /marker -->`` in deploy/ray/README.md (joined at ``\\``)."""
    text = readme.read_text()
    block = text.split(f"<!-- {marker}", 1)[1].split("\n", 1)[1].split(f"<!-- /{marker} -->", 1)[0]
    joined = block.replace("\\\n", " ")
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.startswith("```")]


def documented_commands() -> list[list[str]]:
    """The quick-start commands, as argv lists, in order."""
    return [shlex.split(line) for line in documented_block("ray-quickstart")]


def documented_curls(url: str) -> list[str]:
    """The README's curl lines, aimed at ``url`` instead of the documented localhost:8000."""
    return [line.replace("localhost:8000", url.removeprefix("http://"))
            for line in documented_block("ray-try") if line.startswith("curl ")]


def split_env(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """``VAR=value ... cmd args`` as ({VAR: value}, [cmd, args])."""
    n = 0
    while n < len(argv) and "=" in argv[n] and argv[n].split("=", 1)[0].isidentifier():
        n += 1
    return dict(a.split("=", 1) for a in argv[:n]), argv[n:]


def _on_test_ports(argv: list[str], gcs_port: int, temp_dir: Path) -> list[str]:
    """A documented `ray start`, on a free GCS port, with a temp dir and free agent ports (test-only)."""
    argv = [a.replace(str(DOCUMENTED_GCS_PORT), str(gcs_port)) for a in argv]
    extra = ["--dashboard-agent-listen-port", str(free_port())]
    if "--head" in argv:
        extra += ["--temp-dir", str(temp_dir), "--ray-client-server-port", str(free_port())]
    return [str(VENV_BIN / "ray"), *argv[1:], *extra]


@contextlib.contextmanager
def local_cluster() -> Iterator[Cluster]:
    """The README's quick start up to `serve run`: a head and a second node (resource ``node2``)."""
    commands = documented_commands()
    if commands[0][:2] != ["pip", "install"]:
        raise RuntimeError("the quick start must begin by installing rlvr[server,ray] (the test's venv has it)")
    starts = [split_env(c) for c in commands if split_env(c)[1][:2] == ["ray", "start"]]
    temp_dir = Path(tempfile.mkdtemp(prefix="rr-", dir="/tmp"))  # short: Ray's socket paths have a length limit
    port = free_port()
    address = f"127.0.0.1:{port}"
    env = ray_env(address)
    join_env = {k: v for k, v in env.items() if k != "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"}
    cluster = Cluster(address, temp_dir, env)
    try:
        for attempt in range(START_ATTEMPTS):
            try:
                for variables, argv in starts:
                    cmd = _on_test_ports(argv, port, temp_dir)
                    if "--head" in cmd:
                        _run(cmd, {**env, **variables})
                    else:  # join on loopback: see the module docstring
                        _run([sys.executable, "-c", JOIN_ON_LOOPBACK, *cmd[1:], "--node-ip-address", "127.0.0.1"],
                             {**join_env, **variables})
                break
            except RuntimeError:
                if attempt + 1 == START_ATTEMPTS:
                    raise
                _ray_stop(env)
        yield cluster
    finally:
        for proc in cluster.started:
            _stop_group(proc)
        _ray_stop(env)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _ray_stop(env: dict[str, str]) -> None:
    subprocess.run([str(VENV_BIN / "ray"), "stop", "--force"], env=env, capture_output=True, timeout=120)


def documented_serve_config() -> Path:
    """The config file the quick start's `serve run` names."""
    (argv,) = [c for c in documented_commands() if c[:2] == ["serve", "run"]]
    return REPO / argv[2]


@contextlib.contextmanager
def serve_run(cluster: Cluster, config: Path | None = None, **overrides: object) -> Iterator[str]:
    """``serve run <config>`` on the cluster, the HTTP port replaced by a free one; yield the URL once ready."""
    data = yaml.safe_load((config or documented_serve_config()).read_text())
    port = free_port()
    data["http_options"]["port"] = port
    for key, value in overrides.items():
        data["applications"][0]["deployments"][0][key] = value
    copy = cluster.temp_dir / "serve.yaml"
    copy.write_text(yaml.safe_dump(data))
    log = (cluster.temp_dir / "serve-run.log").open("wb")
    proc = subprocess.Popen([str(VENV_BIN / "serve"), "run", str(copy)], env=cluster.env, cwd=REPO,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    cluster.started.append(proc)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, proc, cluster.temp_dir / "serve-run.log")
    try:
        yield url
    finally:
        _stop_group(proc)
        log.close()


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    """Until /readyz answers 200 through the Serve proxy (or ``proc`` exits)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve run exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"rlvr on Serve not ready at {url} in {timeout_s}s:\n{log.read_text()[-3000:]}")


def _run(cmd: list[str], env: dict[str, str]) -> None:
    out = subprocess.run(cmd, env=env, capture_output=True, timeout=STARTUP_TIMEOUT_S)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} failed ({out.returncode}):\n{out.stdout.decode()[-2000:]}"
                           f"{out.stderr.decode()[-2000:]}")


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGINT (what Ctrl-C sends: `serve run` then deletes the app), then kill if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
