"""The tables of the gateway's own data (the migrations in :mod:`.migrations` create them)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, Boolean, Date, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "AbsenceNoticeRow",
    "AccessRequestRow",
    "AuditEventRow",
    "AuditStudentRow",
    "Base",
    "InvitationRow",
    "ReceiptKeyRow",
    "ReceiptRow",
]


class Base(DeclarativeBase):
    """The declarative base of every table here."""


class AuditStudentRow(Base):
    """A student the access history keeps events about (by key: a hash of the canonical id)."""

    __tablename__ = "audit_students"

    student_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    confirmed: Mapped[bool] = mapped_column(Boolean)
    """False while known only from strangers' refused attempts (evictable)."""
    written_at: Mapped[float] = mapped_column(Float)


class AuditEventRow(Base):
    """One stored access event: the entry JSON names no student and the reader by pseudonym."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    student_key: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    entry: Mapped[str] = mapped_column(Text)


class ReceiptKeyRow(Base):
    """A receipt-signing key: the public JWK, the private one sealed under the gateway secret."""

    __tablename__ = "receipt_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_jwk: Mapped[str] = mapped_column(Text)
    sealed_private_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    retired_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    """When it stopped signing (still published, so its receipts keep verifying)."""


class ReceiptRow(Base):
    """An acknowledgement a legal representative gave, as signed."""

    __tablename__ = "receipts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    region: Mapped[str] = mapped_column(String(16))
    student: Mapped[str] = mapped_column(String(200))
    """The student's canonical global id."""
    week_of: Mapped[date] = mapped_column(Date)
    content_hash: Mapped[str] = mapped_column(String(64))
    parent: Mapped[str] = mapped_column(String(200))
    """The region's own id of the parent (never the national id)."""
    issued_at: Mapped[float] = mapped_column(Float)
    kid: Mapped[str] = mapped_column(String(64))
    jws: Mapped[str] = mapped_column(Text)


class InvitationRow(Base):
    """A school admin's personal invitation for a student's parent (single use, expiring)."""

    __tablename__ = "invitations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """HMAC-SHA256 of the code under the gateway secret: the code itself is never kept."""
    region: Mapped[str] = mapped_column(String(16))
    student: Mapped[str] = mapped_column(String(200))
    school: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))
    """The region's own id of the admin who issued it."""
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    redeemed_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    redeemed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """A pseudonym of the national id that redeemed it (never the id itself)."""
    access_request: Mapped[str | None] = mapped_column(String(32), nullable=True)
    code_for_requester: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The code of an invitation issued by approving an access request, shown to that
    requester only (and redeemable by them only)."""


class AccessRequestRow(Base):
    """A parent whom no region knows asks a school for access."""

    __tablename__ = "access_requests"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    requester: Mapped[str] = mapped_column(String(64))
    """A pseudonym of the requester's national id."""
    region: Mapped[str] = mapped_column(String(16))
    school: Mapped[str] = mapped_column(String(64))
    child_name: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    """``pending``, ``approved`` or ``refused``."""
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    invitation: Mapped[str | None] = mapped_column(String(32), nullable=True)


class AbsenceNoticeRow(Base):
    """A legal representative's advance absence notice, kept by the gateway for a region
    whose system takes none (the class teacher reads it through the gateway)."""

    __tablename__ = "absence_notices"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    region: Mapped[str] = mapped_column(String(16))
    student: Mapped[str] = mapped_column(String(64))
    """The region's own id of the student."""
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(32))
    """A code of the gateway's list of reasons."""
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    author: Mapped[str] = mapped_column(String(200))
    """The region's own id of the representative who sent it."""
    created_at: Mapped[float] = mapped_column(Float)
