"""Contract-suite harness for the Moscow-style region (77): the adapter over real HTTP.

``start()`` serves the МЭШ emulator and a JWKS endpoint for a dev SSO issuer, each on a
real uvicorn server on 127.0.0.1, and builds :class:`~adapters.moscow.MoscowAdapter` over a
real ``httpx.AsyncClient`` with ``DirectRunner(timeout=1.0)``. Faults and the upstream call count go
through the emulator's ``/__admin`` API.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from zoneinfo import ZoneInfo

import httpx
from joserfc.jwk import ECKey
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters import AdapterDeps, Caller, Clock, DiaryAdapter, DirectRunner, Fault, RegionInfo
from adapters.moscow import MoscowAdapter
from adapters.moscow.config import MoscowConfig
from adapters.moscow.emulator import EmulatorFaults, create_emulator
from adapters.seed import World, national_id
from gateway.dev_issuer import DevIssuer
from tests.adapters.harnesses.emulated import EmulatorAdmin
from tests.servers import free_port, serve_app

SSO_AUDIENCE = "diary-gateway"


JWKS_PATH = "/.well-known/jwks.json"


def with_jwks(app: ASGIApp, issuer: DevIssuer) -> ASGIApp:
    """``app`` plus the SSO issuer's JWKS at :data:`JWKS_PATH` (one server for both)."""
    jwks = JSONResponse(issuer.jwks())

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == JWKS_PATH:
            await jwks(scope, receive, send)
        else:
            await app(scope, receive, send)

    return dispatch


class Harness:
    slug = "moscow"
    region = "77"

    def __init__(
        self,
        *,
        token_ttl_calls: int | None = None,
        faults: EmulatorFaults | None = None,
        wrap: Callable[[ASGIApp], ASGIApp] | None = None,
    ) -> None:
        """``wrap`` puts something (e.g. a rewriting middleware) in front of the emulator."""
        self.issuer = DevIssuer(
            ECKey.generate_key("P-256", private=True), issuer="urn:test:moscow-sso"
        )
        self._token_ttl_calls = token_ttl_calls
        self._faults = faults
        self._wrap = wrap
        self._stack = ExitStack()
        self._world: World | None = None
        self._http: httpx.AsyncClient | None = None
        self._admin: httpx.Client | None = None
        self.base_url = ""
        self.adapter: MoscowAdapter | None = None

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
        app: ASGIApp = create_emulator(
            world=self._world,
            clock=clock,
            sso_jwks_url=f"http://127.0.0.1:{port}{JWKS_PATH}",
            faults=self._faults,
            token_ttl_calls=self._token_ttl_calls,
        )
        if self._wrap is not None:
            app = self._wrap(app)
        self.base_url = self._stack.enter_context(serve_app(with_jwks(app, self.issuer), port=port))
        self._admin = self._stack.enter_context(httpx.Client(base_url=self.base_url, timeout=5.0))
        self._http = httpx.AsyncClient()
        self.adapter = MoscowAdapter(
            region=RegionInfo(
                code=self.region,
                name="Москва",
                timezone=ZoneInfo("Europe/Moscow"),
                diary_url="https://school.mos.ru",
            ),
            config=MoscowConfig(base_url=self.base_url),
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
        return None, student.login, student.password
