"""The diary diff: absences and lesson changes, which no region's change feed reports.

With each poll of a student's change feed the poller also reads the student's diary over a
window — :data:`DAYS_BACK` days before today (absences are recorded after the lesson)
through :data:`DAYS_AHEAD` days after (lessons move, change rooms or are cancelled ahead) —
fresh from the provider (never a cached answer), and compares it with the
:class:`DiarySnapshot` the previous poll kept in the stream's store (shared by every
instance: a new lease holder carries on where the last one stopped). No snapshot (the
first poll, or none within the keys' time to live) is the baseline: kept, nothing published.

Only the days both windows cover are compared, so days entering or leaving the window are
not news. What differs becomes a :class:`adapters.Change`:

* ``ABSENCE_CREATED`` / ``ABSENCE_UPDATED`` (reason or excused) / ``ABSENCE_REMOVED`` for a
  lesson's absence (or one the region gave for a day without a lesson);
* ``LESSON_CHANGED`` for a lesson of today or later whose subject, teacher, room, times,
  cancellation, replacement or remote flag changed (not its topic: teachers fill topics in
  all day long).

Each change's id is stable — a digest of the lesson, the kind and the states before and
after — so two instances diffing the same transition publish one event (the stream's
dedup). ``at`` is the poll's time: the regions do not say when a lesson was changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import orjson

from adapters import Change, ChangeKind, DateRange, Lesson

__all__ = ["DAYS_AHEAD", "DAYS_BACK", "DiarySnapshot", "diary_changes", "diary_window"]

DAYS_BACK = 7
"""Days before today whose absences are compared."""
DAYS_AHEAD = 6
"""Days after today whose lessons are compared."""


def diary_window(today: date) -> DateRange:
    """The days one poll reads."""
    return DateRange(today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD))


def _digest(*parts: Any) -> str:
    return hashlib.sha256(orjson.dumps(parts)).hexdigest()[:16]


def _lesson_state(lesson: Lesson) -> str:
    return _digest(
        lesson.subject.name,
        lesson.teacher.id if lesson.teacher is not None else None,
        lesson.room,
        lesson.starts_at.isoformat(),
        lesson.ends_at.isoformat(),
        lesson.cancelled,
        lesson.replaced,
        lesson.remote,
    )


@dataclass(frozen=True, slots=True)
class _Entry:
    day: str
    subject: str
    lesson: str | None
    """The lesson's state (``None``: a holder of records without a lesson)."""
    absence: str | None
    """The absence's state (``None``: present)."""


@dataclass(frozen=True, slots=True)
class DiarySnapshot:
    """What one poll saw of a student's diary: per lesson id, its state and its absence's."""

    start: date
    end: date
    entries: dict[str, _Entry] = field(default_factory=dict)

    @classmethod
    def of(cls, lessons: Iterable[Lesson], window: DateRange) -> DiarySnapshot:
        entries = {
            lesson.id: _Entry(
                lesson.date.isoformat(),
                lesson.subject.name,
                None if lesson.unscheduled else _lesson_state(lesson),
                _digest(lesson.absence.reason, lesson.absence.excused)
                if lesson.absence is not None
                else None,
            )
            for lesson in lessons
        }
        return cls(window.start, window.end, entries)

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "s": self.start.isoformat(),
                "e": self.end.isoformat(),
                "l": {k: [v.day, v.subject, v.lesson, v.absence] for k, v in self.entries.items()},
            }
        )

    @classmethod
    def decode(cls, raw: bytes) -> DiarySnapshot | None:
        """``None`` for a value this version cannot read (taken as no snapshot)."""
        try:
            data = orjson.loads(raw)
            entries = {k: _Entry(*v) for k, v in data["l"].items()}
            return cls(date.fromisoformat(data["s"]), date.fromisoformat(data["e"]), entries)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None


def diary_changes(
    before: DiarySnapshot, after: DiarySnapshot, student_id: str, *, today: date, at: datetime
) -> list[Change]:
    """What changed from ``before`` to ``after`` on the days both cover (see the module doc)."""
    first = max(before.start, after.start).isoformat()
    last = min(before.end, after.end).isoformat()
    found: list[Change] = []

    def add(
        kind: ChangeKind, lesson_id: str, entry: _Entry, old: str | None, new: str | None
    ) -> None:
        found.append(
            Change(
                id="diary-" + _digest(kind.value, lesson_id, old, new),
                student_id=student_id,
                kind=kind,
                at=at,
                subject_name=entry.subject,
                lesson_date=date.fromisoformat(entry.day),
                lesson_id=lesson_id,
            )
        )

    for lesson_id in sorted(before.entries.keys() | after.entries.keys()):
        old, new = before.entries.get(lesson_id), after.entries.get(lesson_id)
        entry = new or old
        if entry is None or not first <= entry.day <= last:
            continue
        old_absence = old.absence if old is not None else None
        new_absence = new.absence if new is not None else None
        if old_absence != new_absence:
            if old_absence is None:
                add(ChangeKind.ABSENCE_CREATED, lesson_id, entry, old_absence, new_absence)
            elif new_absence is None:
                add(ChangeKind.ABSENCE_REMOVED, lesson_id, entry, old_absence, new_absence)
            else:
                add(ChangeKind.ABSENCE_UPDATED, lesson_id, entry, old_absence, new_absence)
        if (
            old is not None
            and new is not None
            and old.lesson is not None
            and new.lesson is not None
            and old.lesson != new.lesson
            and entry.day >= today.isoformat()
        ):
            add(ChangeKind.LESSON_CHANGED, lesson_id, entry, old.lesson, new.lesson)
    return found
