"""The contract suite's fixtures, from the contract plugin (:mod:`adapters.contract`).

``contract_harness``: one parameter per adapter — each built-in one's harness
``tests/adapters/harnesses/<slug>.py`` (a ``Harness`` class: see
:mod:`adapters.contract.harness` for what it must offer), and every adapter installed
through the ``diary_gateway.adapters`` entry point, with the harness its package registers
in ``diary_gateway.contract_harnesses`` (none: its checks fail). ``contract_cassette``: the
recordings in ``tests/adapters/cassettes/`` plus ``--replay DIR``.

To add a provider to the contract suite: register its adapter and write its harness.
Nothing else changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from adapters.contract.fixtures import (
    CONTRACT_CLOCK,
    cassette_files,
    contract_cassette,
    contract_harness,
    parametrize_cassettes,
    parametrize_harnesses,
)
from adapters.contract.harness import find_harnesses

__all__ = ["CONTRACT_CLOCK", "contract_cassette", "contract_harness"]

CASSETTES = Path(__file__).parent / "cassettes"
IN_TREE_HARNESSES = "tests.adapters.harnesses.{slug}:Harness"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_harnesses(metafunc, find_harnesses([IN_TREE_HARNESSES]))
    replay = metafunc.config.getoption("contract_replay", None)
    parametrize_cassettes(metafunc, cassette_files([CASSETTES, *([replay] if replay else [])]))


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
