"""«Сетевой город. Образование» (NetSchool): the adapter over HTTP (its emulator: ``.emulator``)."""

from __future__ import annotations

from .adapter import NetCityAdapter

__all__ = ["NetCityAdapter"]
