"""«Сетевой город. Образование» (NetSchool): the adapter over HTTP (its emulator:
``diary_gateway_demo.netcity``)."""

from __future__ import annotations

from .adapter import NetCityAdapter

__all__ = ["NetCityAdapter"]
