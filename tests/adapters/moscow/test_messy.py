"""The Moscow adapter against the emulator's messy mode, over real HTTP.

The world stays the oracle: every homework, absence and mark the world holds for a range
must appear in the adapter's answer, each once, and no record of another student may.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from adapters import Caller, DateRange, Lesson
from adapters.moscow import MoscowAdapter
from adapters.moscow.emulator.render import MoscowData
from adapters.seed import SeedStudent, World
from tests.adapters.harnesses.moscow import Harness
from tests.clock import pinned

TODAY = date(2025, 10, 18)
RANGE = DateRange(date(2025, 9, 22), TODAY)


@pytest.fixture
async def messy() -> AsyncIterator[tuple[Harness, MoscowAdapter]]:
    harness = Harness()
    adapter = await harness.start(pinned(TODAY))
    assert isinstance(adapter, MoscowAdapter)
    harness.admin.post("/__admin/faults", json={"messy": True}).raise_for_status()
    try:
        yield harness, adapter
    finally:
        await harness.stop()


def twins(world: World) -> list[SeedStudent]:
    canonical = world.students[world.canonical_student_id]
    key = canonical.parents[0][0]
    family = [s for s, _ in world.children_of(key)]
    return [s for s in family if s.class_id == canonical.class_id]


def expected_homework(world: World, student: SeedStudent) -> set[str]:
    data = MoscowData(world)
    found = set()
    for day in world.days(RANGE.start, RANGE.end):
        for homework in world.homework(student.class_id, day):
            lesson = world.find_lesson(homework.lesson_id)
            assert lesson is not None
            found.add(str(data.homework_entry_student_id(lesson, student.id)))
    return found


def expected_absences(world: World, student: SeedStudent) -> Counter[tuple[date, str]]:
    found: Counter[tuple[date, str]] = Counter()
    for day in world.days(RANGE.start, RANGE.end):
        lessons = {le.id: le for le in world.lessons(student.class_id, day)}
        for absence in world.absences(student.class_id, day):
            if absence.student_id == student.id:
                found[(day, str(lessons[absence.lesson_id].subject_id))] += 1
    return found


async def diary(adapter: MoscowAdapter, caller: Caller, student_id: str) -> list[Lesson]:
    (slot,) = await adapter.get_diaries(caller, [student_id], RANGE)
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
    assert changes and all(c.student_id == sid for c in changes)
    assert len({c.id for c in changes}) == len(changes)
    assert adapter.foreign_records_dropped[("changes", "change")] > 0

    harness.admin.post("/__admin/faults", json={"messy": False}).raise_for_status()
    (clean,) = await adapter.get_changes(caller, [sid], pinned(TODAY).now() - timedelta(days=29))
    assert isinstance(clean, list)
    assert {c.id for c in clean} <= {c.id for c in changes}
