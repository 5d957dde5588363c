"""The teacher's journal: one group over a range, students × lessons."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import strawberry

from adapters import Journal as JournalModel
from adapters import RegionProfile, Role

from .context import Info
from .diary import Absence
from .enforcement import require, restrict
from .ids import encode_id
from .marks import Mark
from .people import Group
from .policy import Access, Relation, relations_to_student
from .receipts import AcknowledgementReceipt
from .relay import Node
from .students import Student

__all__ = ["Journal", "JournalCell", "JournalLesson", "JournalRow", "staff_relation"]


@strawberry.type(
    description="A lesson of the group: a column of the journal (the same for every staff "
    "viewer; one student's view of a lesson is a `Lesson`)."
)
class JournalLesson(Node):
    date: date = strawberry.field(description="The day.")
    number: int = strawberry.field(description="Lesson number within the day.")
    starts_at: datetime = strawberry.field(description="Start, with the region's offset.")
    ends_at: datetime = strawberry.field(description="End, with the region's offset.")
    topic: str | None = strawberry.field(description="The lesson's topic.")
    room: str | None = strawberry.field(description="Room.")
    is_cancelled: bool = strawberry.field(description="The lesson does not take place.")


@strawberry.type(description="One student's marks and absence in one lesson.")
class JournalCell:
    lesson_id: strawberry.ID = strawberry.field(
        description="The lesson (column): the id of its JournalLesson."
    )
    marks: list[Mark] = strawberry.field(description="Marks given in that lesson.")
    absence: Absence | None = strawberry.field(description="The absence, if any.")


@strawberry.type(description="One student's row of the journal.")
class JournalRow:
    student: Student = strawberry.field(description="The student.")
    cells: list[JournalCell] = strawberry.field(description="One cell per lesson, in order.")


@strawberry.type(description="A group's journal over a date range (staff only).")
class Journal:
    group: Group = strawberry.field(description="The group.")
    starts_on: date = strawberry.field(description="First day.")
    ends_on: date = strawberry.field(description="Last day.")
    lessons: list[JournalLesson] = strawberry.field(description="The columns, in order.")
    rows: list[JournalRow] = strawberry.field(
        description="The rows: only the students the viewer relates to as staff."
    )
    region_code: strawberry.Private[str] = ""
    student_ids: strawberry.Private[tuple[str, ...]] = ()
    """Canonical ids of the rows' students."""
    access: strawberry.Private[Access | None] = None

    @strawberry.field(
        description="The parents' acknowledgements of the rows' students' weeks that overlap "
        "the journal's range, oldest first (staff only; empty when receipts are not configured)."
    )
    async def acknowledgements(self, info: Info) -> list[AcknowledgementReceipt]:
        require(self.access or Access(frozenset()), "Journal", "acknowledgements")
        book = info.context.receipts
        if book is None or not self.student_ids:
            return []
        receipts = await book.for_students(
            self.region_code,
            list(self.student_ids),
            self.starts_on - timedelta(days=6),
            self.ends_on,
        )
        return [AcknowledgementReceipt.from_issued(r) for r in receipts]

    @classmethod
    def build(
        cls, model: JournalModel, region: str, profile: RegionProfile, access: Access
    ) -> tuple[Journal, list[Student]]:
        group_native = model.group.id
        lesson_ids = {
            le.id: strawberry.ID(
                encode_id("JournalLesson", region, f"{group_native}/{le.date.isoformat()}/{le.id}")
            )
            for le in model.lessons
        }
        lessons = [
            JournalLesson(
                id=lesson_ids[le.id],
                date=le.date,
                number=le.number,
                starts_at=le.starts_at,
                ends_at=le.ends_at,
                topic=le.topic,
                room=le.room,
                is_cancelled=le.cancelled,
            )
            for le in model.lessons
        ]
        marks = defaultdict(list)
        for mark in model.marks:
            marks[(mark.student_id, mark.lesson_id)].append(mark)
        absences = {(a.student_id, a.lesson_id): a for a in model.absences}
        rows: list[JournalRow] = []
        students: list[Student] = []
        for student in model.students:
            student_access = relations_to_student(student, profile)
            if not student_access.relations & {
                Relation.GROUP_TEACHER,
                Relation.CLASS_TEACHER,
                Relation.SCHOOL_ADMIN,
            }:
                continue
            row_access = Access(student_access.relations, None)
            built = Student.build(student, region, student_access)
            students.append(built)
            cells = []
            for le in model.lessons:
                absence = absences.get((student.id, le.id))
                cells.append(
                    JournalCell(
                        lesson_id=lesson_ids[le.id],
                        marks=[
                            Mark.from_model(m, region, row_access)
                            for m in marks.get((student.id, le.id), [])
                        ],
                        absence=(
                            Absence.from_model(absence, region, row_access, le.id)
                            if absence
                            else None
                        ),
                    )
                )
            rows.append(restrict(JournalRow(student=built, cells=cells), row_access))
        journal = cls(
            group=Group.from_model(model.group, region),
            starts_on=model.lessons[0].date if model.lessons else date.min,
            ends_on=model.lessons[-1].date if model.lessons else date.min,
            lessons=lessons,
            rows=rows,
            region_code=region,
            student_ids=tuple(encode_id("Student", region, s.model.id) for s in students),
            access=access,
        )
        return restrict(journal, access), students


def staff_relation(model: JournalModel, profile: RegionProfile | None) -> Access:
    """How the viewer relates to a group as staff, from their region profile."""
    relations: set[Relation] = {Relation.PUBLIC}
    if profile is None:
        return Access(frozenset(relations))
    relations.add(Relation.SIGNED_IN)
    group = model.group
    for grant in profile.roles:
        if grant.role is Role.TEACHER and group.id in grant.group_ids:
            relations.add(Relation.GROUP_TEACHER)
        elif grant.role is Role.CLASS_TEACHER and group.class_unit_id in grant.class_unit_ids:
            relations.add(Relation.CLASS_TEACHER)
        elif grant.role is Role.SCHOOL_ADMIN and grant.school_id == group.school_id:
            relations.add(Relation.SCHOOL_ADMIN)
    return Access(frozenset(relations))
