"""The gateway's own database: settings, migrations up and down on SQLite and PostgreSQL
(``diary-gateway migrate``), and the access history kept there (``[audit] store =
"database"``) shared by two gateways on one PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect

from diary_gateway_demo.seed import World
from gateway.database import Database, head_revision, migrate
from gateway.settings import SettingsError, parse_settings
from schema.ids import encode_id
from tests.clock import school_week
from tests.database import postgres_database

from .conftest import make_demo

AUDIT_TABLES = {"audit_events", "audit_students"}
RECEIPT_TABLES = {"receipts", "receipt_keys"}
ONBOARDING_TABLES = {"invitations", "access_requests"}
NOTICE_TABLES = {"absence_notices"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind, the test's own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
        return
    with postgres_database() as url:
        yield url


def _tables(url: str) -> set[str]:
    async def read() -> set[str]:
        database = Database(url, migrate_on_start=False)
        try:
            async with database.engine.connect() as connection:
                names = await connection.run_sync(lambda c: inspect(c).get_table_names())
        finally:
            await database.aclose()
        return set(names) - {"alembic_version"}

    return asyncio.run(read())


def _migrate(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "migrate", "--url", url, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow  # a process of its own: CI runs it with -m slow
def test_migrations_run_up_and_down(database_url: str) -> None:
    assert _tables(database_url) == set()
    up = _migrate(database_url)
    assert up.returncode == 0, up.stderr
    assert f"at revision {head_revision()} (the newest)" in up.stdout
    assert (
        _tables(database_url) == AUDIT_TABLES | RECEIPT_TABLES | ONBOARDING_TABLES | NOTICE_TABLES
    )
    down = _migrate(database_url, "--to", "0001")
    assert down.returncode == 0, down.stderr
    assert _tables(database_url) == AUDIT_TABLES
    again = _migrate(database_url)  # up again from the middle
    assert again.returncode == 0, again.stderr
    assert (
        _tables(database_url) == AUDIT_TABLES | RECEIPT_TABLES | ONBOARDING_TABLES | NOTICE_TABLES
    )
    base = _migrate(database_url, "--to", "base")
    assert base.returncode == 0, base.stderr
    assert "at revision none (empty)" in base.stdout
    assert _tables(database_url) == set()


def test_a_database_behind_is_refused_without_migrate_on_start(database_url: str) -> None:
    async def use() -> str:
        database = Database(database_url, migrate_on_start=False)
        try:
            await migrate(database.engine, "0001")
            with pytest.raises(RuntimeError, match="diary-gateway migrate") as refused:
                await database.ready()
            return str(refused.value)
        finally:
            await database.aclose()

    assert "revision 0001" in asyncio.run(use())


@pytest.mark.slow  # a process of its own: CI runs it with -m slow
def test_migrate_refuses_a_bad_url_and_says_why() -> None:
    bad = _migrate("mysql://somewhere/db")
    assert bad.returncode == 2
    assert "sqlite or postgresql, not mysql" in bad.stderr
    unreachable = _migrate("postgresql://postgres:hunter2@127.0.0.1:1/db")
    assert unreachable.returncode == 1
    assert "cannot migrate" in unreachable.stderr
    assert "hunter2" not in unreachable.stderr  # the password is never printed


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"database": {"url": "mysql://h/db"}}, "database.url: expected a database URL"),
        ({"database": {"url": "postgresql://h"}}, "database.url: expected a PostgreSQL URL"),
        ({"database": {"url": 5}}, "database.url: expected a string"),
        ({"database": {"migrate": True}}, "database.migrate: expected one of the known keys"),
        ({"audit": {"store": "disk"}}, 'audit.store: expected one of "redis", "database"'),
    ],
)
def test_database_settings_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        parse_settings(table)
    assert str(refused.value).startswith(message), str(refused.value)


def test_a_password_in_a_bad_url_is_not_repeated() -> None:
    with pytest.raises(SettingsError) as refused:
        parse_settings({"database": {"url": "mysql://u:hunter2@h/db"}})
    assert "hunter2" not in str(refused.value)


ACCESS_LOG = """query DatabaseAccessLog{tag}($id: ID!) {{
  student(id: $id) {{ accessLog(first: 5) {{ nodes {{ viewer fields isAllowed }} }} }}
}}"""
DIARY = """query DatabaseRead($id: ID!, $from: Date!, $to: Date!) {
  student(id: $id) { diary(from: $from, to: $to) { days { date } } }
}"""


def test_two_gateways_on_one_postgresql_share_the_access_history(tmp_path: Path) -> None:
    """A teacher's read through one instance is in the access log the parent reads through
    the other: the history is the database's, not an instance's (the cache is per instance)."""
    world = World.build("74")
    student = encode_id("Student", "74", str(world.canonical_student_id))
    key = tmp_path / "key.json"
    with postgres_database() as url:
        tables: dict[str, Any] = {"audit": {"store": "database"}, "database": {"url": url}}
        with make_demo(key, **tables) as first, make_demo(key, **tables) as second:
            read = first.query(DIARY, {"id": student, **school_week()}, persona="teacher@74")
            assert "errors" not in read, read
            log = ACCESS_LOG.format(tag=secrets.token_hex(4))
            body = second.query(log, {"id": student}, persona="parent")
            assert "errors" not in body, body
            nodes = body["data"]["student"]["accessLog"]["nodes"]
            teacher = second.app.state.audit.pseudonym("p:esia-teacher-74")
            assert {"viewer": teacher, "fields": ["diary"], "isAllowed": True} in nodes
            # and the other way round
            refused = second.query(DIARY, {"id": student, **school_week()}, persona="other-parent")
            assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            body = first.query(
                ACCESS_LOG.format(tag=secrets.token_hex(4)), {"id": student}, persona="parent"
            )
            nodes = body["data"]["student"]["accessLog"]["nodes"]
            stranger = first.app.state.audit.pseudonym("p:" + _subject("other-parent"))
            assert any(n["viewer"] == stranger and not n["isAllowed"] for n in nodes), nodes


def _subject(persona: str) -> str:
    from diary_gateway_demo.personas import find_persona

    return find_persona(persona).subject


@pytest.mark.slow  # a process of its own: CI runs it with -m slow
def test_processes_starting_together_on_one_sqlite_file_all_migrate_it(tmp_path: Path) -> None:
    """Instances (or test workers) first using one SQLite file at once: none fails, and the
    database ends at the newest revision (SQLite has no advisory lock: the losers of the race
    find it migrated)."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    script = (
        "import asyncio, sys\n"
        "from gateway.database import Database\n"
        "async def main():\n"
        "    db = Database(sys.argv[1])\n"
        "    await db.ready()\n"
        "    await db.aclose()\n"
        "asyncio.run(main())\n"
    )
    starts = [
        subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    for process in starts:
        _, errors = process.communicate(timeout=60)
        assert process.returncode == 0, errors
    assert _tables(url) == AUDIT_TABLES | RECEIPT_TABLES | ONBOARDING_TABLES | NOTICE_TABLES


def test_absence_notices_kept_by_the_gateway_are_listed_per_student(database_url: str) -> None:
    """The notices of regions whose system takes none: kept, listed per student and region,
    the earliest day first, with the gateway's reasons; an unknown reason is refused."""
    from adapters import SYSTEM_CLOCK, DateRange
    from gateway.absences import REASONS, AbsenceNoticeBook

    async def use() -> None:
        database = Database(database_url)
        book = AbsenceNoticeBook(database, clock=SYSTEM_CLOCK)
        try:
            later = DateRange(date(2026, 12, 10), date(2026, 12, 11))
            sooner = DateRange(date(2026, 12, 3), date(2026, 12, 3))
            first = await book.add(
                region="74",
                student="740001001",
                days=later,
                reason_id="illness",
                comment="к врачу",
                author="74-parent",
            )
            second = await book.add(
                region="74",
                student="740001001",
                days=sooner,
                reason_id="family",
                comment=None,
                author="74-parent",
            )
            await book.add(
                region="11",
                student="740001001",
                days=sooner,
                reason_id="other",
                comment=None,
                author="11-parent",
            )
            listed = await book.of_student("74", "740001001")
            assert [n.id for n in listed] == [second.id, first.id]
            assert listed[1].days == later
            assert listed[1].reason == REASONS[0]
            assert (listed[1].comment, listed[1].author_id) == ("к врачу", "74-parent")
            assert await book.of_student("74", "740001002") == []
            with pytest.raises(ValueError, match="unknown reason"):
                await book.add(
                    region="74",
                    student="740001001",
                    days=sooner,
                    reason_id="holiday",
                    comment=None,
                    author="74-parent",
                )
        finally:
            await database.aclose()

    asyncio.run(use())
