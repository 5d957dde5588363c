"""Contract-suite harness for «Сетевой город» (region 74): the adapter and its in-memory provider.

The adapter owns its :class:`~adapters.netcity.backend.NetCityBackend`; the harness freezes
"now" through the adapter's injected clock (``AdapterDeps.clock``) and flips the
backend's fault switch.
``upstream_calls()`` counts every provider request, token exchanges included.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from adapters import AdapterDeps, Caller, Clock, DiaryAdapter, DirectRunner, Fault, RegionInfo
from adapters.netcity import NetCityAdapter
from adapters.netcity.config import NetCityConfig
from adapters.seed import World, national_id


class Harness:
    slug = "netcity"
    region = "74"

    def __init__(self) -> None:
        self._adapter: NetCityAdapter | None = None

    @property
    def _world(self) -> World:
        assert self._adapter is not None, "start() the harness first"
        return self._adapter.backend.world

    async def start(self, clock: Clock) -> DiaryAdapter:
        region = RegionInfo(
            code=self.region,
            name="Челябинская область",
            timezone=ZoneInfo("Asia/Yekaterinburg"),
            diary_url="https://sgo.edu-74.ru",
            demo=True,
        )
        self._adapter = NetCityAdapter(
            region=region,
            config=NetCityConfig(),
            deps=AdapterDeps(runner=DirectRunner(timeout=1.0), clock=clock),
        )
        return self._adapter

    async def stop(self) -> None:
        if self._adapter is not None:
            await self._adapter.aclose()

    def caller(self, persona: str) -> Caller:
        return Caller(person_id=national_id(persona, self.region))

    def canonical_student_id(self) -> str:
        return str(self._world.canonical_student_id)

    def teacher_group_id(self) -> str:
        return str(self._world.teacher_persona_group().id)

    def set_fault(self, fault: Fault | None) -> None:
        assert self._adapter is not None
        self._adapter.backend.faults.set(fault)

    def upstream_calls(self) -> int:
        assert self._adapter is not None
        return self._adapter.backend.faults.calls

    def student_login(self) -> tuple[str | None, str, str]:
        world = self._world
        student = world.persona_student("student")
        school = next(s for s in world.schools if s.id == student.school_id)
        return school.login_code, student.login, student.password
