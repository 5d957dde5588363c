"""The public region directory: regions, their diary systems and schools, bells."""

from __future__ import annotations

import enum
from datetime import time

import strawberry

from adapters import BellSchedule as BellScheduleModel
from adapters import Capability, DiaryAdapter, LoginMethod
from adapters import School as SchoolModel

from .context import Info
from .ids import encode_id
from .relay import Node

__all__ = ["Bell", "BellSchedule", "LoginMethodKind", "Region", "School"]


@strawberry.enum(description="How people sign in to a region's own diary system.")
class LoginMethodKind(enum.Enum):
    NATIONAL_SSO = strawberry.enum_value(
        LoginMethod.NATIONAL_SSO.value, description="The national SSO (Госуслуги / ЕСИА)."
    )
    SCHOOL_LOGIN = strawberry.enum_value(
        LoginMethod.SCHOOL_LOGIN.value, description="A login and password issued by the school."
    )


@strawberry.type(description="One lesson slot of the school day.")
class Bell:
    number: int = strawberry.field(description="Lesson number within the day, from 1.")
    starts: time = strawberry.field(description="Local start time.")
    ends: time = strawberry.field(description="Local end time.")


@strawberry.type(description="A school's lesson times.")
class BellSchedule:
    bells: list[Bell] = strawberry.field(description="The bells in order.")

    @classmethod
    def from_model(cls, model: BellScheduleModel) -> BellSchedule:
        return cls(bells=[Bell(number=b.number, starts=b.starts, ends=b.ends) for b in model.bells])


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
    capabilities: list[str] = strawberry.field(
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
            capabilities=sorted(c.value for c in adapter.capabilities),
        )

    @strawberry.field(
        description="The region's schools; null (with an error at its path) when the "
        "region's system cannot answer, so other regions still list theirs."
    )
    async def schools(self, info: Info) -> list[School] | None:
        models = await info.context.loaders.schools.load(self.code)
        return [School.from_model(m, self.code) for m in models]
