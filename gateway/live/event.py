"""One live event: a change in a student's diary, as the poller found it in a feed.

The stream keeps it as one JSON field. Its ``key`` is stable (the region, the student and
the feed's own change id), so the same change found twice, by two polls or two instances,
is one event. Its ``id`` is the stream's (``"<ms>-<seq>"``, ordered): clients resume after it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import orjson

from adapters import Change, ChangeKind

__all__ = ["LiveEvent", "event_key", "position"]


def event_key(region: str, change: Change) -> str:
    """The stable deduplication key of ``change`` in ``region``."""
    return f"{region}/{change.student_id}/{change.id}"


def position(event_id: str) -> tuple[int, int]:
    """An event id as an ordered pair (``"0-0"`` before every event).

    Raises:
        ValueError: not an event id.
    """
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """A change of one student's diary on its way to subscribers.

    Attributes:
        region: the student's region code.
        change: the feed entry (kind, provider time, what changed).
        published_at: when the poller published it (POSIX seconds, the app's clock).
        id: the stream's id (``""`` until published).
    """

    region: str
    change: Change
    published_at: float
    id: str = ""

    @property
    def key(self) -> str:
        return event_key(self.region, self.change)

    @property
    def student(self) -> tuple[str, str]:
        """(region, student id)."""
        return self.region, self.change.student_id

    def with_id(self, event_id: str) -> LiveEvent:
        return replace(self, id=event_id)

    def encode(self) -> bytes:
        c = self.change
        return orjson.dumps(
            {
                "r": self.region,
                "p": self.published_at,
                "id": c.id,
                "s": c.student_id,
                "k": c.kind.value,
                "at": c.at.isoformat(),
                "sub": c.subject_name,
                "d": c.lesson_date.isoformat() if c.lesson_date else None,
                "m": c.mark_value,
                "pm": c.previous_mark_value,
                "h": c.homework_text,
                "l": c.lesson_id,
            }
        )

    @classmethod
    def decode(cls, raw: bytes | str, event_id: str = "") -> LiveEvent:
        data: dict[str, Any] = orjson.loads(raw)
        change = Change(
            id=data["id"],
            student_id=data["s"],
            kind=ChangeKind(data["k"]),
            at=datetime.fromisoformat(data["at"]),
            subject_name=data["sub"],
            lesson_date=date.fromisoformat(data["d"]) if data["d"] else None,
            mark_value=data["m"],
            previous_mark_value=data["pm"],
            homework_text=data["h"],
            lesson_id=data.get("l"),
        )
        return cls(region=data["r"], change=change, published_at=data["p"], id=event_id)
