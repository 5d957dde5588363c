"""The engine and sessions of ``[database] url``, and the migrations that shape it.

``[database] url`` is a SQLAlchemy URL; ``sqlite:///path`` and ``postgresql://…`` are taken
to mean their async drivers (aiosqlite, asyncpg). Migrations are Alembic revisions shipped in
:mod:`gateway.database.migrations`; :func:`migrate` moves a database to a revision (``head``
by default, ``base`` to undo everything), and :class:`Database` runs the pending ones on its
first use when ``[database] migrate_on_start`` is on (the default: the demo needs nothing).
On PostgreSQL the migration holds an advisory lock, so instances starting together migrate
once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

__all__ = ["DEFAULT_DATABASE_URL", "Database", "async_url", "head_revision", "migrate"]

DEFAULT_DATABASE_URL: Final = "sqlite:///.data/gateway.sqlite3"
"""A SQLite file beside the working directory: the demo and a first ``serve`` need nothing."""

_DRIVERS: Final = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}
_MIGRATIONS: Final = str(Path(__file__).with_name("migrations"))
_LOCK_ID: Final = 0x6469617279  # "diary": the advisory lock migrations hold on PostgreSQL


def async_url(url: str) -> URL:
    """``url`` with its async driver (``sqlite`` → aiosqlite, ``postgresql`` → asyncpg).

    Raises ``ValueError`` naming what is accepted for anything else.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError("a database URL such as sqlite:///path or postgresql://host/db") from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(
            "a database URL such as sqlite:///path or postgresql://host/db "
            f"(sqlite or postgresql, not {parsed.drivername})"
        )
    if driver.startswith("postgresql") and not parsed.database:
        raise ValueError("a PostgreSQL URL naming its database (postgresql://host/db)")
    return parsed.set(drivername=driver)


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", _MIGRATIONS)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this gateway ships."""
    config = Config()
    config.set_main_option("script_location", _MIGRATIONS)
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None  # noqa: S101 - the package ships revisions
    return head


def _move(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
    current = MigrationContext.configure(connection).get_current_revision()
    config = _config(connection)
    if revision == "base" or (current is not None and _is_newer(current, revision)):
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


def _is_newer(current: str, target: str) -> bool:
    """Whether ``current`` comes after ``target`` (moving there is a downgrade)."""
    if target == "head":
        return False
    config = Config()
    config.set_main_option("script_location", _MIGRATIONS)
    script = ScriptDirectory.from_config(config)
    return any(rev.revision == target for rev in script.iterate_revisions(current, "base")) and (
        current != target
    )


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def migrate(engine: AsyncEngine, revision: str = "head") -> str | None:
    """Move the database to ``revision`` (``head``, ``base`` or a revision id), up or down;
    the revision it is at afterwards (``None``: empty)."""
    async with engine.begin() as connection:
        await connection.run_sync(_move, revision)
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA busy_timeout=5000")  # writers queue instead of failing at once
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """One engine and its sessions; the pending migrations run on first use (if asked)."""

    def __init__(self, url: str, *, migrate_on_start: bool = True) -> None:
        self.url = async_url(url)
        self.migrate_on_start = migrate_on_start
        if self.url.drivername.startswith("sqlite") and self.url.database not in (None, ""):
            database = self.url.database
            if database != ":memory:" and not database.startswith("file:"):
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_async_engine(self.url, pool_pre_ping=True)
        if self.url.drivername.startswith("sqlite"):
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._ready = False
        self._lock = asyncio.Lock()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @property
    def is_ready(self) -> bool:
        """Whether the migrations ran (or were checked) in this process."""
        return self._ready

    async def ready(self) -> None:
        """Run the pending migrations once (``migrate_on_start``), or check there are none."""
        if self._ready:
            return
        async with self._lock:
            if self.is_ready:  # another task migrated while this one waited
                return
            if self.migrate_on_start:
                try:
                    await migrate(self.engine)
                except Exception:
                    # Another process migrating the same SQLite file at the same moment (no
                    # advisory lock there) may have won the race: fine if the database is
                    # at this gateway's revision now, else the error stands.
                    await asyncio.sleep(0.2)
                    try:
                        await self.check()
                    except RuntimeError:
                        await migrate(self.engine)
            else:
                await self.check()
            self._ready = True

    async def check(self) -> None:
        """Raise ``RuntimeError`` unless the database is at this gateway's head revision."""
        async with self.engine.connect() as connection:
            current = await connection.run_sync(_current)
        head = head_revision()
        if current != head:
            raise RuntimeError(
                f"the database is at revision {current or 'none'}, this gateway needs {head}: "
                "run `diary-gateway migrate --config FILE`"
            )

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction, committed when the block ends without an error."""
        await self.ready()
        async with self._sessions() as session, session.begin():
            yield session

    async def aclose(self) -> None:
        """Close the engine's connections."""
        await self.engine.dispose()
