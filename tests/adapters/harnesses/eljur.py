"""Contract-suite harness for the ЭлЖур adapter (region 11, Республика Коми)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from adapters import AdapterDeps, Caller, Clock, DiaryAdapter, DirectRunner, Fault, RegionInfo
from adapters.eljur import ElJurAdapter
from adapters.eljur.backend import ElJurBackend
from adapters.eljur.config import ElJurConfig
from adapters.seed import World, national_id

REGION = RegionInfo(
    code="11",
    name="Республика Коми",
    timezone=ZoneInfo("Europe/Moscow"),
    diary_url="https://eljur.example",
    demo=True,
)


class Harness:
    """Builds the in-memory ЭлЖур provider and its adapter for one test."""

    slug: str = "eljur"
    region: str = "11"

    adapter: ElJurAdapter
    """The adapter under test, set by :meth:`start`."""

    @property
    def backend(self) -> ElJurBackend:
        return self.adapter.backend

    @property
    def world(self) -> World:
        return self.backend.world

    async def start(self, clock: Clock) -> DiaryAdapter:
        self.adapter = ElJurAdapter(
            region=REGION,
            config=ElJurConfig(),
            deps=AdapterDeps(runner=DirectRunner(timeout=1.0), clock=clock),
        )
        return self.adapter

    async def stop(self) -> None:
        adapter: ElJurAdapter | None = getattr(self, "adapter", None)
        if adapter is not None:
            adapter.backend.faults.set(None)
            await adapter.aclose()

    def caller(self, persona: str) -> Caller:
        return Caller(person_id=national_id(persona, self.region), sso_token=f"sso-{persona}")

    def canonical_student_id(self) -> str:
        return str(self.world.canonical_student_id)

    def teacher_group_id(self) -> str:
        return str(self.world.teacher_persona_group().id)

    def set_fault(self, fault: Fault | None) -> None:
        self.backend.faults.set(fault)

    def upstream_calls(self) -> int:
        return self.backend.faults.calls

    def student_login(self) -> tuple[str | None, str, str]:
        student = self.world.persona_student("student")
        school = next(s for s in self.world.schools if s.id == student.school_id)
        return school.login_code, student.login, student.password
