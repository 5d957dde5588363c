"""``node(id:)``: refetch any object with a global id, under the same permissions.

Each kind is refetched the way the graph reaches it, so the answer has the same fields as
the object the id was handed out with, and the same checks run: a student's records go
through :func:`schema.api.load_student` and the student's own field (``diary``,
``changes``), with their policy rule, data window and audit trail; a journal lesson through
the journal's staff check. What the viewer may not see is refused with ``FORBIDDEN``; what
cannot be found (anymore) with ``NOT_FOUND``.

:data:`RESOLVERS` maps a type name to its resolver; a new Node type registers one here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, time
from typing import Any

from adapters import Group as GroupModel
from adapters import RegionProfile

from .context import Info
from .diary import Diary
from .directory import Region, School
from .enforcement import require
from .errors import ErrorCode, coded_error
from .ids import GlobalId, day_of, encode_id
from .people import Group, Subject
from .relay import Node
from .students import Change, Student

__all__ = ["NODE_TYPES", "RESOLVERS", "diary_nodes", "resolve_node"]

Resolver = Callable[[Info, GlobalId], Awaitable[Node | None]]


def _not_found(kind: str) -> Any:
    return coded_error(ErrorCode.NOT_FOUND, f"no such {kind}")


async def _student(info: Info, gid: GlobalId) -> Student:
    from .api import load_student

    return await load_student(info, encode_id("Student", gid.region, gid.parts[0]))


def diary_nodes(diary: Diary) -> Iterator[Node]:
    """Every object with an id in a diary: the diary, days, lessons and their records."""
    yield diary
    for day in diary.days:
        yield day
        for lesson in day.lessons:
            yield lesson
            yield from (m for m in lesson.marks if isinstance(m, Node))
            yield from (h for h in lesson.homework if isinstance(h, Node))
            if isinstance(lesson.absence, Node):
                yield lesson.absence
        for records in (
            day.marks_without_lesson,
            day.homework_without_lesson,
            day.absences_without_lesson,
        ):
            if isinstance(records, list):
                yield from (r for r in records if isinstance(r, Node))


async def _in_diary(info: Info, gid: GlobalId) -> Node:
    """A diary, day, lesson, mark, homework or absence: from the student's diary."""
    parts = gid.parts
    if gid.type == "Diary":
        start, end = day_of(parts[1]), day_of(parts[2])
    elif gid.type == "Homework":
        start = end = day_of(parts[2])
    else:
        start = end = day_of(parts[1])
    student = await _student(info, gid)
    diary = await student.read_diary(info, start, end)
    wanted = gid.encode()
    for found in diary_nodes(diary):
        if found.id == wanted and type(found).__name__ == gid.type:
            return found
    raise _not_found(gid.type.lower())


async def _change(info: Info, gid: GlobalId) -> Node:
    from .audit import note_read

    student = await _student(info, gid)
    try:
        require(student.access, "Student", "changes")
    except Exception:
        note_read(info, student, "changes", allowed=False)
        raise
    note_read(info, student, "changes", allowed=True)
    zone = info.context.registry[gid.region].region.timezone
    since = datetime.combine(day_of(gid.parts[1]), time.min, zone)
    changes = await info.context.loaders.changes.load((gid.region, student.model.id, since))
    for change in changes:
        built = Change.from_model(change, student, zone)
        if built.id == gid.encode():
            return built
    raise _not_found("change")


async def _journal_lesson(info: Info, gid: GlobalId) -> Node:
    from .api import load_journal

    group, day, _ = gid.parts
    journal = await load_journal(
        info, encode_id("Group", gid.region, group), day_of(day), day_of(day)
    )
    for lesson in journal.lessons:
        if lesson.id == gid.encode():
            return lesson
    raise _not_found("lesson")


async def _profile(info: Info, region: str) -> RegionProfile | None:
    from .api import profile_in

    return await profile_in(info, region)


def _groups(profile: RegionProfile | None) -> list[GroupModel]:
    return list(profile.groups) if profile is not None else []


async def _group(info: Info, gid: GlobalId) -> Node:
    info.context.require_caller()
    for group in _groups(await _profile(info, gid.region)):
        if group.id == gid.native:
            return Group.from_model(group, gid.region)
    raise _not_found("group")


async def _subject(info: Info, gid: GlobalId) -> Node:
    info.context.require_caller()
    for group in _groups(await _profile(info, gid.region)):
        if group.subject.id == gid.native:
            return Subject.from_model(group.subject, gid.region)
    raise _not_found("subject")


async def _teacher(info: Info, gid: GlobalId) -> Node:
    """A teacher the viewer's roles reach: the class teacher of a class on their roster.

    The regions list no teachers apart from classes, so a teacher named only on a lesson
    (which the viewer reached through a student's diary) is ``NOT_FOUND`` here.
    """
    from .people import Teacher
    from .roster import roster_in

    info.context.require_caller()
    roster = await roster_in(info, gid.region)
    for unit in roster.classes:
        if unit.class_teacher is not None and unit.class_teacher.id == gid.native:
            return Teacher.from_model(unit.class_teacher, gid.region)
    raise _not_found("teacher")


async def _class_unit(info: Info, gid: GlobalId) -> Node:
    from .roster import class_units

    info.context.require_caller()
    found = await class_units(info, gid.region, [gid.native])
    if not found:
        raise _not_found("class")
    return found[0]


async def _term(info: Info, gid: GlobalId) -> Node:
    from .roster import Term

    school_id, native = gid.parts
    for term in await info.context.loaders.terms.load((gid.region, school_id)):
        if term.id == native:
            return Term.from_model(term, gid.region, school_id)
    raise _not_found("term")


async def _region(info: Info, gid: GlobalId) -> Node:
    if gid.native != gid.region:
        raise coded_error(ErrorCode.BAD_USER_INPUT, "malformed region id")
    return Region.from_adapter(info.context.registry[gid.region])


async def _school(info: Info, gid: GlobalId) -> Node:
    for school in await info.context.loaders.schools.load(gid.region):
        if school.id == gid.native:
            return School.from_model(school, gid.region)
    raise _not_found("school")


async def _viewer(info: Info, gid: GlobalId) -> Node:
    from .viewer import Viewer

    caller = info.context.require_caller()
    if gid.native != caller.scope:
        raise coded_error(ErrorCode.FORBIDDEN, "not allowed to see another viewer")
    return Viewer.for_context(info)


RESOLVERS: dict[str, Resolver] = {
    "Region": _region,
    "School": _school,
    "Group": _group,
    "Subject": _subject,
    "Teacher": _teacher,
    "ClassUnit": _class_unit,
    "Term": _term,
    "Student": _student,
    "Diary": _in_diary,
    "DiaryDay": _in_diary,
    "Lesson": _in_diary,
    "Mark": _in_diary,
    "Homework": _in_diary,
    "Absence": _in_diary,
    "Change": _change,
    "JournalLesson": _journal_lesson,
}
"""How each kind of id is refetched (``Viewer``, whose region is ``-``, is handled apart)."""

NODE_TYPES: tuple[str, ...] = (*RESOLVERS, "Viewer")


async def resolve_node(info: Info, value: str) -> Node | None:
    """The object ``value`` names, refetched under the viewer's permissions."""
    from .api import decode_client_id

    gid = decode_client_id(info, value, expected=(*RESOLVERS, "Viewer"))
    if gid.type == "Viewer":
        return await _viewer(info, gid)
    if gid.region not in info.context.registry:
        raise coded_error(ErrorCode.NOT_FOUND, f"unknown region {gid.region}")
    return await RESOLVERS[gid.type](info, gid)
