"""This instance's fan-out: one reader of the stream, every local subscriber fed from it.

:class:`Hub` reads the event stream once (a blocking read in one task) and offers each
event to the subscriptions of its student. A :class:`Subscription` holds at most
``max_queued_events`` undelivered events: one more and it is closed as slow
(:data:`SLOW`), never buffered without bound. An idle subscription is a small object with
an empty list (``scripts/bench`` measures the bytes). The hub also bounds the
subscriptions of one person (``max_subscriptions_per_person``) and of the instance
(``max_subscriptions``), and tells the poller which students are wanted.

A resuming subscription (``after`` an event id) gets the retained events after that id
first, then the live ones, each once: the hub registers it before reading the backlog,
and the subscription skips what it has already delivered (event ids are ordered).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Final

from adapters import Caller
from schema import ErrorCode, coded_error

from ..settings import LiveSettings
from .event import LiveEvent, position
from .poller import Poller
from .stream import EventStream

__all__ = [
    "EXPIRED",
    "RELATION_ENDED",
    "SHUTDOWN",
    "SLOW",
    "Hub",
    "LiveClosed",
    "LiveSession",
    "Subscription",
]

logger = logging.getLogger(__name__)

SLOW: Final = "slow"
"""The subscriber fell ``max_queued_events`` behind."""
EXPIRED: Final = "expired"
"""The connection's token expired (or its session ended)."""
RELATION_ENDED: Final = "relation_ended"
"""The viewer no longer relates to a subscribed student."""
SHUTDOWN: Final = "shutdown"
"""The instance is stopping."""

_BLOCK_SECONDS = 1.0


class LiveClosed(Exception):
    """Why the server ended a subscription (the transport closes with its code).

    Attributes:
        reason: :data:`SLOW`, :data:`EXPIRED`, :data:`RELATION_ENDED` or :data:`SHUTDOWN`.
        message: for the client.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class Subscription:
    """One subscriber's bounded queue (see the module doc)."""

    __slots__ = ("_pending", "_waiter", "closed", "last", "limit", "person", "students")

    def __init__(self, person: str, students: frozenset[tuple[str, str]], limit: int) -> None:
        self.person = person
        self.students = students
        self.limit = limit
        self.closed: LiveClosed | None = None
        self.last = (0, 0)
        """The position of the last event delivered."""
        self._pending: deque[LiveEvent] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def offer(self, event: LiveEvent) -> None:
        if self.closed is not None:
            return
        if len(self._pending) >= self.limit:
            self.close(LiveClosed(SLOW, f"slow subscriber: {self.limit} events waited undelivered"))
            return
        self._pending.append(event)
        self._wake()

    def backlog(self, events: Sequence[LiveEvent]) -> None:
        """Put a resuming client's missed events before the live ones (each once)."""
        merged = {e.id: e for e in (*events, *self._pending)}
        self._pending = deque(sorted(merged.values(), key=lambda e: position(e.id)))
        self._wake()

    def close(self, closed: LiveClosed) -> None:
        if self.closed is None:
            self.closed = closed
            self._pending.clear()
            self._wake()

    async def next(self) -> LiveEvent:
        """The next event not delivered yet.

        Raises:
            LiveClosed: the subscription was closed.
        """
        while True:
            while self._pending:
                event = self._pending.popleft()
                at = position(event.id)
                if at > self.last:
                    self.last = at
                    return event
            if self.closed is not None:
                raise self.closed
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None


class Hub:
    """This instance's subscriptions and its one reader of the stream.

    Args:
        stream: the event stream.
        poller: this instance's poller.
        settings: ``[live]``.
        observe_delivery: told each event offered (metrics: lag), with the subscriber count.
    """

    def __init__(
        self,
        stream: EventStream,
        poller: Poller,
        settings: LiveSettings,
        *,
        observe_delivery: Callable[[LiveEvent, int], None] | None = None,
    ) -> None:
        self.stream = stream
        self.poller = poller
        self.settings = settings
        self.observe_delivery = observe_delivery
        self.count = 0
        self._by_student: dict[tuple[str, str], set[Subscription]] = {}
        self._by_person: Counter[str] = Counter()
        self._reader: asyncio.Task[None] | None = None
        self._position = "0-0"
        self._started: asyncio.Future[None] | None = None

    async def _ensure_reader(self) -> None:
        started = self._started
        if started is None:
            started = self._started = asyncio.get_running_loop().create_future()
            self._reader = asyncio.create_task(self._read(started), name="live-hub")
        await asyncio.shield(started)

    async def _read(self, started: asyncio.Future[None]) -> None:
        try:
            self._position = await self.stream.last_id()
        except Exception as exc:  # Redis down at the first subscription: try again then
            logger.exception("live stream unreadable")
            self._started = None
            started.set_exception(exc)
            return
        started.set_result(None)
        while True:
            try:
                events = await self.stream.read(self._position, block_seconds=_BLOCK_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("live stream read failed")
                await asyncio.sleep(1.0)
                continue
            for event in events:
                self._position = event.id
                self.deliver(event)

    def deliver(self, event: LiveEvent) -> None:
        """Offer ``event`` to its student's subscriptions here."""
        subscribers = self._by_student.get(event.student)
        if not subscribers:
            return
        for subscription in tuple(subscribers):
            subscription.offer(event)
        if self.observe_delivery is not None:
            self.observe_delivery(event, len(subscribers))

    async def open(
        self,
        person: str,
        students: Sequence[tuple[str, str]],
        *,
        caller: Caller,
        pollable: Sequence[tuple[str, str]],
        after: str | None,
    ) -> Subscription:
        """A subscription to ``students``' events (the backlog after ``after`` first).

        Raises:
            GraphQLError: ``RATE_LIMITED`` past a bound; ``BAD_USER_INPUT`` for a
                malformed ``after``.
        """
        if after is not None:
            try:
                position(after)
            except ValueError:
                raise coded_error(
                    ErrorCode.BAD_USER_INPUT, "not an event id", argument="after"
                ) from None
        live = self.settings
        if self._by_person[person] >= live.max_subscriptions_per_person:
            raise coded_error(
                ErrorCode.RATE_LIMITED,
                f"at most {live.max_subscriptions_per_person} open subscriptions per person",
                limit="subscriptions",
                maximum=live.max_subscriptions_per_person,
            )
        if self.count >= live.max_subscriptions:
            raise coded_error(
                ErrorCode.RATE_LIMITED,
                "this instance serves no more subscriptions now; try again later",
                limit="subscriptions",
            )
        await self._ensure_reader()
        subscription = Subscription(person, frozenset(students), live.max_queued_events)
        self._by_person[person] += 1
        self.count += 1
        for student in subscription.students:
            self._by_student.setdefault(student, set()).add(subscription)
        for region, student_id in pollable:
            self.poller.want(region, student_id, str(id(subscription)), caller)
        if after is not None:
            try:
                backlog = await self.stream.after(after)
            except BaseException:
                self.close(subscription, pollable)
                raise
            subscription.backlog([e for e in backlog if e.student in subscription.students])
        return subscription

    def close(self, subscription: Subscription, pollable: Sequence[tuple[str, str]]) -> None:
        """Forget ``subscription`` (idempotent)."""
        found = False
        for student in subscription.students:
            subscribers = self._by_student.get(student)
            if subscribers is not None and subscription in subscribers:
                found = True
                subscribers.discard(subscription)
                if not subscribers:
                    del self._by_student[student]
        if not found:
            return
        for region, student_id in pollable:
            self.poller.unwant(region, student_id, str(id(subscription)))
        self.count -= 1
        self._by_person[subscription.person] -= 1
        if self._by_person[subscription.person] <= 0:
            del self._by_person[subscription.person]

    def session(self, person: str, caller: Caller) -> LiveSession:
        """The event source of one connection (the schema's ``LiveSource``)."""
        return LiveSession(self, person, caller)

    async def aclose(self) -> None:
        """Close every subscription and stop reading."""
        for subscribers in list(self._by_student.values()):
            for subscription in tuple(subscribers):
                subscription.close(LiveClosed(SHUTDOWN, "the server is stopping"))
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        await self.poller.aclose()


class LiveSession:
    """One connection's event source: its subscriptions, and why the server closed it.

    ``closed`` is set (once) when the server ends the connection: a subscriber too slow,
    the token expired, a relation ended. The transport waits on ``ended`` and closes with
    its protocol's code.
    """

    def __init__(self, hub: Hub, person: str, caller: Caller) -> None:
        self.hub = hub
        self.person = person
        self.caller = caller
        self.closed: LiveClosed | None = None
        self.ended = asyncio.Event()
        self._open: dict[Subscription, Sequence[tuple[str, str]]] = {}

    def end(self, closed: LiveClosed) -> None:
        """End the connection's subscriptions for ``closed`` (the first reason wins)."""
        if self.closed is None:
            self.closed = closed
            self.ended.set()
        for subscription in tuple(self._open):
            subscription.close(closed)

    def relation_ended(self, message: str) -> None:
        self.end(LiveClosed(RELATION_ENDED, message))

    @property
    def recheck_seconds(self) -> float:
        return self.hub.settings.relation_recheck_seconds

    async def listen(
        self,
        students: Sequence[tuple[str, str]],
        *,
        pollable: Sequence[tuple[str, str]],
        after: str | None,
    ) -> AsyncIterator[Any]:
        if self.closed is not None:
            raise self.closed
        subscription = await self.hub.open(
            self.person, students, caller=self.caller, pollable=pollable, after=after
        )
        self._open[subscription] = pollable
        try:
            while True:
                try:
                    event = await subscription.next()
                except LiveClosed as closed:
                    self.end(closed)
                    raise
                yield event
        finally:
            del self._open[subscription]
            self.hub.close(subscription, pollable)

    def close_all(self) -> None:
        """The connection is gone: forget its subscriptions."""
        for subscription, pollable in tuple(self._open.items()):
            self.hub.close(subscription, pollable)
