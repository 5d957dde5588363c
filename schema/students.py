"""The Student type: who the student is, and their diary, progress, feed and access log."""

from __future__ import annotations

import base64
import enum
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from adapters import Change as ChangeModel
from adapters import DateRange
from adapters import Student as StudentModel

from .absence_notices import (
    AbsenceNotice,
    AbsenceReason,
    absence_notices_of,
    absence_reasons_of,
)
from .audit import note_read
from .context import AuditEvent, Info
from .diary import Absence, Diary, Homework, Lesson, built_diary
from .directory import Region, School
from .enforcement import require, restrict
from .errors import ErrorCode, coded_error
from .ids import encode_id
from .marks import Mark, SubjectProgress
from .meetings import Meeting, meetings_of
from .messaging import ClassNotice, class_notices_of
from .policy import Access, Relation
from .relay import Node, PageInfo, page
from .remarks import Remark, visible_remarks

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


FROM = Annotated[date | None, strawberry.argument(name="from", description="First day.")]
TO = Annotated[date | None, strawberry.argument(name="to", description="Last day.")]
TERM_ID = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="A term of the student's school (`school { terms { id } }`), instead of "
        "`from` and `to`: the whole term, not limited to the day cap."
    ),
]
_EPOCH = datetime.min.replace(tzinfo=UTC)


def check_range(
    info: Info,
    start: date,
    end: date,
    *,
    region: str,
    access: Access,
    cap: int | None = None,
    capped: bool = True,
) -> DateRange:
    """Validate a requested range: order, the day cap, and the region's data window.

    ``cap`` overrides the configured ``max_range_days``; ``capped=False`` (a whole term asked
    for by ``termId``) skips the cap but not the order or the data window. A refusal names
    its argument in ``extensions.argument`` (and, raised in a resolver, carries the field's
    ``path``).
    """
    if end < start:
        raise coded_error(ErrorCode.BAD_USER_INPUT, "`to` is before `from`", argument="to")
    limit = cap if cap is not None else info.context.limits.max_range_days
    if capped and (end - start).days + 1 > limit:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT,
            f"date ranges are limited to {limit} days; ask for a whole term with `termId`",
            argument="to",
            limit="range",
            maximum=limit,
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
                argument="termId" if not capped else "from",
                earliest=earliest.isoformat(),
            )
    return DateRange(start, end)


async def term_days(info: Info, student: Student, term_id: str) -> DateRange:
    """The days of one of the student's school's terms, by the term's global id."""
    from .api import decode_client_id

    gid = decode_client_id(info, term_id, expected="Term")
    school_id, native = gid.parts
    if gid.region != student.region_code or school_id != student.model.school_id:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT,
            "`termId` is not a term of the student's school (see `school { terms }`)",
            argument="termId",
        )
    terms = await info.context.loaders.terms.load((gid.region, school_id))
    for term in terms:
        if term.id == native:
            return DateRange(term.starts_on, term.ends_on)
    raise coded_error(ErrorCode.NOT_FOUND, "no such term", argument="termId")


@strawberry.enum(description="What happened in a feed entry.")
class ChangeKind(enum.Enum):
    MARK_CREATED = strawberry.enum_value("mark_created", description="A new mark.")
    MARK_UPDATED = strawberry.enum_value("mark_updated", description="A mark was changed.")
    HOMEWORK_CREATED = strawberry.enum_value("homework_created", description="New homework.")
    HOMEWORK_UPDATED = strawberry.enum_value("homework_updated", description="Homework changed.")


@strawberry.type(description="A recent change to a student's diary.")
class Change(Node):
    student: strawberry.Private[Student]
    span: strawberry.Private[DateRange | None]
    """The lesson days of the whole page: one diary read finds every change's records."""
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
    def from_model(
        cls, model: ChangeModel, student: Student, zone: Any, span: DateRange | None = None
    ) -> Change:
        """A feed entry; ``span`` covers the lesson days of its page (default: its own)."""
        day = model.at.astimezone(zone).date().isoformat()
        native = f"{student.model.id}/{day}/{model.id}"
        return restrict(
            cls(
                id=strawberry.ID(encode_id("Change", student.region_code, native)),
                student=student,
                span=span
                or (DateRange(model.lesson_date, model.lesson_date) if model.lesson_date else None),
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
        day, span = self.lesson_on, self.span
        if day is not None and span is not None:
            student = self.student
            models = await info.context.loaders.diary.load(
                (student.region_code, student.model.id, span.start, span.end)
            )
            diary = Diary.build(
                [m for m in models if m.date == day],
                DateRange(day, day),
                student.region_code,
                student.access,
                student.model.id,
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
    nodes: list[Change] = strawberry.field(
        description="The entries of this page (the edges' nodes)."
    )
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="How many entries the whole feed has.")


@strawberry.enum(description="How a reader relates to the student whose records they read.")
class AccessRelation(enum.Enum):
    SELF = strawberry.enum_value(Relation.SELF.value, description="The student themself.")
    LEGAL_REPRESENTATIVE = strawberry.enum_value(
        Relation.LEGAL_REPRESENTATIVE.value, description="A legal representative (a parent)."
    )
    PARENT = strawberry.enum_value(
        Relation.PARENT.value, description="A parent who is not the legal representative."
    )
    GROUP_TEACHER = strawberry.enum_value(
        Relation.GROUP_TEACHER.value, description="A teacher of one of the student's groups."
    )
    CLASS_TEACHER = strawberry.enum_value(
        Relation.CLASS_TEACHER.value, description="The class teacher of the student's class."
    )
    SCHOOL_ADMIN = strawberry.enum_value(
        Relation.SCHOOL_ADMIN.value, description="An administrator of the student's school."
    )


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
    relation: AccessRelation | None = strawberry.field(
        description="The relationship that allowed the read; null for a refused attempt by "
        "someone with no relationship to the student."
    )
    fields: list[str] = strawberry.field(description="Which records were read.")
    is_allowed: bool = strawberry.field(description="False when the read was refused.")


@strawberry.type(description="An event of the access log and its cursor.")
class AccessEventEdge:
    cursor: str = strawberry.field(
        description="Cursor of this event (stable while newer events arrive)."
    )
    node: AccessEvent = strawberry.field(description="The event.")


@strawberry.type(description="A page of the access log, newest first.")
class AccessEventConnection:
    edges: list[AccessEventEdge] = strawberry.field(description="The events of this page.")
    nodes: list[AccessEvent] = strawberry.field(
        description="The events of this page (the edges' nodes)."
    )
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(
        description="How many events the log keeps for the student (it is bounded by count "
        "and age)."
    )


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
        days = await self._open(info, "diary", start, end, None)
        lessons = await info.context.loaders.diary.load(
            (self.region_code, self.model.id, days.start, days.end)
        )
        context = info.context
        scope = (context.caller.scope if context.caller else None, context.session_region)
        return built_diary(lessons, days, self.region_code, self.access, self.model.id, scope=scope)

    @strawberry.field(
        description="Absences over a date range (`from` and `to`) or a whole term (`termId`)."
    )
    async def absences(
        self,
        info: Info,
        start: FROM = None,
        end: TO = None,
        term_id: TERM_ID = None,
    ) -> list[Absence] | None:
        days = await self._open(info, "absences", start, end, term_id)
        lessons = await info.context.loaders.diary.load(
            (self.region_code, self.model.id, days.start, days.end)
        )
        return [
            Absence.from_model(le.absence, self.region_code, self.access, le.id)
            for le in lessons
            if le.absence
        ]

    @strawberry.field(
        description="The student's marks, oldest lesson first, over a date range (`from` and "
        "`to`) or a whole term (`termId`); a subject teacher sees their subjects' marks."
    )
    async def marks(
        self,
        info: Info,
        start: FROM = None,
        end: TO = None,
        term_id: TERM_ID = None,
    ) -> list[Mark] | None:
        days = await self._open(info, "marks", start, end, term_id)
        models = await info.context.loaders.marks.load(
            (self.region_code, self.model.id, days.start, days.end)
        )
        access = self.access
        ordered = sorted(models, key=lambda m: (m.lesson_date, m.created_at or _EPOCH, m.id))
        return [
            Mark.from_model(m, self.region_code, access)
            for m in ordered
            if access.sees_subject(m.subject.id)
        ]

    @strawberry.field(
        description="Teachers' remarks and praise over a date range (`from` and `to`) or a "
        "whole term (`termId`), oldest first: the student, their legal representative and "
        "class teacher see all, a subject teacher those of their subjects; null with "
        "NOT_SUPPORTED where the region's system keeps none."
    )
    async def remarks(
        self,
        info: Info,
        start: FROM = None,
        end: TO = None,
        term_id: TERM_ID = None,
    ) -> list[Remark] | None:
        days = await self._open(info, "remarks", start, end, term_id)
        models = await info.context.loaders.remarks.load(
            (self.region_code, self.model.id, days.start, days.end)
        )
        return visible_remarks(models, self.region_code, self.access)

    @strawberry.field(
        description="Per-subject averages, trends and chart series over a date range, a whole "
        "term (`termId`), or by default the school year so far."
    )
    async def progress(
        self,
        info: Info,
        start: FROM = None,
        end: TO = None,
        term_id: TERM_ID = None,
    ) -> list[SubjectProgress] | None:
        if term_id is None and (start is None or end is None):
            today = info.context.today_in(self.region_code)
            end = end or today
            start = start or max(
                date(today.year if today.month >= 9 else today.year - 1, 9, 1),
                end - timedelta(days=info.context.limits.max_range_days * 3 - 1),
            )
        cap = info.context.limits.max_range_days * 3
        days = await self._open(info, "progress", start, end, term_id, cap=cap)
        items = await info.context.loaders.progress.load(
            (self.region_code, self.model.id, days.start, days.end)
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
        chosen, page_info = page(
            changes, first=first, after=after, max_page=info.context.limits.max_page
        )
        lesson_days = [c.lesson_date for _, c in chosen if c.lesson_date is not None]
        span = DateRange(min(lesson_days), max(lesson_days)) if lesson_days else None
        edges = [
            ChangeEdge(cursor=cursor, node=Change.from_model(c, self, zone, span))
            for cursor, c in chosen
        ]
        return ChangeConnection(
            edges=edges,
            nodes=[edge.node for edge in edges],
            page_info=page_info,
            total_count=len(changes),
        )

    @strawberry.field(
        description="The class teacher's notices to the families of the student's class, the "
        "latest first; null with NOT_SUPPORTED where the region's system has none."
    )
    async def class_notices(self, info: Info) -> list[ClassNotice] | None:
        self._check("classNotices", info)
        return await class_notices_of(info, self)

    @strawberry.field(
        description="Parent meetings of the student's class, the earliest first, with the "
        "viewer's answer; null with NOT_SUPPORTED where the region's system has none."
    )
    async def meetings(self, info: Info) -> list[Meeting] | None:
        self._check("meetings", info)
        return await meetings_of(info, self)

    @strawberry.field(
        description="Advance absence notices from the student's legal representatives "
        "(for them and the class teacher); null with NOT_SUPPORTED where "
        "the region's system takes none."
    )
    async def absence_notices(self, info: Info) -> list[AbsenceNotice] | None:
        self._check("absenceNotices", info)
        return await absence_notices_of(info, self)

    @strawberry.field(
        description="The reasons the region accepts in an advance absence notice (for the "
        "legal representative)."
    )
    async def absence_reasons(self, info: Info) -> list[AbsenceReason] | None:
        self._check("absenceReasons", info)
        return await absence_reasons_of(info, self)

    def _check(self, field: str, info: Info) -> None:
        """The policy for ``field``, the attempt noted in the access log either way."""
        try:
            require(self.access, "Student", field)
        except Exception:
            note_read(info, self, field, allowed=False)
            raise
        note_read(info, self, field, allowed=True)

    @strawberry.field(description="Who read this student's records (for the legal representative).")
    async def access_log(
        self,
        info: Info,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 50,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> AccessEventConnection | None:
        info.context.cacheable = False  # the log changes with every read: never cache it
        require(self.access, "Student", "accessLog")
        limit = info.context.limits.max_page
        if not 0 <= first <= limit:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT, f"first must be between 0 and {limit}", argument="first"
            )
        sink = info.context.audit
        events = (
            [] if sink is None else await sink.history(self.region_code, str(self.id), _LOG_READ)
        )
        start = _after_event(events, after) if after else 0
        chosen = events[start : start + first]
        edges = [
            AccessEventEdge(
                cursor=_event_cursor(e),
                node=AccessEvent(
                    occurred_at=datetime.fromisoformat(e.at),
                    viewer=e.viewer,  # the history keeps only the reader's pseudonym
                    role=_role_kind(e.role),
                    relation=_relation(e.relation),
                    fields=list(e.fields),
                    is_allowed=e.allowed,
                ),
            )
            for e in chosen
        ]
        return AccessEventConnection(
            edges=edges,
            nodes=[edge.node for edge in edges],
            page_info=PageInfo(
                has_next_page=start + first < len(events),
                has_previous_page=start > 0,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            total_count=len(events),
        )

    async def _open(
        self,
        info: Info,
        field: str,
        start: date | None,
        end: date | None,
        term_id: str | None,
        *,
        cap: int | None = None,
    ) -> DateRange:
        """The days asked for, once the policy allows the field: recorded in the audit trail."""
        try:
            require(self.access, "Student", field)
            if term_id is not None:
                if start is not None or end is not None:
                    raise coded_error(
                        ErrorCode.BAD_USER_INPUT,
                        "give either `termId` or `from` and `to`, not both",
                        argument="termId",
                    )
                term = await term_days(info, self, term_id)
                days = check_range(
                    info,
                    term.start,
                    term.end,
                    region=self.region_code,
                    access=self.access,
                    capped=False,
                )
            elif start is None or end is None:
                raise coded_error(
                    ErrorCode.BAD_USER_INPUT,
                    "give `from` and `to`, or a `termId`",
                    argument="to" if start is not None else "from",
                )
            else:
                days = check_range(
                    info, start, end, region=self.region_code, access=self.access, cap=cap
                )
        except Exception:
            note_read(info, self, field, allowed=False)
            raise
        note_read(info, self, field, allowed=True)
        return days


_LOG_READ = 10_000
"""Events read for a page of the access log: the whole log (it keeps at most a few hundred
per student), so a cursor is found by key wherever newer events pushed it."""


def _event_key(event: AuditEvent) -> str:
    return "|".join((event.at, event.request_id, ",".join(event.fields), str(event.allowed)))


def _event_cursor(event: AuditEvent) -> str:
    """An access-log cursor: the event's own key, so it stays put as newer events arrive."""
    return base64.urlsafe_b64encode(_event_key(event).encode()).decode("ascii").rstrip("=")


def _after_event(events: list[AuditEvent], cursor: str) -> int:
    """Where the page after ``cursor`` starts: after its event, or (the event has aged out
    of the log) at the first older event."""
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at = datetime.fromisoformat(key.split("|", 1)[0])
    except (ValueError, UnicodeError):
        raise coded_error(ErrorCode.BAD_USER_INPUT, "invalid cursor", argument="after") from None
    for index, event in enumerate(events):
        if _event_key(event) == key:
            return index + 1
    return next((i for i, e in enumerate(events) if datetime.fromisoformat(e.at) < at), len(events))


def _relation(value: str) -> AccessRelation | None:
    """The audit trail's relation name as the enum (``none`` and the like: null)."""
    try:
        return AccessRelation(value)
    except ValueError:
        return None


def _role_kind(role: str) -> RoleKind | None:
    """The audit trail's role name as the ``RoleKind`` enum (``none``: null)."""
    from .viewer import RoleKind

    try:
        return RoleKind(role)
    except ValueError:
        return None
