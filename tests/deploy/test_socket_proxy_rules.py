"""The socket proxy's allow list: what the docker backend needs passes, everything else is refused."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import docker
import pytest
from docker.types import Ulimit

from deploy.socket_proxy.rules import decide
from sandbox.docker.cleanup import owner_labels
from sandbox.docker.config import DockerConfig
from sandbox.docker.runner import Runner

LABELLED = {"f00d" * 16, "runner-1"}
RUNNER = "rlvr-runner:latest"


def labelled(ident: str) -> bool:
    return ident in LABELLED


def create_body(**changes: Any) -> bytes:
    """The create body docker-py sends for a runner container (as sandbox/docker/runner.py builds it)."""
    api = docker.APIClient(base_url="tcp://127.0.0.1:9", version="1.41")
    host = api.create_host_config(
        network_mode="none", read_only=True, tmpfs={"/work": "rw,size=256m"}, cap_drop=["ALL"],
        cap_add=["SETUID", "SETGID", "KILL"], sysctls={"kernel.shm_rmid_forced": "1"},
        security_opt=["no-new-privileges"], mem_limit=640 << 20, memswap_limit=640 << 20, pids_limit=256,
        nano_cpus=10**9, ulimits=[Ulimit(name="nproc", soft=256, hard=256)])
    spec = dict(api.create_container_config(RUNNER, ["python3", "-I", "-c", "..."], user="0:0",
                                            working_dir="/work", stdin_open=True, labels={"rlvr.sandbox": "1"},
                                            host_config=host))
    for key, value in changes.items():
        if key.startswith("Host_"):
            spec["HostConfig"] = {**spec["HostConfig"], key[5:]: value}
        else:
            spec[key] = value
    return json.dumps(spec).encode()


ID = "f00d" * 16
SANDBOX_FILTER = "filters=" + json.dumps({"label": ["rlvr.sandbox=1"]})


@pytest.mark.parametrize(("method", "target", "body"), [
    ("GET", "/_ping", b""),
    ("HEAD", "/v1.41/_ping", b""),
    ("GET", "/version", b""),
    ("GET", "/v1.41/images/rlvr-runner:latest/json", b""),
    ("GET", "/v1.41/images/registry.example/team/rlvr-runner:1/json", b""),
    ("GET", f"/v1.41/containers/json?all=1&{SANDBOX_FILTER}", b""),
    ("GET", "/v1.41/containers/json?filters=" + json.dumps({"label": {"rlvr.sandbox=1": True}}), b""),
    ("POST", "/v1.41/containers/create", create_body()),
    ("POST", f"/v1.41/containers/{ID}/start", b""),
    ("POST", f"/v1.41/containers/{ID}/wait", b""),
    ("POST", f"/v1.41/containers/{ID}/kill?signal=SIGKILL", b""),
    ("GET", f"/v1.41/containers/{ID}/json", b""),
    ("POST", f"/v1.41/containers/{ID}/update", json.dumps({"Memory": 1 << 30, "MemorySwap": 1 << 30}).encode()),
    ("DELETE", f"/v1.41/containers/{ID}?v=False&link=False&force=True", b""),
    ("DELETE", "/containers/runner-1?force=1", b""),
])
def test_call_the_backend_makes_yields_allowed(method: str, target: str, body: bytes) -> None:
    decision = decide(method, target, body, labelled)
    assert decision.allowed, decision.reason
    assert not decision.hijack


def test_attach_to_sandbox_container_yields_allowed_hijack() -> None:
    decision = decide("POST", f"/v1.41/containers/{ID}/attach?stdin=1&stdout=1&stream=1", b"", labelled)
    assert decision.allowed and decision.hijack


@pytest.mark.parametrize(("method", "target", "body", "why"), [
    ("GET", "/v1.41/info", b"", "not on the allow list"),
    ("GET", "/v1.41/containers/json?all=1", b"", "must filter on label"),
    ("GET", "/v1.41/containers/json?filters=" + json.dumps({"label": ["rlvr.sandbox=0"]}), b"", "must filter"),
    ("POST", "/v1.41/containers/prune", b"", "not on the allow list"),
    ("POST", "/v1.41/images/create?fromImage=alpine", b"", "not on the allow list"),
    ("DELETE", "/v1.41/images/rlvr-runner:latest", b"", "not on the allow list"),
    ("POST", "/v1.41/build", b"", "not on the allow list"),
    ("POST", "/v1.41/volumes/create", b"{}", "not on the allow list"),
    ("GET", "/v1.41/networks", b"", "not on the allow list"),
    ("POST", "/v1.41/swarm/init", b"{}", "not on the allow list"),
    ("POST", f"/v1.41/containers/{ID}/exec", b"{}", "not on the allow list"),
    ("PUT", f"/v1.41/containers/{ID}/archive?path=/", b"", "not on the allow list"),
    ("GET", f"/v1.41/containers/{ID}/archive?path=/etc", b"", "not on the allow list"),
    ("GET", f"/v1.41/containers/{ID}/start", b"", "not on the allow list"),
    ("POST", f"/v1.41/containers/{'beef' * 16}/start", b"", "does not carry the label"),
    ("POST", f"/v1.41/containers/{'beef' * 16}/attach?stdin=1", b"", "does not carry the label"),
    ("DELETE", "/v1.41/containers/postgres?force=1", b"", "does not carry the label"),
    ("GET", "/v1.41/containers/postgres/json", b"", "does not carry the label"),
    ("POST", f"/v1.41/containers/{ID}/update", json.dumps({"PidsLimit": 100000}).encode(), "only change the memory"),
    ("POST", f"/v1.41/containers/{ID}/update", b"not json", "only change the memory"),
    ("POST", "/v1.41/containers/create", b"not json", "not a JSON object"),
    ("POST", "/v1.41/containers/create?platform=linux/arm64", create_body(), "platform"),
    ("POST", "/v1.41/containers/create", create_body(Image="debian:bookworm"), "not an allowed runner image"),
    ("POST", "/v1.41/containers/create", create_body(Labels={}), "must carry the label"),
    ("POST", "/v1.41/containers/create", create_body(ExposedPorts={"22/tcp": {}}), "may not set ExposedPorts"),
    ("POST", "/v1.41/containers/create", create_body(Volumes={"/data": {}}), "may not set Volumes"),
    ("POST", "/v1.41/containers/create", create_body(HostConfig=None), "HostConfig is missing"),
    ("POST", "/v1.41/containers/create", create_body(Host_Privileged=True), "may not set Privileged"),
    ("POST", "/v1.41/containers/create", create_body(Host_Binds=["/:/host"]), "may not set Binds"),
    ("POST", "/v1.41/containers/create",
     create_body(Host_Mounts=[{"Type": "bind", "Source": "/var/run/docker.sock", "Target": "/s"}]), "Mounts"),
    ("POST", "/v1.41/containers/create", create_body(Host_Devices=[{"PathOnHost": "/dev/kmsg"}]), "Devices"),
    ("POST", "/v1.41/containers/create", create_body(Host_CapAdd=["SYS_ADMIN"]), "CapAdd may only hold"),
    ("POST", "/v1.41/containers/create", create_body(User="0:0", Host_CapAdd=["KILL", "SYS_PTRACE"]), "CapAdd"),
    ("POST", "/v1.41/containers/create", create_body(User="root", Host_CapAdd=["CAP_DAC_OVERRIDE"]), "CapAdd"),
    ("POST", "/v1.41/containers/create", create_body(Host_PidMode="host"), "may not set PidMode"),
    ("POST", "/v1.41/containers/create", create_body(Host_IpcMode="host"), "may not set IpcMode"),
    ("POST", "/v1.41/containers/create", create_body(Host_UsernsMode="host"), "may not set UsernsMode"),
    ("POST", "/v1.41/containers/create", create_body(Host_VolumesFrom=["db"]), "may not set VolumesFrom"),
    ("POST", "/v1.41/containers/create", create_body(Host_Sysctls={"net.ipv4.ip_forward": "1"}), "Sysctls may only"),
    ("POST", "/v1.41/containers/create", create_body(Host_Sysctls={"kernel.shm_rmid_forced": "1",
                                                                    "kernel.msgmax": "1"}), "Sysctls may only"),
    ("POST", "/v1.41/containers/create",
     create_body(Host_LogConfig={"Type": "syslog", "Config": {"syslog-address": "udp://10.0.0.1:514"}}), "LogConfig"),
    ("POST", "/v1.41/containers/create", create_body(Host_OomScoreAdj=-1000), "may not set OomScoreAdj"),
    ("POST", "/v1.41/containers/create", create_body(Host_Runtime="runc-unsafe"), "may not set Runtime"),
    ("POST", "/v1.41/containers/create", create_body(Host_NetworkMode="host"), "NetworkMode must be none"),
    ("POST", "/v1.41/containers/create", create_body(Host_NetworkMode="bridge"), "NetworkMode must be none"),
    ("POST", "/v1.41/containers/create", create_body(Host_ReadonlyRootfs=False), "ReadonlyRootfs"),
    ("POST", "/v1.41/containers/create", create_body(Host_CapDrop=["NET_RAW"]), "CapDrop must include ALL"),
    ("POST", "/v1.41/containers/create", create_body(Host_SecurityOpt=[]), "no-new-privileges"),
    ("POST", "/v1.41/containers/create",
     create_body(Host_SecurityOpt=["no-new-privileges", "seccomp=unconfined"]), "only hold no-new-privileges"),
    ("POST", "/v1.41/containers/create", create_body(Host_Memory=0), "must be limited"),
    ("POST", "/v1.41/containers/create", create_body(Host_PidsLimit=None), "must be limited"),
])
def test_call_outside_the_allow_list_yields_denied(method: str, target: str, body: bytes, why: str) -> None:
    decision = decide(method, target, body, labelled)
    assert not decision.allowed
    assert why in decision.reason


def test_image_outside_a_custom_allow_list_yields_denied() -> None:
    images = frozenset({"rlvr-runner:v2"})
    assert decide("POST", "/containers/create", create_body(Image="rlvr-runner:v2"), labelled, images).allowed
    assert not decide("POST", "/containers/create", create_body(), labelled, images).allowed


class CapturedCreate(Exception):
    """Carries the create body the backend would have sent."""


class RecordingAPI(docker.APIClient):
    """A docker-py API client that builds the create body as usual and stops there."""

    def create_container_from_config(self, config: Any, name: Any = None, platform: Any = None) -> Any:
        raise CapturedCreate(json.dumps(dict(config)).encode())


def test_runner_container_the_docker_backend_creates_yields_allowed() -> None:
    """Guards against drift: whatever sandbox/docker/runner.py sends to create a runner, the proxy lets through."""
    client = SimpleNamespace(api=RecordingAPI(base_url="tcp://127.0.0.1:9", version="1.41"))
    with pytest.raises(CapturedCreate) as captured:
        Runner(client, DockerConfig(), owner_labels())  # type: ignore[arg-type]
    decision = decide("POST", "/v1.41/containers/create", captured.value.args[0], labelled)
    assert decision.allowed, decision.reason
