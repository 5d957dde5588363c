"""Acknowledgement receipts and the keys that sign them, as the database keeps them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from .engine import Database
from .models import ReceiptKeyRow, ReceiptRow

__all__ = ["ReceiptKeys", "ReceiptRecord", "Receipts", "StoredKey"]


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A receipt-signing key as stored: the private JWK sealed under the gateway secret."""

    kid: str
    public_jwk: str
    sealed_private_jwk: str
    created_at: float
    retired_at: float | None


@dataclass(frozen=True, slots=True)
class ReceiptRecord:
    """One acknowledgement as signed."""

    id: str
    region: str
    student: str
    week_of: date
    content_hash: str
    parent: str
    issued_at: float
    kid: str
    jws: str


class ReceiptKeys:
    """The receipt-signing keys every instance shares (the newest unretired one signs)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def all(self) -> list[StoredKey]:
        """Every key, oldest first."""
        async with self.database.session() as session:
            rows = await session.scalars(select(ReceiptKeyRow).order_by(ReceiptKeyRow.created_at))
            return [
                StoredKey(r.kid, r.public_jwk, r.sealed_private_jwk, r.created_at, r.retired_at)
                for r in rows
            ]

    async def add(self, key: StoredKey, *, retire_others_at: float | None = None) -> None:
        """Store a new key; with ``retire_others_at``, the keys signing so far stop signing."""
        async with self.database.session() as session:
            if retire_others_at is not None:
                await session.execute(
                    update(ReceiptKeyRow)
                    .where(ReceiptKeyRow.retired_at.is_(None))
                    .values(retired_at=retire_others_at)
                )
            session.add(
                ReceiptKeyRow(
                    kid=key.kid,
                    public_jwk=key.public_jwk,
                    sealed_private_jwk=key.sealed_private_jwk,
                    created_at=key.created_at,
                    retired_at=key.retired_at,
                )
            )


class Receipts:
    """The acknowledgements given, by student and week."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, record: ReceiptRecord) -> None:
        async with self.database.session() as session:
            session.add(
                ReceiptRow(
                    id=record.id,
                    region=record.region,
                    student=record.student,
                    week_of=record.week_of,
                    content_hash=record.content_hash,
                    parent=record.parent,
                    issued_at=record.issued_at,
                    kid=record.kid,
                    jws=record.jws,
                )
            )

    async def for_students(
        self, region: str, students: list[str], start: date, end: date
    ) -> list[ReceiptRecord]:
        """The acknowledgements of ``students`` for weeks starting within ``start``–``end``."""
        if not students:
            return []
        async with self.database.session() as session:
            rows = await session.scalars(
                select(ReceiptRow)
                .where(
                    ReceiptRow.region == region,
                    ReceiptRow.student.in_(students),
                    ReceiptRow.week_of >= start,
                    ReceiptRow.week_of <= end,
                )
                .order_by(ReceiptRow.issued_at)
            )
            return [_record(r) for r in rows]

    async def get(self, receipt_id: str) -> ReceiptRecord | None:
        async with self.database.session() as session:
            row = await session.get(ReceiptRow, receipt_id)
            return None if row is None else _record(row)


def _record(row: ReceiptRow) -> ReceiptRecord:
    return ReceiptRecord(
        id=row.id,
        region=row.region,
        student=row.student,
        week_of=row.week_of,
        content_hash=row.content_hash,
        parent=row.parent,
        issued_at=row.issued_at,
        kid=row.kid,
        jws=row.jws,
    )
