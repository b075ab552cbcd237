"""The docker backend's warm pool and container hardening, against the real engine."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import docker
import pytest

from sandbox.backend import Job, Step
from sandbox.docker import DockerBackend, DockerConfig, remove_leftovers
from sandbox.docker.cleanup import owner_labels
from sandbox.docker.config import DEFAULT_IMAGE, OWNER_PID_LABEL
from sandbox.policy import Policy
from tests.sandbox.docker_engine import docker_backend, hostname_of, our_container_ids, require_engine

pytestmark = [pytest.mark.docker, pytest.mark.integration]

SHORT = Policy(wall_time_s=1.0, cpu_time_s=1.0, memory_mb=128)
# Leaves traces everywhere it can: files in both scratch dirs and a detached process.
LITTER = Job(
    {"note.txt": b"x"},
    (Step(("/bin/sh", "-c", "echo 1 > /tmp/trace; mkdir -p d/e; chmod 0 d; setsid sleep 300 & echo started")),),
)
INSPECT = Job({}, (Step(("/bin/sh", "-c", "ls -A /box /tmp; cat /proc/[0-9]*/comm")),))


@pytest.fixture
def pooled() -> Iterator[DockerBackend]:
    require_engine()
    before = our_container_ids()
    backend = docker_backend(pool_size=1, max_jobs_per_container=3)
    yield backend
    backend.close()
    assert our_container_ids() == before  # every container of this backend is gone


def test_container_reused_between_submissions_is_wiped_clean(pooled: DockerBackend) -> None:
    host = hostname_of(pooled)
    (started,) = pooled.run(LITTER)
    assert started.stdout == b"started\n"
    (listing,) = pooled.run(INSPECT)
    # Empty /box and /tmp, and no process but the agent and this submission's Python template (python3) and this shell.
    files, processes = listing.stdout.decode().split()[:2], listing.stdout.decode().split()[2:]
    assert files == ["/box:", "/tmp:"] and sorted(processes) == ["python3", "python3", "sh"]
    assert hostname_of(pooled) != host  # third job of the budget of 3: recycled


@pytest.mark.parametrize("code", ["while True: pass", "import time; time.sleep(5)", "print('x' * 10**7)"])
def test_limit_violation_yields_a_fresh_container_next(pooled: DockerBackend, code: str) -> None:
    host = hostname_of(pooled)
    (result,) = pooled.run(Job({}, (Step(("/usr/bin/python3", "-c", code), policy=SHORT),)))
    assert result.limit is not None
    assert hostname_of(pooled) != host


def test_early_close_keeps_the_container_and_skips_the_rest(pooled: DockerBackend) -> None:
    host = hostname_of(pooled)
    run = pooled.run(Job({}, (Step(("/bin/echo", "one")), Step(("/bin/sh", "-c", "touch /tmp/two")))))
    assert next(run).stdout == b"one\n"
    run.close()
    (after,) = pooled.run(Job({}, (Step(("/bin/sh", "-c", "cat /etc/hostname; ls -A /tmp")),)))
    assert after.stdout.decode().split() == [host]  # same container, second step never ran


def test_fresh_container_mode_yields_a_new_container_per_submission() -> None:
    backend = docker_backend(fresh_container=True)
    try:
        hosts = {hostname_of(backend) for _ in range(2)}
        assert len(hosts) == 2
        assert not {i[:12] for i in our_container_ids()} & hosts
    finally:
        backend.close()


def test_runner_container_is_hardened(pooled: DockerBackend) -> None:
    client = docker.from_env()
    info = client.api.inspect_container(hostname_of(pooled))
    host, config = info["HostConfig"], info["Config"]
    ulimits = {u["Name"]: (u["Soft"], u["Hard"]) for u in host["Ulimits"]}
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert {cap.removeprefix("CAP_") for cap in host["CapAdd"]} == {"KILL", "SETGID", "SETUID"}
    assert host["Sysctls"] == {"kernel.shm_rmid_forced": "1"}
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["Memory"] > 0 and host["MemorySwap"] == host["Memory"]
    assert host["PidsLimit"] > 0 and host["NanoCpus"] > 0
    assert set(host["Tmpfs"]) == {"/box", "/tmp"} and all("size=" in o for o in host["Tmpfs"].values())
    assert ulimits["core"] == (0, 0) and {"nproc", "fsize", "nofile"} <= set(ulimits)
    assert config["User"] == "0:0"  # the agent only: every step drops to uids of its own, below
    assert config["Labels"][OWNER_PID_LABEL] == str(os.getpid())


def test_step_process_yields_an_unprivileged_uid_without_capabilities(pooled: DockerBackend) -> None:
    (result,) = pooled.run(
        Job({}, (Step(("/bin/sh", "-c", "id -u; id -G; grep -E '^(Cap(Prm|Eff|Amb)|NoNewPrivs)' /proc/self/status")),))
    )
    uid, groups, *status = result.stdout.decode().splitlines()
    assert int(uid) > 0 and groups == uid
    assert [line.split()[1] for line in status] == ["0000000000000000"] * 3 + ["1"]


def _leftover(pid: int) -> str:
    client = docker.from_env()
    labels = {**owner_labels(), OWNER_PID_LABEL: str(pid)}
    return client.api.create_container(DEFAULT_IMAGE, command=["true"], labels=labels)["Id"]


def test_leftovers_of_a_dead_owner_are_removed_at_start_and_a_live_owner_is_spared() -> None:
    require_engine()
    exited = subprocess.Popen(["true"])
    exited.wait()
    dead, alive = _leftover(exited.pid), _leftover(os.getpid())
    try:
        with DockerBackend(DockerConfig(fresh_container=True)) as backend:
            backend.start()
        ids = our_container_ids()
        assert alive in ids
        client = docker.from_env()
        assert not client.api.containers(all=True, filters={"id": dead})
    finally:
        docker.from_env().api.remove_container(alive, force=True)
        assert remove_leftovers(docker.from_env()) == 0
