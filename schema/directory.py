"""The public region directory: regions, their diary systems and schools, bells."""

from __future__ import annotations

import enum
from datetime import time
from typing import TYPE_CHECKING, Annotated

import strawberry

from adapters import BellSchedule as BellScheduleModel
from adapters import Capability, DiaryAdapter, LoginMethod
from adapters import School as SchoolModel

from .context import Info
from .ids import encode_id
from .relay import Node, PageInfo, connection

if TYPE_CHECKING:
    from .roster import ClassUnitConnection, GroupConnection, StudentConnection, Term

FIRST = Annotated[int, strawberry.argument(description="Page size (at most the page cap).")]
AFTER = Annotated[str | None, strawberry.argument(description="Cursor to continue after.")]

__all__ = [
    "Bell",
    "BellSchedule",
    "LoginMethodKind",
    "Region",
    "RegionCapability",
    "School",
    "SchoolConnection",
    "SchoolEdge",
]


@strawberry.enum(description="How people sign in to a region's own diary system.")
class LoginMethodKind(enum.Enum):
    NATIONAL_SSO = strawberry.enum_value(
        LoginMethod.NATIONAL_SSO.value, description="The national SSO (Госуслуги / ЕСИА)."
    )
    SCHOOL_LOGIN = strawberry.enum_value(
        LoginMethod.SCHOOL_LOGIN.value, description="A login and password issued by the school."
    )


@strawberry.enum(name="Capability", description="Something a region's diary system provides.")
class RegionCapability(enum.Enum):
    """The adapters' :class:`~adapters.Capability` as GraphQL sees it (same values)."""

    PROFILE = strawberry.enum_value(
        Capability.PROFILE.value, description="Who the caller is, their roles and children."
    )
    SCHEDULE = strawberry.enum_value(
        Capability.SCHEDULE.value, description="Lessons of a student's days."
    )
    MARKS = strawberry.enum_value(
        Capability.MARKS.value, description="Marks with comments and weights."
    )
    HOMEWORK = strawberry.enum_value(
        Capability.HOMEWORK.value, description="Homework texts and attachments."
    )
    HOMEWORK_DONE = strawberry.enum_value(
        Capability.HOMEWORK_DONE.value, description="Marking homework done or not done."
    )
    ATTENDANCE = strawberry.enum_value(
        Capability.ATTENDANCE.value, description="Absences with reasons."
    )
    PROGRESS = strawberry.enum_value(
        Capability.PROGRESS.value, description="Per-subject averages and trends."
    )
    CHANGES = strawberry.enum_value(Capability.CHANGES.value, description="A feed of changes.")
    JOURNAL = strawberry.enum_value(
        Capability.JOURNAL.value, description="A teacher's journal of a group."
    )
    BELLS = strawberry.enum_value(
        Capability.BELLS.value, description="The schools' bell schedules."
    )
    TERMS = strawberry.enum_value(
        Capability.TERMS.value, description="The school year's periods (quarters, trimesters)."
    )
    SCHOOL_LOGIN = strawberry.enum_value(
        Capability.SCHOOL_LOGIN.value, description="Signing students in with a school login."
    )
    REMARKS = strawberry.enum_value(
        Capability.REMARKS.value, description="Teachers' remarks and praise, by day."
    )
    INVITATIONS = strawberry.enum_value(
        Capability.INVITATIONS.value,
        description="Binding a national SSO identity to a parent's record (invitations).",
    )
    ACKNOWLEDGEMENT = strawberry.enum_value(
        Capability.ACKNOWLEDGEMENT.value,
        description="The region's system is told of parents' acknowledgements of a week.",
    )
    MESSAGES = strawberry.enum_value(
        Capability.MESSAGES.value,
        description="Message threads between families and teachers.",
    )
    CLASS_NOTICES = strawberry.enum_value(
        Capability.CLASS_NOTICES.value,
        description="The class teacher's notices to the families of a class.",
    )
    MEETINGS = strawberry.enum_value(
        Capability.MEETINGS.value, description="Parent meetings and parents' answers to them."
    )
    ABSENCE_NOTICES = strawberry.enum_value(
        Capability.ABSENCE_NOTICES.value,
        description="Parents' advance notices that a child will be absent.",
    )
    MARK_ENTRY = strawberry.enum_value(
        Capability.MARK_ENTRY.value,
        description="Teachers entering and correcting marks through the gateway.",
    )


@strawberry.type(description="One lesson slot of the school day.")
class Bell:
    number: int = strawberry.field(description="Lesson number within the day, from 1.")
    starts_at: time = strawberry.field(description="Local start time.")
    ends_at: time = strawberry.field(description="Local end time.")


@strawberry.type(description="A school's lesson times.")
class BellSchedule:
    bells: list[Bell] = strawberry.field(description="The bells in order.")

    @classmethod
    def from_model(cls, model: BellScheduleModel) -> BellSchedule:
        return cls(
            bells=[Bell(number=b.number, starts_at=b.starts, ends_at=b.ends) for b in model.bells]
        )


@strawberry.type(description="A school of a region.")
class School(Node):
    region_code: strawberry.Private[str]
    native_id: strawberry.Private[str]
    name: str = strawberry.field(description="Full name of the school.")
    short_name: str | None = strawberry.field(description="Short name, where the region has one.")
    address: str | None = strawberry.field(description="Street address, where known.")

    @classmethod
    def from_model(cls, model: SchoolModel, region: str) -> School:
        return cls(
            id=strawberry.ID(encode_id("School", region, model.id)),
            region_code=region,
            native_id=model.id,
            name=model.name,
            short_name=model.short_name,
            address=model.address,
        )

    @strawberry.field(description="The region the school is in.")
    def region(self, info: Info) -> Region:
        return Region.from_adapter(info.context.registry[self.region_code])

    @strawberry.field(
        description="The school's classes the viewer reaches: all of them for its admins, a "
        "class teacher's classes, the classes of a teacher's groups; empty for anyone else."
    )
    async def classes(
        self, info: Info, first: FIRST = 50, after: AFTER = None
    ) -> Annotated[ClassUnitConnection, strawberry.lazy("schema.roster")]:
        from .roster import class_connection, class_units

        found = await class_units(info, self.region_code, school_id=self.native_id)
        return class_connection(found, first, after, info)

    @strawberry.field(
        description="The school's subject groups the viewer reaches: all of them for its "
        "admins, a teacher's own groups; empty for anyone else."
    )
    async def groups(
        self, info: Info, first: FIRST = 50, after: AFTER = None
    ) -> Annotated[GroupConnection, strawberry.lazy("schema.roster")]:
        from .roster import group_connection, groups_of

        found = await groups_of(info, self.region_code, self.native_id)
        return group_connection(found, first, after, info)

    @strawberry.field(
        description="The school's students the viewer relates to: all of them for its admins, "
        "a class teacher's class, a teacher's groups; empty for anyone else."
    )
    async def students(
        self, info: Info, first: FIRST = 50, after: AFTER = None
    ) -> Annotated[StudentConnection, strawberry.lazy("schema.roster")]:
        from .roster import student_connection

        return await student_connection(
            info, self.region_code, school_id=self.native_id, first=first, after=after
        )

    @strawberry.field(
        description="The periods of the school's year (quarters, trimesters; the whole year "
        "where the region states no more), in order; null when the region cannot say."
    )
    async def terms(
        self, info: Info
    ) -> list[Annotated[Term, strawberry.lazy("schema.roster")]] | None:
        from .roster import Term

        adapter = info.context.registry[self.region_code]
        if not adapter.supports(Capability.TERMS):
            return None
        models = await info.context.loaders.terms.load((self.region_code, self.native_id))
        return [Term.from_model(m, self.region_code, self.native_id) for m in models]

    @strawberry.field(description="The school's lesson times; null where the region lacks them.")
    async def bell_schedule(self, info: Info) -> BellSchedule | None:
        adapter = info.context.registry[self.region_code]
        if not adapter.supports(Capability.BELLS):
            return None
        model = await adapter.get_bell_schedule(info.context.caller, self.native_id)
        return BellSchedule.from_model(model)


@strawberry.type(description="A region and the diary system its schools use (public).")
class Region(Node):
    code: str = strawberry.field(description="Region code, e.g. «77» for Moscow.")
    name: str = strawberry.field(description="Region name.")
    diary_system: str = strawberry.field(description="Name of the region's diary system.")
    diary_url: str = strawberry.field(description="The region's own diary site.")
    timezone: str = strawberry.field(description="IANA time zone of the region's schools.")
    is_demo: bool = strawberry.field(description="True when the region serves demo data.")
    login_methods: list[LoginMethodKind] = strawberry.field(
        description="How people sign in to the region's system."
    )
    capabilities: list[RegionCapability] = strawberry.field(
        description="What the region's system provides (schedule, marks, homework, …)."
    )

    @classmethod
    def from_adapter(cls, adapter: DiaryAdapter) -> Region:
        region = adapter.region
        return cls(
            id=strawberry.ID(encode_id("Region", region.code, region.code)),
            code=region.code,
            name=region.name,
            diary_system=adapter.diary_system,
            diary_url=region.diary_url,
            timezone=region.timezone.key,
            is_demo=region.demo,
            login_methods=[LoginMethodKind(m.value) for m in adapter.login_methods],
            capabilities=[
                RegionCapability(c.value)
                for c in sorted(adapter.capabilities, key=lambda c: c.value)
            ],
        )

    @strawberry.field(
        description="The region's schools, by name; null (with an error at its path) when the "
        "region's system cannot answer, so other regions still list theirs."
    )
    async def schools(
        self, info: Info, first: FIRST = 50, after: AFTER = None
    ) -> SchoolConnection | None:
        models = await info.context.loaders.schools.load(self.code)
        schools = [
            School.from_model(m, self.code) for m in sorted(models, key=lambda m: (m.name, m.id))
        ]
        return SchoolConnection(
            **connection(
                SchoolEdge,
                schools,
                first=first,
                after=after,
                max_page=info.context.limits.max_page,
            )
        )


@strawberry.type(description="A school of a connection and its cursor.")
class SchoolEdge:
    cursor: str = strawberry.field(description="Cursor of this item.")
    node: School = strawberry.field(description="The school.")


@strawberry.type(description="A page of a region's schools.")
class SchoolConnection:
    edges: list[SchoolEdge] = strawberry.field(description="The schools of this page.")
    nodes: list[School] = strawberry.field(
        description="The schools of this page (the edges' nodes)."
    )
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="How many schools the region has.")
