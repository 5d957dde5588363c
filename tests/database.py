"""Databases for tests: a SQLite file in a temporary folder, or a PostgreSQL database of the
test's own (``CREATE DATABASE`` with a random name, ``DROP … WITH (FORCE)`` at the end).

PostgreSQL is the machine's (``POSTGRES_URL``, default ``postgresql://postgres@127.0.0.1:5432/
postgres``, trust auth). When it does not answer, :func:`postgres_database` skips the test
with the reason, or fails it under ``REQUIRE_POSTGRES=1`` (``.ci/run``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import pytest
from sqlalchemy.engine import make_url

__all__ = ["POSTGRES_URL", "postgres_database"]

POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("REQUIRE_POSTGRES") == "1":
        pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped when the block ends."""
    name = f"dg_test_{os.getpid()}_{secrets.token_hex(4)}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        _skip_or_fail(f"PostgreSQL at {make_url(POSTGRES_URL).host} is unavailable ({exc})")
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
