"""What staff reach from `me`: classes, groups and students, as Relay connections; terms.

A class teacher's classes, a teacher's groups (with their classes) and a school admin's
school come from the region's own lists (:meth:`adapters.DiaryAdapter.get_roster`), read
once per region per request. Every student listed is built with the viewer's access decided
from the region's data (:func:`schema.policy.relations_to_student`); a student the viewer
has no relationship to is never listed, whatever the provider returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

from adapters import ClassUnit as ClassUnitModel
from adapters import Group as GroupModel
from adapters import Roster
from adapters import Student as StudentModel
from adapters import Term as TermModel

from .context import Info
from .ids import encode_id
from .policy import KNOWS_STUDENT, relations_to_student
from .relay import Node, PageInfo, connection

if TYPE_CHECKING:
    from .people import ClassUnit, Group
    from .students import Student

__all__ = [
    "ClassUnitConnection",
    "GroupConnection",
    "StudentConnection",
    "Term",
    "class_units",
    "groups_of",
    "roster_in",
    "student_connection",
]

T = TypeVar("T")

FIRST = Annotated[int, strawberry.argument(description="Page size (at most the page cap).")]
AFTER = Annotated[str | None, strawberry.argument(description="Cursor to continue after.")]


LazyStudent = Annotated["Student", strawberry.lazy("schema.students")]
LazyClassUnit = Annotated["ClassUnit", strawberry.lazy("schema.people")]
LazyGroup = Annotated["Group", strawberry.lazy("schema.people")]


@strawberry.type(description="A student of a connection and their cursor.")
class StudentEdge:
    cursor: str = strawberry.field(description="Cursor of this item.")
    node: LazyStudent = strawberry.field(description="The student.")


@strawberry.type(description="A class of a connection and its cursor.")
class ClassUnitEdge:
    cursor: str = strawberry.field(description="Cursor of this item.")
    node: LazyClassUnit = strawberry.field(description="The class.")


@strawberry.type(description="A subject group of a connection and its cursor.")
class GroupEdge:
    cursor: str = strawberry.field(description="Cursor of this item.")
    node: LazyGroup = strawberry.field(description="The group.")


def _connection(
    edge: Any, items: Sequence[T], first: int, after: str | None, info: Info
) -> dict[str, Any]:
    return connection(edge, items, first=first, after=after, max_page=info.context.limits.max_page)


@strawberry.type(description="A page of students.")
class StudentConnection:
    edges: list[StudentEdge] = strawberry.field(description="The students of this page.")
    nodes: list[LazyStudent] = strawberry.field(
        description="The students of this page (the edges' nodes)."
    )
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="How many students the whole list has.")


@strawberry.type(description="A page of classes.")
class ClassUnitConnection:
    edges: list[ClassUnitEdge] = strawberry.field(description="The classes of this page.")
    nodes: list[LazyClassUnit] = strawberry.field(
        description="The classes of this page (the edges' nodes)."
    )
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="How many classes the whole list has.")


@strawberry.type(description="A page of subject groups.")
class GroupConnection:
    edges: list[GroupEdge] = strawberry.field(description="The groups of this page.")
    nodes: list[LazyGroup] = strawberry.field(
        description="The groups of this page (the edges' nodes)."
    )
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="How many groups the whole list has.")


@strawberry.type(description="A period of a school's year: a quarter, trimester or half.")
class Term(Node):
    name: str = strawberry.field(description="The region's name for it, e.g. «1 четверть».")
    starts_on: date = strawberry.field(description="Its first day.")
    ends_on: date = strawberry.field(description="Its last day.")

    @classmethod
    def from_model(cls, model: TermModel, region: str, school_id: str) -> Term:
        return cls(
            id=strawberry.ID(encode_id("Term", region, f"{school_id}/{model.id}")),
            name=model.name,
            starts_on=model.starts_on,
            ends_on=model.ends_on,
        )


async def roster_in(info: Info, region: str) -> Roster:
    """The viewer's roster in ``region`` (empty for a school-login session or anonymous)."""
    context = info.context
    if context.caller is None or context.caller.person_id is None:
        return Roster()
    if region not in context.registry:
        return Roster()
    return await context.loaders.roster.load(region)


def _class_model(roster: Roster, class_id: str) -> ClassUnitModel | None:
    return next((c for c in roster.classes if c.id == class_id), None)


async def class_units(
    info: Info, region: str, wanted: Sequence[str] | None = None, *, school_id: str | None = None
) -> list[ClassUnit]:
    """The roster's classes (``wanted`` ids only, or a school's), in the roster's order."""
    from .people import ClassUnit

    roster = await roster_in(info, region)
    found = [
        c
        for c in roster.classes
        if (wanted is None or c.id in wanted) and (school_id is None or c.school_id == school_id)
    ]
    return [ClassUnit.from_model(c, region) for c in found]


async def groups_of(info: Info, region: str, school_id: str) -> list[Group]:
    """The roster's groups of one school."""
    from .people import Group

    roster = await roster_in(info, region)
    return [Group.from_model(g, region) for g in roster.groups if g.school_id == school_id]


def group_label(roster: Roster, model: GroupModel) -> str:
    """A group's name with its class where the roster knows it: «Алгебра (9-А)»."""
    unit = _class_model(roster, model.class_unit_id)
    if unit is None or not unit.name or unit.name in model.name:
        return model.name
    return f"{model.name} ({unit.name})"


async def student_connection(
    info: Info,
    region: str,
    *,
    school_id: str | None = None,
    class_id: str | None = None,
    first: int,
    after: str | None,
) -> StudentConnection:
    """The roster's students (of a school or a class) the viewer relates to, paged."""
    from .api import profile_in
    from .students import Student

    roster = await roster_in(info, region)
    if not roster.students:
        return StudentConnection(**_connection(StudentEdge, [], first, after, info))
    profile = await profile_in(info, region)
    chosen: list[StudentModel] = [
        s
        for s in roster.students
        if (school_id is None or s.school_id == school_id)
        and (class_id is None or s.class_unit_id == class_id)
    ]
    students = []
    for model in sorted(chosen, key=lambda s: (s.class_name, s.person.full_name, s.id)):
        access = relations_to_student(model, profile)
        if access.relations & KNOWS_STUDENT:
            students.append(Student.build(model, region, access))
    return StudentConnection(**_connection(StudentEdge, students, first, after, info))


def class_connection(
    items: Sequence[ClassUnit], first: int, after: str | None, info: Info
) -> ClassUnitConnection:
    return ClassUnitConnection(**_connection(ClassUnitEdge, items, first, after, info))


def group_connection(
    items: Sequence[Group], first: int, after: str | None, info: Info
) -> GroupConnection:
    return GroupConnection(**_connection(GroupEdge, items, first, after, info))
