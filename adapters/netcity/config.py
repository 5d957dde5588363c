"""Settings of a «Сетевой город» region (the ``[regions.CODE]`` keys the adapter owns)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NetCityConfig"]


@dataclass(frozen=True, slots=True)
class NetCityConfig:
    """How the in-memory «Сетевой город» of a demo region behaves.

    The demo world's "now" is the adapter's clock (``AdapterDeps.clock``), never frozen.

    Attributes:
        latency_ms: artificial delay of every provider call, in milliseconds (0: none).
    """

    latency_ms: int = 0

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms: expected 0 or more, got {self.latency_ms}")
