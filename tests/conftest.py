"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from adapters import SYSTEM_CLOCK, Clock
from tests.clock import AWKWARD_INSTANTS
from tests.redis import delete_keys, run_prefix, unreachable

# --- Redis: one key prefix per test run (see tests/redis.py) --------------------------------


@pytest.fixture(scope="session")
def redis_prefix() -> Iterator[str]:
    """This run's Redis key prefix (``test-<pid>-<random>:``); its keys go when the run ends.

    Runs started at the same time share the server but never each other's keys.
    """
    prefix = run_prefix()
    yield prefix
    if unreachable() is None:
        delete_keys(prefix)


# --- end of Redis ---------------------------------------------------------------------------


# --- The clock: date-dependent tests run at the instants that have broken us -----------------


@pytest.fixture(params=sorted(AWKWARD_INSTANTS))
def clock(request: pytest.FixtureRequest) -> Iterator[Clock]:
    """The process clock, moved (with time-machine) to one of :data:`AWKWARD_INSTANTS`.

    Everything in the process sees the instant: the gateway, the emulators served on
    uvicorn threads, JWT ``iat``/``exp`` checks, and the worlds used as oracles. The clock
    keeps ticking from there, as a running demo's would.
    """
    with time_machine.travel(AWKWARD_INSTANTS[request.param], tick=True):
        yield SYSTEM_CLOCK
