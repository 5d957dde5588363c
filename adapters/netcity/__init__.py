"""«Сетевой город. Образование» (NetSchool): the adapter and its in-memory provider."""

from __future__ import annotations

from .adapter import NetCityAdapter

__all__ = ["NetCityAdapter"]
