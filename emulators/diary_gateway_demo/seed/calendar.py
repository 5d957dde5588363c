"""The Russian school calendar of the demo worlds: terms, breaks and public holidays.

Pure and dependency-free: everything is derived from the starting year of the school year
(and whether the school works a six-day week), so every demo world agrees on which days
have lessons. The rules, applied to the school year that starts in September of ``year``:

* **First day** -- 1 September, or the first school weekday after it when 1 September is
  a Sunday (or a Saturday, for a five-day school).
* **Autumn break** ("осенние каникулы") -- nine days, from a Saturday to the Sunday of the
  following week, ending on the first Sunday of November (so it always contains
  1 November): 25 Oct - 2 Nov 2025, 24 Oct - 1 Nov 2026.
* **Winter break** ("зимние каникулы") -- starts on the Monday of the week that contains
  31 December, or, when 31 December is a Saturday or Sunday, on that weekend's Saturday;
  ends on the first Sunday on or after 8 January. It always covers 31 Dec - 8 Jan:
  29 Dec 2025 - 11 Jan 2026, 28 Dec 2026 - 10 Jan 2027.
* **Spring break** ("весенние каникулы") -- nine days, from a Saturday to the Sunday of
  the following week, ending on the last Sunday of March: 21 - 29 Mar 2026,
  20 - 28 Mar 2027.
* **Last day** -- 26 May, or the school day before it when 26 May is a day without lessons
  (a weekend or a public holiday).
* **Summer break** ("летние каникулы") -- from the day after the last day to 31 August.
* **Terms** ("1 четверть" .. "4 четверть") -- each runs from the first school day after the
  previous break (the first day, for the first term) to the day before the next break.
* **Public holidays** (no lessons) -- 4 November; 1-8 January; 23 February; 8 March;
  1 May; 9 May. When 4 November, 23 February, 8 March, 1 May or 9 May falls on a Saturday
  or a Sunday, the following Monday is a day off too.
* **School days** -- days inside a term that are neither public holidays nor Sundays;
  Saturdays only for a six-day school.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

__all__ = [
    "Break",
    "SchoolCalendar",
    "Term",
    "last_school_week",
    "school_year_of",
]

_DAY = timedelta(days=1)
_SATURDAY = 5
_SUNDAY = 6

_TRANSFERABLE: tuple[tuple[int, int, str], ...] = (
    (11, 4, "День народного единства"),
    (2, 23, "День защитника Отечества"),
    (3, 8, "Международный женский день"),
    (5, 1, "Праздник Весны и Труда"),
    (5, 9, "День Победы"),
)
"""Month, day and name of the single-day holidays whose weekend occurrence moves to Monday."""


def _as_date(day: date) -> date:
    """``day`` without a time of day (a ``datetime`` is a ``date`` too)."""
    return day.date() if isinstance(day, datetime) else day


def school_year_of(day: date) -> int:
    """The calendar year in which the school year containing ``day`` started.

    1 September .. 31 August belong to the school year that started that September.
    """
    return day.year if day.month >= 9 else day.year - 1


@dataclass(frozen=True, slots=True)
class Term:
    """One quarter ("четверть") of the school year, both ends inclusive."""

    number: int
    """1 .. 4."""
    name: str
    """"1 четверть" .. "4 четверть"."""
    starts_on: date
    """The first school day of the term."""
    ends_on: date
    """The day before the break that follows the term (the last day, for the fourth)."""

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= _as_date(day) <= self.ends_on


@dataclass(frozen=True, slots=True)
class Break:
    """School holidays ("каникулы") between two terms, both ends inclusive."""

    name: str
    """"осенние каникулы", "зимние каникулы", "весенние каникулы" or "летние каникулы"."""
    starts_on: date
    ends_on: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.starts_on <= _as_date(day) <= self.ends_on


def _next_weekday(day: date, weekday: int) -> date:
    """The first day on or after ``day`` that falls on ``weekday`` (Monday = 0)."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _previous_weekday(day: date, weekday: int) -> date:
    """The last day on or before ``day`` that falls on ``weekday`` (Monday = 0)."""
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def _holidays(year: int) -> dict[date, str]:
    """Public holidays (with names) of the school year starting in September of ``year``."""
    names: dict[date, str] = {}
    for day_of_january in range(1, 9):
        names[date(year + 1, 1, day_of_january)] = (
            "Рождество Христово" if day_of_january == 7 else "Новогодние каникулы"
        )
    for month, day_of_month, name in _TRANSFERABLE:
        holiday = date(year if month >= 9 else year + 1, month, day_of_month)
        names[holiday] = name
        if holiday.weekday() >= _SATURDAY:
            names.setdefault(_next_weekday(holiday, 0), f"Перенос выходного дня ({name})")
    return names


def _lessons_possible(day: date, six_day_week: bool, holidays: frozenset[date]) -> bool:
    """Whether ``day``'s weekday and holiday status allow lessons (terms aside)."""
    weekday = day.weekday()
    if weekday == _SUNDAY or (weekday == _SATURDAY and not six_day_week):
        return False
    return day not in holidays


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    """Terms, breaks and public holidays of one school year (see the module docstring).

    Build it with :meth:`for_year`; instances are memoised and immutable.
    """

    year: int
    """The calendar year in which the school year starts (1 September of ``year``)."""
    six_day_week: bool
    """Whether Saturdays have lessons."""
    first_day: date
    """The first school day of the year."""
    last_day: date
    """The last school day of the year."""
    terms: tuple[Term, ...]
    """The four quarters, in order."""
    breaks: tuple[Break, ...]
    """Autumn, winter, spring and summer breaks, in order."""
    holidays: frozenset[date]
    """Public holidays (including transferred days off) within the school year."""
    holiday_names: Mapping[date, str] = field(compare=False, hash=False, repr=False)
    """The name of each day in :attr:`holidays`."""

    @classmethod
    def for_year(cls, year: int, *, six_day_week: bool = False) -> SchoolCalendar:
        """The calendar of the school year that starts on 1 September of ``year``."""
        return _calendar(year, six_day_week)

    def is_school_day(self, day: date) -> bool:
        """Whether ``day`` has lessons: inside a term, not a holiday, not a day off."""
        day = _as_date(day)
        return self.term_of(day) is not None and _lessons_possible(
            day, self.six_day_week, self.holidays
        )

    def term_of(self, day: date) -> Term | None:
        """The term whose span contains ``day`` (weekends included), if any."""
        day = _as_date(day)
        for term in self.terms:
            if term.starts_on <= day <= term.ends_on:
                return term
        return None

    def break_of(self, day: date) -> Break | None:
        """The break that contains ``day``, if any."""
        day = _as_date(day)
        for school_break in self.breaks:
            if school_break.starts_on <= day <= school_break.ends_on:
                return school_break
        return None

    def holiday_name(self, day: date) -> str | None:
        """The name of the public holiday (or transferred day off) on ``day``, if any."""
        return self.holiday_names.get(_as_date(day))

    def school_days(self, start: date, end: date) -> list[date]:
        """The school days of this year from ``start`` to ``end``, both inclusive."""
        start = max(_as_date(start), self.first_day)
        end = min(_as_date(end), self.last_day)
        days: list[date] = []
        day = start
        while day <= end:
            if self.is_school_day(day):
                days.append(day)
            day += _DAY
        return days

    def next_school_day(self, after: date) -> date | None:
        """The first school day strictly after ``after`` in this school year, if any."""
        day = max(_as_date(after) + _DAY, self.first_day)
        while day <= self.last_day:
            if self.is_school_day(day):
                return day
            day += _DAY
        return None

    def previous_school_day(self, on_or_before: date) -> date | None:
        """The last school day on or before ``on_or_before`` in this school year, if any."""
        day = min(_as_date(on_or_before), self.last_day)
        while day >= self.first_day:
            if self.is_school_day(day):
                return day
            day -= _DAY
        return None


@lru_cache(maxsize=64)
def _calendar(year: int, six_day_week: bool) -> SchoolCalendar:
    """Build (once) the calendar of the school year starting in September of ``year``."""
    names = _holidays(year)
    holidays = frozenset(names)

    def first_from(day: date) -> date:
        while not _lessons_possible(day, six_day_week, holidays):
            day += _DAY
        return day

    def last_until(day: date) -> date:
        while not _lessons_possible(day, six_day_week, holidays):
            day -= _DAY
        return day

    first_day = first_from(date(year, 9, 1))

    autumn_end = _next_weekday(date(year, 11, 1), _SUNDAY)
    autumn = Break("осенние каникулы", autumn_end - timedelta(days=8), autumn_end)

    new_year_eve = date(year, 12, 31)
    if new_year_eve.weekday() >= _SATURDAY:
        winter_start = _previous_weekday(new_year_eve, _SATURDAY)
    else:
        winter_start = _previous_weekday(new_year_eve, 0)
    winter = Break("зимние каникулы", winter_start, _next_weekday(date(year + 1, 1, 8), _SUNDAY))

    spring_end = _previous_weekday(date(year + 1, 3, 31), _SUNDAY)
    spring = Break("весенние каникулы", spring_end - timedelta(days=8), spring_end)

    last_day = last_until(date(year + 1, 5, 26))
    summer = Break("летние каникулы", last_day + _DAY, date(year + 1, 8, 31))

    breaks = (autumn, winter, spring, summer)
    starts = (first_day, *(first_from(b.ends_on + _DAY) for b in breaks[:3]))
    terms = tuple(
        Term(number, f"{number} четверть", start, following.starts_on - _DAY)
        for number, (start, following) in enumerate(zip(starts, breaks, strict=True), start=1)
    )
    return SchoolCalendar(
        year=year,
        six_day_week=six_day_week,
        first_day=first_day,
        last_day=last_day,
        terms=terms,
        breaks=breaks,
        holidays=holidays,
        holiday_names=MappingProxyType(names),
    )


def last_school_week(today: date, *, six_day_week: bool = False) -> date:
    """The Monday of the latest week, up to that of ``today``, with a school day by ``today``.

    That is the week of the last school day on or before ``today``, looking back into the
    previous school year when the current one has had none yet (over the summer, or on a
    1 September without lessons). On 31 December it is the week before the winter break;
    on a Sunday 30 August it is the last week of May.
    """
    today = _as_date(today)
    year = school_year_of(today)
    day = SchoolCalendar.for_year(year, six_day_week=six_day_week).previous_school_day(today)
    if day is None:
        day = SchoolCalendar.for_year(year - 1, six_day_week=six_day_week).last_day
    return day - timedelta(days=day.weekday())
