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
        self._history: dict[tuple[str, str], deque[tuple[str | None, AuditEvent]]] = defaultdict(
            lambda: deque(maxlen=per_student)
        )
        self.written = 0

    async def record(self, events: list[AuditEvent], *, at: str | None = None) -> None:
        """Write ``events``; ``at`` overrides their time (a replay for a cached response)."""
        log = logger.isEnabledFor(logging.INFO)
        for event in events:
            self._history[(event.region, event.student)].append((at, event))
            self.written += 1
            if log:
                row = dataclasses.asdict(event)
                if at is not None:
                    row["at"] = at
                logger.info(json.dumps({"audit": row}, ensure_ascii=False))

    async def history(self, region: str, student: str, limit: int) -> list[AuditEvent]:
        """The newest ``limit`` events about one student, newest first."""
        events = self._history.get((region, student))
        if not events:
            return []
        return [_timed(entry) for entry in list(reversed(events))[:limit]]

    def all_events(self) -> list[AuditEvent]:
        """Every event kept (tests and operators)."""
        return [_timed(entry) for events in self._history.values() for entry in events]


def _timed(entry: tuple[str | None, AuditEvent]) -> AuditEvent:
    at, event = entry
    return event if at is None else dataclasses.replace(event, at=at)
