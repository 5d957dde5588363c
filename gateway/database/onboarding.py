"""Invitations and access requests, as the database keeps them."""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import select, update

from .engine import Database
from .models import AccessRequestRow, InvitationRow

__all__ = ["AccessRequestRecord", "AccessRequests", "InvitationRecord", "Invitations"]


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    id: str
    code_hash: str
    region: str
    student: str
    school: str
    created_by: str
    created_at: float
    expires_at: float
    redeemed_at: float | None = None
    redeemed_by: str | None = None
    access_request: str | None = None
    code_for_requester: str | None = None


@dataclass(frozen=True, slots=True)
class AccessRequestRecord:
    id: str
    requester: str
    region: str
    school: str
    child_name: str
    message: str
    created_at: float
    status: str
    reason: str | None = None
    decided_by: str | None = None
    decided_at: float | None = None
    invitation: str | None = None


def _invitation(row: InvitationRow) -> InvitationRecord:
    return InvitationRecord(**{f.name: getattr(row, f.name) for f in fields(InvitationRecord)})


def _request(row: AccessRequestRow) -> AccessRequestRecord:
    return AccessRequestRecord(
        **{f.name: getattr(row, f.name) for f in fields(AccessRequestRecord)}
    )


class Invitations:
    """Invitations by id and by the hash of their code."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, record: InvitationRecord) -> None:
        async with self.database.session() as session:
            session.add(InvitationRow(**{f.name: getattr(record, f.name) for f in fields(record)}))

    async def by_code(self, code_hash: str) -> InvitationRecord | None:
        async with self.database.session() as session:
            row = await session.scalar(
                select(InvitationRow).where(InvitationRow.code_hash == code_hash)
            )
            return None if row is None else _invitation(row)

    async def get(self, invitation_id: str) -> InvitationRecord | None:
        async with self.database.session() as session:
            row = await session.get(InvitationRow, invitation_id)
            return None if row is None else _invitation(row)

    async def redeem(self, invitation_id: str, *, at: float, by: str) -> bool:
        """Mark it redeemed unless it already is (atomic: one redemption, whoever races)."""
        async with self.database.session() as session:
            done = await session.execute(
                update(InvitationRow)
                .where(InvitationRow.id == invitation_id, InvitationRow.redeemed_at.is_(None))
                .values(redeemed_at=at, redeemed_by=by)
            )
            return bool(getattr(done, "rowcount", 0) == 1)

    async def release(self, invitation_id: str) -> None:
        """Undo a redemption the region's system then refused."""
        async with self.database.session() as session:
            await session.execute(
                update(InvitationRow)
                .where(InvitationRow.id == invitation_id)
                .values(redeemed_at=None, redeemed_by=None)
            )


class AccessRequests:
    """Access requests by requester and by school."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, record: AccessRequestRecord) -> None:
        async with self.database.session() as session:
            session.add(
                AccessRequestRow(**{f.name: getattr(record, f.name) for f in fields(record)})
            )

    async def get(self, request_id: str) -> AccessRequestRecord | None:
        async with self.database.session() as session:
            row = await session.get(AccessRequestRow, request_id)
            return None if row is None else _request(row)

    async def of_requester(self, requester: str) -> list[AccessRequestRecord]:
        async with self.database.session() as session:
            rows = await session.scalars(
                select(AccessRequestRow)
                .where(AccessRequestRow.requester == requester)
                .order_by(AccessRequestRow.created_at)
            )
            return [_request(r) for r in rows]

    async def of_school(self, region: str, school: str) -> list[AccessRequestRecord]:
        async with self.database.session() as session:
            rows = await session.scalars(
                select(AccessRequestRow)
                .where(AccessRequestRow.region == region, AccessRequestRow.school == school)
                .order_by(AccessRequestRow.created_at)
            )
            return [_request(r) for r in rows]

    async def decide(
        self,
        request_id: str,
        *,
        status: str,
        reason: str | None,
        by: str,
        at: float,
        invitation: str | None,
    ) -> bool:
        """Record the decision unless one was made already (atomic)."""
        async with self.database.session() as session:
            done = await session.execute(
                update(AccessRequestRow)
                .where(AccessRequestRow.id == request_id, AccessRequestRow.status == "pending")
                .values(
                    status=status,
                    reason=reason,
                    decided_by=by,
                    decided_at=at,
                    invitation=invitation,
                )
            )
            return bool(getattr(done, "rowcount", 0) == 1)
