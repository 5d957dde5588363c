"""The contract's fixtures: ``contract_harness`` (a started harness) and ``contract_cassette``.

Registered by the plugin when a project opts in (:mod:`adapters.contract.plugin`). A
project may instead import the fixtures into its own ``conftest.py`` and parametrize them
itself with :func:`parametrize_harnesses` and :func:`parametrize_cassettes` (this
repository's ``tests/adapters/conftest.py`` does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from adapters.clock import Clock

from .cassette import Cassette
from .harness import HarnessSpec, find_harnesses

__all__ = [
    "CONTRACT_CLOCK",
    "cassette_files",
    "contract_cassette",
    "contract_harness",
    "parametrize_cassettes",
    "parametrize_harnesses",
    "pytest_generate_tests",
]

CONTRACT_CLOCK = Clock.fixed(datetime(2025, 10, 18, 12, 0, tzinfo=UTC))
"""A Saturday: the canonical week (13–17 October 2025) lies wholly in the past."""

_SPECS = pytest.StashKey[list[HarnessSpec]]()


@pytest_asyncio.fixture(loop_scope="function")
async def contract_harness(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """A harness started on the canonical scenario at :data:`CONTRACT_CLOCK`."""
    spec = getattr(request, "param", None)
    if not isinstance(spec, HarnessSpec):
        pytest.fail("contract_harness is parametrized by the contract plugin (no harness given)")
    harness = spec.load()()
    adapter = await harness.start(CONTRACT_CLOCK)
    if getattr(harness, "adapter", None) is not adapter:
        harness.adapter = adapter
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
def contract_cassette(request: pytest.FixtureRequest) -> Cassette:
    """A recorded conversation with a region's system (see :mod:`adapters.contract.cassette`)."""
    path = getattr(request, "param", None)
    if not isinstance(path, Path):
        pytest.fail("contract_cassette is parametrized by the contract plugin (--replay DIR)")
    return Cassette.load(path)


def parametrize_harnesses(metafunc: pytest.Metafunc, specs: Sequence[HarnessSpec]) -> None:
    """Run a test that uses ``contract_harness`` once per harness."""
    if "contract_harness" in metafunc.fixturenames:
        metafunc.parametrize(
            "contract_harness",
            [pytest.param(s, id=s.id) for s in specs]
            or [pytest.param(None, marks=pytest.mark.skip(reason="no contract harness"))],
            indirect=True,
        )


def cassette_files(directories: Iterable[str | Path]) -> list[Path]:
    """The cassettes (``*.json``) in ``directories``, sorted."""
    return sorted(p for d in directories for p in Path(d).glob("*.json"))


def parametrize_cassettes(metafunc: pytest.Metafunc, files: Sequence[Path]) -> None:
    """Run a test that uses ``contract_cassette`` once per cassette file."""
    if "contract_cassette" in metafunc.fixturenames:
        metafunc.parametrize(
            "contract_cassette",
            [pytest.param(p, id=p.stem) for p in files]
            or [pytest.param(None, marks=pytest.mark.skip(reason="no cassettes (--replay DIR)"))],
            indirect=True,
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    config = metafunc.config
    specs = config.stash.get(_SPECS, None)
    if specs is None:
        specs = config.stash[_SPECS] = find_harnesses(config.getini("contract_harnesses"))
    parametrize_harnesses(metafunc, specs)
    replay = config.getoption("contract_replay", None)
    parametrize_cassettes(metafunc, cassette_files([replay] if replay else []))
