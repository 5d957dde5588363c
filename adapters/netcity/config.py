"""Settings of a «Сетевой город» region (the ``[regions.CODE]`` keys the adapter owns)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["NetCityConfig"]


@dataclass(frozen=True, slots=True)
class NetCityConfig:
    """How the in-memory «Сетевой город» of a demo region behaves.

    Attributes:
        seed_today: an ISO date («2025-10-15») that freezes "today" for the demo world, so
            tests see the same canonical week; ``None`` uses the region's date at start-up.
        latency_ms: artificial delay of every provider call, in milliseconds (0: none).
    """

    seed_today: str | None = None
    latency_ms: int = 0

    def __post_init__(self) -> None:
        if self.seed_today is not None:
            try:
                date.fromisoformat(self.seed_today)
            except ValueError:
                raise ValueError(
                    f"seed_today: expected an ISO date (YYYY-MM-DD), got {self.seed_today!r}"
                ) from None
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms: expected 0 or more, got {self.latency_ms}")
