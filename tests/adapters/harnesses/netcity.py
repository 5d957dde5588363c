"""Contract-suite harness for «Сетевой город» (region 74): the adapter over real HTTP.

``start()`` serves the NetSchool emulator and a JWKS endpoint for a dev SSO issuer on one
real uvicorn server on 127.0.0.1, and builds :class:`~adapters.netcity.NetCityAdapter` over
a real ``httpx.AsyncClient`` with ``DirectRunner`` (see
:class:`~tests.adapters.harnesses.emulated.EmulatedHarness` for its timeouts).
Faults and the upstream
call count (every HTTP request, sign-ins included) go through the emulator's ``/__admin``.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from starlette.types import ASGIApp

from adapters import AdapterDeps, Clock, DiaryAdapter, RegionInfo
from adapters.netcity import NetCityAdapter
from adapters.netcity.config import NetCityConfig
from diary_gateway_demo.emulation import EmulatorFaults
from diary_gateway_demo.netcity import create_emulator
from diary_gateway_demo.seed import World
from tests.adapters.harnesses.emulated import EmulatedHarness


class Harness(EmulatedHarness):
    slug = "netcity"
    region = "74"

    def __init__(
        self, *, token_ttl_calls: int | None = None, faults: EmulatorFaults | None = None
    ) -> None:
        super().__init__()
        self._token_ttl_calls = token_ttl_calls
        self._faults = faults
        self.emulator: Any = None
        """The emulator's state (``diary_gateway_demo.netcity.app.Emulator``)."""

    def emulator_app(self, world: World, clock: Clock, jwks_url: str) -> ASGIApp:
        app = create_emulator(
            world=world,
            clock=clock,
            sso_jwks_url=jwks_url,
            faults=self._faults,
            token_ttl_calls=self._token_ttl_calls,
        )
        self.emulator = app.state.emulator
        return app

    def build_adapter(self, base_url: str, deps: AdapterDeps) -> DiaryAdapter:
        return NetCityAdapter(
            region=RegionInfo(
                code=self.region,
                name="Челябинская область",
                timezone=ZoneInfo("Asia/Yekaterinburg"),
                diary_url="https://sgo.edu-74.ru",
                demo=True,
            ),
            config=NetCityConfig(base_url=base_url),
            deps=deps,
        )
