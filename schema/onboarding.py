"""Onboarding: a school's personal invitations, and access requests from parents no region
knows.

Children always come from the region's system. A school admin invites a student's parent
(``createInvitation``: single use, expiring, a code or a link); the parent, signed in through
the national SSO, redeems it (``redeemInvitation``) and the gateway asks the region's system
to bind that identity to the parent's record there (``NOT_SUPPORTED`` where the system cannot).
A parent whom the region does not know files an access request (``requestAccess``); the
school's admin approves it — which issues an invitation only that parent can redeem — or
refuses it with a reason the parent sees (``decideAccessRequest``, ``Query.accessRequests``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import strawberry

__all__ = [
    "AccessRequest",
    "AccessRequestStatus",
    "Invitation",
    "InvitationStatus",
    "IssuedAccessRequest",
    "IssuedInvitation",
    "OnboardingDesk",
]


@dataclass(frozen=True, slots=True)
class IssuedInvitation:
    id: str
    region: str
    student: str
    expires_at: datetime
    redeemed_at: datetime | None
    code: str | None
    """Only when it may be shown: to its creator at creation, to the requester it answers."""
    expired: bool


@dataclass(frozen=True, slots=True)
class IssuedAccessRequest:
    id: str
    region: str
    school: str
    child_name: str
    message: str
    created_at: datetime
    status: str
    reason: str | None
    decided_at: datetime | None
    invitation: IssuedInvitation | None


class OnboardingDesk(Protocol):
    """Where invitations and access requests are kept (the gateway's database)."""

    async def create_invitation(
        self, *, region: str, student: str, school: str, created_by: str, valid_days: int
    ) -> IssuedInvitation: ...

    async def find_invitation(self, code: str) -> tuple[IssuedInvitation, str | None] | None:
        """The invitation with ``code`` (and the requester it is reserved for, if any)."""
        ...

    def pseudonym(self, person: str) -> str:
        """How a national id is kept (compare with an invitation's reserved requester)."""
        ...

    async def redeem(self, invitation_id: str, *, person: str) -> bool: ...

    async def release(self, invitation_id: str) -> None: ...

    def identity_bound(self, scope: str) -> None:
        """The caller with ``scope`` is now known to a region (cached views of them change)."""
        ...

    async def request_access(
        self, *, person: str, region: str, school: str, child_name: str, message: str
    ) -> IssuedAccessRequest: ...

    async def access_request(self, request_id: str) -> IssuedAccessRequest | None: ...

    async def decide(
        self,
        request_id: str,
        *,
        approve: bool,
        reason: str | None,
        by: str,
        student: str | None,
        valid_days: int,
    ) -> IssuedAccessRequest | None: ...

    async def requests_of(self, person: str) -> list[IssuedAccessRequest]: ...

    async def requests_of_school(self, region: str, school: str) -> list[IssuedAccessRequest]: ...


@strawberry.enum(description="Where an invitation stands.")
class InvitationStatus(enum.Enum):
    PENDING = strawberry.enum_value("pending", description="Not redeemed yet, still valid.")
    REDEEMED = strawberry.enum_value("redeemed", description="Redeemed (single use).")
    EXPIRED = strawberry.enum_value("expired", description="Not redeemed in time.")


@strawberry.type(
    description="A school's personal invitation for a student's parent: single use, expiring."
)
class Invitation:
    id: strawberry.ID = strawberry.field(description="The invitation's id.")
    student_id: strawberry.ID = strawberry.field(description="The student it is for.")
    code: str | None = strawberry.field(
        description="The code to redeem (`redeemInvitation(code)`): shown to its creator when "
        "it is made, and to the parent whose access request it answers; null otherwise."
    )
    link: str | None = strawberry.field(
        description="The same as a link the parent opens (`/invitations/redeem#<code>`)."
    )
    expires_at: datetime = strawberry.field(description="When it stops being redeemable.")
    redeemed_at: datetime | None = strawberry.field(description="When it was redeemed.")
    status: InvitationStatus = strawberry.field(description="Pending, redeemed or expired.")

    @classmethod
    def from_issued(cls, issued: IssuedInvitation) -> Invitation:
        if issued.redeemed_at is not None:
            status = InvitationStatus.REDEEMED
        elif issued.expired:
            status = InvitationStatus.EXPIRED
        else:
            status = InvitationStatus.PENDING
        return cls(
            id=strawberry.ID(issued.id),
            student_id=strawberry.ID(issued.student),
            code=issued.code,
            link=f"/invitations/redeem#{issued.code}" if issued.code else None,
            expires_at=issued.expires_at,
            redeemed_at=issued.redeemed_at,
            status=status,
        )


@strawberry.enum(description="Where an access request stands.")
class AccessRequestStatus(enum.Enum):
    PENDING = strawberry.enum_value("pending", description="Waiting for the school's admin.")
    APPROVED = strawberry.enum_value("approved", description="Approved: an invitation issued.")
    REFUSED = strawberry.enum_value("refused", description="Refused, with a reason.")


@strawberry.type(description="A parent's request for access to a child's diary at a school.")
class AccessRequest:
    id: strawberry.ID = strawberry.field(description="The request's id.")
    region_code: str = strawberry.field(description="The region asked.")
    school_id: strawberry.ID = strawberry.field(description="The school asked.")
    child_name: str = strawberry.field(description="The child, as the parent named them.")
    message: str = strawberry.field(description="The parent's message to the school.")
    created_at: datetime = strawberry.field(description="When it was filed.")
    status: AccessRequestStatus = strawberry.field(description="Pending, approved or refused.")
    reason: str | None = strawberry.field(description="Why it was refused (shown to the parent).")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    invitation: Invitation | None = strawberry.field(
        description="The invitation an approval issued (its code for the parent who asked)."
    )

    @classmethod
    def from_issued(cls, issued: IssuedAccessRequest) -> AccessRequest:
        return cls(
            id=strawberry.ID(issued.id),
            region_code=issued.region,
            school_id=strawberry.ID(issued.school),
            child_name=issued.child_name,
            message=issued.message,
            created_at=issued.created_at,
            status=AccessRequestStatus(issued.status),
            reason=issued.reason,
            decided_at=issued.decided_at,
            invitation=Invitation.from_issued(issued.invitation) if issued.invitation else None,
        )
