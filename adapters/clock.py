"""The one clock: every "now" and every "today" of adapters, demo worlds and the gateway.

"Today" is always a *region's* local date: at 23:30 on Sunday in Moscow it is already Monday
in Yekaterinburg, and a diary for region 74 must show Monday. So nothing asks for a bare
``date.today()``; code holds a :class:`Clock` (injected through ``AdapterDeps.clock``, the
gateway's wiring or a constructor argument) and asks it::

    clock = Clock()                      # the system clock
    clock.now()                          # aware, UTC
    clock.today(ZoneInfo("Asia/Yekaterinburg"))

A :class:`Clock` reads the process clock (``time.time``) on every call, so tests pin it
with ``time-machine`` and a demo that runs past midnight moves to the new day by itself.
Two variants exist for the cases where the instant itself is configuration, not a test
fake: :meth:`Clock.fixed` (a frozen instant, for unit tests of one module) and
:meth:`Clock.shifted` (runs from a chosen instant, for ``diary-gateway demo --today``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

__all__ = ["SYSTEM_CLOCK", "Clock"]


@dataclass(frozen=True, slots=True)
class Clock:
    """Aware "now" and a region's local "today".

    Args:
        offset: added to the process clock (``Clock.shifted``); zero for the system clock.
        frozen_at: if set, the instant this clock always answers (``Clock.fixed``).
    """

    offset: timedelta = timedelta(0)
    frozen_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.frozen_at is not None and self.frozen_at.tzinfo is None:
            raise ValueError("Clock.fixed needs an aware datetime (with a time zone)")

    @classmethod
    def fixed(cls, instant: datetime) -> Clock:
        """A clock frozen at ``instant`` (aware)."""
        return cls(frozen_at=instant)

    @classmethod
    def shifted(cls, instant: datetime) -> Clock:
        """A clock that reads ``instant`` now and runs on from there at the normal rate."""
        if instant.tzinfo is None:
            raise ValueError("Clock.shifted needs an aware datetime (with a time zone)")
        return cls(offset=instant - datetime.fromtimestamp(time.time(), UTC))

    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        if self.frozen_at is not None:
            return self.frozen_at.astimezone(UTC)
        return datetime.fromtimestamp(time.time(), UTC) + self.offset

    def timestamp(self) -> float:
        """The current instant as POSIX seconds (without building a datetime: hot paths
        read it several times per request)."""
        if self.frozen_at is not None:
            return self.frozen_at.timestamp()
        return time.time() + self.offset.total_seconds()

    def now_in(self, zone: tzinfo) -> datetime:
        """The current instant in ``zone`` (aware)."""
        return self.now().astimezone(zone)

    def local_now(self, zone: tzinfo) -> datetime:
        """The wall-clock time in ``zone``, naive (as diaries print it)."""
        return self.now_in(zone).replace(tzinfo=None)

    def today(self, zone: tzinfo) -> date:
        """The local date in ``zone``: a region's "today"."""
        return self.now_in(zone).date()


SYSTEM_CLOCK = Clock()
"""The process clock; the default wherever no clock is injected."""
