"""The process's shared infrastructure: one Redis URL parser and one Redis connection pool.

``[cache] url`` is ``memory://`` (everything per instance, bounded) or ``redis[s]://…``.
With Redis, :class:`Infrastructure` opens one blocking connection pool for the process, and
every user takes a client on it: the entity and response caches, the sessions, the rate
limits and the sign-in throttle (``limits`` storage), the persisted queries, the access
history and ``/healthz``. :meth:`Infrastructure.aclose` closes it once, at shutdown.

:func:`redis_pool_options` is the one place a Redis URL is read (by redis-py's own
``parse_url``): ``redis://:password@host:port/db``, ``redis://user:password@host/db`` (ACL
user), ``rediss://…`` (TLS, with options such as ``?ssl_ca_certs=/path/ca.pem``).
"""

from __future__ import annotations

from typing import Any, Final

import redis
import redis.asyncio
from limits.aio.storage import MemoryStorage, RedisStorage
from redis.asyncio.connection import parse_url

__all__ = [
    "REDIS_TIMEOUT_SECONDS",
    "Infrastructure",
    "StartupError",
    "check_redis",
    "is_redis",
    "redact",
    "redis_pool_options",
]

REDIS_TIMEOUT_SECONDS: Final = 3.0
"""How long start-up and ``/healthz`` wait for Redis to answer a PING."""
MAX_CONNECTIONS: Final = 100
"""Connections of the process's pool; callers wait (``POOL_WAIT_SECONDS``) when all are busy."""
POOL_WAIT_SECONDS: Final = 5.0
CONNECT_TIMEOUT_SECONDS: Final = 2.0


class StartupError(Exception):
    """A service the configuration requires cannot be reached at start-up."""


def is_redis(url: str) -> bool:
    """Whether ``url`` names a Redis server (``redis://`` or ``rediss://``)."""
    return url.startswith(("redis://", "rediss://"))


def redact(url: str) -> str:
    """``url`` without its password (``redis://user:***@host``)."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.partition(":")[0]
    return f"{scheme}{sep}{user}:***@{host}"


def redis_pool_options(url: str) -> dict[str, Any]:
    """The connection-pool arguments of a ``redis[s]://`` URL: host, port, db, credentials, TLS.

    Raises:
        ValueError: not a Redis URL.
    """
    if not is_redis(url):
        raise ValueError("expected a redis:// or rediss:// URL")
    return {
        **dict(parse_url(url)),
        "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "decode_responses": False,  # aiocache and the codecs read bytes
    }


def check_redis(url: str) -> None:
    """With ``url`` on Redis, fail now (not on the first request) if it does not answer.

    Raises:
        StartupError: naming ``cache.url`` (password hidden) and why.
    """
    if not is_redis(url):
        return
    options = redis_pool_options(url)
    connection_class = options.pop("connection_class", None)
    if connection_class is not None and issubclass(connection_class, redis.asyncio.SSLConnection):
        options["connection_class"] = redis.SSLConnection  # the same options, blocking
    options["socket_timeout"] = REDIS_TIMEOUT_SECONDS
    options["socket_connect_timeout"] = REDIS_TIMEOUT_SECONDS
    client = redis.Redis(connection_pool=redis.ConnectionPool(**options))
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        raise StartupError(
            f"cache.url: Redis at {redact(url)} is unreachable ({type(exc).__name__}: {exc}); "
            "caches, sessions, rate limits and the access history need it"
        ) from None
    finally:
        client.close()
        client.connection_pool.disconnect()


class Infrastructure:
    """What every instance shares with the others: Redis (one pool) or nothing (memory).

    Args:
        url: ``memory://`` or ``redis[s]://…`` (``[cache] url``).
        key_prefix: start of every Redis key (``[cache] key_prefix``).
        max_connections: the bound of the Redis pool.
    """

    def __init__(
        self, url: str = "memory://", *, key_prefix: str, max_connections: int = MAX_CONNECTIONS
    ) -> None:
        self.url = url
        self.key_prefix = key_prefix
        self.pool: redis.asyncio.BlockingConnectionPool | None = None
        self.redis: redis.asyncio.Redis | None = None
        """The client on the process's pool (``None`` in memory mode)."""
        if is_redis(url):
            self.pool = redis.asyncio.BlockingConnectionPool(
                max_connections=max_connections,
                timeout=POOL_WAIT_SECONDS,
                **redis_pool_options(url),
            )
            self.redis = redis.asyncio.Redis(connection_pool=self.pool)
        self._limits_storage: Any = None

    def __repr__(self) -> str:
        return f"Infrastructure({redact(self.url)!r}, key_prefix={self.key_prefix!r})"

    @property
    def shared(self) -> bool:
        """Whether state is shared with other instances (Redis)."""
        return self.redis is not None

    def limits_storage(self) -> Any:
        """The async ``limits`` storage of every counter: Redis on the pool, else memory.

        Redis keys are ``<key_prefix>limits:…`` (``limits`` adds the colon).
        """
        if self._limits_storage is None:
            if self.pool is None:
                self._limits_storage = MemoryStorage()
            else:
                options: dict[str, Any] = {"connection_pool": self.pool}  # typed as str there
                self._limits_storage = RedisStorage(
                    "async+redis://",
                    implementation="redispy",
                    key_prefix=f"{self.key_prefix}limits",
                    **options,
                )
        return self._limits_storage

    async def ping(self) -> bool:
        """PING Redis (raises when it does not answer); ``False`` in memory mode."""
        if self.redis is None:
            return False
        await self.redis.ping()
        return True

    async def aclose(self) -> None:
        """Close the pool's connections (safe to call twice)."""
        if self.pool is not None:
            await self.pool.aclose()
