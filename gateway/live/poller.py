"""One poll per student, however many listeners: each instance's poller.

An instance polls a student's change feed only while it has subscribers for them, and only
while it holds the student's lease (:mod:`.lease`): of the instances that want a student,
one polls. Every poll renews the lease; a holder that dies stops renewing and another
instance takes over within ``lease_seconds``. A poll reads the feed ``lookback_hours``
back and publishes what is new to the stream, deduplicated by each change's stable key
(:mod:`.stream`), so an overlap at a handover repeats nothing and loses nothing. The very
first poll of a student (nobody has polled them within the keys' time to live) only
remembers what the feed holds: that is history, not news. Where the region serves a diary,
each poll also diffs the student's diary against the last poll's (:mod:`.diff`): absences
and lesson changes, which no feed reports, with the same dedup and the same baseline.

The interval adapts: ``poll_interval_seconds`` during the school day in the student's
region (weekdays 07:00–19:00 local), ``off_hours_factor`` times that otherwise, and
doubling per consecutive failure (up to 16 times; a provider's ``Retry-After`` is waited
out in full). Polls go through the adapter, so the runner's breaker, bulkhead and timeouts
apply to them like to any request.

The poll uses the credentials of one of this instance's subscribers who may read the feed
(the family: the student or a legal representative). A student only staff listen to is
not polled (their feed is the family's); see the README.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from adapters import (
    SYSTEM_CLOCK,
    AdapterError,
    AdapterRegistry,
    Caller,
    Capability,
    Change,
    Clock,
    ProviderUnavailableError,
)

from ..settings import LiveSettings
from ..upstream import fresh_reads
from .diff import DiarySnapshot, diary_changes, diary_window
from .event import LiveEvent, event_key
from .lease import Lease
from .stream import EventStream

__all__ = ["Poller", "is_school_hours"]

logger = logging.getLogger(__name__)

_MAX_BACKOFF = 16


def is_school_hours(weekday: int, hour: int) -> bool:
    """Weekdays from 07:00 to 19:00 (local): when marks are given."""
    return weekday < 5 and 7 <= hour < 19


@dataclass
class _Wanted:
    callers: dict[str, Caller] = field(default_factory=dict)
    """Subscription key → the caller whose credentials may poll."""
    task: asyncio.Task[None] | None = None


class Poller:
    """This instance's share of the polling (see the module doc).

    Args:
        registry: the adapters by region.
        lease: who polls whom.
        stream: where events go.
        settings: ``[live]``.
        clock: the app's clock (school hours, lookback, publish time).
        observe_poll: told ``(region, outcome)`` after each poll (metrics).
        on_change: awaited with ``(region, student id)`` before a poll publishes what is
            new: the caches drop the student's entries (every instance), so subscribers
            resolving an event read the diary afresh.
    """

    def __init__(
        self,
        *,
        registry: AdapterRegistry,
        lease: Lease,
        stream: EventStream,
        settings: LiveSettings,
        clock: Clock = SYSTEM_CLOCK,
        observe_poll: Callable[[str, str], None] | None = None,
        on_change: Callable[[str, str], Awaitable[Any]] | None = None,
    ) -> None:
        self.registry = registry
        self.lease = lease
        self.stream = stream
        self.settings = settings
        self.clock = clock
        self.observe_poll = observe_poll
        self.on_change = on_change
        self.holder = uuid.uuid4().hex
        """This instance's name in the leases."""
        self.polls = 0
        """Polls this instance made (all students)."""
        self._wanted: dict[tuple[str, str], _Wanted] = {}

    def want(self, region: str, student_id: str, key: str, caller: Caller) -> None:
        """Poll ``student_id`` (when holding the lease) with ``caller`` until ``unwant``."""
        wanted = self._wanted.setdefault((region, student_id), _Wanted())
        wanted.callers[key] = caller
        if wanted.task is None or wanted.task.done():
            wanted.task = asyncio.create_task(
                self._run(region, student_id), name=f"live-poll-{region}"
            )

    def unwant(self, region: str, student_id: str, key: str) -> None:
        """Forget one subscriber's credentials; stop (and release the lease) with the last."""
        wanted = self._wanted.get((region, student_id))
        if wanted is None:
            return
        wanted.callers.pop(key, None)
        if not wanted.callers:
            del self._wanted[(region, student_id)]
            if wanted.task is not None:
                wanted.task.cancel()

    @property
    def students(self) -> int:
        """Students this instance wants polled."""
        return len(self._wanted)

    @staticmethod
    def lease_name(region: str, student_id: str) -> str:
        digest = hashlib.sha256(f"{region}/{student_id}".encode()).hexdigest()[:32]
        return f"poll:{digest}"

    def interval(self, region: str, failures: int) -> float:
        """Seconds until the next poll of a student in ``region``."""
        seconds = self.settings.poll_interval_seconds
        zone = self.registry[region].region.timezone
        local = self.clock.now_in(zone)
        if not is_school_hours(local.weekday(), local.hour):
            seconds *= self.settings.off_hours_factor
        if failures:
            seconds *= min(2**failures, _MAX_BACKOFF)
        return seconds

    async def _run(self, region: str, student_id: str) -> None:
        name = self.lease_name(region, student_id)
        failures = 0
        try:
            while True:
                wait = self.interval(region, failures)
                try:
                    if await self.lease.acquire(name, self.holder, self.settings.lease_seconds):
                        wanted = self._wanted.get((region, student_id))
                        if wanted is None or not wanted.callers:
                            return
                        caller = next(reversed(wanted.callers.values()))  # the newest
                        await self.poll(region, student_id, caller)
                        failures = 0
                except asyncio.CancelledError:
                    raise
                except ProviderUnavailableError as exc:
                    failures += 1
                    wait = max(self.interval(region, failures), exc.retry_after or 0.0)
                except AdapterError as exc:  # refused, not found: try again later
                    failures += 1
                    wait = self.interval(region, failures)
                    logger.info("live poll region=%s failed: %s", region, type(exc).__name__)
                except Exception:  # Redis down, a bug: keep the loop, say so once per poll
                    failures += 1
                    wait = self.interval(region, failures)
                    logger.exception("live poll region=%s failed", region)
                await asyncio.sleep(wait)
        finally:
            if (region, student_id) not in self._wanted:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.lease.release(name, self.holder))

    async def poll(self, region: str, student_id: str, caller: Caller) -> int:
        """Read one student's feed once and publish what is new; how many were new.

        Raises:
            AdapterError: the provider's failure (the loop backs off).
        """
        adapter = self.registry[region]
        since = self.clock.now() - timedelta(hours=self.settings.lookback_hours)
        self.polls += 1
        outcome = "ok"
        try:
            (found,) = await adapter.get_changes(caller, [student_id], since)
            if isinstance(found, AdapterError):
                raise found
        except AdapterError as exc:
            outcome = type(exc).__name__
            raise
        finally:
            if self.observe_poll is not None:
                self.observe_poll(region, outcome)
        marker = f"baseline:{self.lease_name(region, student_id)}"
        if not await self.stream.marked(marker):
            await self.stream.remember((event_key(region, c) for c in found), marker)
            found = []
        found = [*found, *await self._diary_changes(region, student_id, caller)]
        published = 0
        now = self.clock.timestamp()
        if found and self.on_change is not None:  # usually nothing new: no invalidation
            fresh = [c for c in found if not await self.stream.seen(event_key(region, c))]
            if fresh:
                await self.on_change(region, student_id)
        for change in sorted(found, key=lambda c: c.at):  # oldest first: the stream's order
            if await self.stream.publish(LiveEvent(region, change, now)) is not None:
                published += 1
        return published

    async def _diary_changes(self, region: str, student_id: str, caller: Caller) -> list[Change]:
        """Absences and lesson changes since the last poll's snapshot (:mod:`.diff`); none
        where the region serves no diary, and none at the baseline."""
        adapter = self.registry[region]
        if not adapter.supports(Capability.SCHEDULE):
            return []
        local = self.clock.now_in(adapter.region.timezone)
        window = diary_window(local.date())
        with fresh_reads():  # the provider's present, not a cached answer
            (lessons,) = await adapter.get_diaries(caller, [student_id], window)
        if isinstance(lessons, AdapterError):
            raise lessons
        after = DiarySnapshot.of(lessons, window)
        name = f"diary:{self.lease_name(region, student_id)}"
        raw = await self.stream.snapshot(name)
        before = DiarySnapshot.decode(raw) if raw is not None else None
        await self.stream.keep(name, after.encode())
        if before is None:
            return []
        return diary_changes(before, after, student_id, today=local.date(), at=self.clock.now())

    async def aclose(self) -> None:
        """Stop every poll and release this instance's leases."""
        wanted = list(self._wanted.values())
        self._wanted.clear()
        tasks = [w.task for w in wanted if w.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
