"""The entity cache: aiocache backends (bounded memory or Redis) and entry helpers.

Each entry is a ``(value, stored_at)`` tuple so the runner can tell fresh,
stale-but-servable and too-old entries apart. Generation counters used for invalidation
live in the same cache as plain integers.

Nothing is pickled. In memory, values stay Python objects (lists are copied on the way in
and out, so no caller changes what another reads; the models are frozen). In Redis, every
value goes through a :class:`~gateway.upstream.codec.Codec`: type-tagged JSON sealed with
an HMAC bound to its key, so an entry written by anyone without the gateway's secret is
dropped, counted (:attr:`SealedRedisCache.forged`) and logged — never run.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any
from urllib.parse import urlsplit

import redis.asyncio
from aiocache import RedisCache, SimpleMemoryCache
from aiocache.base import SENTINEL
from aiocache.serializers import BaseSerializer, NullSerializer
from cachetools import LRUCache

from ..infrastructure import redis_pool_options
from .codec import Codec, CodecError, ForgedEntryError

__all__ = [
    "BoundedMemoryCache",
    "Entry",
    "EntryCache",
    "SealedRedisCache",
    "build_cache",
    "contains_error",
    "digest",
]

logger = logging.getLogger("gateway.upstream")

Entry = tuple[Any, float]
"""A cached value and the wall-clock time (seconds) it was stored."""


class _EvictingLRU(LRUCache[str, Any]):
    """An LRU map that cancels the expiry timer of each key it evicts."""

    def __init__(self, maxsize: int, handlers: dict[str, asyncio.TimerHandle]) -> None:
        super().__init__(maxsize)
        self._handlers = handlers

    def popitem(self) -> tuple[str, Any]:
        key, value = super().popitem()
        handle = self._handlers.pop(key, None)
        if handle is not None:
            handle.cancel()
        return key, value


class BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]
    """A ``SimpleMemoryCache`` that holds at most ``max_entries`` keys, evicting the LRU.

    aiocache 0.12's memory backend is unbounded; this one keeps its entries in a
    ``cachetools.LRUCache`` (reads and writes make a key the most recently used).
    """

    def __init__(self, *, max_entries: int, **kwargs: Any) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        super().__init__(**kwargs)
        self.max_entries = max_entries
        self._cache = _EvictingLRU(max_entries, self._handlers)

    def __len__(self) -> int:
        return len(self._cache)

    async def _clear(self, namespace: str | None = None, _conn: Any = None) -> bool:
        if namespace:
            return bool(await super()._clear(namespace, _conn=_conn))
        for handle in self._handlers.values():
            handle.cancel()
        self._handlers.clear()
        self._cache.clear()
        return True


class _CopySerializer(BaseSerializer):  # type: ignore[misc]
    """Memory only: keeps Python objects, copying lists and dicts on the way in and out.

    The models are frozen dataclasses and tuples; the lists around them (batch results)
    are the only thing a caller could change under another reader.
    """

    DEFAULT_ENCODING = None

    def dumps(self, value: Any) -> Any:
        return _copy_mutable(value)

    def loads(self, value: Any) -> Any:
        return _copy_mutable(value)


def _copy_mutable(value: Any) -> Any:
    cls = value.__class__
    if cls is list:
        return [_copy_mutable(v) for v in value]
    if cls is tuple:
        return (
            tuple(_copy_mutable(v) for v in value)
            if any(v.__class__ in (list, dict, tuple) for v in value)
            else value
        )
    if cls is dict:
        return {k: _copy_mutable(v) for k, v in value.items()}
    return value


class _BytesSerializer(BaseSerializer):  # type: ignore[misc]
    """Redis: sealed bytes in, raw bytes out (the codec does the rest)."""

    DEFAULT_ENCODING = None

    def dumps(self, value: Any) -> bytes:
        if not isinstance(value, bytes):
            raise TypeError("only sealed bytes are written to Redis")
        return value

    def loads(self, value: Any) -> Any:
        return value


class SealedRedisCache(RedisCache):  # type: ignore[misc]
    """A ``RedisCache`` whose values go through ``codec``, sealed for their key.

    :meth:`get` returns ``default`` for an entry that fails authentication — a forged,
    tampered or foreign value (say, a pickle written by an attacker, or an entry of an
    instance with another secret) — counts it in :attr:`forged`, logs a warning (no key, no
    value: both may name people) and deletes it unless it was overwritten meanwhile. An
    authentic entry this version cannot decode (written by another version of the gateway)
    is a miss counted in :attr:`undecodable`.
    """

    def __init__(self, *, codec: Codec, client: redis.asyncio.Redis, **kwargs: Any) -> None:
        super().__init__(serializer=_BytesSerializer(), **kwargs)
        self.client = client  # the process's pool (not the one aiocache would open)
        self.codec = codec
        self.forged = 0
        """Entries dropped because they were not sealed with this gateway's secret."""
        self.undecodable = 0
        """Authentic entries that could not be decoded (another version's format)."""

    async def get(
        self,
        key: str,
        default: Any = None,
        loads_fn: Any = None,
        namespace: str | None = None,
        _conn: Any = None,
    ) -> Any:
        raw = await super().get(key, namespace=namespace, loads_fn=loads_fn, _conn=_conn)
        if raw is None or loads_fn is not None:
            return default if raw is None else raw
        return await self._open(self.build_key(key, namespace=namespace), raw, default)

    async def multi_get(
        self,
        keys: list[str],
        loads_fn: Any = None,
        namespace: str | None = None,
        _conn: Any = None,
    ) -> list[Any]:
        raws = await super().multi_get(keys, loads_fn=loads_fn, namespace=namespace, _conn=_conn)
        if loads_fn is not None:
            return list(raws)
        return [
            None if raw is None else await self._open(self.build_key(key, namespace=namespace), raw)
            for key, raw in zip(keys, raws, strict=True)
        ]

    async def _open(self, ns_key: str, raw: Any, default: Any = None) -> Any:
        try:
            return self.codec.open(ns_key, bytes(raw))
        except ForgedEntryError:
            self.forged += 1
            logger.warning(
                "dropped a cache entry that failed authentication (forged or tampered; %d so far)",
                self.forged,
            )
        except CodecError:
            self.undecodable += 1
            logger.info("dropped an undecodable cache entry (%d so far)", self.undecodable)
        await self._discard(ns_key, raw)
        return default

    async def _discard(self, ns_key: str, raw: bytes) -> None:
        """Delete ``ns_key`` if it still holds ``raw`` (never a value written since)."""
        try:
            await self._redlock_release(ns_key, raw)
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the entry stays a miss either way
            logger.info("could not delete a dropped cache entry (%s)", type(exc).__name__)

    async def set(
        self,
        key: str,
        value: Any,
        ttl: Any = SENTINEL,
        dumps_fn: Any = None,
        namespace: str | None = None,
        _cas_token: Any = None,
        _conn: Any = None,
    ) -> Any:
        if dumps_fn is not None:
            raise TypeError("values of a sealed cache go through its codec")
        ns_key = self.build_key(key, namespace=namespace)
        return await super().set(
            key,
            self.codec.seal(ns_key, value),
            ttl=ttl,
            namespace=namespace,
            _cas_token=_cas_token,
            _conn=_conn,
        )


def build_cache(
    url: str,
    *,
    max_entries: int,
    codec: Codec | None = None,
    client: redis.asyncio.Redis | None = None,
    immutable_values: bool = False,
    namespace: str | None = None,
) -> Any:
    """An aiocache cache for ``url``: ``memory://`` (bounded LRU) or ``redis[s]://…``.

    In memory, values are kept as Python objects (lists copied in and out) — or as given
    when ``immutable_values`` says they cannot be changed (frozen, bytes, tuples). In
    Redis, values go through ``codec`` (required): sealed type-tagged JSON, never pickles.
    ``max_entries`` bounds the memory backend; Redis is bounded by its own ``maxmemory``
    policy and the entries' TTLs. The memory backend runs without aiocache's per-call
    ``wait_for`` timeout (it never blocks); Redis keeps it.

    ``client`` is the process's Redis client (:class:`gateway.infrastructure.Infrastructure`);
    without one, the cache opens a pool of its own for ``url`` and closes it with the cache.
    """
    parts = urlsplit(url)
    if parts.scheme == "memory":
        serializer = NullSerializer() if immutable_values else _CopySerializer()
        return BoundedMemoryCache(
            max_entries=max_entries, serializer=serializer, timeout=None, namespace=namespace
        )
    if parts.scheme in ("redis", "rediss"):
        if codec is None:
            raise ValueError("a Redis cache needs a codec (keyed by the gateway secret)")
        if client is None:
            client = redis.asyncio.Redis.from_pool(
                redis.asyncio.BlockingConnectionPool(timeout=5, **redis_pool_options(url))
            )
        return SealedRedisCache(codec=codec, client=client, namespace=namespace)
    raise ValueError(f"unsupported cache URL scheme {parts.scheme!r}")


def digest(text: str) -> str:
    """Hex SHA-256 of ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()


def contains_error(value: object) -> bool:
    """Whether ``value`` is, or directly holds, an exception (such results are not cached)."""
    if isinstance(value, BaseException):
        return True
    if isinstance(value, list | tuple):
        return any(isinstance(item, BaseException) for item in value)
    return False


def _int_or_zero(raw: object) -> int:
    if raw is None:
        return 0
    if isinstance(raw, bytes | bytearray):
        raw = raw.decode()
    try:
        return int(raw)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        return 0


class EntryCache:
    """Typed access to the entries and generation counters of one aiocache cache.

    Cache failures (Redis down, timeouts) are logged, without keys, and treated as
    misses so the gateway keeps answering from the providers.
    """

    def __init__(self, cache: Any) -> None:
        self.cache = cache

    async def get(self, key: str) -> Entry | None:
        try:
            raw = await self.cache.get(key)
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - any backend failure is a miss
            logger.warning("cache get failed (%s)", type(exc).__name__)
            return None
        if isinstance(raw, tuple) and len(raw) == 2 and isinstance(raw[1], float | int):
            return raw[0], float(raw[1])
        return None

    async def set(self, key: str, entry: Entry, ttl: float) -> None:
        try:
            await self.cache.set(key, entry, ttl=int(ttl) if ttl >= 1 else 1)
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001
            logger.warning("cache set failed (%s)", type(exc).__name__)

    async def generations(self, keys: list[str]) -> list[int] | None:
        """The generation counters at ``keys`` (0 when absent); ``None`` when unreadable."""
        if not keys:
            return []
        try:
            raw = await self.cache.multi_get(keys, loads_fn=lambda v: v)
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001
            logger.warning("cache generation read failed (%s)", type(exc).__name__)
            return None
        return [_int_or_zero(v) for v in raw]

    async def bump(self, key: str) -> int:
        return int(await self.cache.increment(key, 1))

    async def delete(self, key: str) -> None:
        try:
            await self.cache.delete(key)
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001
            logger.warning("cache delete failed (%s)", type(exc).__name__)

    async def close(self) -> None:
        await self.cache.close()
