"""Advance absence notices, as the database keeps them."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import select

from .engine import Database
from .models import AbsenceNoticeRow

__all__ = ["AbsenceNoticeRecord", "AbsenceNoticeRecords"]


@dataclass(frozen=True, slots=True)
class AbsenceNoticeRecord:
    id: str
    region: str
    student: str
    starts_on: date
    ends_on: date
    reason: str
    comment: str | None
    author: str
    created_at: float


class AbsenceNoticeRecords:
    """Notices by student, the earliest day first."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, record: AbsenceNoticeRecord) -> None:
        async with self.database.session() as session:
            session.add(
                AbsenceNoticeRow(**{f.name: getattr(record, f.name) for f in fields(record)})
            )

    async def of_student(self, region: str, student: str) -> list[AbsenceNoticeRecord]:
        query = (
            select(AbsenceNoticeRow)
            .where(AbsenceNoticeRow.region == region, AbsenceNoticeRow.student == student)
            .order_by(AbsenceNoticeRow.starts_on, AbsenceNoticeRow.created_at)
        )
        async with self.database.session() as session:
            rows = (await session.scalars(query)).all()
        return [
            AbsenceNoticeRecord(
                **{f.name: getattr(row, f.name) for f in fields(AbsenceNoticeRecord)}
            )
            for row in rows
        ]
