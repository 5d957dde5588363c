"""Subscriptions: ``Subscription.studentEvents`` and the events it yields.

The schema knows the event source only as :class:`LiveSource` (the gateway's
``gateway.live`` puts one in the context of a subscription). Permissions are the queries'
(:mod:`.policy`), decided once per student when the subscription starts: the viewer must
see the student's records (``CHILD_RECORD``: a parent who is not the legal representative
gets ``FORBIDDEN``, no events), and a subject teacher hears only their subjects' events.
Before an event, at most once a minute (``[live] relation_recheck_seconds``), the viewer's
relation is decided again (from the providers' data, as cached); when it has ended, the
source is told (the transport closes the connection) and the subscription ends (so it does
when the relation no longer reads the diary). Every event delivered is an audited read of
the student's diary. Absences and lesson changes (found by the gateway's diary diff) are
heard like marks: a subject teacher hears those of their subjects' lessons only.
"""

from __future__ import annotations

import enum
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from datetime import datetime
from typing import Annotated, Protocol

import strawberry
from graphql import GraphQLError

from adapters import Change as ChangeModel
from adapters import ChangeKind as ChangeKindModel
from adapters import Role

from .audit import note_read
from .context import Info
from .diary import Absence, Homework
from .diary import Lesson as DiaryLesson
from .errors import ErrorCode, coded_error
from .extensions import merge_events
from .marks import Mark
from .policy import CHILD_RECORD, FAMILY, Relation
from .relay import Node
from .students import Change, Student

__all__ = [
    "LiveEventLike",
    "LiveSource",
    "StudentEvent",
    "StudentEventKind",
    "Subscription",
]


class LiveEventLike(Protocol):
    """An event as the source hands it over."""

    @property
    def id(self) -> str: ...

    @property
    def region(self) -> str: ...

    @property
    def change(self) -> ChangeModel: ...


class LiveSource(Protocol):
    """Where a subscription's events come from (the gateway's live machinery)."""

    def listen(
        self,
        students: Sequence[tuple[str, str]],
        *,
        pollable: Sequence[tuple[str, str]],
        after: str | None,
    ) -> AsyncIterator[LiveEventLike]:
        """Events of ``students`` (region, native id), after the event id ``after``.

        ``pollable`` are the students whose feed the viewer may read (the poll uses the
        viewer's credentials for them). Raises a coded ``GraphQLError`` when refused.
        """
        ...

    def relation_ended(self, message: str) -> None:
        """The viewer's relation to a subscribed student has ended: close the connection."""
        ...

    @property
    def recheck_seconds(self) -> float:
        """How often, at most, the viewer's relation is decided again (``[live]``)."""
        ...


@strawberry.enum(description="What happened in a student's diary.")
class StudentEventKind(enum.Enum):
    MARK_CREATED = strawberry.enum_value("mark_created", description="A new mark.")
    MARK_UPDATED = strawberry.enum_value("mark_updated", description="A mark was changed.")
    HOMEWORK_CREATED = strawberry.enum_value("homework_created", description="New homework.")
    HOMEWORK_UPDATED = strawberry.enum_value("homework_updated", description="Homework changed.")
    ABSENCE_CREATED = strawberry.enum_value(
        "absence_created", description="The student was marked absent from a lesson."
    )
    ABSENCE_UPDATED = strawberry.enum_value(
        "absence_updated", description="An absence's reason or excuse changed."
    )
    ABSENCE_REMOVED = strawberry.enum_value(
        "absence_removed", description="An absence was taken back (the node is null)."
    )
    LESSON_CHANGED = strawberry.enum_value(
        "lesson_changed",
        description="A lesson of today or later changed: its subject, teacher, room, times, "
        "cancellation, replacement or remote flag.",
    )


@strawberry.type(description="Something new in a student's diary, as the region reported it.")
class StudentEvent:
    change: strawberry.Private[Change | None]
    """The feed entry (marks and homework); ``None`` for the diary diff's kinds."""
    model: strawberry.Private[ChangeModel]
    id: strawberry.ID = strawberry.field(
        description="The event's id, ordered: pass it as `after` to resume after this event."
    )
    kind: StudentEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When it happened in the region's system.")
    student: Student = strawberry.field(description="The student whose diary changed.")

    @strawberry.field(
        description="What the event is about: the mark, the homework, the absence or the "
        "lesson, where it can be found in the diary (null when it is gone again)."
    )
    async def node(self, info: Info) -> Node | None:
        if self.change is not None:
            _, mark, homework = await self.change._find(info)
            found: Mark | Homework | None = mark if mark is not None else homework
            return found
        return await _diary_node(info, self.student, self.model)


async def _diary_node(info: Info, student: Student, model: ChangeModel) -> Node | None:
    """The lesson (``LESSON_CHANGED``) or its absence (``ABSENCE_*``) of a diff's change."""
    day = model.lesson_date
    if day is None or model.lesson_id is None:
        return None
    region = student.region_code
    lessons = await info.context.loaders.diary.load((region, student.model.id, day, day))
    for lesson in lessons:
        if lesson.id != model.lesson_id:
            continue
        if model.kind is ChangeKindModel.LESSON_CHANGED:
            if lesson.unscheduled:
                return None
            return DiaryLesson.from_model(lesson, region, student.access, student.model.id)
        if lesson.absence is None:
            return None
        return Absence.from_model(lesson.absence, region, student.access, lesson.id)
    return None


_FEED_KINDS = frozenset(
    {
        ChangeKindModel.MARK_CREATED,
        ChangeKindModel.MARK_UPDATED,
        ChangeKindModel.HOMEWORK_CREATED,
        ChangeKindModel.HOMEWORK_UPDATED,
    }
)


def _sees(subjects: frozenset[str] | None, change: ChangeModel) -> bool:
    return subjects is None or change.subject_name in subjects


async def _subjects(info: Info, student: Student) -> frozenset[str] | None:
    """The subject names a subject teacher may hear of (``None``: every subject)."""
    from .api import profile_in

    access = student.access
    if access.relations & (FAMILY | {Relation.CLASS_TEACHER, Relation.SCHOOL_ADMIN}):
        return None
    profile = await profile_in(info, student.region_code)
    allowed = access.subject_ids or frozenset()
    groups = profile.groups if profile is not None else ()
    return frozenset(g.subject.name for g in groups if g.subject.id in allowed)


async def _own_students(info: Info) -> list[str]:
    """The global ids of the viewer's own students: their children and themself."""
    from .api import profile_in
    from .ids import encode_id

    context = info.context
    caller = context.require_caller()
    found: list[str] = []
    if caller.session is not None and context.session_region is not None:
        found.append(encode_id("Student", context.session_region, caller.session.student_id))
    for region in context.regions_for_viewer() if caller.person_id is not None else ():
        try:
            profile = await profile_in(info, region)
        except GraphQLError:
            continue  # that region's system is down: name the students explicitly
        if profile is None:
            continue
        found.extend(
            encode_id("Student", region, child.student.id)
            for child in profile.children
            if child.is_legal_representative
        )
        found.extend(
            encode_id("Student", region, grant.student_id)
            for grant in profile.roles
            if grant.role is Role.STUDENT and grant.student_id
        )
    return found


async def _write_audit(info: Info) -> None:
    context = info.context
    if context.pending_audit and context.audit is not None:
        events = merge_events(context.pending_audit)
        context.pending_audit.clear()
        await context.audit.record(events)


MAX_STUDENTS = 20
"""Students one subscription may name."""


@strawberry.type(description="Live updates: each event as it happens.")
class Subscription:
    @strawberry.subscription(
        description="New and changed marks, homework and absences, and changed lessons, of the "
        "viewer's students (all of their own students when `studentIds` is left out), as they "
        "happen. Needs a "
        "subscription transport on /graphql: WebSocket (graphql-transport-ws) or HTTP with "
        "Accept: text/event-stream (graphql-sse)."
    )
    async def student_events(
        self,
        info: Info,
        student_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="The students (global ids); default: your own."),
        ] = None,
        after: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Resume after this event id (the last one received): the events "
                "missed since then come first, within the stream's retention."
            ),
        ] = None,
    ) -> AsyncGenerator[StudentEvent, None]:
        from .api import load_student

        context = info.context
        live = context.live
        if live is None:
            raise coded_error(ErrorCode.NOT_SUPPORTED, "subscriptions are not served here")
        ids = list(student_ids) if student_ids is not None else await _own_students(info)
        if not ids:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT, "no students to listen to", argument="studentIds"
            )
        if len(ids) > MAX_STUDENTS:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT,
                f"at most {MAX_STUDENTS} students per subscription",
                argument="studentIds",
                maximum=MAX_STUDENTS,
            )
        students: dict[tuple[str, str], tuple[Student, frozenset[str] | None]] = {}
        for student_id in dict.fromkeys(ids):
            student = await load_student(info, student_id)
            if not student.access.allows(CHILD_RECORD):
                note_read(info, student, "events", allowed=False)
                await _write_audit(info)
                raise coded_error(ErrorCode.FORBIDDEN, "not allowed to see this student's diary")
            key = (student.region_code, student.model.id)
            students[key] = (student, await _subjects(info, student))
        pollable = [k for k, (s, _) in students.items() if s.access.allows(FAMILY)]
        context._loaders = None  # an idle subscription keeps no loaded data
        events = live.listen(list(students), pollable=pollable, after=after)
        checked = time.monotonic()
        try:
            async for event in events:
                entry = students.get((event.region, event.change.student_id))
                if entry is None or not _sees(entry[1], event.change):
                    continue
                context._loaders = None  # each event reads the diary afresh
                student = entry[0]
                if time.monotonic() - checked >= live.recheck_seconds:
                    again: Student | None
                    try:
                        again = await load_student(info, str(student.id))
                    except GraphQLError as error:
                        if (error.extensions or {}).get("code") != ErrorCode.FORBIDDEN.value:
                            raise
                        again = None
                    if again is None or not again.access.allows(CHILD_RECORD):
                        # no relation left, or one that may not read the diary any more
                        live.relation_ended("the viewer's relation to the student has ended")
                        return
                    student = again
                    checked = time.monotonic()
                note_read(info, student, "events", allowed=True)
                await _write_audit(info)
                zone = context.registry[student.region_code].region.timezone
                model = event.change
                change = (
                    Change.from_model(model, student, zone) if model.kind in _FEED_KINDS else None
                )
                yield StudentEvent(
                    change=change,
                    model=model,
                    id=strawberry.ID(event.id),
                    kind=StudentEventKind(event.change.kind.value),
                    at=event.change.at,
                    student=student,
                )
        finally:
            await _aclose(events)


async def _aclose(events: AsyncIterator[LiveEventLike]) -> None:
    close = getattr(events, "aclose", None)
    if close is not None:
        await close()
