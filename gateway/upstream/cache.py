"""The entity cache: aiocache backends (bounded memory or Redis) and entry helpers.

Values are pickled; each entry is a ``(value, stored_at)`` tuple so the runner can tell
fresh, stale-but-servable and too-old entries apart. Generation counters used for
invalidation live in the same cache as plain integers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any
from urllib.parse import unquote, urlsplit

from aiocache import RedisCache, SimpleMemoryCache
from aiocache.serializers import NullSerializer, PickleSerializer
from redis.asyncio import BlockingConnectionPool

__all__ = [
    "BoundedMemoryCache",
    "Entry",
    "EntryCache",
    "build_cache",
    "contains_error",
    "digest",
]

logger = logging.getLogger("gateway.upstream")

Entry = tuple[Any, float]
"""A cached value and the wall-clock time (seconds) it was stored."""


class BoundedMemoryCache(SimpleMemoryCache):  # type: ignore[misc]
    """A ``SimpleMemoryCache`` that holds at most ``max_entries`` keys, evicting the LRU.

    aiocache 0.12's memory backend is unbounded; this subclass keeps its dict in
    least-recently-used order (reads and writes move a key to the end) and evicts from
    the front when the bound is exceeded.
    """

    def __init__(self, *, max_entries: int, **kwargs: Any) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        super().__init__(**kwargs)
        self.max_entries = max_entries

    def __len__(self) -> int:
        return len(self._cache)

    def _touch(self, key: str) -> None:
        store: dict[str, object] = self._cache
        if key in store:
            store[key] = store.pop(key)

    def _evict(self) -> None:
        store: dict[str, object] = self._cache
        while len(store) > self.max_entries:
            oldest = next(iter(store))
            store.pop(oldest, None)
            handle = self._handlers.pop(oldest, None)
            if handle is not None:
                handle.cancel()

    async def _get(self, key: str, encoding: str | None = "utf-8", _conn: Any = None) -> Any:
        self._touch(key)
        return await super()._get(key, encoding=encoding, _conn=_conn)

    async def _multi_get(
        self, keys: list[str], encoding: str | None = "utf-8", _conn: Any = None
    ) -> list[Any]:
        for key in keys:
            self._touch(key)
        return list(await super()._multi_get(keys, encoding=encoding, _conn=_conn))

    async def _set(
        self,
        key: str,
        value: Any,
        ttl: float | None = None,
        _cas_token: Any = None,
        _conn: Any = None,
    ) -> Any:
        self._touch(key)
        result = await super()._set(key, value, ttl=ttl, _cas_token=_cas_token, _conn=_conn)
        self._evict()
        return result

    async def _increment(self, key: str, delta: int, _conn: Any = None) -> Any:
        self._touch(key)
        result = await super()._increment(key, delta, _conn=_conn)
        self._evict()
        return result


def build_cache(
    url: str, *, max_entries: int, redis_pool_size: int = 50, immutable_values: bool = False
) -> Any:
    """An aiocache cache for ``url``: ``memory://`` (bounded LRU) or ``redis://host:port/db``.

    Values are pickled — in memory too, so no caller can change what another reads — except
    in memory when ``immutable_values`` says they cannot be changed (frozen, bytes, tuples).
    ``max_entries`` bounds the memory backend; Redis is bounded by its own ``maxmemory``
    policy and the entries' TTLs. Redis callers wait for one of ``redis_pool_size``
    connections instead of failing when all are busy. The memory backend runs without
    aiocache's per-call ``wait_for`` timeout (it never blocks); Redis keeps it.
    """
    parts = urlsplit(url)
    if parts.scheme == "memory":
        serializer = NullSerializer() if immutable_values else PickleSerializer()
        return BoundedMemoryCache(max_entries=max_entries, serializer=serializer, timeout=None)
    if parts.scheme in ("redis", "rediss"):
        path = parts.path.strip("/")
        return RedisCache(
            serializer=PickleSerializer(),
            endpoint=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            db=int(path) if path else 0,
            password=unquote(parts.password) if parts.password else None,
            ssl=parts.scheme == "rediss",
            create_connection_timeout=2.0,
            pool_max_size=redis_pool_size,
            connection_pool_class=BlockingConnectionPool,
            connection_pool_kwargs={"timeout": 5},
        )
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

    async def close(self) -> None:
        await self.cache.close()
