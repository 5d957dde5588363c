"""Acknowledging a week of the diary, and the receipts that prove it.

A legal representative acknowledges that they have seen a student's week
(``acknowledgeDiary(studentId, weekOf, contentHash)``); the gateway answers with an
``AcknowledgementReceipt`` whose ``jws`` is signed by the gateway (the keys at
``/.well-known/jwks.json``). Anyone holding a receipt checks it offline with those keys, or
with ``Query.verifyReceipt``; staff see the acknowledgements of their students in the journal.

**The week's content hash** — what the parent saw, computable by a client:

1. ask the week, Monday to Sunday, with exactly :data:`WEEK_QUERY` as that parent;
2. take ``data.diary.days`` (a JSON array) and serialise it canonically (RFC 8785, JCS:
   object keys sorted, no whitespace, UTF-8, strings as JSON escapes them minimally — every
   value here is a string, an integer, a boolean or null, so JCS is
   ``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``);
3. ``contentHash`` is the lowercase hex SHA-256 of those bytes.

The gateway computes the same from the week it serves that parent (:func:`week_content`);
a ``contentHash`` that differs (the diary changed since it was shown) is ``BAD_USER_INPUT``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Protocol

import strawberry

from .errors import ErrorCode, coded_error

__all__ = [
    "WEEK_QUERY",
    "AcknowledgementReceipt",
    "IssuedReceipt",
    "ReceiptBook",
    "ReceiptCheck",
    "ReceiptVerification",
    "content_hash",
    "monday_of",
    "week_content",
]

WEEK_QUERY = """query AcknowledgedWeek($studentId: ID!, $from: Date!, $to: Date!) {
  diary(studentId: $studentId, from: $from, to: $to) {
    days {
      date
      lessons {
        number
        subject { name }
        topic
        isCancelled
        marks { value comment }
        homework { text dueOn }
        absence { reason }
      }
    }
  }
}"""
"""The selection whose ``data.diary.days`` the content hash is computed over."""

MAX_RECEIPT_LENGTH = 4096
"""Longer strings are not receipts of this gateway (``BAD_USER_INPUT``)."""


def monday_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_content(diary: Any) -> list[dict[str, Any]]:
    """``data.diary.days`` of :data:`WEEK_QUERY`, built from the diary the gateway serves."""
    return [
        {
            "date": day.date.isoformat(),
            "lessons": [
                {
                    "number": lesson.number,
                    "subject": {"name": lesson.subject.name},
                    "topic": lesson.topic,
                    "isCancelled": lesson.is_cancelled,
                    "marks": [{"value": m.value, "comment": m.comment} for m in lesson.marks],
                    "homework": [
                        {"text": h.text, "dueOn": h.due_on.isoformat()} for h in lesson.homework
                    ],
                    "absence": (
                        None if lesson.absence is None else {"reason": lesson.absence.reason}
                    ),
                }
                for lesson in day.lessons
            ],
        }
        for day in diary.days
    ]


def content_hash(days: list[dict[str, Any]]) -> str:
    """The hex SHA-256 of the days' canonical JSON (JCS for strings, integers, booleans)."""
    canonical = json.dumps(days, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedReceipt:
    """A signed acknowledgement (the gateway's :class:`~gateway.receipts.ReceiptIssuer`)."""

    id: str
    region: str
    student: str
    week_of: date
    content_hash: str
    parent: str
    acknowledged_at: datetime
    key_id: str
    jws: str


@dataclass(frozen=True, slots=True)
class ReceiptCheck:
    """The outcome of checking a receipt."""

    is_valid: bool
    reason: str | None
    receipt: IssuedReceipt | None = None


class ReceiptBook(Protocol):
    """Where receipts are signed, checked and kept (the gateway's database)."""

    async def issue(
        self, *, region: str, student: str, week_of: date, content_hash: str, parent: str
    ) -> IssuedReceipt: ...

    async def verify(self, compact: str) -> ReceiptCheck: ...

    async def for_students(
        self, region: str, students: list[str], start: date, end: date
    ) -> list[IssuedReceipt]: ...


@strawberry.type(
    description="A legal representative's signed acknowledgement that they saw a week of a "
    "student's diary. `jws` is the receipt itself (compact JWS, ES256, signed with a key "
    "published at `/.well-known/jwks.json`); the other fields repeat its claims."
)
class AcknowledgementReceipt:
    id: strawberry.ID = strawberry.field(description="The receipt's id (its `jti` claim).")
    jws: str = strawberry.field(
        description="The receipt: a compact JWS whose payload holds `student`, `region`, "
        "`weekOf`, `contentHash`, `parent` (the region's own id of the parent), `iat`, `jti`."
    )
    student_id: strawberry.ID = strawberry.field(description="The student's id.")
    week_of: date = strawberry.field(description="The Monday of the acknowledged week.")
    content_hash: str = strawberry.field(
        description="SHA-256 (hex) of the week as served to the parent: the canonical JSON "
        "(RFC 8785) of `diary.days` of the documented week query (see the README)."
    )
    acknowledged_at: datetime = strawberry.field(description="When it was acknowledged.")
    key_id: str = strawberry.field(description="The `kid` of the key that signed it.")
    is_recorded_by_region: bool | None = strawberry.field(
        default=None,
        description="Whether the region's own system recorded the acknowledgement when it was "
        "given: null where that system takes none (or when read back later), false when it "
        "failed to (the receipt stands either way).",
    )

    @classmethod
    def from_issued(cls, receipt: IssuedReceipt) -> AcknowledgementReceipt:
        return cls(
            id=strawberry.ID(receipt.id),
            jws=receipt.jws,
            student_id=strawberry.ID(receipt.student),
            week_of=receipt.week_of,
            content_hash=receipt.content_hash,
            acknowledged_at=receipt.acknowledged_at,
            key_id=receipt.key_id,
        )


@strawberry.type(description="Whether a receipt was signed by this gateway, and what it says.")
class ReceiptVerification:
    is_valid: bool = strawberry.field(
        description="True when the signature is the gateway's and the payload is unchanged."
    )
    reason: str | None = strawberry.field(description="Why it is not valid (null when valid).")
    receipt: AcknowledgementReceipt | None = strawberry.field(
        description="The receipt's claims (null when not valid)."
    )


async def verify_receipt(
    info: strawberry.Info,
    receipt: Annotated[str, strawberry.argument(description="The receipt's compact JWS.")],
) -> ReceiptVerification:
    """``Query.verifyReceipt``: anyone may check a receipt (no sign-in)."""
    book: ReceiptBook | None = info.context.receipts
    if book is None:
        raise coded_error(ErrorCode.NOT_SUPPORTED, "receipts are not configured")
    if len(receipt) > MAX_RECEIPT_LENGTH:
        raise coded_error(ErrorCode.BAD_USER_INPUT, "not a receipt (too long)")
    check = await book.verify(receipt.strip())
    return ReceiptVerification(
        is_valid=check.is_valid,
        reason=check.reason,
        receipt=AcknowledgementReceipt.from_issued(check.receipt) if check.receipt else None,
    )
