"""Settings of the docker backend: frozen, named defaults, units in the names."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_IMAGE = "rlvr-runner:latest"
SANDBOX_LABEL = "rlvr.sandbox"
OWNER_HOST_LABEL = "rlvr.owner.host"
OWNER_PID_LABEL = "rlvr.owner.pid"
OWNER_SESSION_LABEL = "rlvr.owner.session"
SESSION_ENV = "RLVR_SANDBOX_SESSION"  # set: its value labels the containers of this process and its children


@dataclass(frozen=True)
class DockerConfig:
    """How runner containers are made and pooled.

    ``fresh_container`` gives every submission a new container (strongest isolation,
    pays a container start); otherwise ``pool_size`` warm containers are reused, each
    recycled after ``max_jobs_per_container`` submissions or any limit violation.
    ``fork_python`` runs ``python3 -I -S -B`` steps as forks of a Python interpreter
    started for their submission ahead of it (see sandbox/docker/template.py).
    """

    image: str = DEFAULT_IMAGE
    base_url: str | None = None
    pool_size: int = 2
    fresh_container: bool = False
    fork_python: bool = True
    max_jobs_per_container: int = 100
    cpus: float = 1.0
    pids_limit: int = 256
    memory_margin_mb: int = 128
    work_dir_mb: int = 256
    tmp_dir_mb: int = 256
    shm_mb: int = 64
    max_open_files: int = 512
    api_timeout_s: float = 30.0
    start_timeout_s: float = 30.0
    acquire_timeout_s: float = 600.0
    reply_margin_s: float = 10.0

    def __post_init__(self) -> None:
        for name in ("pool_size", "max_jobs_per_container", "pids_limit", "work_dir_mb", "tmp_dir_mb", "shm_mb"):
            if getattr(self, name) <= 0:
                raise ValueError(f"DockerConfig.{name} must be positive, got {getattr(self, name)!r}")
        if self.cpus <= 0:
            raise ValueError(f"DockerConfig.cpus must be positive, got {self.cpus!r}")
