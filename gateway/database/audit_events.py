"""The access history in the database (``[audit] store = "database"``).

The same store as the Redis one (:class:`gateway.audit.AuditStore`): rows of ``(student key,
score, entry, confirmed)``, bounded per student and by age, with the pool of unconfirmed
students (known only from strangers' refused attempts) kept to its bound by dropping the
least recently written. Every instance on one PostgreSQL reads what the others wrote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from .engine import Database
from .models import AuditEventRow, AuditStudentRow

__all__ = ["AuditEvents"]

DEFAULT_MAX_UNCONFIRMED_STUDENTS: Final = 1000
DEFAULT_MAX_EVENTS_PER_UNCONFIRMED: Final = 20


class AuditEvents:
    """The access history's rows: one table of students, one of their events."""

    def __init__(
        self,
        database: Database,
        *,
        max_events_per_student: int = 500,
        max_unconfirmed_students: int = DEFAULT_MAX_UNCONFIRMED_STUDENTS,
    ) -> None:
        self.database = database
        self.per_student = max_events_per_student
        self.max_unconfirmed = max_unconfirmed_students
        self.per_unconfirmed = min(max_events_per_student, DEFAULT_MAX_EVENTS_PER_UNCONFIRMED)

    async def add(
        self, entries: Sequence[tuple[str, float, str, bool]], *, cutoff: float
    ) -> dict[str, int]:
        evicted = 0
        async with self.database.session() as session:
            for key, score, entry, confirmed in entries:
                is_confirmed = await self._touch(session, key, score, confirmed)
                session.add(AuditEventRow(student_key=key, score=score, entry=entry))
                await session.flush()
                await self._trim(
                    session, key, cutoff, self.per_student if is_confirmed else self.per_unconfirmed
                )
                if not is_confirmed:
                    evicted += await self._bound(session)
        return {"evicted": evicted}

    async def _touch(self, session: AsyncSession, key: str, score: float, confirmed: bool) -> bool:
        """Insert or update the student's row (atomically, whoever writes at the same time);
        whether the student is confirmed now."""
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        values = insert(AuditStudentRow).values(
            student_key=key, confirmed=confirmed, written_at=score
        )
        statement = values.on_conflict_do_update(
            index_elements=[AuditStudentRow.student_key],
            set_={
                "confirmed": AuditStudentRow.confirmed | values.excluded.confirmed,
                "written_at": values.excluded.written_at,
            },
        ).returning(AuditStudentRow.confirmed)
        return bool(await session.scalar(statement))

    async def _trim(self, session: AsyncSession, key: str, cutoff: float, cap: int) -> None:
        await session.execute(
            delete(AuditEventRow).where(
                AuditEventRow.student_key == key, AuditEventRow.score < cutoff
            )
        )
        keep = (
            select(AuditEventRow.id)
            .where(AuditEventRow.student_key == key)
            .order_by(AuditEventRow.score.desc(), AuditEventRow.entry.desc())
            .limit(cap)
            .scalar_subquery()
        )
        await session.execute(
            delete(AuditEventRow).where(
                AuditEventRow.student_key == key, AuditEventRow.id.not_in(keep)
            )
        )

    async def _bound(self, session: AsyncSession) -> int:
        count = await session.scalar(
            select(func.count()).select_from(AuditStudentRow).where(~AuditStudentRow.confirmed)
        )
        excess = int(count or 0) - self.max_unconfirmed
        if excess <= 0:
            return 0
        victims = list(
            await session.scalars(
                select(AuditStudentRow.student_key)
                .where(~AuditStudentRow.confirmed)
                .order_by(AuditStudentRow.written_at)
                .limit(excess)
            )
        )
        await session.execute(delete(AuditEventRow).where(AuditEventRow.student_key.in_(victims)))
        await session.execute(
            delete(AuditStudentRow).where(AuditStudentRow.student_key.in_(victims))
        )
        return len(victims)

    async def read(self, student_key: str, limit: int, *, cutoff: float) -> list[str]:
        async with self.database.session() as session:
            await session.execute(
                update(AuditStudentRow)
                .where(AuditStudentRow.student_key == student_key)
                .values(confirmed=True)  # a real student: their log is being read
            )
            await session.execute(
                delete(AuditEventRow).where(
                    AuditEventRow.student_key == student_key, AuditEventRow.score < cutoff
                )
            )
            rows = await session.scalars(
                select(AuditEventRow.entry)
                .where(AuditEventRow.student_key == student_key)
                .order_by(AuditEventRow.score.desc(), AuditEventRow.entry.desc())
                .limit(limit)
            )
            return list(rows)

    async def size(self) -> tuple[int, int]:
        async with self.database.session() as session:
            students = await session.scalar(
                select(func.count(func.distinct(AuditEventRow.student_key)))
            )
            events = await session.scalar(select(func.count()).select_from(AuditEventRow))
        return int(students or 0), int(events or 0)

    async def aclose(self) -> None:
        """Nothing to release: the app closes the database."""
