"""The audit trail of access to children's records.

Each event is written as one structured JSON log line on the ``gateway.audit`` logger and
kept, per student, in a bounded in-memory history that the legal representative can read
through ``student { accessLog }``. Events carry ids, roles and field names only: never a
mark, a name or a token.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections import defaultdict, deque

from schema import AuditEvent

__all__ = ["AuditLog"]

logger = logging.getLogger("gateway.audit")


class AuditLog:
    """An audit sink: structured log lines plus a bounded per-student history."""

    def __init__(self, *, per_student: int = 500) -> None:
        self._history: dict[tuple[str, str], deque[AuditEvent]] = defaultdict(
            lambda: deque(maxlen=per_student)
        )
        self.written = 0

    async def record(self, events: list[AuditEvent]) -> None:
        """Write ``events``."""
        for event in events:
            self._history[(event.region, event.student)].append(event)
            self.written += 1
            if logger.isEnabledFor(logging.INFO):
                logger.info(json.dumps({"audit": dataclasses.asdict(event)}, ensure_ascii=False))

    async def history(self, region: str, student: str, limit: int) -> list[AuditEvent]:
        """The newest ``limit`` events about one student, newest first."""
        events = self._history.get((region, student))
        if not events:
            return []
        return list(reversed(events))[:limit]

    def all_events(self) -> list[AuditEvent]:
        """Every event kept (tests and operators)."""
        return [e for events in self._history.values() for e in events]
