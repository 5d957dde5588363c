"""Contract-suite harness for «Сетевой город» (region 74): the adapter over real HTTP.

``start()`` serves the NetSchool emulator and a JWKS endpoint for a dev SSO issuer on one
real uvicorn server on 127.0.0.1, and builds :class:`~adapters.netcity.NetCityAdapter` over
a real ``httpx.AsyncClient`` with ``DirectRunner(timeout=1.0)``. Faults and the upstream
call count (every HTTP request, sign-ins included) go through the emulator's ``/__admin``.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from joserfc.jwk import ECKey

from adapters import AdapterDeps, Caller, Clock, DiaryAdapter, DirectRunner, Fault, RegionInfo
from adapters.emulation import EmulatorFaults
from adapters.netcity import NetCityAdapter
from adapters.netcity.config import NetCityConfig
from adapters.netcity.emulator import create_emulator
from adapters.seed import World, national_id
from gateway.dev_issuer import DevIssuer
from tests.adapters.harnesses.emulated import EmulatorAdmin
from tests.adapters.harnesses.moscow import JWKS_PATH, SSO_AUDIENCE, with_jwks
from tests.servers import free_port, serve_app


class Harness:
    slug = "netcity"
    region = "74"

    def __init__(
        self, *, token_ttl_calls: int | None = None, faults: EmulatorFaults | None = None
    ) -> None:
        self.issuer = DevIssuer(
            ECKey.generate_key("P-256", private=True), issuer="urn:test:netcity-sso"
        )
        self._token_ttl_calls = token_ttl_calls
        self._faults = faults
        self._stack = ExitStack()
        self._world: World | None = None
        self._http: httpx.AsyncClient | None = None
        self._admin: httpx.Client | None = None
        self.base_url = ""
        self.adapter: NetCityAdapter | None = None
        self.emulator: Any = None
        """The emulator's state (``adapters.netcity.emulator.app.Emulator``)."""

    @property
    def world(self) -> World:
        assert self._world is not None, "start() the harness first"
        return self._world

    @property
    def admin(self) -> httpx.Client:
        assert self._admin is not None, "start() the harness first"
        return self._admin

    async def start(self, clock: Clock) -> DiaryAdapter:
        self._world = World.build(self.region, clock=clock)
        port = free_port()
        app = create_emulator(
            world=self._world,
            clock=clock,
            sso_jwks_url=f"http://127.0.0.1:{port}{JWKS_PATH}",
            faults=self._faults,
            token_ttl_calls=self._token_ttl_calls,
        )
        self.emulator = app.state.emulator
        self.base_url = self._stack.enter_context(serve_app(with_jwks(app, self.issuer), port=port))
        self._admin = self._stack.enter_context(httpx.Client(base_url=self.base_url, timeout=5.0))
        self._http = httpx.AsyncClient()
        self.adapter = NetCityAdapter(
            region=RegionInfo(
                code=self.region,
                name="Челябинская область",
                timezone=ZoneInfo("Asia/Yekaterinburg"),
                diary_url="https://sgo.edu-74.ru",
                demo=True,
            ),
            config=NetCityConfig(base_url=self.base_url),
            deps=AdapterDeps(http=self._http, runner=DirectRunner(timeout=1.0), clock=clock),
        )
        return self.adapter

    async def stop(self) -> None:
        if self.adapter is not None:
            await self.adapter.aclose()
        if self._http is not None:
            await self._http.aclose()
        self._stack.close()

    def caller(self, persona: str) -> Caller:
        subject = national_id(persona, self.region)
        return Caller(person_id=subject, sso_token=self.issuer.mint(subject, audience=SSO_AUDIENCE))

    def canonical_student_id(self) -> str:
        return str(self.world.canonical_student_id)

    def teacher_group_id(self) -> str:
        return str(self.world.teacher_persona_group().id)

    def set_fault(self, fault: Fault | None) -> None:
        EmulatorAdmin(self.admin).set_fault(fault)

    def upstream_calls(self) -> int:
        return EmulatorAdmin(self.admin).upstream_calls()

    def stats(self) -> dict[str, int]:
        """Requests served per path."""
        return EmulatorAdmin(self.admin).stats()

    def student_login(self) -> tuple[str | None, str, str]:
        student = self.world.persona_student("student")
        school = next(s for s in self.world.schools if s.id == student.school_id)
        return school.login_code, student.login, student.password
