"""Contract-suite harness for the Moscow-style region (77): the adapter over real HTTP.

``start()`` serves the МЭШ emulator and a JWKS endpoint for a dev SSO issuer, each on a
real uvicorn server on 127.0.0.1, and builds :class:`~adapters.moscow.MoscowAdapter` over a
real ``httpx.AsyncClient`` with ``DirectRunner`` (see
:class:`~tests.adapters.harnesses.emulated.EmulatedHarness` for its timeouts).
Faults and the upstream call count go
through the emulator's ``/__admin`` API.
"""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from starlette.types import ASGIApp

from adapters import AdapterDeps, Clock, DiaryAdapter, RegionInfo
from adapters.moscow import MoscowAdapter
from adapters.moscow.config import MoscowConfig
from diary_gateway_demo.moscow import EmulatorFaults, create_emulator
from diary_gateway_demo.seed import World
from tests.adapters.harnesses.emulated import JWKS_PATH, SSO_AUDIENCE, EmulatedHarness, with_jwks

__all__ = ["JWKS_PATH", "SSO_AUDIENCE", "Harness", "with_jwks"]


class Harness(EmulatedHarness):
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
        super().__init__()
        self._token_ttl_calls = token_ttl_calls
        self._faults = faults
        self._wrap = wrap

    def emulator_app(self, world: World, clock: Clock, jwks_url: str) -> ASGIApp:
        app: ASGIApp = create_emulator(
            world=world,
            clock=clock,
            sso_jwks_url=jwks_url,
            faults=self._faults,
            token_ttl_calls=self._token_ttl_calls,
        )
        return self._wrap(app) if self._wrap is not None else app

    def build_adapter(self, base_url: str, deps: AdapterDeps) -> DiaryAdapter:
        return MoscowAdapter(
            region=RegionInfo(
                code=self.region,
                name="Москва",
                timezone=ZoneInfo("Europe/Moscow"),
                diary_url="https://school.mos.ru",
            ),
            config=MoscowConfig(base_url=base_url),
            deps=deps,
        )

    def student_login(self) -> tuple[str | None, str, str]:
        student = self.world.persona_student("student")
        return None, student.login, student.password  # МЭШ logins need no school
