"""Contract-suite harness for the ЭлЖур region (11, Республика Коми): the adapter over HTTP.

``start()`` serves the ЭлЖур emulator, with a JWKS endpoint for a dev SSO issuer whose tokens
its ``getusersvendors`` exchanges, on a real uvicorn server on 127.0.0.1 and builds
:class:`~adapters.eljur.ElJurAdapter` over a real ``httpx.AsyncClient`` with
``DirectRunner`` (a staff roster is one ``getprofile`` per student, about 50 requests: half a
second on an idle machine, more under a parallel test run, so the harness's generous timeout
matters here most). Faults, token
expiry and the upstream call count go through the emulator's ``/__admin`` API.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.types import ASGIApp

from adapters import AdapterDeps, Clock, DiaryAdapter, RegionInfo
from adapters.eljur import ElJurAdapter
from adapters.eljur.config import ElJurConfig
from diary_gateway_demo.eljur import create_emulator
from diary_gateway_demo.seed import World
from tests.adapters.harnesses.emulated import EmulatedHarness, EmulatorAdmin

REGION = RegionInfo(
    code="11",
    name="Республика Коми",
    timezone=ZoneInfo("Europe/Moscow"),
    diary_url="https://eljur.example",
    demo=True,
)
DEVKEY = "demo-devkey"


class Harness(EmulatedHarness):
    """Serves the ЭлЖур emulator and builds its adapter for one test."""

    slug = "eljur"
    region = "11"

    def emulator_app(self, world: World, clock: Clock, jwks_url: str) -> ASGIApp:
        return create_emulator(world=world, clock=clock, devkey=DEVKEY, sso_jwks_url=jwks_url)

    def build_adapter(self, base_url: str, deps: AdapterDeps) -> DiaryAdapter:
        return ElJurAdapter(
            region=REGION, config=ElJurConfig(base_url=base_url, devkey=DEVKEY), deps=deps
        )

    def method_calls(self, method: str) -> int:
        """How many times the adapter called ``method``."""
        return EmulatorAdmin(self.admin).stats().get(f"/apiv3/{method}", 0)

    def expire_tokens(self) -> None:
        """Revoke every token the emulator has issued (as if they had all expired)."""
        self.admin.post("/__admin/expire-tokens").raise_for_status()
