"""Noting reads of children's records for the audit trail (flushed once per operation).

An event says who read which student's which records, under which relationship, and
whether it was allowed. It never carries a mark, a name or a token. Families see the
reader only as a :func:`pseudonym`.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any

from .context import AuditEvent

if TYPE_CHECKING:
    from .context import Info

__all__ = ["note_read", "pseudonym", "viewer_label"]


def pseudonym(key: bytes, viewer: str) -> str:
    """What a family sees of who read their child's records: ``reader-`` + 16 hex digits.

    An HMAC-SHA256 of the viewer label (``p:<national id>``, ``s:…``) under ``key`` (the
    gateway's ``audit-pseudonym`` key): stable for one reader wherever the secret is shared,
    and without the secret nobody can hash candidate national ids to re-identify a reader.
    """
    if len(key) < 16:
        raise ValueError("a pseudonym key of at least 16 bytes is required")
    return "reader-" + hmac.new(key, viewer.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def viewer_label(info: Info) -> str:
    """The reader as the audit trail names them: a national id or a session."""
    caller = info.context.caller
    if caller is None:
        return "anonymous"
    return caller.scope


def note_read(info: Info, student: Any, field: str, *, allowed: bool) -> None:
    """Record one read of ``student``'s ``field`` (skipped when the student reads their own)."""
    from .policy import Relation

    info.context.students_read.add((student.region_code, student.model.id))
    access = student.access
    relation = access.relation
    if relation is Relation.SELF:
        return
    info.context.pending_audit.append(
        AuditEvent(
            at=info.context.clock.now().isoformat(timespec="seconds"),
            viewer=viewer_label(info),
            role=_role_of(relation),
            relation=relation.value if relation is not None else "none",
            region=student.region_code,
            student=str(student.id),
            fields=(field,),
            allowed=allowed,
            request_id=info.context.request_id,
        )
    )


def _role_of(relation: Any) -> str:
    from .policy import Relation

    return {
        Relation.LEGAL_REPRESENTATIVE: "parent",
        Relation.PARENT: "parent",
        Relation.GROUP_TEACHER: "teacher",
        Relation.CLASS_TEACHER: "class_teacher",
        Relation.SCHOOL_ADMIN: "school_admin",
    }.get(relation, "none")
