"""One runner container: created hardened, the agent as PID 1, talked to over its attached stream."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import random
import socket
import threading
import time
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.types import Ulimit

from sandbox.backend import Step, StepResult
from sandbox.classify import Outcome, step_result
from sandbox.docker.config import DockerConfig
from sandbox.errors import Cancelled, SandboxError
from sandbox.policy import DEFAULT_POLICY, Policy

HERE = Path(__file__).parent
# The agent's source: the in-container cleanup, counters and template client first, then the agent that uses them.
AGENT_SOURCE = "\n".join((HERE / name).read_text() for name in ("wipe.py", "gauges.py", "forker.py", "agent.py"))
TEMPLATE_SOURCE = (HERE / "template.py").read_text()
# tmpfs mounts are root's and sticky: programs add files, the agent's and each other's stay put.
MOUNT_OPTIONS = "rw,exec,nosuid,nodev,uid=0,gid=0,mode=1777"
WORK_DIR = "/box"  # the agent's WORK, and the local sandbox's work dir
STDOUT_FRAME, STDERR_FRAME = 1, 2
# Steps run as a pair of uids of their own per container (program, harness), so RLIMIT_NPROC
# (counted per uid by the host kernel) of one submission never counts another container's processes.
UID_RANGE = (200_000, 2_000_000)
# The agent is root in the container with only what it needs: to become the step's uids
# and to kill whatever those leave behind. Nothing it runs keeps any of it.
AGENT_CAPABILITIES = ["SETUID", "SETGID", "KILL"]
# SysV shared memory nobody is attached to is destroyed at once, not left for the next submission.
SYSCTLS = {"kernel.shm_rmid_forced": "1"}
CANCEL_POLL_S = 0.05
MAX_STACK_BYTES = 256 << 20


def step_rlimits(policy: Policy, max_open_files: int) -> list[tuple[str, int, int]]:
    """The rlimits of one step, as the local backend's with cgroups (the agent clamps them to the container's).

    Memory is the container's memory cgroup, set to the step's policy before it runs, so
    there is no RLIMIT_DATA (runtimes that reserve address space work); the process limit
    is RLIMIT_NPROC, exact because every container runs its steps as uids of its own. The agent
    stops the step when all its processes together pass ``cpu_time_s``; RLIMIT_CPU, a second
    later, is only a backstop (were it first, a child it kills just under the limit would
    leave its parent waiting until wall time, the step's total CPU not over the limit).
    """
    cpu = max(1, math.ceil(policy.cpu_time_s)) + 1
    nproc = policy.max_processes
    stack = min(policy.memory_mb << 20, MAX_STACK_BYTES)
    return [
        ("RLIMIT_CPU", cpu, cpu + 1),
        ("RLIMIT_NPROC", nproc, nproc),
        ("RLIMIT_FSIZE", policy.max_file_bytes, policy.max_file_bytes),
        ("RLIMIT_NOFILE", max_open_files, max_open_files),
        ("RLIMIT_CORE", 0, 0),
        ("RLIMIT_STACK", stack, stack),
    ]


class Channel:
    """JSON lines to the agent's stdin; JSON lines back, demultiplexed from Docker's stream frames."""

    def __init__(self, sock: Any) -> None:
        # docker-py ties the HTTP response to the object it returns "to stop it being garbage collected": kept
        # only the inner socket, the response went and closed the stream under us (compose, 2 runs in 7).
        self._stream = sock
        self._sock: socket.socket = getattr(sock, "_sock", sock)
        self._frames = bytearray()
        self._out = bytearray()
        self._scanned = 0
        self.stderr_tail = bytearray()

    def send(self, message: dict[str, Any]) -> None:
        """Write one request line."""
        try:
            self._sock.sendall(json.dumps(message).encode() + b"\n")
        except OSError as exc:
            raise SandboxError(f"cannot write to the container: {exc}") from exc

    def receive(self, timeout_s: float, cancel: threading.Event | None = None) -> dict[str, Any]:
        """Read one reply line within ``timeout_s``; SandboxError on EOF, timeout or garbage.

        Cancelled as soon as ``cancel`` is set (checked every CANCEL_POLL_S): the agent is then
        mid-request, so the caller must discard the container.
        """
        deadline = time.monotonic() + timeout_s
        while (end := self._out.find(b"\n", self._scanned)) < 0:
            self._scanned = len(self._out)
            if cancel is not None and cancel.is_set():
                raise Cancelled("the job was cancelled while the container was running it")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxError(f"the container's agent did not answer within {timeout_s:.0f}s")
            try:
                self._sock.settimeout(remaining if cancel is None else min(remaining, CANCEL_POLL_S))
                chunk = self._sock.recv(1 << 16)
            except TimeoutError:
                continue
            except OSError as exc:
                raise SandboxError(f"lost the container's stream: {exc}") from exc
            if not chunk:
                raise SandboxError("the container closed its stream (it died or was killed)")
            self._frames += chunk
            self._demux()
        line = bytes(self._out[:end])
        del self._out[: end + 1]
        self._scanned = 0
        try:
            reply: dict[str, Any] = json.loads(line)
        except ValueError as exc:
            raise SandboxError(f"unreadable reply from the container's agent: {line[:200]!r}") from exc
        return reply

    def _demux(self) -> None:
        while len(self._frames) >= 8:
            size = int.from_bytes(self._frames[4:8], "big")
            if len(self._frames) < 8 + size:
                return
            payload = self._frames[8 : 8 + size]
            if self._frames[0] == STDOUT_FRAME:
                self._out += payload
            elif self._frames[0] == STDERR_FRAME:
                self.stderr_tail = (self.stderr_tail + payload)[-4096:]
            del self._frames[: 8 + size]

    def close(self) -> None:
        """Drop the connection."""
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(OSError):
            self._stream.close()


class Runner:
    """A started runner container whose agent has said it is ready."""

    def __init__(self, client: docker.DockerClient, config: DockerConfig, labels: dict[str, str]) -> None:
        self._api = client.api
        self._config = config
        self.jobs_done = 0
        self.memory_mb = DEFAULT_POLICY.memory_mb
        program_uid = random.randrange(*UID_RANGE) & ~1
        self.uids = (program_uid, program_uid + 1)  # (program, harness)
        host_config = self._api.create_host_config(
            network_mode="none",
            read_only=True,
            tmpfs={
                WORK_DIR: f"{MOUNT_OPTIONS},size={config.work_dir_mb}m",
                "/tmp": f"{MOUNT_OPTIONS},size={config.tmp_dir_mb}m",
            },
            cap_drop=["ALL"],
            cap_add=AGENT_CAPABILITIES,
            security_opt=["no-new-privileges"],
            sysctls=SYSCTLS,
            shm_size=config.shm_mb << 20,
            mem_limit=self._memory_bytes(self.memory_mb),
            memswap_limit=self._memory_bytes(self.memory_mb),
            pids_limit=config.pids_limit,
            nano_cpus=int(config.cpus * 1e9),
            ulimits=[
                Ulimit(name="nproc", soft=config.pids_limit, hard=config.pids_limit),
                Ulimit(name="fsize", soft=config.work_dir_mb << 20, hard=config.work_dir_mb << 20),
                Ulimit(name="nofile", soft=config.max_open_files, hard=config.max_open_files),
                Ulimit(name="core", soft=0, hard=0),
            ],
        )
        created = self._api.create_container(
            config.image,
            command=[
                "python3",
                "-I",
                "-c",
                AGENT_SOURCE,
                *map(str, self.uids),
                TEMPLATE_SOURCE if config.fork_python else "",
            ],
            user="0:0",
            working_dir=WORK_DIR,
            stdin_open=True,
            labels=labels,
            host_config=host_config,
        )
        self.id: str = created["Id"]
        self._channel: Channel | None = None
        try:
            # Attach before start, so the agent's first line cannot be missed.
            sock = self._api.attach_socket(self.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            self._channel = Channel(sock)
            self._api.start(self.id)
            ready = self._channel.receive(config.start_timeout_s)
            if not ready.get("ready"):
                raise SandboxError(f"the container's agent did not start: {ready}")
        except BaseException:
            self.remove()
            raise

    def _memory_bytes(self, policy_mb: int) -> int:
        return (policy_mb + self._config.memory_margin_mb) << 20

    def call(self, message: dict[str, Any], timeout_s: float, cancel: threading.Event | None = None) -> dict[str, Any]:
        """One request to the agent and its reply; SandboxError if the agent reports a failure."""
        if self._channel is None:
            raise SandboxError("the container is gone")
        self._channel.send(message)
        reply = self._channel.receive(timeout_s, cancel)
        if not reply.get("ok"):
            raise SandboxError(f"the container's agent failed: {reply.get('error', reply)}")
        return reply

    def run_step(
        self, step: Step, cancel: threading.Event | None = None, files: dict[str, bytes] | None = None
    ) -> StepResult:
        """Run one step in the container and return its result, classified like the local backend's.

        ``files`` (the submission's, with its first step) are written into the work dir
        first, in the same request. Cancelled when ``cancel`` is set before the agent
        answers (the container is then in doubt).
        """
        policy = step.policy
        if policy.memory_mb != self.memory_mb:
            memory = self._memory_bytes(policy.memory_mb)
            try:
                self._api.update_container(self.id, mem_limit=memory, memswap_limit=memory)
            except Exception as exc:  # API errors and connection errors alike
                raise SandboxError(f"cannot set the container's memory limit: {exc}") from exc
            self.memory_mb = policy.memory_mb
        message = {
            "op": "step",
            "argv": list(step.argv),
            "peer": list(step.peer),
            "stdin": base64.b64encode(step.stdin).decode(),
            "wall_time_s": policy.wall_time_s,
            "cpu_time_s": policy.cpu_time_s,
            "max_output_bytes": policy.max_output_bytes,
            "rlimits": step_rlimits(policy, self._config.max_open_files),
        }
        if files:
            message["files"] = {path: base64.b64encode(data).decode() for path, data in files.items()}
        report = self.call(message, policy.wall_time_s + self._config.reply_margin_s, cancel)["result"]
        stdout, stderr = base64.b64decode(report["stdout"]), base64.b64decode(report["stderr"])
        notes: tuple[str, ...] = ()
        if report["survivors"]:
            notes = (f"{report['survivors']} processes outlived the step's cleanup",)
        if report["peer_exec_error"]:
            if step.peer[0].startswith("/"):
                raise SandboxError(f"cannot execute {step.peer[0]} in the runner image: {report['peer_exec_error']}")
            notes = (*notes, f"peer exec failed: {report['peer_exec_error']}")
        if report["exec_error"]:
            if step.argv[0].startswith("/"):
                raise SandboxError(f"cannot execute {step.argv[0]} in the runner image: {report['exec_error']}")
            return StepResult(
                127,
                None,
                b"",
                f"cannot execute {step.argv[0]}: {report['exec_error']}\n".encode(),
                report["wall_time_s"],
                0.0,
                notes=(*notes, "exec failed"),
            )
        outcome = Outcome(
            report["exit_code"],
            report["signal"],
            report["wall_time_s"],
            report["cpu_time_s"],
            report["timed_out"],
            report["stdout_bytes"],
            report["stderr_bytes"],
            stderr,
            report["oom_kills"],
            report["pids_refused"],
        )
        # cgroup=False: per-step process limits are rlimits here (the container's pids cgroup is a
        # fence for the whole container), so a refused fork is recognised from the program's stderr.
        return step_result(outcome, stdout, stderr, policy, cgroup=False, notes=notes)

    def wipe(self) -> bool:
        """Kill every process, empty the scratch dirs, remove IPC objects; True if the agent finds nothing left."""
        return bool(self.call({"op": "wipe"}, self._config.api_timeout_s).get("clean"))

    def death_notice(self) -> str:
        """What happened to the container, for an error message."""
        try:
            state = self._api.inspect_container(self.id)["State"]
        except docker.errors.DockerException as exc:
            return f"container {self.id[:12]} cannot be inspected: {exc}"
        return (
            f"container {self.id[:12]} is {state.get('Status')} (exit code {state.get('ExitCode')}, "
            f"OOM-killed {state.get('OOMKilled')})"
        )

    def remove(self) -> None:
        """Kill and delete the container; a container already gone is fine."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        with contextlib.suppress(docker.errors.NotFound):
            self._api.remove_container(self.id, force=True)
