"""Per-process client cache for adapters that are handed bare functions (veRL).

The clients are kept to reuse their connection pools across the thousands of calls of a
training step: one sync client per (URLs, options), one async client per (URLs, options,
event loop). The cache pickles as an empty cache, so a function that refers to it can be
shipped to another process (veRL's ``remote`` reward manager pickles the reward function,
by value when it was loaded from a file path): connections and locks never travel.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from grpo.client import AsyncRewardClient, RewardClient


class ClientCache:
    """Clients by key, made on first use; safe to call from several threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sync: dict[Hashable, RewardClient] = {}
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Hashable, AsyncRewardClient]] = (
            weakref.WeakKeyDictionary()
        )

    def __reduce__(self) -> tuple[Callable[[], ClientCache], tuple[Any, ...]]:
        return (ClientCache, ())

    def sync(self, key: Hashable, make: Callable[[], RewardClient]) -> RewardClient:
        with self._lock:
            if key not in self._sync:
                self._sync[key] = make()
            return self._sync[key]

    def for_loop(self, key: Hashable, make: Callable[[], AsyncRewardClient]) -> AsyncRewardClient:
        """The async client of ``key`` for the running event loop (an AsyncClient belongs to one loop)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            clients = self._async.setdefault(loop, {})
            if key not in clients:
                clients[key] = make()
            return clients[key]
