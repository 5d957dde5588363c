"""A count-based circuit breaker (closed → open → half-open → closed/open)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from adapters.errors import ProviderUnavailableError, WriteOutcome

__all__ = ["CircuitBreaker"]

CLOSED = "closed"
OPEN = "open"
HALF_OPEN = "half_open"


class CircuitBreaker:
    """Fails calls fast while a provider is failing.

    Over the last ``window`` outcomes (with at least ``min_calls``), a failure share of
    ``failure_rate`` or more opens the circuit for ``open_seconds``; then one probe is let
    through (half-open): success closes it, failure opens it again.
    """

    def __init__(
        self,
        *,
        provider: str,
        window: int,
        failure_rate: float,
        min_calls: int,
        open_seconds: float,
        clock: Callable[[], float],
    ) -> None:
        self.provider = provider
        self.failure_rate = failure_rate
        self.min_calls = min_calls
        self.open_seconds = open_seconds
        self._clock = clock
        self._outcomes: deque[bool] = deque(maxlen=window)
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return CLOSED
        if self._clock() - self._opened_at >= self.open_seconds:
            return HALF_OPEN
        return OPEN

    def acquire(self) -> bool:
        """Allow one attempt or raise; returns whether the attempt is the half-open probe."""
        state = self.state
        if state == CLOSED:
            return False
        if state == HALF_OPEN and not self._probing:
            self._probing = True
            return True
        opened = self._opened_at if self._opened_at is not None else self._clock()
        remaining = max(0.0, opened + self.open_seconds - self._clock())
        refused = ProviderUnavailableError(
            "circuit open", provider=self.provider, retry_after=remaining or 1.0
        )
        refused.write_outcome = WriteOutcome.NOT_APPLIED  # nothing was sent
        raise refused

    def record(self, *, success: bool, probe: bool) -> None:
        """Record an attempt's outcome (provider faults only count as failures)."""
        if probe or self._opened_at is not None:
            if not probe:
                return  # a late outcome of a call started before the circuit opened
            self._probing = False
            if success:
                self._opened_at = None
                self._outcomes.clear()
            else:
                self._opened_at = self._clock()
            return
        self._outcomes.append(not success)
        total = len(self._outcomes)
        if total >= self.min_calls and sum(self._outcomes) / total >= self.failure_rate:
            self._opened_at = self._clock()
            self._outcomes.clear()

    def release(self, *, probe: bool) -> None:
        """Forget an attempt cancelled by the caller (not the provider's fault)."""
        if probe:
            self._probing = False
