"""The one refusal type: a request answered with an error instead of being executed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schema import ErrorCode

__all__ = ["Refusal"]


class Refusal(Exception):
    """A request refused before (or instead of) execution, with its HTTP shape.

    Args:
        status: the HTTP status (``400``, ``405``, ``406``, ``413``, ``415``, ``429``, …).
        message: the error's message.
        code: its ``extensions.code``.
        headers: extra response headers (``Allow``, ``Retry-After``).
        extensions: further ``extensions`` entries.
    """

    def __init__(
        self,
        status: int,
        message: str,
        code: ErrorCode = ErrorCode.BAD_USER_INPUT,
        *,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})

    @classmethod
    def rate_limited(cls, retry_after: int) -> Refusal:
        """``429`` with ``Retry-After``."""
        return cls(
            429,
            f"too many requests: try again in {retry_after} s",
            ErrorCode.RATE_LIMITED,
            headers={"Retry-After": str(retry_after)},
            extensions={"retryAfter": retry_after},
        )
