"""The poll interval adapts to the school day in the student's region and to failures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from adapters import Clock
from diary_gateway_demo.demo import demo_settings
from gateway.live import MemoryLease, MemoryStream, Poller
from gateway.settings import LiveSettings
from gateway.wiring import build_http_client, build_registry

MOSCOW = ZoneInfo("Europe/Moscow")
LIVE = LiveSettings(poll_interval_seconds=30, lease_seconds=90, off_hours_factor=4)


@pytest.fixture
async def registry() -> AsyncIterator[object]:
    http = build_http_client()
    yield build_registry(demo_settings(), http)
    await http.aclose()


def _poller(registry: object, local: datetime) -> Poller:
    return Poller(
        registry=registry,  # type: ignore[arg-type]
        lease=MemoryLease(),
        stream=MemoryStream(max_len=10, seen_ttl=60),
        settings=LIVE,
        clock=Clock.fixed(local.replace(tzinfo=MOSCOW)),
    )


async def test_school_hours_poll_at_the_interval_else_less_often(registry: object) -> None:
    monday_morning = _poller(registry, datetime(2026, 11, 30, 10, 0))
    monday_night = _poller(registry, datetime(2026, 11, 30, 23, 0))
    saturday = _poller(registry, datetime(2026, 12, 5, 10, 0))
    assert monday_morning.interval("77", failures=0) == 30
    assert monday_night.interval("77", failures=0) == 120
    assert saturday.interval("77", failures=0) == 120


async def test_failures_back_off_up_to_sixteen_times(registry: object) -> None:
    poller = _poller(registry, datetime(2026, 11, 30, 10, 0))
    assert [poller.interval("77", failures=n) for n in (1, 2, 3, 4, 5, 9)] == [
        60,
        120,
        240,
        480,
        480,
        480,
    ]


async def test_the_region_decides_what_school_hours_are(registry: object) -> None:
    # 18:30 in Moscow is 20:30 in Chelyabinsk (region 74): school is out there
    poller = _poller(registry, datetime(2026, 11, 30, 18, 30))
    assert poller.interval("77", failures=0) == 30
    assert poller.interval("74", failures=0) == 120
