"""A fault switch for the in-memory providers, so the contract's failure cases run on them.

The in-memory providers serve their native payloads as JSON bytes; before each call they
consult their :class:`FaultSwitch`, which can make the call fail the way a real provider
does: an HTTP error status (raised as :class:`ProviderFault`, which the adapter maps
through :func:`adapters.errors.error_for_status`), a hang past the adapter's timeout, or
a malformed body.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass

__all__ = ["Fault", "FaultSwitch", "ProviderFault"]


class Fault(enum.Enum):
    """A failure a provider can show."""

    UNAUTHORIZED = "unauthorized"
    """401: the session ended."""
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    """429 with Retry-After."""
    SERVER_ERROR = "server_error"
    """500."""
    TIMEOUT = "timeout"
    """No answer for longer than any sane timeout."""
    MALFORMED = "malformed"
    """A body that is not valid JSON."""


_STATUS = {
    Fault.UNAUTHORIZED: 401,
    Fault.NOT_FOUND: 404,
    Fault.RATE_LIMITED: 429,
    Fault.SERVER_ERROR: 500,
}


class ProviderFault(Exception):
    """An HTTP-like error answer from an in-memory provider."""

    def __init__(self, status: int, body: str = "", retry_after: str | None = None) -> None:
        super().__init__(f"provider answered {status}")
        self.status = status
        self.body = body
        self.retry_after = retry_after


@dataclass
class FaultSwitch:
    """The current fault of an in-memory provider (``None``: healthy).

    ``remaining`` limits the fault to that many calls (``None``: until cleared).
    """

    fault: Fault | None = None
    retry_after: int = 2
    remaining: int | None = None
    hang_seconds: float = 60.0
    calls: int = 0

    def set(self, fault: Fault | None, *, remaining: int | None = None) -> None:
        """Switch to ``fault`` (``None`` clears it)."""
        self.fault = fault
        self.remaining = remaining

    async def apply(self, payload: bytes) -> bytes:
        """Count the call; raise, hang or corrupt as the current fault says."""
        self.calls += 1
        fault = self.fault
        if fault is None:
            return payload
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                self.fault = None
        if fault is Fault.TIMEOUT:
            await asyncio.sleep(self.hang_seconds)
            return payload
        if fault is Fault.MALFORMED:
            return payload[: max(1, len(payload) // 2)] + b"<html>"
        status = _STATUS[fault]
        retry_after = str(self.retry_after) if fault is Fault.RATE_LIMITED else None
        raise ProviderFault(status, body='{"error": "fault injected"}', retry_after=retry_after)
