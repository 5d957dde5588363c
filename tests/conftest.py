"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
