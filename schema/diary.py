"""A student's diary: days, lessons, homework and absences."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

import strawberry

from adapters import Absence as AbsenceModel
from adapters import DateRange
from adapters import Homework as HomeworkModel
from adapters import Lesson as LessonModel

from .enforcement import restrict
from .ids import encode_id
from .marks import Mark
from .people import Subject, Teacher
from .policy import Access

__all__ = ["Absence", "Attachment", "Diary", "DiaryDay", "Homework", "Lesson"]


@strawberry.type(description="A file attached to homework.")
class Attachment:
    name: str = strawberry.field(description="File name.")
    url: str | None = strawberry.field(description="Where to download it, where known.")


@strawberry.type(description="Homework set for a lesson.")
class Homework:
    id: strawberry.ID = strawberry.field(description="Opaque id of the homework.")
    text: str = strawberry.field(description="What to do.")
    assigned_on: date | None = strawberry.field(description="When it was set.")
    due_on: date = strawberry.field(description="When it is due.")
    done: bool | None = strawberry.field(
        description="Whether the student marked it done; null where the region does not say."
    )
    subject: Subject = strawberry.field(description="The subject.")
    attachments: list[Attachment] = strawberry.field(description="Attached files.")

    @classmethod
    def from_model(cls, model: HomeworkModel, region: str, access: Access) -> Homework:
        return restrict(
            cls(
                id=strawberry.ID(encode_id("Homework", region, f"{model.student_id}/{model.id}")),
                text=model.text,
                assigned_on=model.assigned_on,
                due_on=model.due_on,
                done=model.done,
                subject=Subject.from_model(model.subject, region),
                attachments=[Attachment(name=a.name, url=a.url) for a in model.attachments],
            ),
            access,
        )


@strawberry.type(description="A missed lesson.")
class Absence:
    date: date = strawberry.field(description="The day.")
    reason: str | None = strawberry.field(description="The reason, as the school recorded it.")
    excused: bool | None = strawberry.field(
        description="Whether the absence is excused; null where the region does not say."
    )

    @classmethod
    def from_model(cls, model: AbsenceModel, access: Access) -> Absence:
        return restrict(cls(date=model.date, reason=model.reason, excused=model.excused), access)


@strawberry.type(description="One lesson of a student's day.")
class Lesson:
    id: strawberry.ID = strawberry.field(description="Opaque id of the lesson.")
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
    cancelled: bool = strawberry.field(description="The lesson does not take place.")
    replaced: bool = strawberry.field(description="Another teacher stands in.")
    remote: bool = strawberry.field(description="The lesson is held remotely.")
    homework: list[Homework] = strawberry.field(description="Homework set in this lesson.")
    marks: list[Mark] = strawberry.field(
        description="The student's marks for this lesson (a subject teacher sees their subject's)."
    )
    attendance: Absence | None = strawberry.field(
        description="The absence, if the student missed the lesson; null if present."
    )

    @classmethod
    def from_model(cls, model: LessonModel, region: str, access: Access) -> Lesson:
        marks = [
            Mark.from_model(m, region, access)
            for m in model.marks
            if access.sees_subject(m.subject.id)
        ]
        return restrict(
            cls(
                id=strawberry.ID(encode_id("Lesson", region, model.id)),
                number=model.number,
                date=model.date,
                starts_at=model.starts_at,
                ends_at=model.ends_at,
                subject=Subject.from_model(model.subject, region),
                teacher=Teacher.from_model(model.teacher, region) if model.teacher else None,
                room=model.room,
                topic=model.topic,
                cancelled=model.cancelled,
                replaced=model.replaced,
                remote=model.remote,
                homework=[Homework.from_model(h, region, access) for h in model.homework],
                marks=marks,
                attendance=Absence.from_model(model.absence, access) if model.absence else None,
            ),
            access,
        )


@strawberry.type(description="One day of a diary.")
class DiaryDay:
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


@strawberry.type(description="One student's diary over a date range.")
class Diary:
    start: date = strawberry.field(name="from", description="First day of the range.")
    end: date = strawberry.field(name="to", description="Last day of the range.")
    days: list[DiaryDay] = strawberry.field(
        description="Every day of the range (weekends have no lessons)."
    )

    @classmethod
    def build(
        cls, lessons: list[LessonModel], days: DateRange, region: str, access: Access
    ) -> Diary:
        by_day: dict[date, list[Lesson]] = defaultdict(list)
        loose: dict[date, list[LessonModel]] = defaultdict(list)
        for lesson in lessons:
            if lesson.unscheduled:
                loose[lesson.date].append(lesson)
            else:
                by_day[lesson.date].append(Lesson.from_model(lesson, region, access))
        return restrict(
            cls(
                start=days.start,
                end=days.end,
                days=[
                    restrict(
                        DiaryDay(
                            date=day,
                            lessons=by_day.get(day, []),
                            homework_without_lesson=[
                                Homework.from_model(h, region, access)
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
                                Absence.from_model(le.absence, access)
                                for le in loose.get(day, [])
                                if le.absence is not None
                            ],
                        ),
                        access,
                    )
                    for day in days.dates()
                ],
            ),
            access,
        )
