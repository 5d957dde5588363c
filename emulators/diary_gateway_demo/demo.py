"""The demo: the gateway over the three demo regions' emulators, served in-process, and the
development SSO issuer (``diary-gateway demo``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from adapters import SYSTEM_CLOCK, Clock
from gateway import create_app
from gateway.dev_issuer import (
    DEV_AUDIENCE,
    DEV_ISSUER,
    DEV_JWKS_PATH,
    dev_key_path,
    load_dev_issuer,
)
from gateway.pages import demo_routes
from gateway.settings import Settings, parse_settings

from .eljur import create_emulator as create_eljur_emulator
from .moscow import create_emulator as create_moscow_emulator
from .netcity import create_emulator as create_netcity_emulator
from .personas import PERSONAS
from .seed import SchoolCalendar, last_school_week, school_year_of

__all__ = [
    "ELJUR_EMULATOR_PATH",
    "EMULATOR_PATH",
    "EXAMPLE_QUERY",
    "NETCITY_EMULATOR_PATH",
    "build_demo_app",
    "demo_settings",
    "example_week",
]

EMULATOR_PATH = "/__emulators/moscow"
NETCITY_EMULATOR_PATH = "/__emulators/netcity"
ELJUR_EMULATOR_PATH = "/__emulators/eljur"

EXAMPLE_QUERY = """query ParentWeek($from: Date!, $to: Date!) {
  me {
    children {
      fullName
      school { name region { code } }
      diary(from: $from, to: $to) {
        days {
          date
          lessons {
            number
            subject { name }
            marks { value scale { kind } fivePoint weight comment }
            homework { text }
          }
        }
      }
    }
  }
}"""


def demo_settings(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    moscow_base_url: str | None = None,
    cors_origins: Sequence[str] = (),
) -> Settings:
    """The demo configuration: regions 74, 11 and 77, the dev issuer, memory cache;
    ``cors_origins``: browser frontends on other origins allowed to call it."""
    base = f"http://{host}:{port}"
    return parse_settings(
        {
            "server": {
                "host": host,
                "port": port,
                "graphiql": True,
                "introspection": True,
                "rate_limits": False,  # one developer (and the test suite) on loopback
                # GraphiQL and curl users are anonymous: let them try persisted queries.
                "persisted_queries_anonymous": True,
                "secret_key_file": str(dev_key_path().parent / "secret.key"),
                "cors_origins": list(cors_origins),
            },
            "issuers": [
                {
                    "issuer": DEV_ISSUER,
                    "audience": DEV_AUDIENCE,
                    "jwks_url": f"{base}{DEV_JWKS_PATH}",
                }
            ],
            "regions": {
                "74": {
                    "adapter": "netcity",
                    "name": "Челябинская область (демо)",
                    "timezone": "Asia/Yekaterinburg",
                    "diary_url": "https://sgo.edu-74.ru",
                    "demo": True,
                    "base_url": f"{base}{NETCITY_EMULATOR_PATH}",
                },
                "11": {
                    "adapter": "eljur",
                    "name": "Республика Коми (демо)",
                    "timezone": "Europe/Moscow",
                    "diary_url": "https://eljur.ru",
                    "demo": True,
                    "base_url": f"{base}{ELJUR_EMULATOR_PATH}",
                },
                "77": {
                    "adapter": "moscow",
                    "name": "Москва (демо)",
                    "timezone": "Europe/Moscow",
                    "diary_url": "https://school.mos.ru",
                    "demo": True,
                    "base_url": moscow_base_url or f"{base}{EMULATOR_PATH}",
                },
            },
        }
    )


def build_demo_app(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    key_path: Path | None = None,
    clock: Clock = SYSTEM_CLOCK,
    moscow_url: str | None = None,
    response_cache: bool = True,
    cache_url: str = "memory://",
    cors_origins: Sequence[str] = (),
    otlp_endpoint: str = "",
    metrics: str = "off",
) -> Starlette:
    """The demo app: the gateway plus the Moscow and ЭлЖур emulators mounted on the same server.

    Args:
        moscow_url: use this Moscow-protocol server instead of the in-process emulator.
        response_cache: cache whole responses (off: provider data is still cached).
        cache_url: ``memory://`` or ``redis://…`` (instances sharing it share caches).
        cors_origins: browser origins allowed to call the demo (``--cors-origin``).
        otlp_endpoint: send traces to this OTLP/HTTP collector (``--otlp-endpoint``;
            ``""``: no tracing).
        metrics: ``[server] metrics`` (``"open"``: ``GET /metrics`` for anyone; the bench).
        clock: the demo's clock (``diary-gateway demo --now`` shifts it); the worlds read it
            on every call, so the demo moves to the next day at each region's midnight.
    """
    issuer = load_dev_issuer(key_path)
    settings = demo_settings(
        host=host, port=port, moscow_base_url=moscow_url, cors_origins=cors_origins
    )
    settings = dataclasses.replace(
        settings,
        cache=dataclasses.replace(settings.cache, responses=response_cache, url=cache_url),
        telemetry=dataclasses.replace(settings.telemetry, otlp_endpoint=otlp_endpoint),
        server=dataclasses.replace(settings.server, metrics=metrics),
    )
    routes: list[BaseRoute] = []
    if moscow_url is None:
        emulator = create_moscow_emulator(
            clock=clock, sso_jwks_url=f"http://{host}:{port}{DEV_JWKS_PATH}"
        )
        routes.append(Mount(EMULATOR_PATH, app=emulator))
    netcity = create_netcity_emulator(
        clock=clock, sso_jwks_url=f"http://{host}:{port}{DEV_JWKS_PATH}"
    )
    routes.append(Mount(NETCITY_EMULATOR_PATH, app=netcity))
    eljur = create_eljur_emulator(clock=clock, sso_jwks_url=f"http://{host}:{port}{DEV_JWKS_PATH}")
    routes.append(Mount(ELJUR_EMULATOR_PATH, app=eljur))
    # the demo's own pages: /, /example/, /demo/personas.json (tokens: the demo only)
    routes.extend(
        demo_routes(
            issuer, personas=PERSONAS, query=EXAMPLE_QUERY, week=lambda: example_week(clock)
        )
    )
    return create_app(settings, dev_issuer=issuer, routes=routes, clock=clock)


def example_week(clock: Clock = SYSTEM_CLOCK) -> tuple[date, date, str | None]:
    """The week the example query asks for: (Monday, Sunday, why not this week).

    In term time this week (as the demo regions' latest local date sees it); during a
    school break or the summer, the last school week, with the break named.
    """
    zone = ZoneInfo("Asia/Yekaterinburg")  # the demo region whose day starts first
    today = clock.today(zone)
    monday = last_school_week(today)
    this_monday = today - timedelta(days=today.weekday())
    note: str | None = None
    if monday != this_monday:
        calendar = SchoolCalendar.for_year(school_year_of(today))
        pause = calendar.break_of(today) or calendar.break_of(this_monday)
        what = pause.name if pause is not None else "no lessons this week"
        note = f"{what}: the example shows the last school week"
    return monday, monday + timedelta(days=6), note
