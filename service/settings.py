"""Service settings: embedded defaults, overridable by ``RLVR_*`` environment variables."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_ITEM_TIMEOUT_S = 10.0
DEFAULT_MAX_ITEMS = 16_384
DEFAULT_MAX_COMPLETION_CHARS = 1_000_000
DEFAULT_CACHE_SIZE = 100_000


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
        description="Hard deadline of one heavy verifier call; past it the worker is killed.",
    )
    max_items: int = Field(default=DEFAULT_MAX_ITEMS, ge=1, description="Most items one request may carry.")
    max_completion_chars: int = Field(
        default=DEFAULT_MAX_COMPLETION_CHARS,
        ge=1,
        description="Longer completions get a too_large verdict instead of being scored.",
    )
    cache_size: int = Field(default=DEFAULT_CACHE_SIZE, ge=0, description="Verdicts kept for reuse (0 turns it off).")
    sandbox_backend: Literal["local", "docker"] = "local"
    plugins: bool = Field(default=True, description="Load verifiers from the rlvr.verifiers entry points.")
    plugin_modules: list[str] = Field(default_factory=list, description="Extra modules to import verifiers from.")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
