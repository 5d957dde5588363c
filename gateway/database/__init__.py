"""The gateway's own data: SQLAlchemy 2 (async) over SQLite or PostgreSQL, Alembic migrations.

Only what the gateway itself owns lives here — never a child's diary, which always comes from
the region's system: the audit trail when ``[audit] store = "database"``, the acknowledgement
receipts and the keys that sign them. Every instance of a deployment points ``[database] url``
at the same PostgreSQL and sees what the others wrote; the demo's default is a SQLite file.

* :mod:`.engine` — :class:`Database`: the engine, sessions, migrations on first use;
* :mod:`.models` — the tables (SQLAlchemy declarative models);
* :mod:`.migrations` — Alembic's environment and revisions, shipped inside the package;
* repositories named by what they keep: :class:`AuditEvents`, :class:`ReceiptKeys`,
  :class:`Receipts`, :class:`Invitations`, :class:`AccessRequests`,
  :class:`AbsenceNoticeRecords` (advance absence notices where the region's system takes
  none).
"""

from __future__ import annotations

from .absence_notices import AbsenceNoticeRecord, AbsenceNoticeRecords
from .audit_events import AuditEvents
from .engine import DEFAULT_DATABASE_URL, Database, async_url, head_revision, migrate
from .models import Base
from .onboarding import AccessRequestRecord, AccessRequests, InvitationRecord, Invitations
from .receipts import ReceiptKeys, ReceiptRecord, Receipts, StoredKey

__all__ = [
    "DEFAULT_DATABASE_URL",
    "AbsenceNoticeRecord",
    "AbsenceNoticeRecords",
    "AccessRequestRecord",
    "AccessRequests",
    "AuditEvents",
    "Base",
    "Database",
    "InvitationRecord",
    "Invitations",
    "ReceiptKeys",
    "ReceiptRecord",
    "Receipts",
    "StoredKey",
    "async_url",
    "head_revision",
    "migrate",
]
