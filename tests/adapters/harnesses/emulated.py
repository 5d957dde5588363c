"""What harnesses of HTTP emulators share: :class:`EmulatedHarness` (serve the emulator and
an SSO issuer's JWKS, build the adapter over real HTTP) and :class:`EmulatorAdmin` (faults
and counts through the ``/__admin`` API every emulator on :mod:`diary_gateway_demo.emulation`
answers).
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import httpx
from joserfc.jwk import ECKey
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters import AdapterDeps, Caller, Clock, DiaryAdapter, DirectRunner, Fault
from diary_gateway_demo.seed import World, national_id
from gateway.dev_issuer import DEV_JWKS_PATH, DevIssuer
from tests.servers import free_port, serve_app

__all__ = [
    "EMULATOR_FAULTS",
    "JWKS_PATH",
    "SSO_AUDIENCE",
    "EmulatedHarness",
    "EmulatorAdmin",
    "with_jwks",
]

EMULATOR_FAULTS: dict[Fault, dict[str, Any]] = {
    Fault.UNAUTHORIZED: {"unauthorized_rate": 1.0},
    Fault.NOT_FOUND: {"not_found_rate": 1.0},
    Fault.RATE_LIMITED: {"rate_limit_rate": 1.0},
    Fault.SERVER_ERROR: {"error_rate": 1.0},
    Fault.TIMEOUT: {"timeout_rate": 1.0},
    Fault.MALFORMED: {"malformed_rate": 1.0},
}
"""The contract's faults as emulator fault settings (every request fails that way)."""


class EmulatorAdmin:
    """An emulator's ``/__admin`` API over a client whose base URL is the emulator."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def set_fault(self, fault: Fault | None) -> None:
        body = {} if fault is None else EMULATOR_FAULTS[fault]
        self.client.post("/__admin/faults", json=body).raise_for_status()

    def stats(self) -> dict[str, int]:
        """Requests served per path."""
        response = self.client.get("/__admin/stats")
        response.raise_for_status()
        paths: dict[str, int] = response.json()["paths"]
        return paths

    def upstream_calls(self) -> int:
        return sum(self.stats().values())


SSO_AUDIENCE = "diary-gateway"
JWKS_PATH = DEV_JWKS_PATH
"""Where the harness serves its SSO issuer's keys: where a gateway serves its dev issuer's."""


def with_jwks(app: ASGIApp, issuer: DevIssuer) -> ASGIApp:
    """``app`` plus the SSO issuer's JWKS at :data:`JWKS_PATH` (one server for both)."""
    jwks = JSONResponse(issuer.jwks())

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == JWKS_PATH:
            await jwks(scope, receive, send)
        else:
            await app(scope, receive, send)

    return dispatch


class EmulatedHarness:
    """A contract harness over an HTTP emulator: what the three built-in harnesses share.

    ``start()`` serves the provider's emulator (:meth:`emulator_app`) and a dev SSO issuer's
    JWKS on one real uvicorn server on 127.0.0.1, and builds the adapter
    (:meth:`build_adapter`) over a real ``httpx.AsyncClient`` with ``DirectRunner`` bounded
    by :attr:`runner_timeout` (generous: a loaded CI machine must not turn a slow answer into a
    timeout), or by :attr:`fault_timeout` while the ``TIMEOUT`` fault hangs every request.
    Faults and the upstream call count go through the emulator's
    ``/__admin`` API. Subclasses set :attr:`slug` and :attr:`region`.
    """

    slug: str
    region: str
    runner_timeout = 10.0
    fault_timeout = 1.0

    def __init__(self) -> None:
        self.issuer = DevIssuer(
            ECKey.generate_key("P-256", private=True), issuer=f"urn:test:{self.slug}-sso"
        )
        self._stack = ExitStack()
        self._world: World | None = None
        self._http: httpx.AsyncClient | None = None
        self._admin: httpx.Client | None = None
        self._runner = DirectRunner(timeout=self.runner_timeout)
        self.base_url = ""
        self.adapter: Any = None
        """The adapter under test, set by :meth:`start`."""

    def emulator_app(self, world: World, clock: Clock, jwks_url: str) -> ASGIApp:
        """The provider's emulator serving ``world``, trusting the JWKS at ``jwks_url``."""
        raise NotImplementedError

    def build_adapter(self, base_url: str, deps: AdapterDeps) -> DiaryAdapter:
        """The adapter under test, pointed at the emulator at ``base_url``."""
        raise NotImplementedError

    @property
    def world(self) -> World:
        assert self._world is not None, "start() the harness first"
        return self._world

    @property
    def admin(self) -> httpx.Client:
        """A client of the emulator (its ``/__admin`` API and its own calls)."""
        assert self._admin is not None, "start() the harness first"
        return self._admin

    async def start(self, clock: Clock) -> DiaryAdapter:
        self._world = World.build(self.region, clock=clock)
        port = free_port()
        app = self.emulator_app(self._world, clock, f"http://127.0.0.1:{port}{JWKS_PATH}")
        self.base_url = self._stack.enter_context(serve_app(with_jwks(app, self.issuer), port=port))
        self._admin = self._stack.enter_context(httpx.Client(base_url=self.base_url, timeout=5.0))
        self._http = httpx.AsyncClient()
        deps = AdapterDeps(http=self._http, runner=self._runner, clock=clock)
        adapter = self.build_adapter(self.base_url, deps)
        self.adapter = adapter
        return adapter

    async def stop(self) -> None:
        if self.adapter is not None:
            await self.adapter.aclose()
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
        self.set_faults({} if fault is None else EMULATOR_FAULTS[fault])

    def set_faults(self, settings: dict[str, Any]) -> None:
        """Sets the emulator's faults (its ``/__admin/faults`` body); while they hang or slow
        requests (``timeout_rate``, ``latency_ms``) calls are bounded by
        :attr:`fault_timeout`, so a test of the deadline waits one second, not ten."""
        slow = bool(settings.get("timeout_rate") or settings.get("latency_ms"))
        self._runner.timeout = self.fault_timeout if slow else self.runner_timeout
        self.admin.post("/__admin/faults", json=settings).raise_for_status()

    def upstream_calls(self) -> int:
        return EmulatorAdmin(self.admin).upstream_calls()

    def stats(self) -> dict[str, int]:
        """Requests served per path."""
        return EmulatorAdmin(self.admin).stats()

    def student_login(self) -> tuple[str | None, str, str]:
        """The student persona's school code (``None`` where logins need none), login and
        password."""
        student = self.world.persona_student("student")
        school = next(s for s in self.world.schools if s.id == student.school_id)
        return school.login_code, student.login, student.password
