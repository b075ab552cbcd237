"""Client library for the rlvr reward service: scoring, advantages, trainer adapters.

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

__all__ = [
    "AsyncRewardClient",
    "ProtocolError",
    "RetryPolicy",
    "RewardClient",
    "RewardClientError",
    "RewardServiceError",
    "ServiceTimeoutError",
    "ServiceUnavailableError",
    "compute_advantages",
]
