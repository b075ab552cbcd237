"""Every error the ``grpo`` client raises, under one base class.

RewardClientError
├── RewardServiceError      the service answered with an error the client will not retry (4xx, 500…)
├── ServiceUnavailableError connection errors / 429 / 503 on every URL until the retries ran out
├── ServiceTimeoutError     the service took longer than the read/write timeout (not retried)
└── ProtocolError           the service answered 200 with a body that breaks the wire contract
"""

from __future__ import annotations

from typing import Any


class RewardClientError(Exception):
    """Base class of the client's errors."""


class RewardServiceError(RewardClientError):
    """An HTTP error response that retrying cannot fix, e.g. a 422 for a malformed request."""

    def __init__(self, status_code: int, message: str, detail: Any = None) -> None:
        super().__init__(f"HTTP {status_code}: {message}")
        self.status_code = status_code
        self.message = message
        self.detail = detail


class ServiceUnavailableError(RewardClientError):
    """No URL answered usefully within the retry budget; ``last`` is the final cause."""

    def __init__(self, message: str, last: BaseException | None = None) -> None:
        super().__init__(message)
        self.last = last


class ServiceTimeoutError(RewardClientError):
    """The service accepted the request but did not answer in time; raise the client's timeout for huge batches."""


class ProtocolError(RewardClientError):
    """A 200 response that does not match the request (wrong item count, invalid body)."""
