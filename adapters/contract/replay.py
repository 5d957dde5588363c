"""Replaying cassettes: a region's recordings of its real system become tests.

:class:`ReplayChecks` runs every read-only live check (:mod:`adapters.contract.live`) over
each cassette the ``contract_cassette`` fixture gives (``pytest --replay DIR``, or a
project's own parametrization): the adapter is built from the cassette's region, adapter
slug and settings, over an httpx client that answers from the recording, at the instant it
was recorded, and the checks before a check run first, as when recorded. A check that
passed when recorded must pass again; one that was skipped or failed then is skipped,
saying so. A request the recording lacks fails the check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapters.base import AdapterDeps, DirectRunner, RegionInfo
from adapters.clock import SYSTEM_CLOCK, Clock
from adapters.models import Caller, DateRange
from adapters.registry import get_adapter_class

from .cassette import Cassette, ReplayTransport
from .live import LIVE_CHECKS, LiveContext, LiveOutcome, run_live_check

__all__ = ["ReplayChecks", "replay_context", "replay_until"]


@asynccontextmanager
async def replay_context(cassette: Cassette) -> AsyncIterator[tuple[LiveContext, ReplayTransport]]:
    """The cassette's adapter over its recording, and the context the live checks take."""
    cls = get_adapter_class(cassette.adapter)
    transport = ReplayTransport(cassette.interactions)
    clock = Clock.fixed(cassette.recorded_at) if cassette.recorded_at else SYSTEM_CLOCK
    region = cassette.region
    async with httpx.AsyncClient(transport=transport) as http:
        adapter = cls(
            region=RegionInfo(
                code=region["code"],
                name=region["name"],
                timezone=ZoneInfo(region["timezone"]),
                diary_url=region["diary_url"],
            ),
            config=cls.config_model(**cassette.config),
            deps=AdapterDeps(http=http, runner=DirectRunner(timeout=5.0), clock=clock),
        )
        try:
            yield (
                LiveContext(
                    adapter=adapter,
                    callers={
                        name: Caller(person_id=c.get("person_id"), sso_token=c.get("sso_token"))
                        for name, c in cassette.personas.items()
                    },
                    week=DateRange(cassette.week, cassette.week + timedelta(days=6)),
                    student_id=cassette.student_id,
                ),
                transport,
            )
        finally:
            await adapter.aclose()


async def replay_until(check: str, ctx: LiveContext) -> LiveOutcome:
    """Run the checks in their recorded order up to ``check``; return its outcome.

    An adapter remembers what earlier calls taught it (a school's name, a token), so the
    recording of one check holds only the requests it made after the checks before it.
    """
    for name in LIVE_CHECKS:
        outcome = await run_live_check(name, ctx)
        if name == check:
            return outcome
    raise KeyError(check)


class ReplayChecks:
    """The live checks over each recorded cassette."""

    @pytest.mark.parametrize("check", list(LIVE_CHECKS))
    async def test_recorded_check(self, contract_cassette: Cassette, check: str) -> None:
        recorded = contract_cassette.results.get(check, "not recorded")
        if recorded != "passed":
            pytest.skip(f"{check} was {recorded} when recorded")
        async with replay_context(contract_cassette) as (ctx, transport):
            outcome = await replay_until(check, ctx)
        assert not transport.misses, f"requests the recording lacks: {transport.misses}"
        assert outcome.status == "passed", outcome.line()
