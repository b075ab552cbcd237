"""What a sandboxed process may use: declarative, units in the names, deny by default."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """Limits for one process (and its children) inside the sandbox."""

    wall_time_s: float = 10.0
    cpu_time_s: float = 5.0
    memory_mb: int = 512
    max_processes: int = 64
    max_output_bytes: int = 1 << 20
    max_file_bytes: int = 16 << 20
    network: bool = False

    def __post_init__(self) -> None:
        for name in ("wall_time_s", "cpu_time_s", "memory_mb", "max_processes", "max_output_bytes", "max_file_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"Policy.{name} must be positive, got {getattr(self, name)!r}")


DEFAULT_POLICY = Policy()
COMPILE_POLICY = Policy(
    wall_time_s=60.0,
    cpu_time_s=60.0,
    memory_mb=2048,
    max_processes=128,
    max_output_bytes=64 << 10,
    max_file_bytes=256 << 20,
)
