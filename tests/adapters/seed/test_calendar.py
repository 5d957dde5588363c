"""The demo worlds' Russian school calendar: concrete years, holidays and properties."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diary_gateway_demo.seed.calendar import (
    Break,
    SchoolCalendar,
    Term,
    last_school_week,
    school_year_of,
)

DAY = timedelta(days=1)
YEARS = range(2020, 2036)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _year_days(year: int) -> list[date]:
    return _days(date(year, 9, 1), date(year + 1, 8, 31))


# --- school_year_of ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2025, 9, 1), 2025),
        (date(2025, 12, 31), 2025),
        (date(2026, 1, 1), 2025),
        (date(2026, 8, 31), 2025),
        (date(2026, 9, 1), 2026),
    ],
)
def test_school_year_of(day: date, year: int) -> None:
    assert school_year_of(day) == year


# --- concrete years -----------------------------------------------------------------------


def test_2025_26() -> None:
    cal = SchoolCalendar.for_year(2025)
    assert cal.year == 2025
    assert not cal.six_day_week
    assert cal.first_day == date(2025, 9, 1)
    assert cal.last_day == date(2026, 5, 26)
    assert cal.breaks == (
        Break("осенние каникулы", date(2025, 10, 25), date(2025, 11, 2)),
        Break("зимние каникулы", date(2025, 12, 29), date(2026, 1, 11)),
        Break("весенние каникулы", date(2026, 3, 21), date(2026, 3, 29)),
        Break("летние каникулы", date(2026, 5, 27), date(2026, 8, 31)),
    )
    assert cal.terms == (
        Term(1, "1 четверть", date(2025, 9, 1), date(2025, 10, 24)),
        Term(2, "2 четверть", date(2025, 11, 3), date(2025, 12, 28)),
        Term(3, "3 четверть", date(2026, 1, 12), date(2026, 3, 20)),
        Term(4, "4 четверть", date(2026, 3, 30), date(2026, 5, 26)),
    )
    # 8 March 2026 is a Sunday and 9 May 2026 a Saturday: both move to Monday.
    assert date(2026, 3, 9) in cal.holidays
    assert date(2026, 5, 11) in cal.holidays
    assert not cal.is_school_day(date(2026, 3, 9))
    assert not cal.is_school_day(date(2026, 5, 11))
    assert cal.holiday_name(date(2026, 5, 9)) == "День Победы"
    assert cal.holiday_name(date(2026, 5, 11)) is not None
    assert cal.holiday_name(date(2026, 5, 12)) is None


def test_2026_27() -> None:
    cal = SchoolCalendar.for_year(2026)
    assert cal.first_day == date(2026, 9, 1)
    assert cal.last_day == date(2027, 5, 26)
    assert cal.breaks == (
        Break("осенние каникулы", date(2026, 10, 24), date(2026, 11, 1)),
        Break("зимние каникулы", date(2026, 12, 28), date(2027, 1, 10)),
        Break("весенние каникулы", date(2027, 3, 20), date(2027, 3, 28)),
        Break("летние каникулы", date(2027, 5, 27), date(2027, 8, 31)),
    )
    assert [(t.number, t.name, t.starts_on, t.ends_on) for t in cal.terms] == [
        (1, "1 четверть", date(2026, 9, 1), date(2026, 10, 23)),
        (2, "2 четверть", date(2026, 11, 2), date(2026, 12, 27)),
        (3, "3 четверть", date(2027, 1, 11), date(2027, 3, 19)),
        (4, "4 четверть", date(2027, 3, 29), date(2027, 5, 26)),
    ]
    # 1 May 2027 is a Saturday and 9 May 2027 a Sunday.
    assert {date(2027, 5, 3), date(2027, 5, 10)} <= cal.holidays
    assert cal.term_of(date(2026, 12, 25)) == cal.terms[1]
    assert cal.term_of(date(2026, 12, 28)) is None
    assert cal.break_of(date(2026, 12, 31)) == cal.breaks[1]
    assert cal.break_of(date(2026, 12, 25)) is None


def test_for_year_is_memoised() -> None:
    assert SchoolCalendar.for_year(2026) is SchoolCalendar.for_year(2026)
    assert SchoolCalendar.for_year(2026, six_day_week=True) is not SchoolCalendar.for_year(2026)


def test_first_day_moves_off_a_weekend() -> None:
    # 1 Sept 2024 was a Sunday, 1 Sept 2029 is a Saturday.
    assert SchoolCalendar.for_year(2024).first_day == date(2024, 9, 2)
    assert SchoolCalendar.for_year(2024, six_day_week=True).first_day == date(2024, 9, 2)
    assert SchoolCalendar.for_year(2029).first_day == date(2029, 9, 3)
    assert SchoolCalendar.for_year(2029, six_day_week=True).first_day == date(2029, 9, 1)


def test_last_day_moves_off_a_weekend() -> None:
    # 26 May 2029 is a Saturday, 26 May 2030 a Sunday.
    assert SchoolCalendar.for_year(2028).last_day == date(2029, 5, 25)
    assert SchoolCalendar.for_year(2028, six_day_week=True).last_day == date(2029, 5, 26)
    assert SchoolCalendar.for_year(2029, six_day_week=True).last_day == date(2030, 5, 25)


# --- rules over many years ------------------------------------------------------------------


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("six_day_week", [False, True])
def test_public_holidays_are_never_school_days(year: int, six_day_week: bool) -> None:
    cal = SchoolCalendar.for_year(year, six_day_week=six_day_week)
    fixed = [
        date(year, 11, 4),
        *(date(year + 1, 1, d) for d in range(1, 9)),
        date(year + 1, 2, 23),
        date(year + 1, 3, 8),
        date(year + 1, 5, 1),
        date(year + 1, 5, 9),
    ]
    for day in fixed:
        assert day in cal.holidays
        assert cal.holiday_name(day)
        assert not cal.is_school_day(day)
    for day in fixed[:1] + fixed[-4:]:
        if day.weekday() >= 5:
            monday = day + timedelta(days=7 - day.weekday())
            assert monday in cal.holidays
            assert not cal.is_school_day(monday)


@pytest.mark.parametrize("year", YEARS)
@pytest.mark.parametrize("six_day_week", [False, True])
def test_breaks_weekends_and_terms(year: int, six_day_week: bool) -> None:
    cal = SchoolCalendar.for_year(year, six_day_week=six_day_week)
    assert [b.name for b in cal.breaks] == [
        "осенние каникулы",
        "зимние каникулы",
        "весенние каникулы",
        "летние каникулы",
    ]
    autumn, winter, spring, _summer = cal.breaks
    for nine_days in (autumn, spring):
        assert nine_days.starts_on.weekday() == 5
        assert nine_days.ends_on - nine_days.starts_on == timedelta(days=8)
    assert autumn.starts_on <= date(year, 11, 1) <= autumn.ends_on
    assert winter.starts_on <= date(year, 12, 31)
    assert winter.ends_on >= date(year + 1, 1, 8)
    assert winter.ends_on.weekday() == 6
    assert spring.ends_on.month == 3
    assert spring.ends_on + timedelta(days=7) > date(year + 1, 3, 31)

    for school_break in cal.breaks:
        for day in _days(school_break.starts_on, school_break.ends_on):
            assert not cal.is_school_day(day)
            assert cal.break_of(day) == school_break
            assert cal.term_of(day) is None

    school_days = set(cal.school_days(date(year, 9, 1), date(year + 1, 8, 31)))
    assert cal.first_day == min(school_days)
    assert cal.last_day == max(school_days)
    for day in _year_days(year):
        if day.weekday() == 6 or (day.weekday() == 5 and not six_day_week):
            assert not cal.is_school_day(day)
        in_terms = [t for t in cal.terms if t.starts_on <= day <= t.ends_on]
        assert len(in_terms) <= 1  # terms never overlap
        assert not (in_terms and cal.break_of(day))
        assert cal.is_school_day(day) == (day in school_days)
    if six_day_week:
        assert any(day.weekday() == 5 for day in school_days)

    # The four terms, in order, cover every school day; each starts on a school day.
    assert [t.number for t in cal.terms] == [1, 2, 3, 4]
    assert [t.name for t in cal.terms] == [f"{n} четверть" for n in range(1, 5)]
    covered = [d for t in cal.terms for d in cal.school_days(t.starts_on, t.ends_on)]
    assert covered == sorted(school_days)
    for term, following in zip(cal.terms, cal.breaks, strict=True):
        assert cal.is_school_day(term.starts_on)
        assert term.ends_on == following.starts_on - DAY
    assert cal.terms[-1].ends_on == cal.last_day


@pytest.mark.parametrize("year", YEARS)
def test_school_days_per_year_are_realistic(year: int) -> None:
    five = SchoolCalendar.for_year(year)
    six = SchoolCalendar.for_year(year, six_day_week=True)
    five_days = five.school_days(five.first_day, five.last_day)
    six_days = six.school_days(six.first_day, six.last_day)
    assert 160 <= len(five_days) <= 175
    assert 190 <= len(six_days) <= 210
    assert set(five_days) < set(six_days)
    assert {d for d in six_days if d.weekday() != 5} == set(five_days)


def test_six_day_week_has_saturday_lessons() -> None:
    saturday = date(2026, 10, 17)
    assert not SchoolCalendar.for_year(2026).is_school_day(saturday)
    assert SchoolCalendar.for_year(2026, six_day_week=True).is_school_day(saturday)
    # …but not on a Saturday that opens a break.
    assert not SchoolCalendar.for_year(2026, six_day_week=True).is_school_day(date(2026, 10, 24))


# --- next_school_day / school_days -----------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (date(2026, 10, 23), date(2026, 11, 2)),  # over the autumn break
        (date(2026, 11, 3), date(2026, 11, 5)),  # over 4 November
        (date(2026, 12, 25), date(2027, 1, 11)),  # over the winter break
        (date(2027, 3, 19), date(2027, 3, 29)),  # over the spring break
        (date(2026, 8, 15), date(2026, 9, 1)),  # before the year starts
        (date(2027, 5, 26), None),  # the last day
        (date(2027, 7, 1), None),  # summer
    ],
)
def test_next_school_day(after: date, expected: date | None) -> None:
    assert SchoolCalendar.for_year(2026).next_school_day(after) == expected


def test_next_school_day_six_day_week() -> None:
    cal = SchoolCalendar.for_year(2026, six_day_week=True)
    assert cal.next_school_day(date(2026, 10, 16)) == date(2026, 10, 17)
    assert cal.next_school_day(date(2026, 10, 17)) == date(2026, 10, 19)


def test_school_days_range_is_inclusive() -> None:
    cal = SchoolCalendar.for_year(2026)
    assert cal.school_days(date(2026, 10, 19), date(2026, 11, 8)) == [
        date(2026, 10, 19),
        date(2026, 10, 20),
        date(2026, 10, 21),
        date(2026, 10, 22),
        date(2026, 10, 23),
        date(2026, 11, 2),
        date(2026, 11, 3),
        date(2026, 11, 5),
        date(2026, 11, 6),
    ]
    assert cal.school_days(date(2026, 9, 1), date(2026, 9, 1)) == [date(2026, 9, 1)]
    assert cal.school_days(date(2026, 9, 5), date(2026, 9, 6)) == []


# --- last_school_week ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "monday"),
    [
        (date(2026, 12, 31), date(2026, 12, 21)),  # Thursday in the winter break
        (date(2026, 11, 29), date(2026, 11, 23)),  # Sunday
        (date(2026, 9, 1), date(2026, 8, 31)),  # Tuesday, the first day
        (date(2026, 8, 30), date(2026, 5, 25)),  # Sunday before the year: last week of May
        (date(2027, 1, 11), date(2027, 1, 11)),  # Monday, the first day after the break
        (date(2027, 1, 10), date(2026, 12, 21)),  # last day of the winter break
    ],
)
def test_last_school_week(today: date, monday: date) -> None:
    assert last_school_week(today) == monday


def test_last_school_week_first_of_september_on_a_sunday() -> None:
    # 1 Sept 2024 was a Sunday: no lessons yet, so the last week of May 2024 (Mon 20 May).
    assert last_school_week(date(2024, 9, 1)) == date(2024, 5, 20)
    assert last_school_week(date(2024, 9, 2)) == date(2024, 9, 2)


def test_last_school_week_accepts_a_datetime() -> None:
    assert last_school_week(datetime(2026, 9, 1, 7, 30)) == date(2026, 8, 31)
    assert last_school_week(datetime(2026, 12, 31, 23, 59)) == date(2026, 12, 21)


def test_last_school_week_six_day_week() -> None:
    # 26 May 2029 is a Saturday: a school day only for a six-day school.
    assert last_school_week(date(2029, 5, 27), six_day_week=True) == date(2029, 5, 21)
    assert last_school_week(date(2029, 5, 27)) == date(2029, 5, 21)


# --- properties ------------------------------------------------------------------------------

_DATES = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@given(day=_DATES, six_day_week=st.booleans())
def test_school_days_are_weekdays_in_a_term_and_never_holidays(
    day: date, six_day_week: bool
) -> None:
    cal = SchoolCalendar.for_year(school_year_of(day), six_day_week=six_day_week)
    if cal.is_school_day(day):
        assert day.weekday() < (6 if six_day_week else 5)
        assert cal.term_of(day) is not None
        assert cal.break_of(day) is None
        assert day not in cal.holidays
        assert cal.holiday_name(day) is None
        assert cal.first_day <= day <= cal.last_day
    if day in cal.holidays or day.weekday() == 6 or cal.break_of(day) is not None:
        assert not cal.is_school_day(day)
    following = cal.next_school_day(day)
    if following is not None:
        assert following > day
        assert cal.is_school_day(following)
        assert not cal.school_days(day + DAY, following - DAY)


@given(today=_DATES, six_day_week=st.booleans())
def test_last_school_week_is_the_week_of_the_latest_school_day(
    today: date, six_day_week: bool
) -> None:
    monday = last_school_week(today, six_day_week=six_day_week)
    assert monday.weekday() == 0
    assert monday <= today
    year = school_year_of(today)
    calendars = [SchoolCalendar.for_year(y, six_day_week=six_day_week) for y in (year - 1, year)]
    school_days = [
        d
        for cal in calendars
        for d in cal.school_days(monday, min(today, monday + timedelta(days=6)))
    ]
    assert school_days  # the week has a school day on or before today
    later = [d for cal in calendars for d in cal.school_days(monday + timedelta(days=7), today)]
    assert not later  # and no later week does
