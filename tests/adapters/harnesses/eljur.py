"""Contract-suite harness for the ЭлЖур region (11, Республика Коми): the adapter over HTTP.

``start()`` serves the ЭлЖур emulator, with a JWKS endpoint for a dev SSO issuer whose tokens
its ``getusersvendors`` exchanges, on a real uvicorn server on 127.0.0.1 and builds
:class:`~adapters.eljur.ElJurAdapter` over a real ``httpx.AsyncClient`` with
``DirectRunner(timeout=5.0)``: a staff roster is one ``getprofile`` per student (about 50
requests, half a second on an idle machine, more under a parallel test run). Faults, token
expiry and the upstream call count go through the emulator's ``/__admin`` API.
"""

from __future__ import annotations

from contextlib import ExitStack
from zoneinfo import ZoneInfo

import httpx
from joserfc.jwk import ECKey

from adapters import AdapterDeps, Caller, Clock, DiaryAdapter, DirectRunner, Fault, RegionInfo
from adapters.eljur import ElJurAdapter
from adapters.eljur.config import ElJurConfig
from adapters.eljur.emulator import create_emulator
from adapters.seed import World, national_id
from gateway.dev_issuer import DevIssuer
from tests.adapters.harnesses.emulated import EmulatorAdmin
from tests.adapters.harnesses.moscow import JWKS_PATH, SSO_AUDIENCE, with_jwks
from tests.servers import free_port, serve_app

REGION = RegionInfo(
    code="11",
    name="Республика Коми",
    timezone=ZoneInfo("Europe/Moscow"),
    diary_url="https://eljur.example",
    demo=True,
)
DEVKEY = "demo-devkey"
RUNNER_TIMEOUT = 5.0


class Harness:
    """Serves the ЭлЖур emulator and builds its adapter for one test."""

    slug: str = "eljur"
    region: str = "11"

    def __init__(self) -> None:
        self.issuer = DevIssuer(
            ECKey.generate_key("P-256", private=True), issuer="urn:test:eljur-sso"
        )
        self._stack = ExitStack()
        self._world: World | None = None
        self._http: httpx.AsyncClient | None = None
        self._admin: httpx.Client | None = None
        self.base_url = ""

    adapter: ElJurAdapter
    """The adapter under test, set by :meth:`start`."""

    @property
    def world(self) -> World:
        assert self._world is not None, "start() the harness first"
        return self._world

    @property
    def admin(self) -> httpx.Client:
        """A client of the emulator (its ``/__admin`` API and its methods)."""
        assert self._admin is not None, "start() the harness first"
        return self._admin

    async def start(self, clock: Clock) -> DiaryAdapter:
        self._world = World.build(self.region, clock=clock)
        port = free_port()
        app = create_emulator(
            world=self._world,
            clock=clock,
            devkey=DEVKEY,
            sso_jwks_url=f"http://127.0.0.1:{port}{JWKS_PATH}",
        )
        self.base_url = self._stack.enter_context(serve_app(with_jwks(app, self.issuer), port=port))
        self._admin = self._stack.enter_context(httpx.Client(base_url=self.base_url, timeout=5.0))
        self._http = httpx.AsyncClient()
        self.adapter = ElJurAdapter(
            region=REGION,
            config=ElJurConfig(base_url=self.base_url, devkey=DEVKEY),
            deps=AdapterDeps(
                http=self._http, runner=DirectRunner(timeout=RUNNER_TIMEOUT), clock=clock
            ),
        )
        return self.adapter

    async def stop(self) -> None:
        adapter: ElJurAdapter | None = getattr(self, "adapter", None)
        if adapter is not None:
            await adapter.aclose()
        if self._http is not None:
            await self._http.aclose()
        self._stack.close()

    def caller(self, persona: str) -> Caller:
        return self.caller_of(national_id(persona, self.region))

    def caller_of(self, subject: str) -> Caller:
        """A national-SSO caller with a token of the harness's issuer (any subject)."""
        return Caller(person_id=subject, sso_token=self.issuer.mint(subject, audience=SSO_AUDIENCE))

    def canonical_student_id(self) -> str:
        return str(self.world.canonical_student_id)

    def teacher_group_id(self) -> str:
        return str(self.world.teacher_persona_group().id)

    def set_fault(self, fault: Fault | None) -> None:
        EmulatorAdmin(self.admin).set_fault(fault)

    def method_calls(self, method: str) -> int:
        """How many times the adapter called ``method``."""
        return EmulatorAdmin(self.admin).stats().get(f"/apiv3/{method}", 0)

    def upstream_calls(self) -> int:
        return EmulatorAdmin(self.admin).upstream_calls()

    def expire_tokens(self) -> None:
        """Revoke every token the emulator has issued (as if they had all expired)."""
        self.admin.post("/__admin/expire-tokens").raise_for_status()

    def student_login(self) -> tuple[str | None, str, str]:
        student = self.world.persona_student("student")
        school = next(s for s in self.world.schools if s.id == student.school_id)
        return school.login_code, student.login, student.password
