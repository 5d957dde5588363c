"""The Moscow adapter against the emulator's messy mode, over real HTTP.

The world stays the oracle: every homework, absence and mark the world holds for a range
must appear in the adapter's answer, each once, and no record of another student may.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from adapters import Caller, DateRange, Lesson
from adapters.moscow import MoscowAdapter
from diary_gateway_demo.moscow.render import MoscowData
from diary_gateway_demo.seed import SeedStudent, World
from tests.adapters.harnesses.moscow import Harness
from tests.clock import pinned

TODAY = date(2025, 10, 18)
RANGE = DateRange(date(2025, 9, 22), TODAY)


def twins(world: World) -> list[SeedStudent]:
    canonical = world.students[world.canonical_student_id]
    key = canonical.parents[0][0]
    family = [s for s, _ in world.children_of(key)]
    return [s for s in family if s.class_id == canonical.class_id]


def expected_homework(world: World, student: SeedStudent, days: DateRange = RANGE) -> set[str]:
    data = MoscowData(world)
    found = set()
    for day in world.days(days.start, days.end):
        for homework in world.homework(student.class_id, day):
            lesson = world.find_lesson(homework.lesson_id)
            assert lesson is not None
            found.add(str(data.homework_entry_student_id(lesson, student.id)))
    return found


def expected_absences(
    world: World, student: SeedStudent, days: DateRange = RANGE
) -> Counter[tuple[date, str]]:
    found: Counter[tuple[date, str]] = Counter()
    for day in world.days(days.start, days.end):
        lessons = {le.id: le for le in world.lessons(student.class_id, day)}
        for absence in world.absences(student.class_id, day):
            if absence.student_id == student.id:
                found[(day, str(lessons[absence.lesson_id].subject_id))] += 1
    return found


async def diary(
    adapter: MoscowAdapter, caller: Caller, student_id: str, days: DateRange = RANGE
) -> list[Lesson]:
    (slot,) = await adapter.get_diaries(caller, [student_id], days)
    assert isinstance(slot, list), slot
    return slot


async def test_messy_mode_switches_at_run_time(messy: tuple[Harness, MoscowAdapter]) -> None:
    harness, _ = messy
    assert harness.admin.get("/__admin/faults").json()["messy"] is True
    harness.admin.post("/__admin/faults", json={"messy": False}).raise_for_status()
    assert harness.admin.get("/__admin/faults").json()["messy"] is False
    bad = harness.admin.post("/__admin/faults", json={"messy": "yes"})
    assert bad.status_code == 400


async def test_no_record_lost_and_none_foreign(messy: tuple[Harness, MoscowAdapter]) -> None:
    harness, adapter = messy
    world = harness.world
    caller = harness.caller("parent")
    students = twins(world)
    assert len(students) == 2
    data = MoscowData(world)
    for student in students:
        sid = str(student.id)
        lessons = await diary(adapter, caller, sid)

        homework = [h for le in lessons for h in le.homework]
        assert all(h.student_id == sid for h in homework)
        ids = [h.id for h in homework]
        assert len(ids) == len(set(ids)), "homework shown twice"
        assert expected_homework(world, student) <= set(ids)

        absences = Counter((le.date, le.subject.id) for le in lessons if le.absence is not None)
        assert all(le.absence.student_id == sid for le in lessons if le.absence is not None)
        assert absences == expected_absences(world, student)

        lesson_ids = [le.id for le in lessons]
        assert len(lesson_ids) == len(set(lesson_ids)), "an event sent twice became two lessons"

        (marks,) = await adapter.get_marks(caller, [sid], RANGE)
        assert isinstance(marks, list), marks
        mark_ids = [m.id for m in marks]
        assert len(mark_ids) == len(set(mark_ids)), "a mark shown twice"
        assert all(m.student_id == sid for m in marks)
        world_marks = data.student_marks(student, RANGE.start, RANGE.end)
        assert {str(m.id) for m in world_marks} == set(mark_ids)
        weights = {str(m.id): float(m.weight) for m in world_marks}
        assert all(m.weight == weights[m.id] for m in marks), "a weight was misread"


async def test_unmatched_attendance_is_placed(messy: tuple[Harness, MoscowAdapter]) -> None:
    """Attendance with unknown ids lands on its lesson by date and subject, so the messy
    world still has every absence on a real lesson (no holder needed for them)."""
    harness, adapter = messy
    caller = harness.caller("parent")
    sid = str(harness.world.canonical_student_id)
    lessons = await diary(adapter, caller, sid)
    placed = [le for le in lessons if le.absence is not None and not le.unscheduled]
    assert placed
    assert all(le.absence is not None and le.absence.lesson_id == le.id for le in placed)


async def test_changes_keep_only_the_student_asked_for(
    messy: tuple[Harness, MoscowAdapter],
) -> None:
    harness, adapter = messy
    caller = harness.caller("parent")
    sid = str(harness.world.canonical_student_id)
    (changes,) = await adapter.get_changes(caller, [sid], pinned(TODAY).now() - timedelta(days=30))
    assert isinstance(changes, list), changes
    assert changes
    assert all(c.student_id == sid for c in changes)
    assert len({c.id for c in changes}) == len(changes)
    assert adapter.foreign_records_dropped[("changes", "change")] > 0

    harness.admin.post("/__admin/faults", json={"messy": False}).raise_for_status()
    (clean,) = await adapter.get_changes(caller, [sid], pinned(TODAY).now() - timedelta(days=29))
    assert isinstance(clean, list)
    assert {c.id for c in clean} <= {c.id for c in changes}


# Weeks where a messy answer once cost the diary a record: a lesson missing from the
# calendar whose mark only the ``marks`` call has (all of them), homework set before the
# winter break that only ``homeworks/short`` lists, due three weeks later (2025-12-22),
# and a day whose attendance names no ``schedule_item_id`` at all (2026-09-28, 2026-10-05).
SWEPT_WEEKS = [
    date(2025, 9, 1),
    date(2025, 12, 22),
    date(2026, 9, 28),
    date(2026, 10, 5),
    date(2026, 11, 23),
]


@pytest.mark.parametrize("monday", SWEPT_WEEKS, ids=str)
async def test_messy_weeks_keep_every_mark_homework_and_absence(monday: date) -> None:
    """The diary (one call) of both twins and of the student persona holds every mark,
    homework and absence the world has for the week, each once, and only the student's."""
    week = DateRange(monday, monday + timedelta(days=6))
    harness = Harness()
    adapter = await harness.start(pinned(week.end))
    assert isinstance(adapter, MoscowAdapter)
    harness.admin.post("/__admin/faults", json={"messy": True}).raise_for_status()
    try:
        world = harness.world
        data = MoscowData(world)
        readers = [("parent", s) for s in twins(world)]
        readers.append(("student", world.persona_student("student")))
        for persona, student in readers:
            sid = str(student.id)
            lessons = await diary(adapter, harness.caller(persona), sid, week)
            where = f"{persona} {sid} {monday}"

            marks = [m for le in lessons for m in le.marks]
            assert all(m.student_id == sid for m in marks), where
            mark_ids = Counter(m.id for m in marks)
            assert max(mark_ids.values(), default=1) == 1, f"a mark shown twice: {where}"
            world_marks = {str(m.id) for m in data.student_marks(student, week.start, week.end)}
            assert set(mark_ids) == world_marks, where
            assert all(le.date == m.lesson_date for le in lessons for m in le.marks), where

            homework = Counter(h.id for le in lessons for h in le.homework)
            assert max(homework.values(), default=1) == 1, f"homework shown twice: {where}"
            assert expected_homework(world, student, week) <= set(homework), where

            absences = Counter((le.date, le.subject.id) for le in lessons if le.absence is not None)
            assert absences == expected_absences(world, student, week), where

            keys = Counter((le.date, le.number, le.id) for le in lessons)
            assert max(keys.values(), default=1) == 1, f"a lesson shown twice: {where}"
    finally:
        await harness.stop()
