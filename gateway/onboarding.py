"""Onboarding kept in the gateway's database: invitations and access requests.

Codes are 12 random base32 characters; the database keeps an HMAC of each (under the
``invitation-codes`` key derived from the gateway secret), never the code — except for an
invitation issued by approving an access request, whose code is shown to that requester
and redeemable by them only. People are kept as HMACs of their national id (the
``onboarding-subject`` key), never the id itself. Redemption is a conditional update: of two
instances redeeming one code at once, one wins.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from adapters import SYSTEM_CLOCK, Clock
from schema.onboarding import IssuedAccessRequest, IssuedInvitation

from .database import (
    AccessRequestRecord,
    AccessRequests,
    Database,
    InvitationRecord,
    Invitations,
)
from .keyring import Keyring

__all__ = ["Onboarding"]

_DAY = 86_400.0


class Onboarding:
    """Invitations and access requests (the schema's ``OnboardingDesk``)."""

    def __init__(self, database: Database, keyring: Keyring, *, clock: Clock = SYSTEM_CLOCK):
        self.invitations = Invitations(database)
        self.requests = AccessRequests(database)
        self._codes = keyring.derive("invitation-codes")
        self._people = keyring.derive("onboarding-subject")
        self.clock = clock
        self.on_bound: Callable[[str], None] | None = None
        """Told the scope of a caller whose identity a region bound (the app drops their
        response-cache scope version: their children changed)."""

    def _code_hash(self, code: str) -> str:
        normalized = code.strip().upper().replace("-", "")
        return hmac.new(self._codes, normalized.encode("utf-8"), hashlib.sha256).hexdigest()

    def pseudonym(self, person: str) -> str:
        """How a national id is kept here (an HMAC: the id itself never is)."""
        return hmac.new(self._people, person.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def _issued(self, record: InvitationRecord, code: str | None) -> IssuedInvitation:
        return IssuedInvitation(
            id=record.id,
            region=record.region,
            student=record.student,
            expires_at=datetime.fromtimestamp(record.expires_at, UTC),
            redeemed_at=(
                datetime.fromtimestamp(record.redeemed_at, UTC) if record.redeemed_at else None
            ),
            code=code,
            expired=record.expires_at <= self.clock.timestamp(),
        )

    async def _new_invitation(
        self,
        *,
        region: str,
        student: str,
        school: str,
        created_by: str,
        valid_days: int,
        request: str | None = None,
    ) -> tuple[InvitationRecord, str]:
        code = base64.b32encode(secrets.token_bytes(10)).decode("ascii")[:12]
        now = self.clock.timestamp()
        record = InvitationRecord(
            id=secrets.token_hex(16),
            code_hash=self._code_hash(code),
            region=region,
            student=student,
            school=school,
            created_by=created_by,
            created_at=now,
            expires_at=now + valid_days * _DAY,
            access_request=request,
            code_for_requester=code if request is not None else None,
        )
        await self.invitations.add(record)
        return record, code

    async def create_invitation(
        self, *, region: str, student: str, school: str, created_by: str, valid_days: int
    ) -> IssuedInvitation:
        record, code = await self._new_invitation(
            region=region,
            student=student,
            school=school,
            created_by=created_by,
            valid_days=valid_days,
        )
        return self._issued(record, code)

    async def find_invitation(self, code: str) -> tuple[IssuedInvitation, str | None] | None:
        record = await self.invitations.by_code(self._code_hash(code))
        if record is None:
            return None
        reserved = None
        if record.access_request is not None:
            request = await self.requests.get(record.access_request)
            reserved = request.requester if request is not None else ""
        return self._issued(record, None), reserved

    async def redeem(self, invitation_id: str, *, person: str) -> bool:
        return await self.invitations.redeem(
            invitation_id, at=self.clock.timestamp(), by=self.pseudonym(person)
        )

    def identity_bound(self, scope: str) -> None:
        if self.on_bound is not None:
            self.on_bound(scope)

    async def release(self, invitation_id: str) -> None:
        await self.invitations.release(invitation_id)

    async def _request(self, record: AccessRequestRecord) -> IssuedAccessRequest:
        invitation = None
        if record.invitation is not None:
            found = await self.invitations.get(record.invitation)
            if found is not None:
                invitation = self._issued(found, found.code_for_requester)
        return IssuedAccessRequest(
            id=record.id,
            region=record.region,
            school=record.school,
            child_name=record.child_name,
            message=record.message,
            created_at=datetime.fromtimestamp(record.created_at, UTC),
            status=record.status,
            reason=record.reason,
            decided_at=(
                datetime.fromtimestamp(record.decided_at, UTC) if record.decided_at else None
            ),
            invitation=invitation,
        )

    async def request_access(
        self, *, person: str, region: str, school: str, child_name: str, message: str
    ) -> IssuedAccessRequest:
        record = AccessRequestRecord(
            id=secrets.token_hex(16),
            requester=self.pseudonym(person),
            region=region,
            school=school,
            child_name=child_name,
            message=message,
            created_at=self.clock.timestamp(),
            status="pending",
        )
        await self.requests.add(record)
        return await self._request(record)

    async def access_request(self, request_id: str) -> IssuedAccessRequest | None:
        record = await self.requests.get(request_id)
        return None if record is None else await self._request(record)

    async def decide(
        self,
        request_id: str,
        *,
        approve: bool,
        reason: str | None,
        by: str,
        student: str | None,
        valid_days: int,
    ) -> IssuedAccessRequest | None:
        """Approve (an invitation for ``student``, reserved for the requester) or refuse;
        ``None`` when the request is unknown or already decided."""
        record = await self.requests.get(request_id)
        if record is None or record.status != "pending":
            return None
        invitation_id = None
        if approve:
            if student is None:
                return None
            invitation, _ = await self._new_invitation(
                region=record.region,
                student=student,
                school=record.school,
                created_by=by,
                valid_days=valid_days,
                request=record.id,
            )
            invitation_id = invitation.id
        decided = await self.requests.decide(
            request_id,
            status="approved" if approve else "refused",
            reason=None if approve else reason,
            by=by,
            at=self.clock.timestamp(),
            invitation=invitation_id,
        )
        if not decided:
            return None
        return await self.access_request(request_id)

    async def requests_of(self, person: str) -> list[IssuedAccessRequest]:
        return [
            await self._request(r) for r in await self.requests.of_requester(self.pseudonym(person))
        ]

    async def requests_of_school(self, region: str, school: str) -> list[IssuedAccessRequest]:
        return [await self._request(r) for r in await self.requests.of_school(region, school)]
