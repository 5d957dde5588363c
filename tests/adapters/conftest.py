"""The ``harness`` fixture: one parameter per registered provider, picked up automatically.

To add a provider to the contract suite: register its adapter in ``adapters/registry.py``
and write ``tests/adapters/harnesses/<slug>.py`` with a ``Harness`` class (see
``contract.py`` for what it must offer). Nothing else changes.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters import ADAPTERS, Clock

CONTRACT_CLOCK = Clock.fixed(datetime(2025, 10, 18, 12, 0, tzinfo=UTC))
"""A Saturday: the canonical week (13–17 October 2025) lies wholly in the past."""


def _harness_params() -> list[Any]:
    return [pytest.param(slug, id=slug) for slug in sorted(ADAPTERS)]


@pytest.fixture(params=_harness_params())
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    module = importlib.import_module(f"tests.adapters.harnesses.{request.param}")
    h = module.Harness()
    adapter = await h.start(CONTRACT_CLOCK)
    if getattr(h, "adapter", None) is not adapter:
        h.adapter = adapter
    try:
        yield h
    finally:
        await h.stop()


@pytest.fixture
async def messy() -> AsyncIterator[tuple[Any, Any]]:
    """The Moscow adapter over real HTTP to its emulator in messy mode, on the contract day."""
    from adapters.moscow import MoscowAdapter
    from tests.adapters.harnesses.moscow import Harness

    harness = Harness()
    adapter = await harness.start(CONTRACT_CLOCK)
    assert isinstance(adapter, MoscowAdapter)
    harness.admin.post("/__admin/faults", json={"messy": True}).raise_for_status()
    try:
        yield harness, adapter
    finally:
        await harness.stop()
