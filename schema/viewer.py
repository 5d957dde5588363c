"""The signed-in viewer (`me`): who they are, their roles per region, their children."""

from __future__ import annotations

import asyncio
import enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from adapters import RegionProfile, Role

from .context import Info
from .directory import Region, School
from .ids import encode_id
from .messaging import Correspondent, MessageThreadConnection, correspondents, message_threads
from .people import ClassUnit, Group, Person
from .policy import relations_to_student
from .relay import Node
from .roster import class_units
from .students import Student

__all__ = ["RegionRole", "RoleKind", "Viewer", "load_profiles"]


@strawberry.enum(description="A role a person holds in a region's diary system.")
class RoleKind(enum.Enum):
    PARENT = strawberry.enum_value(Role.PARENT.value, description="Parent of a student.")
    STUDENT = strawberry.enum_value(Role.STUDENT.value, description="A student.")
    TEACHER = strawberry.enum_value(Role.TEACHER.value, description="A subject teacher.")
    CLASS_TEACHER = strawberry.enum_value(
        Role.CLASS_TEACHER.value, description="The teacher in charge of a class."
    )
    SCHOOL_ADMIN = strawberry.enum_value(
        Role.SCHOOL_ADMIN.value, description="An administrator of a school."
    )


@strawberry.type(description="One role of the viewer in one region (and school).")
class RegionRole:
    region_code: strawberry.Private[str]
    school_id: strawberry.Private[str | None]
    role: RoleKind = strawberry.field(description="The role.")
    groups: list[Group] = strawberry.field(description="For a teacher: the groups they teach.")
    class_unit_ids: strawberry.Private[tuple[str, ...]] = ()

    @strawberry.field(description="For a class teacher: the classes they lead, with students.")
    async def classes(self, info: Info) -> list[ClassUnit]:
        if not self.class_unit_ids:
            return []
        return await class_units(info, self.region_code, self.class_unit_ids)

    @strawberry.field(description="The region.")
    def region(self, info: Info) -> Region:
        return Region.from_adapter(info.context.registry[self.region_code])

    @strawberry.field(description="The school the role applies to, where it is one school.")
    async def school(self, info: Info) -> School | None:
        if self.school_id is None:
            return None
        for school in await info.context.loaders.schools.load(self.region_code):
            if school.id == self.school_id:
                return School.from_model(school, self.region_code)
        return None


async def load_profiles(info: Info) -> list[tuple[str, RegionProfile | GraphQLError]]:
    """The viewer's profile in every region that knows them (errors per failed region)."""
    context = info.context
    context.require_caller()
    regions = context.regions_for_viewer()
    results = await asyncio.gather(
        *(context.loaders.profile.load(r) for r in regions), return_exceptions=True
    )
    found: list[tuple[str, RegionProfile | GraphQLError]] = []
    for region, result in zip(regions, results, strict=True):
        if isinstance(result, GraphQLError):
            found.append((region, result))
        elif isinstance(result, BaseException):
            raise result
        elif result is not None:
            found.append((region, result))
    return found


@strawberry.type(description="The signed-in person, across every region that knows them.")
class Viewer(Node):
    @strawberry.field(description="Who the viewer is (as the first region that knows them says).")
    async def person(self, info: Info) -> Person | None:
        for _, profile in await load_profiles(info):
            if isinstance(profile, RegionProfile):
                return Person.from_model(profile.person)
        return None

    @strawberry.field(
        description="The viewer's roles in every region; a null item stands for a region "
        "whose system could not answer (see the error at its path)."
    )
    async def roles(self, info: Info) -> list[RegionRole | None]:
        roles: list[Any] = []
        for region, profile in await load_profiles(info):
            if isinstance(profile, GraphQLError):
                roles.append(profile)
                continue
            groups = {g.id: g for g in profile.groups}
            for grant in profile.roles:
                roles.append(
                    RegionRole(
                        region_code=region,
                        school_id=grant.school_id,
                        role=RoleKind(grant.role.value),
                        groups=[
                            Group.from_model(groups[g], region)
                            for g in grant.group_ids
                            if g in groups
                        ],
                        class_unit_ids=grant.class_unit_ids,
                    )
                )
        return roles

    @strawberry.field(
        description="The viewer's children in every region; a null item stands for a region "
        "whose system could not answer (see the error at its path)."
    )
    async def children(self, info: Info) -> list[Student | None]:
        children: list[Any] = []
        for region, profile in await load_profiles(info):
            if isinstance(profile, GraphQLError):
                children.append(profile)
                continue
            for child in profile.children:
                access = relations_to_student(child.student, profile)
                children.append(Student.build(child.student, region, access))
        return children

    @strawberry.field(
        description="The viewer's own student records (a student signed in through the national "
        "SSO, or with a school login); a null item stands for a region that could not answer."
    )
    async def students(self, info: Info) -> list[Student | None]:
        context = info.context
        caller = context.require_caller()
        own: list[tuple[str, str, RegionProfile | None]] = []
        if caller.person_id is None and caller.session is not None:
            region = context.session_region
            if region is None:
                return []
            own.append((region, caller.session.student_id, None))
        else:
            found: list[Any] = []
            for place, known in await load_profiles(info):
                if isinstance(known, GraphQLError):
                    found.append(known)
                    continue
                for grant in known.roles:
                    if grant.role is Role.STUDENT and grant.student_id is not None:
                        own.append((place, grant.student_id, known))
            if found and not own:
                return found
        students: list[Any] = []
        for region, student_id, profile in own:
            try:
                model = await context.loaders.students.load((region, student_id))
            except GraphQLError as error:
                students.append(error)
                continue
            session = student_id if profile is None else None
            access = relations_to_student(model, profile, session_student_id=session)
            students.append(Student.build(model, region, access))
        return students

    @strawberry.field(
        description="The viewer's message threads, the latest message first: in `region`, or "
        "in every region whose system has messaging and knows the viewer."
    )
    async def message_threads(
        self,
        info: Info,
        region: Annotated[
            str | None,
            strawberry.argument(
                description="One region's code (NOT_SUPPORTED where its system has no messaging)."
            ),
        ] = None,
        first: Annotated[int, strawberry.argument(description="Page size.")] = 20,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
    ) -> MessageThreadConnection | None:
        return await message_threads(info, region, first, after)

    @strawberry.field(
        description="Whom the viewer may write to in `region` (a parent: their children's "
        "teachers, class teachers and school admins), as the region's system says."
    )
    async def correspondents(
        self,
        info: Info,
        region: Annotated[str, strawberry.argument(description="The region's code.")],
    ) -> list[Correspondent] | None:
        return await correspondents(info, region)

    @classmethod
    def for_context(cls, info: Info) -> Viewer:
        caller = info.context.require_caller()
        return cls(id=strawberry.ID(encode_id("Viewer", "-", caller.scope)))
