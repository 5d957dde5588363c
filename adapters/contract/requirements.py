"""What a contract check needs of the adapter and harness, and skipping it otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from adapters import Capability

from .harness import harness_personas, supports_faults

__all__ = ["needs", "seed_world", "upstream_calls"]


def seed_world(contract_harness: Any) -> Any:
    """The harness's seed world (``diary_gateway_demo.seed.World``), or ``None``."""
    world = getattr(contract_harness, "world", None)
    if world is not None:
        return world
    backend = getattr(contract_harness.adapter, "backend", None)
    return getattr(backend, "world", None)


def needs(
    harness: Any,
    *,
    capabilities: tuple[Capability, ...] = (),
    personas: tuple[str, ...] = (),
    faults: bool = False,
    world: bool = False,
) -> None:
    """Skip the calling check unless the adapter and harness offer what it needs."""
    adapter = harness.adapter
    missing = [c.value for c in capabilities if not adapter.supports(c)]
    if missing:
        pytest.skip(f"{adapter.slug} does not declare {', '.join(missing)}")
    absent = sorted(set(personas) - harness_personas(harness))
    if absent:
        pytest.skip(f"the harness offers no persona {', '.join(absent)}")
    if faults and not supports_faults(harness):
        pytest.skip("the harness cannot switch faults")
    if world and seed_world(harness) is None:
        pytest.skip("the harness exposes no seed world")


def upstream_calls(harness: Any) -> int | None:
    """Requests the harness's provider has served, or ``None`` where it cannot count them
    (a harness without ``upstream_calls``, or the base's, which raises)."""
    method = getattr(harness, "upstream_calls", None)
    if not callable(method):
        return None
    try:
        count: int = method()
    except NotImplementedError:
        return None
    return count
