"""Leases: which instance polls a student's feed, one at a time.

An instance that wants a student polled (it has subscribers for them) tries the lease
before every poll: :meth:`Lease.acquire` takes a free lease or renews its own, for
``seconds``. Whoever holds it polls; the others wait and try again. When the holder dies it
stops renewing, and another instance takes the lease within ``seconds``. A holder whose
subscribers are gone releases it at once.

:class:`RedisLease` is ``SET NX PX`` plus compare-and-renew / compare-and-delete scripts
(keys ``<prefix>live:lease:…``); :class:`MemoryLease` is the same in one process.
"""

from __future__ import annotations

import time
from typing import Any

import redis.asyncio

__all__ = ["Lease", "MemoryLease", "RedisLease"]


class Lease:
    """The lease interface (see the module doc)."""

    async def acquire(self, name: str, holder: str, seconds: float) -> bool:
        """Take ``name`` for ``holder`` (or renew it); whether ``holder`` holds it now."""
        raise NotImplementedError("Lease.acquire must be implemented")

    async def release(self, name: str, holder: str) -> None:
        """Give ``name`` up if ``holder`` holds it."""
        raise NotImplementedError("Lease.release must be implemented")


class MemoryLease(Lease):
    """Leases in this process (monotonic deadlines)."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[str, float]] = {}

    async def acquire(self, name: str, holder: str, seconds: float) -> bool:
        now = time.monotonic()
        current = self.held.get(name)
        if current is not None and current[0] != holder and current[1] > now:
            return False
        self.held[name] = (holder, now + seconds)
        return True

    async def release(self, name: str, holder: str) -> None:
        current = self.held.get(name)
        if current is not None and current[0] == holder:
            del self.held[name]


_ACQUIRE = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if current then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLease(Lease):
    """Leases in Redis, shared by every instance.

    Args:
        client: the process's Redis client.
        prefix: ``[cache] key_prefix``.
    """

    def __init__(self, client: redis.asyncio.Redis, *, prefix: str) -> None:
        self.prefix = f"{prefix}live:lease:"
        self._acquire: Any = client.register_script(_ACQUIRE)
        self._release: Any = client.register_script(_RELEASE)

    async def acquire(self, name: str, holder: str, seconds: float) -> bool:
        taken = await self._acquire(
            keys=[self.prefix + name], args=[holder, max(1, int(seconds * 1000))]
        )
        return bool(taken)

    async def release(self, name: str, holder: str) -> None:
        await self._release(keys=[self.prefix + name], args=[holder])
