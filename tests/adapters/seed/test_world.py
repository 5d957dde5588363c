"""The demo world itself: a believable Russian school year, deterministic whatever the clock.

Every test runs at the instants that have broken us (``tests.clock.AWKWARD_INSTANTS``). The
calendar's facts are written here by hand for the school year 2026/27, which all of those
instants fall in; what the world generates is checked against rules, not recomputed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters import Clock
from diary_gateway_demo.seed import World, national_id
from tests.clock import AWKWARD_INSTANTS

REGIONS = ("74", "11", "77")
DAY = timedelta(days=1)

INSTANTS = [pytest.param(instant, id=name) for name, instant in AWKWARD_INSTANTS.items()]

# The school year 2026/27, by hand (the rules: emulators/diary_gateway_demo/seed/calendar.py).
AUTUMN_BREAK = (date(2026, 10, 24), date(2026, 11, 1))
WINTER_BREAK = (date(2026, 12, 28), date(2027, 1, 10))
SPRING_BREAK = (date(2027, 3, 20), date(2027, 3, 28))
HOLIDAYS = (
    date(2026, 11, 4),  # Wednesday: День народного единства
    date(2027, 2, 23),  # Tuesday: День защитника Отечества
    date(2027, 3, 8),  # Monday: Международный женский день
    date(2027, 5, 3),  # Monday: 1 May was a Saturday, the day off moves
    date(2027, 5, 10),  # Monday: 9 May was a Sunday, the day off moves
)
SCHOOL_DAYS = (
    date(2026, 9, 1),  # Tuesday, the first day
    date(2026, 10, 23),  # Friday before the autumn break
    date(2026, 11, 2),  # Monday after it
    date(2026, 11, 5),  # Thursday after the holiday
    date(2026, 12, 25),  # Friday before the winter break
    date(2027, 1, 11),  # Monday after it
    date(2027, 3, 29),  # Monday after the spring break
    date(2027, 5, 26),  # Wednesday, the last day
)
SIX_DAY_SATURDAYS = (date(2026, 9, 5), date(2026, 11, 28), date(2027, 1, 16))
SUMMER = (date(2027, 5, 27), date(2027, 6, 15), date(2026, 8, 31))


def _span(start: date, end: date) -> list[date]:
    return [start + DAY * n for n in range((end - start).days + 1)]


def _world(region: str, instant: datetime) -> World:
    return World.build(region, clock=Clock.fixed(instant), year=2026)


def _window(world: World) -> list[date]:
    """Three weeks either side of the world's today, inside the school year."""
    today = world.today
    return [
        d
        for d in _span(today - 21 * DAY, today + 21 * DAY)
        if date(2026, 9, 1) <= d <= date(2027, 5, 31)
    ]


def _level_classes(world: World, level: int) -> list[int]:
    return [c.id for c in world.classes.values() if c.level == level]


def _first_subject_lesson(world: World, class_id: int, subject: str, after: date) -> date | None:
    """The first day after ``after`` on which the class has a lesson of ``subject``."""
    day = after + DAY
    while day <= date(2027, 5, 31):
        if any(le.subject == subject for le in world.lessons(class_id, day)):
            return day
        day += DAY
    return None


# -- the calendar in the lessons ------------------------------------------------------------


@pytest.mark.parametrize("instant", INSTANTS)
@pytest.mark.parametrize("region", REGIONS)
def test_no_lessons_on_holidays_breaks_and_sundays(region: str, instant: datetime) -> None:
    world = _world(region, instant)
    days_off = [
        *_span(*AUTUMN_BREAK),
        *_span(*WINTER_BREAK),
        *_span(*SPRING_BREAK),
        *HOLIDAYS,
        *SUMMER,
        *(d for d in _window(world) if d.weekday() == 6),
    ]
    for class_id in world.classes:
        for day in days_off:
            assert world.lessons(class_id, day) == (), (world.classes[class_id].name, day)
            assert world.homework(class_id, day) == ()
            assert world.marks(class_id, day) == ()
        for day in SCHOOL_DAYS:
            assert world.lessons(class_id, day), (world.classes[class_id].name, day)


@pytest.mark.parametrize("instant", INSTANTS)
@pytest.mark.parametrize("region", REGIONS)
def test_saturdays_only_in_six_day_schools(region: str, instant: datetime) -> None:
    world = _world(region, instant)
    saturdays = [d for d in _window(world) if d.weekday() == 5]
    for class_id, klass in world.classes.items():
        six_day = world.school(klass.school_id).six_day_week
        for day in saturdays:
            if not six_day:
                assert world.lessons(class_id, day) == (), (klass.name, day)
        for day in SIX_DAY_SATURDAYS:
            assert bool(world.lessons(class_id, day)) is six_day, (klass.name, day)


def test_which_schools_work_six_days() -> None:
    worlds = {r: _world(r, AWKWARD_INSTANTS["saturday"]) for r in REGIONS}
    assert {r: [s.six_day_week for s in w.schools] for r, w in worlds.items()} == {
        "74": [False, True],
        "11": [False, True],
        "77": [False, False],
    }


# -- forms and curricula --------------------------------------------------------------------


def test_the_classes_of_each_region() -> None:
    names = {
        region: [
            (c.name, c.level) for c in _world(region, AWKWARD_INSTANTS["saturday"]).classes.values()
        ]
        for region in REGIONS
    }
    assert names == {
        "74": [("9-А", 9), ("5-Б", 5), ("10-А", 10), ("6-В", 6)],
        "11": [("8-А", 8), ("5-А", 5), ("9-Б", 9), ("7-А", 7)],
        "77": [("11-Б", 11), ("6-А", 6), ("9-В", 9), ("5-Г", 5)],
    }


@pytest.mark.parametrize("instant", INSTANTS)
@pytest.mark.parametrize("region", REGIONS)
def test_ninth_forms_have_six_or_seven_lessons_fifth_forms_fewer(
    region: str, instant: datetime
) -> None:
    world = _world(region, instant)
    ninth, fifth = _level_classes(world, 9), _level_classes(world, 5)
    assert ninth
    assert fifth
    days = [*_window(world), *SCHOOL_DAYS]
    for class_id in ninth:
        school_days = [
            d for d in days if world.calendar(world.classes[class_id].school_id).is_school_day(d)
        ]
        assert school_days
        for day in school_days:
            assert 6 <= len(world.lessons(class_id, day)) <= 7, day
    ninth_week = min(sum(len(day) for day in world.timetables[c].values()) for c in ninth)
    for class_id in fifth:
        assert sum(len(day) for day in world.timetables[class_id].values()) < ninth_week
        for day in days:
            assert len(world.lessons(class_id, day)) <= 6, day


@pytest.mark.parametrize("instant", INSTANTS)
@pytest.mark.parametrize("region", REGIONS)
def test_subjects_by_form(region: str, instant: datetime) -> None:
    world = _world(region, instant)
    for class_id, klass in world.classes.items():
        subjects = {le.subject for day in _window(world) for le in world.lessons(class_id, day)}
        subjects |= {name for day in world.timetables[class_id].values() for name in day}
        assert subjects, klass.name
        assert ("Математика" in subjects) is (klass.level <= 6), klass.name
        assert ("Алгебра" in subjects) is (klass.level >= 7), klass.name
        assert ("Геометрия" in subjects) is (klass.level >= 7), klass.name
        assert ("Химия" in subjects) is (klass.level >= 8), klass.name


# -- homework, marks, absences ----------------------------------------------------------


@pytest.mark.parametrize("instant", INSTANTS)
@pytest.mark.parametrize("region", REGIONS)
def test_homework_is_due_at_the_next_lesson_of_its_subject(region: str, instant: datetime) -> None:
    world = _world(region, instant)
    seen = 0
    for class_id in world.classes:
        for day in _window(world):
            lessons = {le.id: le for le in world.lessons(class_id, day)}
            for homework in world.homework(class_id, day):
                seen += 1
                assert homework.assigned_on == day
                assert homework.class_id == class_id
                assert lessons[homework.lesson_id].subject == homework.subject
                assert homework.due_on == _first_subject_lesson(
                    world, class_id, homework.subject, day
                ), homework
                assert world.calendar(world.classes[class_id].school_id).is_school_day(
                    homework.due_on
                )
    if any(world.lessons(c, d) for c in world.classes for d in _window(world)):
        assert seen


@pytest.mark.parametrize("instant", INSTANTS)
@pytest.mark.parametrize("region", REGIONS)
def test_marks_exist_after_their_lesson_and_not_after_now(region: str, instant: datetime) -> None:
    world = _world(region, instant)
    now = instant.astimezone(world.zone).replace(tzinfo=None)
    assert world.now() == now
    for class_id in world.classes:
        for day in _window(world):
            ends = {le.id: datetime.combine(day, le.ends) for le in world.lessons(class_id, day)}
            for mark in world.marks(class_id, day):
                assert ends[mark.lesson_id] < mark.created_at <= now, mark
            begun = {
                le.id
                for le in world.lessons(class_id, day)
                if datetime.combine(day, le.starts) <= now
            }
            for absence in world.absences(class_id, day):
                assert absence.lesson_id in begun, absence
            if day > now.date():
                assert world.marks(class_id, day) == ()
                assert world.absences(class_id, day) == ()


# -- determinism --------------------------------------------------------------------------


def _snapshot(world: World, days: list[date]) -> list[object]:
    return [
        (
            class_id,
            day,
            world.lessons(class_id, day),
            world.marks(class_id, day),
            world.homework(class_id, day),
            world.absences(class_id, day),
        )
        for class_id in world.classes
        for day in days
    ]


@pytest.mark.parametrize("instant", INSTANTS)
@pytest.mark.parametrize("region", REGIONS)
def test_building_twice_gives_the_same_world(region: str, instant: datetime) -> None:
    first, second = _world(region, instant), _world(region, instant)
    assert first is not second
    days = [d for d in _window(first) if d < first.today]
    assert _snapshot(first, days) == _snapshot(second, days)
    assert first.students == second.students
    assert first.teachers == second.teachers
    assert first.timetables == second.timetables


@pytest.mark.parametrize("region", REGIONS)
def test_midnight_changes_nothing_that_has_happened(region: str) -> None:
    zone = ZoneInfo("Asia/Yekaterinburg" if region == "74" else "Europe/Moscow")
    before = World.build(region, clock=Clock.fixed(datetime(2026, 11, 19, 23, 55, tzinfo=zone)))
    after = World.build(region, clock=Clock.fixed(datetime(2026, 11, 20, 0, 5, tzinfo=zone)))
    assert (before.year, after.year) == (2026, 2026)
    assert (before.today, after.today) == (date(2026, 11, 19), date(2026, 11, 20))
    days = _span(date(2026, 10, 12), date(2026, 11, 18))
    assert _snapshot(before, days) == _snapshot(after, days)
    assert sum(len(before.marks(c, d)) for c in before.classes for d in days) > 0
    # the evening's marks are all in by 23:55; the next day's lessons exist, its marks not yet
    assert before.marks(min(before.classes), date(2026, 11, 19)) == after.marks(
        min(after.classes), date(2026, 11, 19)
    )
    assert before.lessons(min(before.classes), date(2026, 11, 20)) == after.lessons(
        min(after.classes), date(2026, 11, 20)
    )
    assert after.marks(min(after.classes), date(2026, 11, 20)) == ()


# -- families -------------------------------------------------------------------------------


@pytest.mark.parametrize("instant", INSTANTS)
def test_the_parents_children(instant: datetime) -> None:
    worlds = {region: _world(region, instant) for region in REGIONS}
    children = {
        region: [
            (
                s.person.last_name,
                s.person.first_name,
                s.person.middle_name,
                world.classes[s.class_id].name,
            )
            for s, legal in world.children_of("parent")
            if legal
        ]
        for region, world in worlds.items()
    }
    assert children == {
        "74": [("Соколова", "Мария", "Андреевна", "9-А")],
        "11": [("Соколов", "Илья", "Андреевич", "8-А")],
        "77": [
            ("Соколова", "Анна", "Андреевна", "11-Б"),
            ("Соколов", "Михаил", "Андреевич", "11-Б"),
        ],
    }
    people = [s.person for world in worlds.values() for s, _ in world.children_of("parent")]
    assert len({p.first_name for p in people}) == 4
    born = {
        region: {s.person.birth_date for s, _ in w.children_of("parent")}
        for region, w in worlds.items()
    }
    assert len(born["77"]) == 1  # twins
    assert len(born["74"] | born["11"] | born["77"]) == 3
    for region, world in worlds.items():
        canonical = world.students[world.canonical_student_id]
        assert canonical.id == world.children_of("parent")[0][0].id
        assert world.parents["parent"].national_id == national_id("parent", region) == "esia-parent"


@pytest.mark.parametrize("instant", INSTANTS)
def test_other_parents_child_is_a_classmate_in_74_only(instant: datetime) -> None:
    worlds = {region: _world(region, instant) for region in REGIONS}
    world = worlds["74"]
    ((child, legal),) = world.children_of("other-parent")
    assert legal
    assert child.class_id == world.students[world.canonical_student_id].class_id
    assert (child.person.last_name, child.person.first_name) == ("Кузнецов", "Артём")
    for region in ("11", "77"):
        assert worlds[region].children_of("other-parent") == []


# -- schools --------------------------------------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_each_regions_schools_differ(region: str) -> None:
    world = _world(region, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    first, second = world.schools
    assert first.name != second.name
    assert first.short_name != second.short_name
    assert first.address != second.address
    assert first.login_code != second.login_code
    assert first.bells != second.bells
    for school in world.schools:
        starts = [s for _, s, _ in school.bells]
        assert [n for n, _, _ in school.bells] == list(range(1, 9))
        assert starts == sorted(starts)
        assert all(a < b for _, a, b in school.bells)
    firsts = [school.bells[0][1] for school in world.schools]
    assert (
        firsts
        == {
            "74": [time(8, 30), time(8, 0)],
            "11": [time(8, 30), time(8, 0)],
            "77": [time(8, 30), time(9, 0)],
        }[region]
    )


def test_schools_differ_across_regions() -> None:
    schools = [s for r in REGIONS for s in _world(r, AWKWARD_INSTANTS["saturday"]).schools]
    assert len({s.name for s in schools}) == len({s.address for s in schools}) == 6
    assert len({s.id for s in schools}) == len({s.login_code for s in schools}) == 6


def test_lessons_ring_at_their_schools_bells() -> None:
    world = _world("77", AWKWARD_INSTANTS["saturday"])
    day = date(2026, 11, 26)
    for class_id, klass in world.classes.items():
        bells = {n: (s, e) for n, s, e in world.bells(klass.school_id)}
        for lesson in world.lessons(class_id, day):
            assert (lesson.starts, lesson.ends) == bells[lesson.number]
