"""Telling clients which answers came from the cache because a provider failed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from .upstream import StaleNotice, collect_notices

__all__ = ["StaleReport"]


class StaleReport(SchemaExtension):
    """Adds ``extensions.stale``: provider, region, resource and age of stale answers."""

    _notices: list[StaleNotice]

    def on_operation(self) -> Iterator[None]:
        with collect_notices() as notices:
            self._notices = notices
            yield

    def get_results(self) -> dict[str, Any]:
        notices = getattr(self, "_notices", [])
        if not notices:
            return {}
        seen: dict[tuple[str, str, str], StaleNotice] = {}
        for notice in notices:
            key = (notice.provider, notice.region, notice.resource)
            if key not in seen or notice.age_seconds > seen[key].age_seconds:
                seen[key] = notice
        return {
            "stale": [
                {
                    "provider": n.provider,
                    "region": n.region,
                    "resource": n.resource,
                    "ageSeconds": round(n.age_seconds, 1),
                }
                for n in seen.values()
            ]
        }
