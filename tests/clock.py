"""Pinned clocks for tests: the instants that have broken us, and a helper to pin a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from adapters import SYSTEM_CLOCK, Clock
from diary_gateway_demo.seed import World, last_school_week, school_year_of

__all__ = ["AWKWARD_INSTANTS", "canonical_week", "pinned", "school_week", "worlds"]

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


def school_week(clock: Clock = SYSTEM_CLOCK, *, weeks_back: int = 0) -> dict[str, str]:
    """``{"from", "to"}`` of the latest school week with a finished day (``weeks_back`` earlier).

    In term time that is this week from Tuesday on; on a Monday, in a break or on a holiday
    week, the last week that had lessons, so a test asks for days whose lessons and marks
    exist whenever it runs (at 00:10 on Monday in Moscow this week has no marks yet).
    """
    yesterday = clock.today(MOSCOW) - timedelta(days=1)
    monday = last_school_week(yesterday) - timedelta(days=7 * weeks_back)
    return {"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()}


def canonical_week(clock: Clock = SYSTEM_CLOCK) -> dict[str, str]:
    """``{"from", "to"}`` of the latest canonical week that is over in every demo region.

    The canonical week is one fixed week of each school year (see ``diary_gateway_demo.seed``);
    before this year's has ended, last year's is the latest.
    """
    today = clock.today(MOSCOW)
    year = school_year_of(today)
    monday = World.build("77", clock=clock, year=year).canonical_week_start()
    if today <= monday + timedelta(days=4):
        monday = World.build("77", clock=clock, year=year - 1).canonical_week_start()
    return {"from": monday.isoformat(), "to": (monday + timedelta(days=6)).isoformat()}


def worlds(clock: Clock = SYSTEM_CLOCK) -> dict[str, World]:
    """The demo regions' worlds now: the oracle of what each provider should answer."""
    return {region: World.build(region, clock=clock) for region in ("74", "11", "77")}
