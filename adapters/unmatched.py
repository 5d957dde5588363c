"""Records a provider gave but did not tie to a lesson: placed, never dropped.

Every adapter first joins homework, marks and absences to lessons by the provider's own
ids. What is left goes through :func:`place_records`:

1. **by date and subject**: to a lesson of the same day and subject (homework: the day it
   was set, else the day it is due; a mark: its lesson date; an absence: its day), the
   first such lesson that has room (an absence goes to a lesson without one);
2. **otherwise on the day**: to an *unscheduled* holder (``Lesson.unscheduled``, number 0,
   one per day and subject and as many as absences need), which the schema shows as the
   day's records without a lesson. A record whose day is outside the range is left out:
   it belongs to another range.

Records are deduplicated by id (homework, marks) or by (day, subject, lesson) for
absences, so a provider that sends a record twice, or both joined and loose, shows it once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, tzinfo
from typing import TypeVar

from .models import Absence, DateRange, Homework, Lesson, Mark, Subject

__all__ = [
    "UNSCHEDULED_SUFFIX",
    "LooseAbsence",
    "dedupe_by_id",
    "merge_duplicate_lessons",
    "place_records",
]

UNSCHEDULED_SUFFIX = ":unscheduled"


@dataclasses.dataclass(frozen=True, slots=True)
class LooseAbsence:
    """An absence with the subject the provider named for it (its lesson is unknown)."""

    absence: Absence
    subject: Subject | None


R = TypeVar("R", Homework, Mark)


def dedupe_by_id(records: Iterable[R]) -> list[R]:
    """``records`` without repeats of an id (the first one wins), in order."""
    seen: set[str] = set()
    found: list[R] = []
    for record in records:
        if record.id not in seen:
            seen.add(record.id)
            found.append(record)
    return found


def _same_subject(a: Subject, b: Subject | None) -> bool:
    if b is None:
        return False
    return a.id == b.id or (bool(a.name) and a.name.casefold() == b.name.casefold())


def place_records(
    lessons: Sequence[Lesson],
    *,
    days: DateRange,
    tz: tzinfo,
    homework: Iterable[Homework] = (),
    marks: Iterable[Mark] = (),
    absences: Iterable[LooseAbsence] = (),
    absent_unclaimed: Iterable[str] = (),
) -> list[Lesson]:
    """``lessons`` with the loose records placed (see the module); sorted by (date, number).

    ``absent_unclaimed``: ids of lessons that say they were missed but that no absence
    record named; a loose absence of the same day and subject is taken to be theirs.
    """
    result = list(lessons)
    index = {lesson.id: i for i, lesson in enumerate(result)}
    homework_ids = {h.id for le in result for h in le.homework}
    mark_ids = {m.id for le in result for m in le.marks}

    def holder(day: date, subject: Subject, *, free_absence: bool) -> int:
        n = 0
        while True:
            lesson_id = f"{day.isoformat()}:{subject.id}:{n}{UNSCHEDULED_SUFFIX}"
            i = index.get(lesson_id)
            if i is None:
                midnight = datetime.combine(day, time.min, tz)
                result.append(
                    Lesson(
                        id=lesson_id,
                        date=day,
                        number=0,
                        starts_at=midnight,
                        ends_at=midnight,
                        subject=subject,
                        unscheduled=True,
                    )
                )
                index[lesson_id] = len(result) - 1
                return len(result) - 1
            if not free_absence or result[i].absence is None:
                return i
            n += 1

    def target(day: date, subject: Subject, *, free_absence: bool = False) -> int:
        for i, lesson in enumerate(result):
            if (
                lesson.date == day
                and not lesson.unscheduled
                and _same_subject(lesson.subject, subject)
                and not (free_absence and lesson.absence is not None)
            ):
                return i
        return holder(day, subject, free_absence=free_absence)

    for hw in dedupe_by_id(homework):
        if hw.id in homework_ids:
            continue
        day = hw.assigned_on if hw.assigned_on in days else hw.due_on
        if day not in days or day is None:
            continue
        homework_ids.add(hw.id)
        i = target(day, hw.subject)
        result[i] = dataclasses.replace(result[i], homework=(*result[i].homework, hw))
    for mark in dedupe_by_id(marks):
        if mark.id in mark_ids or mark.lesson_date not in days:
            continue
        mark_ids.add(mark.id)
        i = target(mark.lesson_date, mark.subject)
        placed = dataclasses.replace(
            mark, lesson_id=None if result[i].unscheduled else result[i].id
        )
        result[i] = dataclasses.replace(result[i], marks=(*result[i].marks, placed))
    unclaimed = set(absent_unclaimed)
    seen_absences: set[tuple[date, str, str | None]] = set()
    for loose in absences:
        absence = loose.absence
        subject = loose.subject or Subject(id="", name="")
        key = (absence.date, subject.id or subject.name, absence.lesson_id)
        if absence.date not in days or key in seen_absences:
            continue
        seen_absences.add(key)
        # a lesson that says it was missed, with no record of its own yet, is this one
        same = next(
            (
                i
                for i, le in enumerate(result)
                if le.id in unclaimed
                and le.date == absence.date
                and _same_subject(le.subject, loose.subject)
            ),
            None,
        )
        if same is not None:
            unclaimed.discard(result[same].id)
            known = result[same].absence
            if known is not None and known.reason is None and absence.reason is not None:
                result[same] = dataclasses.replace(
                    result[same],
                    absence=dataclasses.replace(
                        known, reason=absence.reason, excused=absence.excused
                    ),
                )
            continue
        i = target(absence.date, subject, free_absence=True)
        placed_absence = dataclasses.replace(
            absence, lesson_id=None if result[i].unscheduled else result[i].id
        )
        result[i] = dataclasses.replace(result[i], absence=placed_absence)
    result.sort(key=lambda le: (le.date, le.number))
    return result


def merge_duplicate_lessons(lessons: Iterable[Lesson]) -> list[Lesson]:
    """One lesson per (day, number, id): a lesson sent twice keeps its first copy, with the
    homework and marks of every copy (each id once) and the first absence any copy gives.
    (Some providers reuse a lesson id on other days, so the id alone is not the key.)"""
    merged: dict[tuple[date, int, str], Lesson] = {}
    for lesson in lessons:
        key = (lesson.date, lesson.number, lesson.id)
        first = merged.get(key)
        if first is None:
            merged[key] = dataclasses.replace(
                lesson,
                homework=tuple(dedupe_by_id(lesson.homework)),
                marks=tuple(dedupe_by_id(lesson.marks)),
            )
            continue
        merged[key] = dataclasses.replace(
            first,
            homework=tuple(dedupe_by_id((*first.homework, *lesson.homework))),
            marks=tuple(dedupe_by_id((*first.marks, *lesson.marks))),
            absence=first.absence or lesson.absence,
        )
    return list(merged.values())
