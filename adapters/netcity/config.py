"""Settings of a «Сетевой город» region (the ``[regions.CODE]`` keys the adapter owns)."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.settings import SettingsError

__all__ = ["NetCityConfig"]


@dataclass(frozen=True, slots=True)
class NetCityConfig:
    """How to reach one «Сетевой город. Образование» installation.

    Attributes:
        base_url: where the site lives (real: the region's host, e.g.
            ``https://sgo.edu-74.ru``); every ``/webapi/…`` path is appended. Empty: the
            region's ``diary_url`` (the real system serves its API on the same host).
    """

    base_url: str = ""

    def __post_init__(self) -> None:
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise SettingsError("base_url", "an http(s) URL", self.base_url)
