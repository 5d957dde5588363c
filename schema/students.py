"""The Student type: who the student is, and their diary, progress, feed and access log."""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from adapters import Change as ChangeModel
from adapters import DateRange
from adapters import Student as StudentModel

from .audit import note_read
from .context import Info
from .diary import Absence, Diary, Homework, Lesson
from .directory import Region, School
from .enforcement import require, restrict
from .errors import ErrorCode, coded_error
from .ids import encode_id
from .marks import Mark, SubjectProgress
from .policy import Access, Relation
from .relay import Node, PageInfo, page

if TYPE_CHECKING:
    from .viewer import RoleKind

__all__ = [
    "AccessEvent",
    "AccessEventConnection",
    "Change",
    "ChangeConnection",
    "ChangeKind",
    "Student",
    "check_range",
]


def check_range(info: Info, start: date, end: date, *, region: str, access: Access) -> DateRange:
    """Validate a requested range: order, the configured cap, and the region's data window."""
    if end < start:
        raise coded_error(ErrorCode.BAD_USER_INPUT, "`to` is before `from`", argument="to")
    limit = info.context.limits.max_range_days
    if (end - start).days + 1 > limit:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT,
            f"date ranges are limited to {limit} days",
            argument="to",
            maxDays=limit,
        )
    window = info.context.history_days.get(region)
    if window is not None and access.relation in (
        Relation.LEGAL_REPRESENTATIVE,
        Relation.PARENT,
    ):
        earliest = info.context.today_in(region) - timedelta(days=window)
        if start < earliest:
            raise coded_error(
                ErrorCode.FORBIDDEN,
                f"region {region} lets parents read the last {window} days only "
                f"(from {earliest.isoformat()})",
                earliest=earliest.isoformat(),
            )
    return DateRange(start, end)


@strawberry.enum(description="What happened in a feed entry.")
class ChangeKind(enum.Enum):
    MARK_CREATED = strawberry.enum_value("mark_created", description="A new mark.")
    MARK_UPDATED = strawberry.enum_value("mark_updated", description="A mark was changed.")
    HOMEWORK_CREATED = strawberry.enum_value("homework_created", description="New homework.")
    HOMEWORK_UPDATED = strawberry.enum_value("homework_updated", description="Homework changed.")


@strawberry.type(description="A recent change to a student's diary.")
class Change(Node):
    student: strawberry.Private[Student]
    found: strawberry.Private[list[tuple[Lesson | None, Mark | None, Homework | None]]]
    kind: ChangeKind = strawberry.field(description="What happened.")
    occurred_at: datetime = strawberry.field(description="When it happened.")
    subject_name: str = strawberry.field(description="The subject.")
    lesson_on: date | None = strawberry.field(
        description="Date of the lesson concerned: where the mark was given or the homework set."
    )
    mark_value: str | None = strawberry.field(description="The new mark, for mark changes.")
    previous_mark_value: str | None = strawberry.field(description="The mark before a change.")
    homework_text: str | None = strawberry.field(description="The homework, for homework changes.")

    @classmethod
    def from_model(cls, model: ChangeModel, student: Student, zone: Any) -> Change:
        day = model.at.astimezone(zone).date().isoformat()
        native = f"{student.model.id}/{day}/{model.id}"
        return restrict(
            cls(
                id=strawberry.ID(encode_id("Change", student.region_code, native)),
                student=student,
                found=[],
                kind=ChangeKind(model.kind.value),
                occurred_at=model.at,
                subject_name=model.subject_name,
                lesson_on=model.lesson_date,
                mark_value=model.mark_value,
                previous_mark_value=model.previous_mark_value,
                homework_text=model.homework_text,
            ),
            student.access,
        )

    async def _find(self, info: Info) -> tuple[Lesson | None, Mark | None, Homework | None]:
        """The lesson, mark and homework of the change, matched in the diary of its day."""
        if self.found:
            return self.found[0]
        lesson: Lesson | None = None
        mark: Mark | None = None
        homework: Homework | None = None
        day = self.lesson_on
        if day is not None:
            student = self.student
            models = await info.context.loaders.diary.load(
                (student.region_code, student.model.id, day, day)
            )
            diary = Diary.build(
                models, DateRange(day, day), student.region_code, student.access, student.model.id
            )
            is_mark = self.kind in (ChangeKind.MARK_CREATED, ChangeKind.MARK_UPDATED)
            for diary_day in diary.days:
                holders: list[tuple[Lesson | None, list[Mark], list[Homework]]] = [
                    (le, list(le.marks), list(le.homework)) for le in diary_day.lessons
                ]
                holders.append(
                    (None, list(diary_day.marks_without_lesson), diary_day.homework_without_lesson)
                )
                for holder, marks, homeworks in holders:
                    if is_mark and mark is None:
                        mark = next(
                            (
                                m
                                for m in marks
                                if isinstance(m, Mark)
                                and m.value == self.mark_value
                                and m.subject.name == self.subject_name
                            ),
                            None,
                        )
                        if mark is not None:
                            lesson = holder
                    if not is_mark and homework is None:
                        homework = next(
                            (
                                h
                                for h in homeworks
                                if isinstance(h, Homework)
                                and h.text == self.homework_text
                                and h.subject.name == self.subject_name
                            ),
                            None,
                        )
                        if homework is not None:
                            lesson = holder
                if lesson is None and mark is None and homework is None:
                    lesson = next(
                        (le for le in diary_day.lessons if le.subject.name == self.subject_name),
                        None,
                    )
        self.found.append((lesson, mark, homework))
        return lesson, mark, homework

    @strawberry.field(description="The student's lesson the change is about, where known.")
    async def lesson(self, info: Info) -> Lesson | None:
        return (await self._find(info))[0]

    @strawberry.field(description="The mark, for mark changes, where it can still be found.")
    async def mark(self, info: Info) -> Mark | None:
        return (await self._find(info))[1]

    @strawberry.field(description="The homework, for homework changes, where it can be found.")
    async def homework(self, info: Info) -> Homework | None:
        return (await self._find(info))[2]


@strawberry.type(description="An edge of the changes feed.")
class ChangeEdge:
    cursor: str = strawberry.field(description="Cursor of this entry.")
    node: Change = strawberry.field(description="The entry.")


@strawberry.type(description="A page of the changes feed, newest first.")
class ChangeConnection:
    edges: list[ChangeEdge] = strawberry.field(description="The entries of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")


@strawberry.type(description="One read of (or refused attempt at) this student's records.")
class AccessEvent:
    occurred_at: datetime = strawberry.field(description="When.")
    viewer: str = strawberry.field(
        description="A stable pseudonym of the reader (the same reader, the same pseudonym); "
        "never their national id."
    )
    role: Annotated["RoleKind", strawberry.lazy("schema.viewer")] | None = strawberry.field(  # noqa: UP037
        description="The reader's role in the region; null for a refused attempt by someone "
        "with no role towards the student."
    )
    relation: str = strawberry.field(description="The relationship that allowed the read.")
    fields: list[str] = strawberry.field(description="Which records were read.")
    is_allowed: bool = strawberry.field(description="False when the read was refused.")


@strawberry.type(description="A page of the access log, newest first.")
class AccessEventConnection:
    nodes: list[AccessEvent] = strawberry.field(description="The events of this page.")


@strawberry.type(description="A student, as their region's diary system knows them.")
class Student(Node):
    model: strawberry.Private[StudentModel]
    region_code: strawberry.Private[str]
    access: strawberry.Private[Access]
    full_name: str = strawberry.field(description="«Фамилия Имя Отчество».")
    last_name: str = strawberry.field(description="Family name.")
    first_name: str = strawberry.field(description="Given name.")
    middle_name: str | None = strawberry.field(description="Patronymic.")
    class_name: str = strawberry.field(description="The class, e.g. «9-А».")
    born_on: date | None = strawberry.field(description="Date of birth (not for subject teachers).")
    parent_contacts: list[str] | None = strawberry.field(
        description="Phones and e-mails of the legal representatives (not for subject teachers)."
    )

    @classmethod
    def build(cls, model: StudentModel, region: str, access: Access) -> Student:
        """A Student object with the viewer's access decided once."""
        person = model.person
        return restrict(
            cls(
                id=strawberry.ID(encode_id("Student", region, model.id)),
                model=model,
                region_code=region,
                access=access,
                full_name=person.full_name,
                last_name=person.last_name,
                first_name=person.first_name,
                middle_name=person.middle_name,
                class_name=model.class_name,
                born_on=model.birth_date,
                parent_contacts=list(model.parent_contacts),
            ),
            access,
        )

    @strawberry.field(description="The region whose system holds this student's diary.")
    def region(self, info: Info) -> Region:
        return Region.from_adapter(info.context.registry[self.region_code])

    @strawberry.field(description="The student's school.")
    async def school(self, info: Info) -> School | None:
        schools = await info.context.loaders.schools.load(self.region_code)
        for school in schools:
            if school.id == self.model.school_id:
                return School.from_model(school, self.region_code)
        return None

    @strawberry.field(description="The diary over a date range: days, lessons, marks, homework.")
    async def diary(
        self,
        info: Info,
        start: Annotated[date, strawberry.argument(name="from", description="First day.")],
        end: Annotated[date, strawberry.argument(name="to", description="Last day.")],
    ) -> Diary | None:
        return await self.read_diary(info, start, end)

    async def read_diary(self, info: Info, start: date, end: date) -> Diary:
        """The diary over ``start``–``end``, checked against the policy and the data window."""
        days = self._open(info, "diary", start, end)
        lessons = await info.context.loaders.diary.load(
            (self.region_code, self.model.id, days.start, days.end)
        )
        return Diary.build(lessons, days, self.region_code, self.access, self.model.id)

    @strawberry.field(description="Absences over a date range.")
    async def absences(
        self,
        info: Info,
        start: Annotated[date, strawberry.argument(name="from", description="First day.")],
        end: Annotated[date, strawberry.argument(name="to", description="Last day.")],
    ) -> list[Absence] | None:
        days = self._open(info, "absences", start, end)
        lessons = await info.context.loaders.diary.load(
            (self.region_code, self.model.id, days.start, days.end)
        )
        return [
            Absence.from_model(le.absence, self.region_code, self.access, le.id)
            for le in lessons
            if le.absence
        ]

    @strawberry.field(
        description="Per-subject averages, trends and chart series; defaults to the school "
        "year so far."
    )
    async def progress(
        self,
        info: Info,
        start: Annotated[
            date | None, strawberry.argument(name="from", description="First day.")
        ] = None,
        end: Annotated[date | None, strawberry.argument(name="to", description="Last day.")] = None,
    ) -> list[SubjectProgress] | None:
        today = info.context.today_in(self.region_code)
        end = end or today
        start = start or max(
            date(today.year if today.month >= 9 else today.year - 1, 9, 1),
            end - timedelta(days=info.context.limits.max_range_days * 3 - 1),
        )
        try:
            require(self.access, "Student", "progress")
        except Exception:
            note_read(info, self, "progress", allowed=False)
            raise
        if end < start:
            raise coded_error(ErrorCode.BAD_USER_INPUT, "`to` is before `from`", argument="to")
        if (end - start).days + 1 > info.context.limits.max_range_days * 3:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT,
                f"progress ranges are limited to {info.context.limits.max_range_days * 3} days",
            )
        note_read(info, self, "progress", allowed=True)
        items = await info.context.loaders.progress.load(
            (self.region_code, self.model.id, start, end)
        )
        access = self.access
        return [
            SubjectProgress.from_model(p, self.region_code, access)
            for p in items
            if access.sees_subject(p.subject.id)
        ]

    @strawberry.field(description="Recent changes (new or updated marks and homework).")
    async def changes(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
        days: Annotated[int, strawberry.argument(description="How many days back.")] = 14,
    ) -> ChangeConnection | None:
        try:
            require(self.access, "Student", "changes")
        except Exception:
            note_read(info, self, "changes", allowed=False)
            raise
        if not 1 <= days <= info.context.limits.max_range_days:
            raise coded_error(ErrorCode.BAD_USER_INPUT, "days out of range", argument="days")
        note_read(info, self, "changes", allowed=True)
        zone = info.context.registry[self.region_code].region.timezone
        since = datetime.combine(
            info.context.today_in(self.region_code) - timedelta(days=days), time.min, zone
        )
        changes = await info.context.loaders.changes.load((self.region_code, self.model.id, since))
        edges, info_ = page(
            changes, first=first, after=after, max_page=info.context.limits.max_page
        )
        return ChangeConnection(
            edges=[
                ChangeEdge(cursor=cursor, node=Change.from_model(c, self, zone))
                for cursor, c in edges
            ],
            page_info=info_,
        )

    @strawberry.field(description="Who read this student's records (for the legal representative).")
    async def access_log(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="How many events.")] = 50,
    ) -> AccessEventConnection | None:
        info.context.cacheable = False  # the log changes with every read: never cache it
        require(self.access, "Student", "accessLog")
        if not 0 <= first <= info.context.limits.max_page:
            raise coded_error(ErrorCode.BAD_USER_INPUT, "first out of range", argument="first")
        sink = info.context.audit
        events = [] if sink is None else await sink.history(self.region_code, str(self.id), first)
        return AccessEventConnection(
            nodes=[
                AccessEvent(
                    occurred_at=datetime.fromisoformat(e.at),
                    viewer=e.viewer,  # the history keeps only the reader's pseudonym
                    role=_role_kind(e.role),
                    relation=e.relation,
                    fields=list(e.fields),
                    is_allowed=e.allowed,
                )
                for e in events
            ]
        )

    def _open(self, info: Info, field: str, start: date, end: date) -> DateRange:
        try:
            require(self.access, "Student", field)
            days = check_range(info, start, end, region=self.region_code, access=self.access)
        except Exception:
            note_read(info, self, field, allowed=False)
            raise
        note_read(info, self, field, allowed=True)
        return days


def _role_kind(role: str) -> RoleKind | None:
    """The audit trail's role name as the ``RoleKind`` enum (``none``: null)."""
    from .viewer import RoleKind

    try:
        return RoleKind(role)
    except ValueError:
        return None
