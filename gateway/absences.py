"""Advance absence notices the gateway keeps itself, for regions whose system takes none.

Where the region's system takes notices (the Moscow-style one), they go there and the
region shows them to the class teacher; elsewhere the gateway keeps them in its database
(:class:`~gateway.database.AbsenceNoticeRecords`, shared by every instance) and the class
teacher reads them through the gateway (``Student.absenceNotices``), with the reasons of
:data:`REASONS`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from adapters import SYSTEM_CLOCK, AbsenceNotice, AbsenceReason, Clock, DateRange

from .database import AbsenceNoticeRecord, AbsenceNoticeRecords, Database

__all__ = ["REASONS", "AbsenceNoticeBook"]

REASONS: tuple[AbsenceReason, ...] = (
    AbsenceReason("illness", "Болезнь"),
    AbsenceReason("family", "Семейные обстоятельства"),
    AbsenceReason("medical", "Медицинское обследование"),
    AbsenceReason("competition", "Соревнования, олимпиада, конкурс"),
    AbsenceReason("other", "Другое"),
)
"""The reasons a notice kept by the gateway may give (a region's own list wins where its
system takes notices)."""

_BY_ID = {reason.id: reason for reason in REASONS}


class AbsenceNoticeBook:
    """Keeps and lists notices for regions whose system takes none."""

    def __init__(self, database: Database, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.records = AbsenceNoticeRecords(database)
        self.clock = clock

    def reasons(self) -> list[AbsenceReason]:
        """The reasons a notice may give."""
        return list(REASONS)

    async def add(
        self,
        *,
        region: str,
        student: str,
        days: DateRange,
        reason_id: str,
        comment: str | None,
        author: str,
    ) -> AbsenceNotice:
        """Keep a notice (``reason_id`` one of :data:`REASONS`, else ``ValueError``)."""
        if reason_id not in _BY_ID:
            raise ValueError(f"unknown reason {reason_id!r}")
        record = AbsenceNoticeRecord(
            id=secrets.token_hex(8),
            region=region,
            student=student,
            starts_on=days.start,
            ends_on=days.end,
            reason=reason_id,
            comment=comment,
            author=author,
            created_at=self.clock.timestamp(),
        )
        await self.records.add(record)
        return self._notice(record)

    async def of_student(self, region: str, student: str) -> list[AbsenceNotice]:
        """A student's notices, the earliest day first."""
        return [self._notice(r) for r in await self.records.of_student(region, student)]

    def _notice(self, record: AbsenceNoticeRecord) -> AbsenceNotice:
        return AbsenceNotice(
            id=record.id,
            student_id=record.student,
            days=DateRange(record.starts_on, record.ends_on),
            reason=_BY_ID.get(record.reason, AbsenceReason(record.reason, record.reason)),
            comment=record.comment,
            created_at=datetime.fromtimestamp(record.created_at, UTC),
            author_id=record.author,
        )
