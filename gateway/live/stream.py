"""The event stream every instance publishes to and reads from: Redis Streams, or memory.

One stream of all students' events, bounded (trimmed to about ``max_len`` events; that is
how far back a client can resume). Publishing is deduplicated by the event's stable key (a
``SET NX`` with a time to live, in the same Lua call as the ``XADD``): a change found by two
polls, or by two instances during a lease handover, is one event. Each instance reads the
stream once (:meth:`EventStream.read`, blocking) and fans it out to its own subscribers;
a resuming client's missed events come from :meth:`EventStream.after`.

:class:`MemoryStream` is the same thing in one process (no Redis configured: one
instance, nothing shared).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import time
from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Any

import redis.asyncio

from .event import LiveEvent, position

__all__ = ["EventStream", "MemoryStream", "RedisStream"]

_READ_COUNT = 500
"""Events one blocking read takes at most."""


class EventStream:
    """The stream's interface (see the module doc); two backends below."""

    async def publish(self, event: LiveEvent) -> str | None:
        """Append ``event`` unless its key was seen; its id, or ``None`` for a duplicate."""
        raise NotImplementedError("EventStream.publish must be implemented")

    async def remember(self, keys: Iterable[str], marker: str) -> None:
        """Mark ``keys`` seen without publishing them, and set ``marker`` (a first poll's
        baseline: what the feed held before anyone listened is not news)."""
        raise NotImplementedError("EventStream.remember must be implemented")

    async def marked(self, marker: str) -> bool:
        """Whether ``marker`` is set (refreshes its time to live)."""
        raise NotImplementedError("EventStream.marked must be implemented")

    async def seen(self, key: str) -> bool:
        """Whether an event with ``key`` was published (or remembered) lately."""
        raise NotImplementedError("EventStream.seen must be implemented")

    async def snapshot(self, name: str) -> bytes | None:
        """The value last kept under ``name`` (``None``: none within the keys' time to live)."""
        raise NotImplementedError("EventStream.snapshot must be implemented")

    async def keep(self, name: str, value: bytes) -> None:
        """Keep ``value`` under ``name`` (a poll's diary snapshot, for the next poll, on any
        instance) for the keys' time to live."""
        raise NotImplementedError("EventStream.keep must be implemented")

    async def read(self, after: str, *, block_seconds: float) -> list[LiveEvent]:
        """Events after ``after``, waiting up to ``block_seconds`` for one."""
        raise NotImplementedError("EventStream.read must be implemented")

    async def after(self, after: str) -> list[LiveEvent]:
        """Every retained event after ``after`` (a resuming client's backlog)."""
        raise NotImplementedError("EventStream.after must be implemented")

    async def last_id(self) -> str:
        """The newest event's id (``"0-0"``: none yet)."""
        raise NotImplementedError("EventStream.last_id must be implemented")

    async def aclose(self) -> None:
        return None


class MemoryStream(EventStream):
    """The stream in this process: a bounded deque, keys seen in a bounded LRU.

    Args:
        max_len: events kept.
        seen_ttl: seconds a key (and a marker) is remembered.
        max_keys: keys remembered at most (the oldest forgotten first).
    """

    def __init__(self, *, max_len: int, seen_ttl: float, max_keys: int = 100_000) -> None:
        self.events: deque[LiveEvent] = deque(maxlen=max_len)
        self.seen_ttl = seen_ttl
        self.max_keys = max_keys
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._snapshots: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._count = 0
        self._changed = asyncio.Event()

    def _fresh(self, key: str) -> bool:
        expires = self._seen.get(key)
        return expires is not None and expires > time.monotonic()

    def _see(self, key: str) -> None:
        self._seen[key] = time.monotonic() + self.seen_ttl
        self._seen.move_to_end(key)
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)

    def _next_id(self) -> str:
        self._count += 1
        return f"{self._count}-0"

    async def publish(self, event: LiveEvent) -> str | None:
        if self._fresh(event.key):
            return None
        self._see(event.key)
        published = event.with_id(self._next_id())
        self.events.append(published)
        self._changed.set()
        self._changed = asyncio.Event()
        return published.id

    async def remember(self, keys: Iterable[str], marker: str) -> None:
        for key in keys:
            self._see(key)
        self._see(f"marker:{marker}")

    async def marked(self, marker: str) -> bool:
        key = f"marker:{marker}"
        if not self._fresh(key):
            return False
        self._see(key)
        return True

    async def seen(self, key: str) -> bool:
        return self._fresh(key)

    async def snapshot(self, name: str) -> bytes | None:
        found = self._snapshots.get(name)
        if found is None or found[0] <= time.monotonic():
            return None
        return found[1]

    async def keep(self, name: str, value: bytes) -> None:
        self._snapshots[name] = (time.monotonic() + self.seen_ttl, value)
        self._snapshots.move_to_end(name)
        while len(self._snapshots) > self.max_keys:
            self._snapshots.popitem(last=False)

    def _after(self, after: str) -> list[LiveEvent]:
        start = position(after)
        return [e for e in self.events if position(e.id) > start]

    async def read(self, after: str, *, block_seconds: float) -> list[LiveEvent]:
        found = self._after(after)
        if found:
            return found[:_READ_COUNT]
        try:
            await asyncio.wait_for(self._changed.wait(), block_seconds)
        except TimeoutError:
            return []
        return self._after(after)[:_READ_COUNT]

    async def after(self, after: str) -> list[LiveEvent]:
        return self._after(after)

    async def last_id(self) -> str:
        return self.events[-1].id if self.events else "0-0"


_PUBLISH = """
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
  return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2])
end
return false
"""


class RedisStream(EventStream):
    """The stream in Redis, shared by every instance (keys ``<prefix>live:…``).

    Args:
        client: the process's Redis client (:class:`gateway.infrastructure.Infrastructure`).
        prefix: ``[cache] key_prefix``.
        max_len: the stream's approximate bound (``XADD MAXLEN ~``).
        seen_ttl: seconds a key (and a marker) is remembered.
    """

    def __init__(
        self, client: redis.asyncio.Redis, *, prefix: str, max_len: int, seen_ttl: float
    ) -> None:
        self.client = client
        self.key = f"{prefix}live:events"
        self.seen_prefix = f"{prefix}live:seen:"
        self.max_len = max_len
        self.seen_ttl = max(1, int(seen_ttl))
        self._publish: Any = client.register_script(_PUBLISH)

    def _seen_key(self, key: str) -> str:
        return self.seen_prefix + hashlib.sha256(key.encode()).hexdigest()[:32]

    async def publish(self, event: LiveEvent) -> str | None:
        found = await self._publish(
            keys=[self.key, self._seen_key(event.key)],
            args=[self.max_len, event.encode(), self.seen_ttl],
        )
        if not found:
            return None
        return found.decode() if isinstance(found, bytes) else str(found)

    async def remember(self, keys: Iterable[str], marker: str) -> None:
        async with self.client.pipeline(transaction=False) as pipe:
            for key in itertools.chain(keys, [f"marker:{marker}"]):
                pipe.set(self._seen_key(key), b"1", ex=self.seen_ttl)
            await pipe.execute()

    async def marked(self, marker: str) -> bool:
        return bool(await self.client.expire(self._seen_key(f"marker:{marker}"), self.seen_ttl))

    async def seen(self, key: str) -> bool:
        return bool(await self.client.exists(self._seen_key(key)))

    async def snapshot(self, name: str) -> bytes | None:
        found = await self.client.get(self._seen_key(f"snapshot:{name}"))
        if found is None:
            return None
        return found.encode() if isinstance(found, str) else bytes(found)

    async def keep(self, name: str, value: bytes) -> None:
        await self.client.set(self._seen_key(f"snapshot:{name}"), value, ex=self.seen_ttl)

    @staticmethod
    def _decode(entries: Iterable[Any]) -> list[LiveEvent]:
        events = []
        for raw_id, fields in entries:
            event_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            events.append(LiveEvent.decode(fields[b"e"], event_id))
        return events

    async def read(self, after: str, *, block_seconds: float) -> list[LiveEvent]:
        answer: Any = await self.client.xread(
            {self.key: after}, count=_READ_COUNT, block=max(1, int(block_seconds * 1000))
        )
        if not answer:
            return []
        return self._decode(answer[0][1])

    async def after(self, after: str) -> list[LiveEvent]:
        found: Any = await self.client.xrange(self.key, min=f"({after}", max="+")
        return self._decode(found)

    async def last_id(self) -> str:
        newest = await self.client.xrevrange(self.key, count=1)
        if not newest:
            return "0-0"
        raw = newest[0][0]
        return raw.decode() if isinstance(raw, bytes) else str(raw)
