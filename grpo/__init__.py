"""Client library for the rlvr reward service: scoring, advantages, code tools for rollouts, trainer adapters.

Imports httpx and pydantic only (the wire schema, ``grpo.wire``, is shared with the
service); the adapters
``grpo.trl`` and ``grpo.verl`` are imported on demand.
"""

from grpo._retry import RetryPolicy
from grpo.advantages import compute_advantages
from grpo.client import AsyncRewardClient, RewardClient
from grpo.errors import (
    ProtocolError,
    RewardClientError,
    RewardServiceError,
    ServiceTimeoutError,
    ServiceUnavailableError,
)
from grpo.tools import AsyncToolClient, SessionGoneError, ToolClient

__all__ = [
    "AsyncRewardClient",
    "AsyncToolClient",
    "ProtocolError",
    "RetryPolicy",
    "RewardClient",
    "RewardClientError",
    "RewardServiceError",
    "ServiceTimeoutError",
    "ServiceUnavailableError",
    "SessionGoneError",
    "ToolClient",
    "compute_advantages",
]
