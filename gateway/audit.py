"""The audit trail of access to children's records: bounded, shared, keyed by canonical id.

Each event is written as one structured JSON log line on the ``gateway.audit`` logger (the
operator's record: ids, roles and field names, never a mark, a name or a token) and kept in
a history that the legal representative reads through ``student { accessLog }``.

The history
  * is keyed by the student's **canonical** global id. An id that is not the canonical
    encoding of a student (padding, another type, garbage) is never stored: the event is
    logged without it and counted (``counts["non_canonical"]``). Nothing of the raw input
    is kept: the store's key is a SHA-256 of the canonical id, its entries name no student.
  * names readers by **pseudonym** only: ``reader-`` + HMAC-SHA256 of the viewer label
    under the key :class:`~gateway.keyring.Keyring` derives for ``"audit-pseudonym"``
    (:func:`schema.audit.pseudonym`). The same reader has the same pseudonym on every
    instance sharing the secret; without the secret nobody can test a national id against it.
  * is **bounded** per student (``[audit] max_events_per_student``, the oldest dropped) and by
    age (``[audit] max_age_days``: older events are neither returned nor kept).
  * is **shared**: in Redis when ``[cache] url`` is Redis (one sorted set per student under
    ``<key_prefix>audit:s:``, score = the event's time, trimmed and given a TTL by one Lua
    script, so concurrent writers on several instances never overshoot the bounds), in the
    gateway's database with ``[audit] store = "database"`` (:class:`gateway.database.AuditEvents`,
    durable), in memory otherwise (bounded the same way, plus an LRU over students).

A refused attempt by someone with no relationship to the student (``relation == "none"``)
cannot tell a real child from an id that names nobody (providers answer both alike). Such
a student is *unconfirmed*: kept in a separate, bounded pool of at most
``max_unconfirmed_students`` (1000) students of at most 20 events each (least recently
written dropped first, counted in ``counts["unconfirmed_evicted"]``), so a flood of forged
ids costs a bounded amount of memory (about 20,000 entries, a few MB).
A student becomes confirmed — stored like any other, no longer evictable from that pool —
when a read by someone related to them is recorded, or when their legal representative reads
the access log.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import itertools
import json
import logging
import operator
import secrets
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final, Protocol

import redis.asyncio as redis
from lru import LRU

from adapters import SYSTEM_CLOCK, Clock
from schema import AuditEvent
from schema.audit import pseudonym
from schema.ids import encode_id

from .database import AuditEvents, Database
from .infrastructure import Infrastructure
from .keyring import Keyring

__all__ = [
    "DEFAULT_MAX_AGE_DAYS",
    "DEFAULT_MAX_EVENTS_PER_STUDENT",
    "AuditLog",
    "AuditStore",
    "MemoryAuditStore",
    "RedisAuditStore",
    "canonical_student",
]

logger = logging.getLogger("gateway.audit")
errors = logging.getLogger("gateway.audit.store")

DEFAULT_MAX_EVENTS_PER_STUDENT: Final = 500
DEFAULT_MAX_AGE_DAYS: Final = 365
DEFAULT_MAX_UNCONFIRMED_STUDENTS: Final = 1000
"""Students known only from refused attempts by strangers (forged ids look the same)."""
DEFAULT_MAX_EVENTS_PER_UNCONFIRMED: Final = 20
"""Events kept per unconfirmed student (a stranger repeating one forged id gains nothing)."""
DEFAULT_MAX_STUDENTS: Final = 20_000
"""Bound of the in-memory store's students (least recently written dropped)."""
DEFAULT_MAX_MEMORY_EVENTS: Final = 100_000
"""Bound of the in-memory store's events, all students together."""
RECENT_EVENTS: Final = 1000
"""Events this instance wrote lately, as written (tests and operators: :meth:`all_events`)."""
_DAY: Final = 86_400


@lru_cache(maxsize=4096)
def canonical_student(region: str, student: str) -> str | None:
    """``student`` if it is the canonical global id of a Student of ``region``, else ``None``.

    Memoised (bounded): a cached response replays the same few students' events on every hit.
    """
    from schema.ids import decode_id

    try:
        gid = decode_id(student, expected="Student")
    except Exception:  # noqa: BLE001 - any malformed id is simply not canonical
        return None
    if gid.region != region or encode_id("Student", gid.region, gid.native) != student:
        return None
    return student


@lru_cache(maxsize=4096)
def _student_key(student: str) -> str:
    """What the store keys a student by: no raw input, a fixed length however long the id."""
    return hashlib.sha256(student.encode("utf-8")).hexdigest()[:32]


class AuditStore(Protocol):
    """Where the bounded history lives: entries are JSON strings scored by time (epoch s)."""

    async def add(
        self, entries: Sequence[tuple[str, float, str, bool]], *, cutoff: float
    ) -> dict[str, int]:
        """Store ``(student key, score, entry, confirmed)`` rows; drop entries older than
        ``cutoff``; how many unconfirmed students were evicted (``{"evicted": n}``)."""
        ...

    async def read(self, student_key: str, limit: int, *, cutoff: float) -> list[str]:
        """The newest ``limit`` entries no older than ``cutoff``, newest first (and the
        student confirmed: only a real student's log is ever read)."""
        ...

    async def size(self) -> tuple[int, int]:
        """(students, events) kept: for tests and operators."""
        ...

    async def aclose(self) -> None: ...


class MemoryAuditStore:
    """Per-instance history: per-student deques in two LRUs (confirmed, unconfirmed).

    A deque holds its entries in the order they were written, so an entry needs no ordering
    prefix here: the in-memory replays of response-cache hits are ``":" + JSON``
    (:meth:`AuditLog.replay_now`), the same for every hit within a second.
    """

    def __init__(
        self,
        *,
        max_events_per_student: int = DEFAULT_MAX_EVENTS_PER_STUDENT,
        max_unconfirmed_students: int = DEFAULT_MAX_UNCONFIRMED_STUDENTS,
        max_students: int = DEFAULT_MAX_STUDENTS,
        max_events: int = DEFAULT_MAX_MEMORY_EVENTS,
    ) -> None:
        self.per_student = max_events_per_student
        self.max_unconfirmed = max_unconfirmed_students
        self.per_unconfirmed = min(max_events_per_student, DEFAULT_MAX_EVENTS_PER_UNCONFIRMED)
        self.max_students = max_students
        self.max_events = max_events
        self._confirmed: OrderedDict[str, deque[tuple[float, str]]] = OrderedDict()
        self._unconfirmed: OrderedDict[str, deque[tuple[float, str]]] = OrderedDict()
        self._events = 0

    async def add(
        self, entries: Sequence[tuple[str, float, str, bool]], *, cutoff: float
    ) -> dict[str, int]:
        return self.add_now(entries, cutoff=cutoff)

    def add_now(
        self, entries: Sequence[tuple[str, float, str, bool]], *, cutoff: float
    ) -> dict[str, int]:
        """:meth:`add` without awaiting (nothing here waits): the response-cache hit path."""
        evicted = 0
        known, unknown = self._confirmed, self._unconfirmed
        for key, score, entry, confirmed in entries:
            cap = self.per_student
            events = known.get(key)
            if events is not None:
                known.move_to_end(key)
            elif confirmed:  # a real student: their history leaves the unconfirmed pool
                events = unknown.pop(key, None)
                if events is None:
                    events = deque()
                known[key] = events
            else:
                cap = self.per_unconfirmed
                events = unknown.get(key)
                if events is None:
                    events = unknown[key] = deque()
                else:
                    unknown.move_to_end(key)
            events.append((score, entry))
            if len(events) > cap:  # a full history (the usual case under load): one out
                events.popleft()
            else:
                self._events += 1
            if events[0][0] < cutoff:
                self._trim(events, cutoff, cap)
            if (
                len(unknown) > self.max_unconfirmed
                or self._events > self.max_events
                or len(known) + len(unknown) > self.max_students
            ):
                evicted += self._bound()
        return {"evicted": evicted}

    def _promote(self, key: str) -> deque[tuple[float, str]]:
        events = self._unconfirmed.pop(key, None)
        if events is not None:
            self._confirmed[key] = events
        events = self._confirmed.setdefault(key, deque())
        self._confirmed.move_to_end(key)
        return events

    def _trim(self, events: deque[tuple[float, str]], cutoff: float, cap: int) -> None:
        # events arrive in (nearly) time order: the oldest are at the left
        while events and (len(events) > cap or events[0][0] < cutoff):
            events.popleft()
            self._events -= 1

    def _bound(self) -> int:
        evicted = 0
        while len(self._unconfirmed) > self.max_unconfirmed:
            self._events -= len(self._unconfirmed.popitem(last=False)[1])
            evicted += 1
        while self._events > self.max_events or (
            len(self._confirmed) + len(self._unconfirmed) > self.max_students
        ):
            pool = self._unconfirmed if self._unconfirmed else self._confirmed
            if not pool:
                break
            self._events -= len(pool.popitem(last=False)[1])
            evicted += int(pool is self._unconfirmed)
        return evicted

    async def read(self, student_key: str, limit: int, *, cutoff: float) -> list[str]:
        events = self._promote(student_key)
        self._trim(events, cutoff, self.per_student)
        if not events:
            del self._confirmed[student_key]
            return []
        # by time, then by write order: the deque's own (a stable sort of it reversed)
        newest = sorted(reversed(events), key=_score, reverse=True)
        return [entry for _, entry in newest[:limit]]

    async def size(self) -> tuple[int, int]:
        return len(self._confirmed) + len(self._unconfirmed), self._events

    async def aclose(self) -> None:
        """Nothing to release."""


# KEYS: the student's sorted set, the index of unconfirmed students.
# ARGV: score, entry, cutoff, per-student cap, TTL seconds, confirmed (1/0),
#       max unconfirmed students, the student key prefix, per-unconfirmed-student cap.
_ADD: Final = """
local unconfirmed = false
if ARGV[6] == '1' then
  redis.call('ZREM', KEYS[2], KEYS[1])
elseif redis.call('EXISTS', KEYS[1]) == 0 or redis.call('ZSCORE', KEYS[2], KEYS[1]) then
  unconfirmed = true
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
local cap = tonumber(ARGV[4])
if unconfirmed then
  cap = tonumber(ARGV[9])
end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(cap + 1))
redis.call('EXPIRE', KEYS[1], ARGV[5])
if not unconfirmed then
  return 0
end
redis.call('ZADD', KEYS[2], ARGV[1], KEYS[1])
redis.call('EXPIRE', KEYS[2], ARGV[5])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[7])
if excess <= 0 then
  return 0
end
local victims = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
for _, victim in ipairs(victims) do
  if string.sub(victim, 1, #ARGV[8]) == ARGV[8] then
    redis.call('DEL', victim)
  end
  redis.call('ZREM', KEYS[2], victim)
end
return #victims
"""


class RedisAuditStore:
    """History shared by instances: ``<prefix>s:<sha256 of the id>`` sorted sets, score = time.

    Every write runs one Lua script (atomic): add, drop what is older than the age bound,
    trim to the per-student cap, refresh the TTL (the age bound), and keep the pool of
    unconfirmed students (``<prefix>unconfirmed``) within its bound by deleting the least
    recently written. The script touches only keys under ``prefix`` (single Redis; a
    cluster would need the keys in one hash slot).
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str,
        max_events_per_student: int = DEFAULT_MAX_EVENTS_PER_STUDENT,
        max_age_days: int = DEFAULT_MAX_AGE_DAYS,
        max_unconfirmed_students: int = DEFAULT_MAX_UNCONFIRMED_STUDENTS,
    ) -> None:
        self._client = client
        self.prefix = prefix
        self.per_student = max_events_per_student
        self.ttl_seconds = max_age_days * _DAY
        self.max_unconfirmed = max_unconfirmed_students
        self.per_unconfirmed = min(max_events_per_student, DEFAULT_MAX_EVENTS_PER_UNCONFIRMED)
        self._add = self._client.register_script(_ADD)

    def _key(self, student_key: str) -> str:
        return f"{self.prefix}s:{student_key}"

    @property
    def _index(self) -> str:
        return f"{self.prefix}unconfirmed"

    async def add(
        self, entries: Sequence[tuple[str, float, str, bool]], *, cutoff: float
    ) -> dict[str, int]:
        async with self._client.pipeline(transaction=False) as pipe:
            for key, score, entry, confirmed in entries:
                await self._add(
                    keys=[self._key(key), self._index],
                    args=[
                        repr(score),
                        entry,
                        repr(cutoff),
                        self.per_student,
                        self.ttl_seconds,
                        1 if confirmed else 0,
                        self.max_unconfirmed,
                        f"{self.prefix}s:",
                        self.per_unconfirmed,
                    ],
                    client=pipe,
                )
            results = await pipe.execute()
        return {"evicted": sum(int(r) for r in results)}

    async def read(self, student_key: str, limit: int, *, cutoff: float) -> list[str]:
        key = self._key(student_key)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zrem(self._index, key)  # a real student: their log is being read
            pipe.zremrangebyscore(key, "-inf", f"({cutoff!r}")
            pipe.zrevrangebyscore(key, "+inf", repr(cutoff), start=0, num=limit)
            *_, rows = await pipe.execute()
        return [r.decode("utf-8") if isinstance(r, bytes) else str(r) for r in rows]

    async def size(self) -> tuple[int, int]:
        students = events = 0
        async for key in self._client.scan_iter(match=f"{self.prefix}s:*", count=1000):
            students += 1
            events += int(await self._client.zcard(key))
        return students, events

    async def aclose(self) -> None:
        """Nothing to release: the pool is the process's (:mod:`gateway.infrastructure`)."""


class AuditLog:
    """The audit sink: structured log lines plus the bounded, shared history."""

    def __init__(
        self,
        *,
        store: AuditStore | None = None,
        keyring: Keyring | None = None,
        clock: Clock = SYSTEM_CLOCK,
        max_events_per_student: int = DEFAULT_MAX_EVENTS_PER_STUDENT,
        max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    ) -> None:
        self.store: AuditStore = store or MemoryAuditStore(
            max_events_per_student=max_events_per_student
        )
        # Without a keyring (tests, single-process tools) pseudonyms are stable only for
        # this process; the app passes the deployment's keyring.
        self._pseudonym_key = (keyring or Keyring.generate()).derive("audit-pseudonym")
        self.clock = clock
        self.max_age_days = max_age_days
        self.written = 0
        self.counts: Counter[str] = Counter()
        """``non_canonical`` (logged, not stored), ``unconfirmed_evicted``, ``store_errors``."""
        self._recent: deque[AuditEvent] = deque(maxlen=RECENT_EVENTS)
        self._pseudonyms: LRU[str, str] = LRU(4096)
        """Viewer label → pseudonym (bounded memo: HMACs of the same readers on every hit)."""
        self._replays: LRU[int, _Replay] = LRU(1024)
        """``id`` of a stored response's events → their rows prepared (see :meth:`replay`)."""
        self._pending: list[tuple[list[AuditEvent], tuple[tuple[str, str, bool], ...], float]] = []
        """Replays not yet in the in-memory history: (events, memory rows, epoch)."""

    @classmethod
    def for_cache(
        cls,
        infrastructure: Infrastructure,
        *,
        keyring: Keyring | None = None,
        clock: Clock = SYSTEM_CLOCK,
        max_events_per_student: int = DEFAULT_MAX_EVENTS_PER_STUDENT,
        max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    ) -> AuditLog:
        """The history in the shared Redis (``<key_prefix>audit:``) if any, else in memory."""
        store: AuditStore
        if infrastructure.redis is not None:
            store = RedisAuditStore(
                infrastructure.redis,
                prefix=f"{infrastructure.key_prefix}audit:",
                max_events_per_student=max_events_per_student,
                max_age_days=max_age_days,
            )
        else:
            store = MemoryAuditStore(max_events_per_student=max_events_per_student)
        return cls(
            store=store,
            keyring=keyring,
            clock=clock,
            max_events_per_student=max_events_per_student,
            max_age_days=max_age_days,
        )

    @classmethod
    def for_database(
        cls,
        database: Database,
        *,
        keyring: Keyring | None = None,
        clock: Clock = SYSTEM_CLOCK,
        max_events_per_student: int = DEFAULT_MAX_EVENTS_PER_STUDENT,
        max_age_days: int = DEFAULT_MAX_AGE_DAYS,
    ) -> AuditLog:
        """The history in the gateway's database (``[audit] store = "database"``): durable,
        shared by every instance on the same PostgreSQL."""
        store = AuditEvents(database, max_events_per_student=max_events_per_student)
        return cls(
            store=store,
            keyring=keyring,
            clock=clock,
            max_events_per_student=max_events_per_student,
            max_age_days=max_age_days,
        )

    def pseudonym(self, viewer: str) -> str:
        """How the access log names ``viewer`` (an HMAC under the deployment's secret)."""
        found = self._pseudonyms.get(viewer)
        if found is None:
            found = pseudonym(self._pseudonym_key, viewer)
            self._pseudonyms[viewer] = found
        return found

    def _cutoff(self) -> float:
        return self.clock.timestamp() - self.max_age_days * _DAY

    async def record(self, events: list[AuditEvent], *, at: str | None = None) -> None:
        """Write ``events``; ``at`` overrides their time (a replay for a cached response)."""
        self.flush()  # earlier replays first: the history stays in time order
        log = logger.isEnabledFor(logging.INFO)
        rows: list[tuple[str, float, str, bool]] = []
        for event in events:
            when = at or event.at
            student = canonical_student(event.region, event.student)
            self.written += 1
            self._recent.append(event if at is None else _replayed(event, at))
            if log:
                row: dict[str, Any] = dataclasses.asdict(event)
                row["at"] = when
                row["viewer"] = self.pseudonym(event.viewer)  # never a national id in a log
                if student is None:
                    row["student"] = None
                    row["non_canonical"] = True
                logger.info(json.dumps({"audit": row}, ensure_ascii=False))
            if student is None:
                self.counts["non_canonical"] += 1
                continue
            rows.append(
                (
                    _student_key(student),
                    _epoch(when),
                    _entry(event, when, self.pseudonym(event.viewer)),
                    event.relation != "none",
                )
            )
        if not rows:
            return
        await self._add(rows)

    async def replay(self, events: tuple[AuditEvent, ...], *, at: str) -> None:
        """Write a stored response's ``events`` again at ``at`` (a response-cache hit).

        The same rows as ``record(list(events), at=at)``; what stays the same from hit to hit
        — each event's student key and reader pseudonym, and within a second the entries'
        JSON and time — is prepared once per stored ``events`` tuple, so a hit only stamps
        the write time on each entry.
        """
        if not events or self.replay_now(events, at=at):
            return
        if logger.isEnabledFor(logging.INFO):  # the log line per event: the general path
            await self.record(list(events), at=at)
            return
        prepared = self._prepared(events, at)
        self._recent.extend(prepared.replayed)
        if prepared.keys:
            await self._add(_rows(prepared.stored_rows, prepared.epoch, time.time_ns()))

    def replay_now(self, events: tuple[AuditEvent, ...], *, at: str) -> bool:
        """:meth:`replay` without awaiting, where nothing waits: the in-memory history and no
        log line per event (their rows are written at the end of the loop turn, with every
        other hit's: :meth:`flush`). ``False``: nothing done, :meth:`replay` it."""
        if not isinstance(self.store, MemoryAuditStore) or logger.isEnabledFor(logging.INFO):
            return False
        prepared = self._prepared(events, at)
        pending = self._pending
        pending.append((prepared.replayed, prepared.memory_rows, prepared.epoch))
        if len(pending) == 1:
            asyncio.get_running_loop().call_soon(self.flush)
        return True

    def _prepared(self, events: tuple[AuditEvent, ...], at: str) -> _Replay:
        """``events`` prepared for a replay at ``at``, and counted as written."""
        prepared = self._replays.get(id(events))
        if prepared is None or prepared.events is not events:
            prepared = self._replays[id(events)] = self._prepare(events)
        if prepared.at != at:
            prepared.stamp(at)
        self.written += len(events)
        if prepared.non_canonical:
            self.counts["non_canonical"] += prepared.non_canonical
        return prepared

    def flush(self) -> None:
        """Write the replays of this loop turn into the in-memory history (:meth:`replay`
        defers them: one pass for every hit since the last turn, not one per hit). Reads
        flush first, so a reader always sees every replay before it."""
        pending = self._pending
        if not pending:
            return
        self._pending = []
        rows: list[tuple[str, float, str, bool]] = []
        recent = self._recent
        for replayed, memory_rows, epoch in pending:
            recent.extend(replayed)
            rows.extend([(key, epoch, entry, confirmed) for key, entry, confirmed in memory_rows])
        store = self.store
        if rows and isinstance(store, MemoryAuditStore):  # only it is deferred to
            evicted = store.add_now(rows, cutoff=self._cutoff()).get("evicted", 0)
            self.counts["unconfirmed_evicted"] += evicted

    def _prepare(self, events: tuple[AuditEvent, ...]) -> _Replay:
        stored = []
        for event in events:
            student = canonical_student(event.region, event.student)
            if student is not None:
                stored.append((event, _student_key(student), self.pseudonym(event.viewer)))
        return _Replay(events, stored, non_canonical=len(events) - len(stored))

    async def _add(self, rows: list[tuple[str, float, str, bool]]) -> None:
        try:
            result = await self.store.add(rows, cutoff=self._cutoff())
        except Exception:  # the log line is the record; the history is best effort
            self.counts["store_errors"] += 1
            errors.exception("the audit history could not be written (%d events)", len(rows))
            return
        self.counts["unconfirmed_evicted"] += result.get("evicted", 0)

    async def history(self, region: str, student: str, limit: int) -> list[AuditEvent]:
        """The newest ``limit`` events about one student, newest first.

        Their ``viewer`` is the reader's pseudonym (the history never holds a national id).
        """
        canonical = canonical_student(region, student)
        if canonical is None or limit <= 0:
            return []
        self.flush()
        rows = await self.store.read(_student_key(canonical), limit, cutoff=self._cutoff())
        return [_event(row, region, canonical) for row in rows]

    def all_events(self) -> list[AuditEvent]:
        """The events this instance wrote lately, as written, oldest first (at most
        :data:`RECENT_EVENTS`; tests and operators)."""
        self.flush()
        return list(self._recent)

    async def aclose(self) -> None:
        """Close the store."""
        await self.store.aclose()


class _Replay:
    """A stored response's audit events prepared for replays (:meth:`AuditLog.replay`)."""

    __slots__ = (
        "at",
        "bodies",
        "confirmed",
        "epoch",
        "events",
        "keys",
        "memory_rows",
        "non_canonical",
        "replayed",
        "stored",
        "stored_rows",
    )

    def __init__(
        self,
        events: tuple[AuditEvent, ...],
        stored: list[tuple[AuditEvent, str, str]],
        *,
        non_canonical: int,
    ) -> None:
        self.events = events
        self.stored = stored
        """(event, student key, reader pseudonym) of each event the history keeps."""
        self.non_canonical = non_canonical
        self.keys = [key for _, key, _ in stored]
        self.confirmed = [event.relation != "none" for event, _, _ in stored]
        self.at = ""
        self.epoch = 0.0
        self.bodies: list[str] = []
        self.replayed: list[AuditEvent] = []
        self.stored_rows: tuple[tuple[str, str, bool], ...] = ()
        self.memory_rows: tuple[tuple[str, str, bool], ...] = ()
        """:attr:`stored_rows` as the in-memory history keeps them: no ordering prefix."""
        """(student key, entry JSON, confirmed) of each kept event, as of :attr:`at`."""

    def stamp(self, at: str) -> None:
        """Re-date the entries' JSON and the events to ``at`` (once per second of hits)."""
        self.at = at
        self.epoch = _epoch(at)
        self.bodies = [_entry_body(event, at, viewer) for event, _, viewer in self.stored]
        self.replayed = [_replayed(event, at) for event in self.events]
        self.stored_rows = tuple(zip(self.keys, self.bodies, self.confirmed, strict=True))
        self.memory_rows = tuple((key, ":" + body, ok) for key, body, ok in self.stored_rows)


@lru_cache(maxsize=1024)
def _replayed(event: AuditEvent, at: str) -> AuditEvent:
    """``event`` at ``at`` (memoised: cache hits replay the same events each second)."""
    return dataclasses.replace(event, at=at)


@lru_cache(maxsize=256)
def _epoch(at: str) -> float:
    moment = datetime.fromisoformat(at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _entry(event: AuditEvent, at: str, viewer: str) -> str:
    """One stored event: ``<write time, ns, hex><nonce>:<JSON>``.

    The prefix orders events written in the same second (scores are whole seconds; Redis
    orders ties by member) and makes two identical replays two entries. The JSON names no
    student (the key says who) and the reader only by pseudonym.
    """
    nonce = next(_NONCES) & 0xFFFF
    return f"{time.time_ns():016x}{nonce:04x}:{_entry_body(event, at, viewer)}"


def _rows(
    stored_rows: tuple[tuple[str, str, bool], ...], epoch: float, written: int
) -> list[tuple[str, float, str, bool]]:
    """A replay's history rows, written at ``written`` (ns): the prefix orders them."""
    return [
        (key, epoch, f"{written:016x}{next(_NONCES) & 0xFFFF:04x}:{body}", confirmed)
        for key, body, confirmed in stored_rows
    ]


_score = operator.itemgetter(0)
"""An in-memory history entry's time (POSIX seconds)."""

_NONCES = itertools.count(secrets.randbelow(0x10000))
"""Tells apart entries written in the same nanosecond (no system call per entry)."""


@lru_cache(maxsize=1024)
def _entry_body(event: AuditEvent, at: str, viewer: str) -> str:
    """The JSON of a stored event (memoised: cache hits replay the same events each second)."""
    return json.dumps(
        {
            "at": at,
            "v": viewer,
            "ro": event.role,
            "re": event.relation,
            "f": list(event.fields),
            "a": event.allowed,
            "r": event.request_id,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _event(row: str, region: str, student: str) -> AuditEvent:
    data = json.loads(row.split(":", 1)[1])
    return AuditEvent(
        at=str(data["at"]),
        viewer=str(data["v"]),
        role=str(data["ro"]),
        relation=str(data["re"]),
        region=region,
        student=student,
        fields=tuple(str(f) for f in data["f"]),
        allowed=bool(data["a"]),
        request_id=str(data["r"]),
    )
