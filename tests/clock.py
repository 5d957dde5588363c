"""Pinned clocks for tests: the instants that have broken us, and a helper to pin a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from adapters import Clock

__all__ = ["AWKWARD_INSTANTS", "pinned"]

MOSCOW = ZoneInfo("Europe/Moscow")

AWKWARD_INSTANTS: dict[str, datetime] = {
    # 23:30 on Sunday in Moscow: already Monday 01:30 in Yekaterinburg (region 74)
    "sunday-2330-moscow": datetime(2026, 11, 29, 23, 30, tzinfo=MOSCOW),
    # New Year's Eve 22:00 UTC: 1 January in every demo region, in the winter break
    "31-december": datetime(2026, 12, 31, 22, 0, tzinfo=UTC),
    # a Saturday afternoon: no lessons in five-day schools, lessons in six-day ones
    "saturday": datetime(2026, 11, 28, 13, 0, tzinfo=MOSCOW),
    # the first school day after the winter break, before its first lesson
    "after-winter-break": datetime(2027, 1, 11, 7, 45, tzinfo=MOSCOW),
    # 1 September, during the first lessons of the year
    "1-september": datetime(2026, 9, 1, 10, 0, tzinfo=MOSCOW),
}
"""Instants every date-dependent test runs at (see the ``clock`` fixture)."""


def pinned(day: date, at: time = time(12, 0), zone: ZoneInfo = MOSCOW) -> Clock:
    """A clock frozen at ``at`` on ``day`` in ``zone`` (for one module's unit tests)."""
    return Clock.fixed(datetime.combine(day, at, tzinfo=zone))
