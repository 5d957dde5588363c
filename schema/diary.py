"""A student's diary: days, lessons, homework and absences."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from datetime import date, datetime

import strawberry
from cachetools import LRUCache

from adapters import Absence as AbsenceModel
from adapters import DateRange
from adapters import Homework as HomeworkModel
from adapters import Lesson as LessonModel

from .context import Info
from .enforcement import require, restrict
from .ids import encode_id
from .marks import Mark
from .people import Subject, Teacher
from .policy import Access
from .relay import Node
from .remarks import Remark, visible_remarks

__all__ = ["Absence", "Attachment", "Diary", "DiaryDay", "Homework", "Lesson", "built_diary"]

BUILT_DIARIES = 256
"""Diaries kept built (:func:`built_diary`); the least recently used is dropped."""

_built: LRUCache[tuple[Hashable, ...], tuple[tuple[LessonModel, ...], Diary]] = LRUCache(
    maxsize=BUILT_DIARIES
)


@strawberry.type(description="A file attached to homework.")
class Attachment:
    name: str = strawberry.field(description="File name.")
    url: str | None = strawberry.field(description="Where to download it, where known.")


def _key(student: str, day: date, key: str) -> str:
    return f"{student}/{day.isoformat()}/{key}"


@strawberry.type(description="Homework set for a lesson (one student's: `isDone` is theirs).")
class Homework(Node):
    text: str = strawberry.field(description="What to do.")
    assigned_on: date | None = strawberry.field(description="When it was set.")
    due_on: date = strawberry.field(description="When it is due.")
    is_done: bool | None = strawberry.field(
        description="Whether the student marked it done; null where the region does not say."
    )
    subject: Subject = strawberry.field(description="The subject.")
    attachments: list[Attachment] = strawberry.field(description="Attached files.")

    @classmethod
    def from_model(cls, model: HomeworkModel, region: str, access: Access, day: date) -> Homework:
        """The homework as the diary shows it on ``day`` (the day is part of its id)."""
        native = f"{model.student_id}/{model.id}/{day.isoformat()}"
        return restrict(
            cls(
                id=strawberry.ID(encode_id("Homework", region, native)),
                text=model.text,
                assigned_on=model.assigned_on,
                due_on=model.due_on,
                is_done=model.done,
                subject=Subject.from_model(model.subject, region),
                attachments=[Attachment(name=a.name, url=a.url) for a in model.attachments],
            ),
            access,
        )


@strawberry.type(description="A missed lesson (one student's).")
class Absence(Node):
    date: date = strawberry.field(description="The day.")
    reason: str | None = strawberry.field(description="The reason, as the school recorded it.")
    is_excused: bool | None = strawberry.field(
        description="Whether the absence is excused; null where the region does not say."
    )

    @classmethod
    def from_model(
        cls, model: AbsenceModel, region: str, access: Access, lesson_id: str
    ) -> Absence:
        """The absence from ``lesson_id`` (the lesson, or the day's holder, it is tied to)."""
        native = _key(model.student_id, model.date, lesson_id)
        return restrict(
            cls(
                id=strawberry.ID(encode_id("Absence", region, native)),
                date=model.date,
                reason=model.reason,
                is_excused=model.excused,
            ),
            access,
        )


@strawberry.type(
    description="One lesson of one student's day: its id names the student, so two students' "
    "views of the same lesson (their own marks, homework and absence) never share a cache entry."
)
class Lesson(Node):
    number: int = strawberry.field(description="Lesson number within the day, from 1.")
    date: date = strawberry.field(description="The day.")
    starts_at: datetime = strawberry.field(description="Start, with the region's offset.")
    ends_at: datetime = strawberry.field(description="End, with the region's offset.")
    subject: Subject = strawberry.field(description="The subject.")
    teacher: Teacher | None = strawberry.field(
        description="Who teaches it (the substitute if replaced)."
    )
    room: str | None = strawberry.field(description="Room, where known.")
    topic: str | None = strawberry.field(description="The lesson's topic.")
    is_cancelled: bool = strawberry.field(description="The lesson does not take place.")
    is_replaced: bool = strawberry.field(description="Another teacher stands in.")
    is_remote: bool = strawberry.field(description="The lesson is held remotely.")
    homework: list[Homework] = strawberry.field(description="Homework set in this lesson.")
    marks: list[Mark] = strawberry.field(
        description="The student's marks for this lesson (a subject teacher sees their subject's)."
    )
    absence: Absence | None = strawberry.field(
        description="The absence, if the student missed the lesson; null if present."
    )

    @classmethod
    def from_model(cls, model: LessonModel, region: str, access: Access, student: str) -> Lesson:
        marks = [
            Mark.from_model(m, region, access)
            for m in model.marks
            if access.sees_subject(m.subject.id)
        ]
        return restrict(
            cls(
                id=strawberry.ID(encode_id("Lesson", region, _key(student, model.date, model.id))),
                number=model.number,
                date=model.date,
                starts_at=model.starts_at,
                ends_at=model.ends_at,
                subject=Subject.from_model(model.subject, region),
                teacher=Teacher.from_model(model.teacher, region) if model.teacher else None,
                room=model.room,
                topic=model.topic,
                is_cancelled=model.cancelled,
                is_replaced=model.replaced,
                is_remote=model.remote,
                homework=[
                    Homework.from_model(h, region, access, model.date) for h in model.homework
                ],
                marks=marks,
                absence=(
                    Absence.from_model(model.absence, region, access, model.id)
                    if model.absence
                    else None
                ),
            ),
            access,
        )


@strawberry.type(description="One day of one student's diary.")
class DiaryDay(Node):
    date: date = strawberry.field(description="The day.")
    lessons: list[Lesson] = strawberry.field(description="The day's lessons in order.")
    homework_without_lesson: list[Homework] = strawberry.field(
        description="Homework the region gave for this day but tied to no lesson of it "
        "(neither by lesson nor by subject): shown here rather than lost."
    )
    marks_without_lesson: list[Mark] = strawberry.field(
        description="Marks for this day tied to no lesson of it (they also count in "
        "`marks` and `progress`)."
    )
    absences_without_lesson: list[Absence] = strawberry.field(
        description="Absences the region recorded for this day but tied to no lesson of it."
    )
    region_code: strawberry.Private[str] = ""
    student_native: strawberry.Private[str] = ""
    span: strawberry.Private[DateRange | None] = None
    """The diary's range: the remarks of all its days are read at once."""
    access: strawberry.Private[Access | None] = None

    @strawberry.field(
        description="Teachers' remarks and praise of this day (the student, their legal "
        "representative and class teacher see all; a subject teacher those of their "
        "subjects); null with NOT_SUPPORTED where the region's system keeps none."
    )
    async def remarks(self, info: Info) -> list[Remark] | None:
        access = self.access or Access(frozenset())
        require(access, "DiaryDay", "remarks")
        span = self.span or DateRange(self.date, self.date)
        models = await info.context.loaders.remarks.load(
            (self.region_code, self.student_native, span.start, span.end)
        )
        return visible_remarks((m for m in models if m.day == self.date), self.region_code, access)


@strawberry.type(description="One student's diary over a date range.")
class Diary(Node):
    starts_on: date = strawberry.field(description="First day of the range.")
    ends_on: date = strawberry.field(description="Last day of the range.")
    days: list[DiaryDay] = strawberry.field(
        description="Every day of the range (weekends have no lessons)."
    )

    @classmethod
    def build(
        cls,
        lessons: list[LessonModel],
        days: DateRange,
        region: str,
        access: Access,
        student: str,
    ) -> Diary:
        """``student``'s diary (their native id: part of every per-student id)."""
        by_day: dict[date, list[Lesson]] = defaultdict(list)
        loose: dict[date, list[LessonModel]] = defaultdict(list)
        for lesson in lessons:
            if lesson.unscheduled:
                loose[lesson.date].append(lesson)
            else:
                by_day[lesson.date].append(Lesson.from_model(lesson, region, access, student))
        span = f"{student}/{days.start.isoformat()}/{days.end.isoformat()}"
        return restrict(
            cls(
                id=strawberry.ID(encode_id("Diary", region, span)),
                starts_on=days.start,
                ends_on=days.end,
                days=[
                    restrict(
                        DiaryDay(
                            id=strawberry.ID(
                                encode_id("DiaryDay", region, f"{student}/{day.isoformat()}")
                            ),
                            date=day,
                            lessons=by_day.get(day, []),
                            homework_without_lesson=[
                                Homework.from_model(h, region, access, le.date)
                                for le in loose.get(day, [])
                                for h in le.homework
                            ],
                            marks_without_lesson=[
                                Mark.from_model(m, region, access)
                                for le in loose.get(day, [])
                                for m in le.marks
                                if access.sees_subject(m.subject.id)
                            ],
                            absences_without_lesson=[
                                Absence.from_model(le.absence, region, access, le.id)
                                for le in loose.get(day, [])
                                if le.absence is not None
                            ],
                            region_code=region,
                            student_native=student,
                            span=days,
                            access=access,
                        ),
                        access,
                    )
                    for day in days.dates()
                ],
            ),
            access,
        )


def built_diary(
    lessons: Sequence[LessonModel],
    days: DateRange,
    region: str,
    access: Access,
    student: str,
    *,
    scope: Hashable,
) -> Diary:
    """:meth:`Diary.build`, reused while the lessons are the very same cached models.

    The entity cache hands out the same (frozen) lesson models until the entry is
    invalidated or refetched, which makes new ones; so a repeat of the same read, for the
    same viewer (``scope``: their authorization scope) and the same access decision, gets
    the diary built the first time — built objects are never changed after
    :meth:`Diary.build`. Kept: the :data:`BUILT_DIARIES` most recent.
    """
    key = (scope, region, student, days.start, days.end, access)
    found = _built.get(key)
    if found is not None:
        models, diary = found
        if len(models) == len(lessons) and all(
            a is b for a, b in zip(models, lessons, strict=True)
        ):
            return diary
    diary = Diary.build(list(lessons), days, region, access, student)
    _built[key] = (tuple(lessons), diary)
    return diary
