"""Opening a ``limits`` storage: in memory, or in Redis shared by every instance."""

from __future__ import annotations

from typing import Any

import redis.asyncio as redis

from .infrastructure import Infrastructure

__all__ = ["open_storage"]


def open_storage(uri: str, *, key_prefix: str) -> tuple[Any, redis.ConnectionPool | None]:
    """The async ``limits`` storage for ``uri`` and, for Redis, the pool to close at shutdown.

    ``uri`` is ``async+memory://`` or ``async+redis://host:port/db``, opened by
    :class:`~gateway.infrastructure.Infrastructure` (the app passes the process's storage
    instead). Redis keys are ``<key_prefix>limits:…``.
    """
    infrastructure = Infrastructure(uri.removeprefix("async+"), key_prefix=key_prefix)
    return infrastructure.limits_storage(), infrastructure.pool
