"""Opening a ``limits`` storage: in memory, or in Redis shared by every instance."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis
from limits.storage import storage_from_string

__all__ = ["open_storage"]


def open_storage(uri: str, *, key_prefix: str) -> tuple[Any, redis.ConnectionPool | None]:
    """The async ``limits`` storage for ``uri`` and, for Redis, the pool to close at shutdown.

    ``uri`` is ``async+memory://`` or ``async+redis://host:port/db``; Redis is reached with
    redis-py (not coredis) on a pool of ours, so that closing releases its connections. Redis
    keys are ``<key_prefix>limits:…`` (``limits`` puts a colon after its own prefix).
    """
    if uri.startswith(("async+redis://", "async+rediss://")):
        pool = redis.ConnectionPool.from_url(uri.removeprefix("async+"))
        options: dict[str, Any] = {
            "implementation": "redispy",
            "connection_pool": pool,
            "key_prefix": f"{key_prefix}limits",
        }
        return storage_from_string(uri, **options), pool
    return storage_from_string(uri), None
