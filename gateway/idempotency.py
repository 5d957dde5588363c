"""Idempotent writes: a write and its answer, kept per person, operation and key.

A client sends every write (``enterMark``, ``sendMessage``…) with an ``idempotencyKey`` of
its choosing. The first request with a key reserves it and runs the write; the answer (the
adapter's model) is kept for :attr:`WriteLedger.ttl` seconds. A replay — the same person,
operation, key and arguments, on any instance — gets that answer again and nothing is
written twice. The same key with other arguments is ``BAD_USER_INPUT``; a replay that
arrives while the first is still running waits for it a few seconds, then is ``CONFLICT``.

A write that fails releases its key (the error says, in ``extensions.writeOutcome``,
whether it may have been applied): the client may send it again with the same key. Region
systems that take an idempotency key of their own (the Moscow-style one) get the same key,
so a write that timed out after reaching them is not applied twice either.

With Redis the ledger is shared by every instance (``SET NX`` reserves a key; entries are
sealed with the cache codec, bound to their Redis key); in memory it is this process's.
Keys are hashed with the person's scope: no key of one person can touch another's write.
An entry this gateway did not seal (written into Redis by someone else) is dropped, never
taken for an answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis.asyncio
from cachetools import TTLCache

from schema import ErrorCode, coded_error

from .upstream.codec import Codec, CodecError

__all__ = ["WriteLedger", "fingerprint"]

T = TypeVar("T")

_PENDING = "pending"
_DONE = "done"
_WAIT_STEPS = 100
_WAIT_STEP_SECONDS = 0.05
"""A replay that finds its write running waits up to 100 × 50 ms for the answer."""


def fingerprint(operation: str, arguments: dict[str, Any]) -> str:
    """A digest of a write's arguments (what a replay must repeat exactly)."""
    canonical = json.dumps([operation, arguments], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class WriteLedger:
    """Runs each write once per (person, operation, key); replays get the first answer.

    Args:
        redis_client: the shared Redis client (``None``: this process only).
        codec: seals the kept answers in Redis (the cache codec: adapter models).
        key_prefix: start of every Redis key (``[cache] key_prefix``).
        ttl: seconds an answer is kept (a replay after that runs the write again).
        max_entries: the bound of the in-memory ledger.
    """

    def __init__(
        self,
        *,
        redis_client: redis.asyncio.Redis | None = None,
        codec: Codec | None = None,
        key_prefix: str = "dg:",
        ttl: float = 86400.0,
        max_entries: int = 100_000,
    ) -> None:
        if redis_client is not None and codec is None:
            raise ValueError("a Redis ledger needs the codec that seals its entries")
        self._shared = (redis_client, codec) if redis_client is not None and codec else None
        self.key_prefix = key_prefix
        self.ttl = ttl
        self._memory: TTLCache[str, dict[str, Any]] = TTLCache(max_entries, ttl)

    async def once(
        self,
        *,
        scope: str,
        operation: str,
        key: str,
        arguments: dict[str, Any],
        write: Callable[[], Awaitable[T]],
    ) -> T:
        """``await write()`` the first time; the kept answer for a replay.

        Raises:
            GraphQLError: ``BAD_USER_INPUT`` (the key was used with other arguments) or
                ``CONFLICT`` (the first request with this key is still running).
        """
        digest = fingerprint(operation, arguments)
        name = self._name(scope, operation, key)
        found = await self._reserve(name, digest)
        if found is None:
            try:
                answer = await write()
            except BaseException:
                await self._release(name)
                raise
            await self._keep(name, {"fp": digest, "state": _DONE, "answer": answer})
            return answer
        for _ in range(_WAIT_STEPS):
            if found["fp"] != digest:
                raise coded_error(
                    ErrorCode.BAD_USER_INPUT,
                    "this idempotencyKey was used for a different write: use a new key",
                    argument="idempotencyKey",
                )
            if found["state"] == _DONE:
                answer_kept: T = found["answer"]
                return answer_kept
            await asyncio.sleep(_WAIT_STEP_SECONDS)
            again = await self._read(name)
            if again is None:  # the first attempt failed and let the key go: try ours
                return await self.once(
                    scope=scope, operation=operation, key=key, arguments=arguments, write=write
                )
            found = again
        raise coded_error(
            ErrorCode.CONFLICT,
            "a write with this idempotencyKey is still running: ask again in a moment",
            argument="idempotencyKey",
        )

    def _name(self, scope: str, operation: str, key: str) -> str:
        digest = hashlib.sha256(f"{scope}\x00{operation}\x00{key}".encode()).hexdigest()
        return f"{self.key_prefix}idem:{digest}"

    async def _reserve(self, name: str, digest: str) -> dict[str, Any] | None:
        """Reserve ``name`` for this write (``None``), or what is there already."""
        pending = {"fp": digest, "state": _PENDING}
        if self._shared is None:
            found = self._memory.get(name)
            if found is None:
                self._memory[name] = pending
            return found
        client, codec = self._shared
        sealed = codec.seal(name, pending)
        if await client.set(name, sealed, nx=True, px=int(self.ttl * 1000)):
            return None
        return await self._read(name) or await self._reserve(name, digest)

    async def _read(self, name: str) -> dict[str, Any] | None:
        if self._shared is None:
            return self._memory.get(name)
        client, codec = self._shared
        raw = await client.get(name)
        if raw is None:
            return None
        try:
            found: dict[str, Any] = codec.open(
                name, raw if isinstance(raw, bytes) else raw.encode()
            )
        except CodecError:  # not sealed by this gateway (forged, or another secret's): gone
            await client.delete(name)
            return None
        return found

    async def _keep(self, name: str, record: dict[str, Any]) -> None:
        if self._shared is None:
            self._memory[name] = record
            return
        client, codec = self._shared
        await client.set(name, codec.seal(name, record), px=int(self.ttl * 1000))

    async def _release(self, name: str) -> None:
        if self._shared is None:
            self._memory.pop(name, None)
            return
        await self._shared[0].delete(name)
