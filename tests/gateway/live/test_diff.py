"""The diary diff on its own (gateway/live/diff.py): what counts as a change, what does not,
and that the same transition always has the same id. The path through a running gateway
is ``test_diary_events.py``'s."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from adapters import Absence, Change, ChangeKind, DateRange, Lesson, Person, Subject, Teacher
from gateway.live import DiarySnapshot, diary_changes, diary_window

TODAY = date(2026, 11, 30)
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WINDOW = diary_window(TODAY)


def _lesson(number: int, day: date = TODAY, **changes: object) -> Lesson:
    starts = datetime(day.year, day.month, day.day, 8 + number, tzinfo=UTC)
    lesson = Lesson(
        id=f"L{day.isoformat()}-{number}",
        date=day,
        number=number,
        starts_at=starts,
        ends_at=starts + timedelta(minutes=45),
        subject=Subject("s1", "Математика"),
        teacher=Teacher("t1", Person("t1", "Иванова", "Анна")),
        room="101",
        topic="Дроби",
    )
    return replace(lesson, **changes)  # type: ignore[arg-type]


def _absence(day: date, reason: str = "Болезнь", excused: bool | None = True) -> Absence:
    return Absence(student_id="7", date=day, reason=reason, excused=excused)


def _diff(before: list[Lesson], after: list[Lesson], window: DateRange = WINDOW) -> list[Change]:
    old = DiarySnapshot.of(before, WINDOW)
    new = DiarySnapshot.decode(DiarySnapshot.of(after, window).encode())  # as kept
    assert new is not None
    return diary_changes(old, new, "7", today=TODAY, at=AT)


def test_the_same_diary_is_no_change_and_a_topic_is_not_news() -> None:
    lessons = [_lesson(1), _lesson(2)]
    assert _diff(lessons, lessons) == []
    assert _diff(lessons, [_lesson(1, topic="Проценты"), _lesson(2)]) == []


def test_absences_created_updated_and_removed() -> None:
    past = TODAY - timedelta(days=2)
    present = _lesson(1, past)
    absent = _lesson(1, past, absence=_absence(past))
    (created,) = _diff([present], [absent])
    assert created.kind is ChangeKind.ABSENCE_CREATED
    assert (created.lesson_id, created.lesson_date, created.subject_name) == (
        present.id,
        past,
        "Математика",
    )
    assert created.at == AT
    excused = _lesson(1, past, absence=_absence(past, "Без причины", False))
    (updated,) = _diff([absent], [excused])
    assert updated.kind is ChangeKind.ABSENCE_UPDATED
    (removed,) = _diff([absent], [present])
    assert removed.kind is ChangeKind.ABSENCE_REMOVED


def test_a_lesson_change_of_today_or_later_only() -> None:
    yesterday = TODAY - timedelta(days=1)
    before = [_lesson(1), _lesson(1, yesterday)]
    moved = [_lesson(1, room="202"), _lesson(1, yesterday, room="202")]
    (changed,) = _diff(before, moved)
    assert changed.kind is ChangeKind.LESSON_CHANGED
    assert changed.lesson_date == TODAY
    for change in (
        {"cancelled": True},
        {"teacher": None},
        {"subject": Subject("s2", "Физика")},
        {"starts_at": _lesson(3).starts_at},
    ):
        (found,) = _diff([_lesson(1)], [_lesson(1, **change)])
        assert found.kind is ChangeKind.LESSON_CHANGED


def test_ids_are_stable_per_transition() -> None:
    before, after = [_lesson(1)], [_lesson(1, cancelled=True)]
    assert _diff(before, after)[0].id == _diff(before, after)[0].id  # any instance: one key
    (back,) = _diff(after, before)
    assert back.id != _diff(before, after)[0].id  # undone: a change of its own


def test_days_outside_either_window_are_not_compared() -> None:
    later = WINDOW.end + timedelta(days=1)
    moved_window = DateRange(WINDOW.start + timedelta(days=1), later)
    entering = _lesson(1, later, absence=_absence(later))
    assert _diff([], [entering], moved_window) == []  # a day entering the window: no news
    old_day = WINDOW.start
    leaving = _lesson(1, old_day, absence=_absence(old_day))
    assert _diff([leaving], [], moved_window) == []  # a day leaving it: nothing removed


def test_a_snapshot_this_version_cannot_read_is_no_snapshot() -> None:
    assert DiarySnapshot.decode(b"not json") is None
    assert DiarySnapshot.decode(b'{"s": "2026-11-30"}') is None
