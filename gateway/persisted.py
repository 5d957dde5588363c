"""Persisted operations: automatic persisted queries (APQ) and an optional allow-list.

**Automatic persisted queries** follow Apollo's protocol. A client sends
``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}``, on POST or GET:

* with the hash alone: the gateway runs the query it stored under that hash; an unknown
  hash is answered with HTTP 200 and one error whose **message is
  ``PersistedQueryNotFound``** and whose ``extensions`` are ``{"code": "BAD_USER_INPUT",
  "persistedQuery": "PERSISTED_QUERY_NOT_FOUND"}``. Apollo Client recognises the message
  (it checks the message *or* the code) and retries with the full query; the code stays in
  our catalogue. The status is 200 even for ``application/graphql-response+json``, because
  Apollo Client turns persisted queries off for good after a 400 or 500;
* with the hash and the query: the hash must be the SHA-256 of the query (else **400**,
  ``persistedQuery = "PERSISTED_QUERY_HASH_MISMATCH"``); the query runs and, once it parsed
  and validated, is stored under the hash.

Stored queries live in a bounded in-memory LRU, or in Redis (``<[cache] key_prefix>apq:<hash>``,
kept ``persisted_queries_ttl_seconds``, a day by default) when ``[cache] url`` is Redis, so that
all instances share them. A store outage is logged and treated as a miss (the client then sends
the full query).

**Registration is bounded**, since anyone who can send a request could otherwise fill the
store (``[server]`` settings):

* ``persisted_queries_max_bytes`` (16 KiB): a larger query sent with a hash is refused with
  **400**, ``persistedQuery = "PERSISTED_QUERY_TOO_LARGE"`` (Apollo Client then sends full
  queries without hashes, which run as usual);
* ``persisted_queries_register_rate`` (``"30/hour"``): new queries one client address may
  register; past it, and for callers who are not signed in unless
  ``persisted_queries_anonymous``, the query runs but is not stored;
* ``persisted_queries_max_entries`` (1000): the store keeps at most this many queries, in
  memory and in Redis (an index sorted by registration time; the oldest go first).

So Redis holds at most ``max_entries × max_bytes`` (16 MB by default) of persisted queries.
A query already stored is not registered again and costs no registration.

**Allow-list mode** (``[server] persisted_only = true`` with ``persisted_operations =
"manifest.json"``): only the manifest's operations run, sent by hash (APQ style) or as their
exact text. Anything else is refused with **400** and ``extensions.code = "FORBIDDEN"``
(``persistedQuery = "PERSISTED_QUERY_NOT_ALLOWED"``); nothing new is ever stored. Without
``persisted_only``, a manifest's operations are simply known in advance.

A manifest is JSON: Apollo's persisted query manifest (``{"format":
"apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "name", "type",
"body"}]}``) or a plain object ``{"<sha256>": "<query>"}``. Every id must be the SHA-256 (hex)
of its body.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import redis.asyncio as redis
from cachetools import LRUCache
from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter

from adapters import SYSTEM_CLOCK, SettingsError
from schema import ErrorCode

from .infrastructure import Infrastructure
from .limiter import open_storage
from .settings import DEFAULT_KEY_PREFIX, Settings

__all__ = [
    "PERSISTED_QUERY_NOT_FOUND",
    "REDIS_TTL_SECONDS",
    "MemoryQueryStore",
    "PersistedOperations",
    "PersistedQueryError",
    "QueryStore",
    "RedisQueryStore",
    "ResolvedQuery",
    "load_manifest",
    "sha256_hex",
]

logger = logging.getLogger(__name__)

PERSISTED_QUERY_NOT_FOUND: Final = "PersistedQueryNotFound"
"""The error message Apollo Client waits for before it sends the full query."""

REDIS_TTL_SECONDS: Final = 24 * 3600
"""How long Redis keeps an automatically persisted query by default."""

_REDIS_SET: Final = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[2]))
local over = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if over > 0 then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, over - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, over - 1)
  for _, key in ipairs(oldest) do redis.call('DEL', key) end
end
redis.call('EXPIRE', KEYS[2], ARGV[2])
return over
"""
"""Store a query and index it; drop the oldest entries over the bound (atomic)."""

_HASH = re.compile(r"^[0-9a-fA-F]{64}$")


def sha256_hex(query: str) -> str:
    """The APQ hash of a query: SHA-256 of its UTF-8 text, lower-case hex.

    (A lone surrogate, which is not Unicode, is hashed as-is rather than failing; the view
    refuses such requests before they get here.)
    """
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


class PersistedQueryError(Exception):
    """A persisted-query request that cannot run: HTTP status, code, message, extensions."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extensions = dict(extensions or {})


@dataclass(frozen=True, slots=True)
class ResolvedQuery:
    """The query to run and, if it should be stored once it validates, its hash."""

    query: str | None
    register: str | None = None


class QueryStore(Protocol):
    """Where automatically persisted queries are kept."""

    async def get(self, sha256: str) -> str | None:
        """The query stored under ``sha256``."""
        ...

    async def set(self, sha256: str, query: str) -> None:
        """Store ``query`` under ``sha256``."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class MemoryQueryStore:
    """A bounded least-recently-used store in this process."""

    def __init__(self, max_entries: int = 1000) -> None:
        self.max_entries = max(1, max_entries)
        self._entries: LRUCache[str, str] = LRUCache(self.max_entries)

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, sha256: str) -> str | None:
        """The query stored under ``sha256`` (now the most recently used)."""
        return self._entries.get(sha256)

    async def set(self, sha256: str, query: str) -> None:
        """Store ``query``, dropping the least recently used entries over the bound."""
        self._entries[sha256] = query

    async def aclose(self) -> None:
        """Nothing to release."""


class RedisQueryStore:
    """Queries in Redis under ``<prefix><sha256>``, shared by instances, with a TTL.

    At most ``max_entries`` are kept: ``<prefix>index`` (a sorted set of keys by registration
    time) finds the oldest, which a new entry over the bound removes in the same script.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = f"{DEFAULT_KEY_PREFIX}apq:",
        ttl_seconds: int = REDIS_TTL_SECONDS,
        max_entries: int = 1000,
    ) -> None:
        self._client = client
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.max_entries = max(1, max_entries)
        self._set = self._client.register_script(_REDIS_SET)

    async def get(self, sha256: str) -> str | None:
        """The stored query, or ``None``."""
        value = await self._client.get(self.prefix + sha256)
        if value is None:
            return None
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)

    async def set(self, sha256: str, query: str) -> None:
        """Store ``query`` for :attr:`ttl_seconds`, dropping the oldest over the bound."""
        await self._set(
            keys=[self.prefix + sha256, self.prefix + "index"],
            args=[
                query.encode("utf-8"),
                self.ttl_seconds,
                SYSTEM_CLOCK.timestamp(),
                self.max_entries,
            ],
        )

    async def aclose(self) -> None:
        """Nothing to release: the pool is the process's (:mod:`gateway.infrastructure`)."""


def load_manifest(path: str | Path, *, key: str = "server.persisted_operations") -> dict[str, str]:
    """Read a manifest of operations: ``{sha256: query}``.

    Raises:
        SettingsError: the file is unreadable, not a manifest, or an id is not the SHA-256
            of its body.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(key, f"a readable file ({exc.strerror})", str(path)) from None
    except ValueError as exc:
        raise SettingsError(key, f"a JSON manifest ({exc})", str(path)) from None
    pairs: list[tuple[object, object]]
    if isinstance(data, dict) and data.get("format") == "apollo-persisted-query-manifest":
        operations = data.get("operations")
        if not isinstance(operations, list) or not all(isinstance(o, dict) for o in operations):
            raise SettingsError(key, "an operations list of {id, body} objects", str(path))
        pairs = [(o.get("id"), o.get("body")) for o in operations]
    elif isinstance(data, dict):
        pairs = list(data.items())
    else:
        raise SettingsError(key, "a manifest object", str(path))
    manifest: dict[str, str] = {}
    for op_id, body in pairs:
        if not isinstance(op_id, str) or not isinstance(body, str):
            raise SettingsError(key, "string ids and bodies", str(path))
        if op_id.lower() != sha256_hex(body):
            raise SettingsError(key, "ids that are the SHA-256 of their body", op_id)
        manifest[op_id.lower()] = body
    return manifest


def _not_allowed(message: str) -> PersistedQueryError:
    return PersistedQueryError(
        400, ErrorCode.FORBIDDEN, message, {"persistedQuery": "PERSISTED_QUERY_NOT_ALLOWED"}
    )


class PersistedOperations:
    """Resolves the query of a request from its text and ``extensions.persistedQuery``.

    Args:
        store: where automatic persisted queries go; ``None`` turns APQ off (a hash-only
            request is then answered ``PersistedQueryNotSupported``).
        manifest: operations known in advance, ``{sha256: query}``.
        only: the allow-list mode: only ``manifest`` operations run.
    """

    def __init__(
        self,
        store: QueryStore | None,
        *,
        manifest: dict[str, str] | None = None,
        only: bool = False,
        max_bytes: int = 16_384,
        register_rate: str = "30/hour",
        anonymous: bool = True,
        limits_storage: str | Any = "async+memory://",
        key_prefix: str = DEFAULT_KEY_PREFIX,
    ) -> None:
        if only and not manifest:
            raise SettingsError(
                "server.persisted_operations", "a manifest with operations when persisted_only"
            )
        self.store = store if not only else None
        self.manifest = dict(manifest or {})
        self.only = only
        self.lookups: Counter[str] = Counter()
        """Lookups by hash, by result (``hit``, ``not_found``) and registrations
        (``registered``), for the metrics."""
        self.max_bytes = max_bytes
        self.anonymous = anonymous
        self._pool: redis.ConnectionPool | None = None
        self._register_item: RateLimitItem | None = None
        self._limiter: MovingWindowRateLimiter | None = None
        if register_rate.strip() and self.store is not None:
            item = parse(register_rate)
            self._register_item = type(item)(
                item.amount, item.multiples, namespace="diary-gateway-apq/register"
            )
            if isinstance(limits_storage, str):
                limits_storage, self._pool = open_storage(limits_storage, key_prefix=key_prefix)
            self._limiter = MovingWindowRateLimiter(limits_storage)

    @classmethod
    def from_settings(
        cls, settings: Settings, infrastructure: Infrastructure
    ) -> PersistedOperations:
        """Built from ``[server]``, on the shared Redis (``[cache] url``) if any."""
        server = settings.server
        manifest = load_manifest(server.persisted_operations) if server.persisted_operations else {}
        store: QueryStore | None = None
        if server.persisted_queries and not server.persisted_only:
            if infrastructure.redis is not None:
                store = RedisQueryStore(
                    infrastructure.redis,
                    prefix=f"{infrastructure.key_prefix}apq:",
                    ttl_seconds=server.persisted_queries_ttl_seconds,
                    max_entries=server.persisted_queries_max_entries,
                )
            else:
                store = MemoryQueryStore(server.persisted_queries_max_entries)
        return cls(
            store,
            manifest=manifest,
            only=server.persisted_only,
            max_bytes=server.persisted_queries_max_bytes,
            register_rate=server.persisted_queries_register_rate,
            anonymous=server.persisted_queries_anonymous,
            limits_storage=infrastructure.limits_storage(),
        )

    async def resolve(self, query: str | None, extensions: dict[str, Any] | None) -> ResolvedQuery:
        """The query to run for this request.

        Raises:
            PersistedQueryError: unknown hash, hash mismatch, malformed ``persistedQuery``,
                or (allow-list mode) an operation that is not registered.
        """
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            if self.only and query is not None and sha256_hex(query) not in self.manifest:
                raise _not_allowed("only registered (persisted) operations may run")
            return ResolvedQuery(query)
        sha = self._checked_hash(persisted)
        if query is not None:
            if sha256_hex(query) != sha:
                raise PersistedQueryError(
                    400,
                    ErrorCode.BAD_USER_INPUT,
                    "the persisted query hash is not the SHA-256 of the query",
                    {"persistedQuery": "PERSISTED_QUERY_HASH_MISMATCH"},
                )
            if self.only and sha not in self.manifest:
                raise _not_allowed("only registered (persisted) operations may run")
            register = sha if self.store is not None and sha not in self.manifest else None
            return ResolvedQuery(query, register=register)
        known = self.manifest.get(sha)
        if known is not None:
            self.lookups["hit"] += 1
            return ResolvedQuery(known)
        if self.only:
            raise _not_allowed("no registered operation has this hash")
        if self.store is None:
            raise PersistedQueryError(
                200,
                ErrorCode.BAD_USER_INPUT,
                "PersistedQueryNotSupported",
                {"persistedQuery": "PERSISTED_QUERY_NOT_SUPPORTED"},
            )
        try:
            stored = await self.store.get(sha)
        except Exception as exc:  # noqa: BLE001 - a store outage: the client sends the query
            logger.warning("persisted-query store failed (%s)", type(exc).__name__)
            stored = None
        if stored is None:
            self.lookups["not_found"] += 1
            raise PersistedQueryError(
                200,
                ErrorCode.BAD_USER_INPUT,
                PERSISTED_QUERY_NOT_FOUND,
                {"persistedQuery": "PERSISTED_QUERY_NOT_FOUND"},
            )
        self.lookups["hit"] += 1
        return ResolvedQuery(stored)

    async def admit(
        self, resolved: ResolvedQuery, *, address: str | None, anonymous: bool
    ) -> ResolvedQuery:
        """Decide whether a query sent with its hash may be stored once it ran.

        Returns ``resolved`` unchanged when it may, or without ``register`` when it runs
        unstored (already stored; an anonymous caller when anonymous registration is off;
        the address's registration rate spent).

        Raises:
            PersistedQueryError: the query is larger than ``max_bytes`` (400,
                ``PERSISTED_QUERY_TOO_LARGE``).
        """
        sha, query = resolved.register, resolved.query
        if sha is None or query is None or self.store is None:
            return resolved
        size = len(query.encode("utf-8", "surrogatepass"))
        if size > self.max_bytes:
            raise PersistedQueryError(
                400,
                ErrorCode.BAD_USER_INPUT,
                f"a persisted query may have at most {self.max_bytes} bytes (this one has "
                f"{size}): send it without extensions.persistedQuery",
                {"persistedQuery": "PERSISTED_QUERY_TOO_LARGE", "maxBytes": self.max_bytes},
            )
        unstored = ResolvedQuery(query)
        try:
            if await self.store.get(sha) is not None:
                return unstored  # already there: nothing to register, nothing counted
        except Exception as exc:  # noqa: BLE001 - a store outage: registering will fail too
            logger.warning("persisted-query store failed (%s)", type(exc).__name__)
            return unstored
        if anonymous and not self.anonymous:
            return unstored
        if self._limiter is not None and self._register_item is not None:
            key = hashlib.sha256((address or "-").encode("utf-8", "surrogatepass")).hexdigest()
            if not await self._limiter.hit(self._register_item, key):
                logger.info("persisted-query registration rate spent: the query runs unstored")
                return unstored
        return resolved

    async def register(self, sha256: str, query: str) -> None:
        """Store a query that ran (a no-op without a store)."""
        if self.store is None:
            return
        self.lookups["registered"] += 1
        try:
            await self.store.set(sha256, query)
        except Exception as exc:  # noqa: BLE001 - the query ran; storing it is best effort
            logger.warning("persisted-query store failed (%s)", type(exc).__name__)

    async def aclose(self) -> None:
        """Release the store's connections (and the registration limiter's)."""
        if self.store is not None:
            await self.store.aclose()
        if self._pool is not None:
            await self._pool.aclose()

    @staticmethod
    def _checked_hash(persisted: object) -> str:
        if (
            not isinstance(persisted, dict)
            or persisted.get("version") != 1
            or not isinstance(persisted.get("sha256Hash"), str)
            or not _HASH.match(persisted["sha256Hash"])
        ):
            raise PersistedQueryError(
                400,
                ErrorCode.BAD_USER_INPUT,
                "extensions.persistedQuery must be {version: 1, sha256Hash: <64 hex digits>}",
                {"persistedQuery": "PERSISTED_QUERY_INVALID"},
            )
        return str(persisted["sha256Hash"]).lower()
