"""Which adapter classes exist, and which configured adapter serves which region.

``ADAPTERS`` maps a provider slug (the ``adapter = "…"`` key of a region's config) to an
import string; classes are imported lazily and checked to subclass :class:`DiaryAdapter`.
Out-of-tree adapters register through the ``diary_gateway.adapters`` entry-point group.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from importlib.metadata import entry_points

from .base import DiaryAdapter
from .errors import NotFoundError

__all__ = [
    "ADAPTERS",
    "AdapterRegistry",
    "UnknownRegionError",
    "available_adapters",
    "get_adapter_class",
]

ADAPTERS: dict[str, str] = {
    "moscow": "adapters.moscow:MoscowAdapter",
    "netcity": "adapters.netcity:NetCityAdapter",
    "eljur": "adapters.eljur:ElJurAdapter",
}
"""Built-in adapters: slug → ``module:Class``."""

ENTRY_POINT_GROUP = "diary_gateway.adapters"


def available_adapters() -> dict[str, str]:
    """Built-in adapters plus those registered through entry points."""
    found = dict(ADAPTERS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def get_adapter_class(slug: str) -> type[DiaryAdapter]:
    """Import the adapter class registered as ``slug``.

    Raises:
        KeyError: no adapter is registered under that slug (the message lists them).
        TypeError: the registered object is not a :class:`DiaryAdapter` subclass.
    """
    known = available_adapters()
    if slug not in known:
        raise KeyError(f"unknown adapter {slug!r}; known adapters: {', '.join(sorted(known))}")
    module_name, _, attr = known[slug].partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, DiaryAdapter)):
        raise TypeError(f"{known[slug]} is not a DiaryAdapter subclass")
    if cls.slug != slug:
        raise TypeError(f"{known[slug]} declares slug {cls.slug!r}, registered as {slug!r}")
    return cls


class UnknownRegionError(NotFoundError, KeyError):
    """No adapter serves that region (a ``KeyError`` too, as a mapping's lookup should be)."""

    def __str__(self) -> str:
        return self.message


class AdapterRegistry(Mapping[str, DiaryAdapter]):
    """The configured adapters by region code (read-only once built)."""

    def __init__(self, adapters: Mapping[str, DiaryAdapter]) -> None:
        self._adapters = dict(adapters)

    def __getitem__(self, region: str) -> DiaryAdapter:
        try:
            return self._adapters[region]
        except KeyError:
            raise UnknownRegionError(f"unknown region {region!r}") from None

    def __contains__(self, region: object) -> bool:
        return region in self._adapters

    def __iter__(self) -> Iterator[str]:
        return iter(self._adapters)

    def __len__(self) -> int:
        return len(self._adapters)

    async def aclose(self) -> None:
        """Close every adapter."""
        for adapter in self._adapters.values():
            await adapter.aclose()
