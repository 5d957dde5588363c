"""The whole-response cache: repeated GraphQL queries answered from stored bytes.

The GraphQL view consults it for queries (never mutations) after the request passed every
check that applies to it: the token was verified (an invalid one is never served from
cache), request-count and cost rate limits were charged, the parameters were validated.
The key is a hash of the document, the operation name, the variables, the response media
type, today's date (data windows move with it) and the **authorization scope**: the person
(or school-login session) plus a *scope version* — a hash of their roles, children and
groups in every region, so the key changes as soon as the regions report a change in
relationships.

A hit skips validation and execution and returns the stored bytes, and the operation's
audit events are written again for this request. An entry remembers which students' data it
holds and their invalidation generations at store time: a mutation that invalidates one of
them (in any instance sharing the cache) makes the entry a miss. Responses with errors are
never stored. Identical concurrent misses within one scope share one execution.

In Redis, a stored response is sealed type-tagged JSON (:func:`response_codec`), never a
pickle: an entry not sealed with this gateway's secret is dropped as a miss and counted
(``cache.forged``); an entry past its ``expires_at`` is a miss even if Redis returns it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from functools import lru_cache
from typing import Any

import orjson
from lru import LRU

from adapters import SYSTEM_CLOCK, AdapterError, AdapterRegistry, Caller, Clock
from schema import AuditEvent, GatewayContext

from .audit import AuditLog
from .pipeline.encode import Answer
from .upstream import UpstreamRunner
from .upstream.codec import Codec

__all__ = [
    "RESPONSE_TYPES",
    "RegionDays",
    "ResponseCache",
    "ScopeKey",
    "ScopeVersions",
    "StoredResponse",
    "response_codec",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScopeKey:
    """Who the response is for: the scope and the version of their relationships."""

    scope: str
    version: str


class ScopeVersions:
    """The scope version of a signed-in person: a hash of what the regions say of them.

    Computed from the profiles (entity-cached) and remembered for a few seconds.
    """

    def __init__(
        self,
        registry: AdapterRegistry,
        *,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._registry = registry
        self._ttl = ttl
        self._clock = clock
        self._versions: LRU[str, tuple[ScopeKey, float]] = LRU(10_000)

    def forget(self, scope: str) -> None:
        """Compute ``scope``'s version afresh next time (what a region says of them changed)."""
        self._versions.pop(scope, None)

    async def scope_of(self, caller: Caller | None, session_region: str | None) -> ScopeKey | None:
        """The scope key of a request, or ``None`` when it must not be served from cache."""
        if caller is None:
            return _ANONYMOUS
        if caller.person_id is None:
            return ScopeKey(f"{caller.scope}@{session_region}", "session")
        now = self._clock()
        cached = self._versions.get(caller.scope)
        if cached is not None and cached[1] > now:
            return cached[0]
        version = await self._version(caller)
        if version is None:
            return None
        scope = ScopeKey(caller.scope, version)
        self._versions[caller.scope] = (scope, now + self._ttl)
        return scope

    async def _version(self, caller: Caller) -> str | None:
        codes = sorted(self._registry)
        try:
            profiles = await asyncio.gather(
                *(self._registry[code].get_profile(caller) for code in codes)
            )
        except AdapterError:
            return None  # a region cannot say who this is right now: do not cache
        parts = []
        for code, profile in zip(codes, profiles, strict=True):
            if profile is None:
                parts.append(f"{code}:-")
                continue
            roles = sorted(
                f"{g.role.value}/{g.school_id}/{','.join(g.class_unit_ids)}/"
                f"{','.join(g.group_ids)}/{g.student_id}"
                for g in profile.roles
            )
            children = sorted(
                f"{c.student.id}/{int(c.is_legal_representative)}" for c in profile.children
            )
            groups = sorted(f"{g.id}/{','.join(sorted(g.student_ids))}" for g in profile.groups)
            parts.append(f"{code}:{roles}:{children}:{groups}")
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """A response as stored: bytes, media type, the students it holds, their generations."""

    body: bytes
    media_type: str
    students: tuple[tuple[str, str], ...]
    generations: tuple[int, ...]
    audit: tuple[AuditEvent, ...]
    expires_at: float = 0.0
    """Wall-clock time the entry expires (its cache TTL)."""


_ANONYMOUS = ScopeKey("anonymous", "0")

RESPONSE_TYPES: tuple[type, ...] = (StoredResponse, AuditEvent)
"""What the response cache's codec may hold."""


def response_codec(key: bytes) -> Codec:
    """The response cache's codec (``key``: the gateway's ``cache-hmac`` key)."""
    return Codec(key, RESPONSE_TYPES)


class RegionDays:
    """Every configured region's local date, as one cache-key part.

    A stored answer may depend on "today" (default ranges, data windows), and each region's
    today changes at its own midnight: 19:00 UTC in region 74, 21:00 UTC in Moscow. The part
    changes at each of them. Recomputed at most once a minute (zone offsets are whole
    minutes), so the hot path pays one clock read.
    """

    def __init__(self, clock: Clock, zones: Iterable[tzinfo]) -> None:
        self.clock = clock
        self.zones = tuple(dict.fromkeys(zones)) or (UTC,)
        self._minute = -1
        self._value = ""

    def __call__(self) -> str:
        minute = int(self.clock.timestamp()) // 60
        if minute != self._minute:
            now = self.clock.now()
            self._value = ",".join(now.astimezone(z).date().isoformat() for z in self.zones)
            self._minute = minute
        return self._value


class ResponseCache:
    """Stored responses of repeated queries, per authorization scope; see the module doc."""

    def __init__(
        self,
        *,
        cache: Any,
        runner: UpstreamRunner,
        versions: ScopeVersions,
        audit: AuditLog,
        ttl: float = 60.0,
        day: Callable[[], str] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        namespace: str = "dg:resp",
    ) -> None:
        self.cache = cache
        self.runner = runner
        self.versions = versions
        self.audit = audit
        self.ttl = ttl
        self.clock = clock
        self.day = day or RegionDays(clock, [UTC])
        self.namespace = namespace
        self._inflight: dict[str, asyncio.Future[tuple[Answer, GatewayContext]]] = {}
        # With a cache that lives in this process only, validated entries are kept at hand
        # with the invalidation epoch they were checked at: a hit then needs no cache call.
        self._near: LRU[str, tuple[StoredResponse, int]] | None = (
            LRU(2_000) if runner.process_local else None
        )
        self._keys: LRU[tuple[bytes, str, str, str], str] = LRU(2_000)
        """Cache keys by their parts: a repeated query is hashed once per viewer and day."""
        self._replay_second = -1
        self._replay_at = ""
        self.hits = 0
        self.misses = 0
        self.executions = 0
        """Operations actually executed (misses minus those that joined another's flight)."""

    async def key(
        self,
        *,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        media: str,
        caller: Caller | None,
        session_region: str | None,
    ) -> str | None:
        """The cache key of a query for this viewer, or ``None``: do not cache it."""
        return await self.viewer_key(
            self.request_part(query, operation_name, variables, media), caller, session_region
        )

    @staticmethod
    def request_part(
        query: str, operation_name: str | None, variables: dict[str, Any] | None, media: str
    ) -> bytes:
        """What a key takes from the request, the same for every viewer: a digest of the
        document, the operation name, the variables and the response media type."""
        digest = hashlib.sha256(_document_digest(query))
        for part in (operation_name or "", _variables_json(variables), media):
            digest.update(b"\0")
            digest.update(part.encode("utf-8", "surrogatepass"))
        return digest.digest()

    async def viewer_key(
        self, request_part: bytes, caller: Caller | None, session_region: str | None
    ) -> str | None:
        """The key of a request (its :meth:`request_part`) for this viewer today, or
        ``None``: do not cache it."""
        who = await self.versions.scope_of(caller, session_region)
        if who is None:
            return None
        parts = (request_part, self.day(), who.scope, who.version)
        key = self._keys.get(parts)
        if key is None:
            digest = hashlib.sha256(request_part)
            for part in parts[1:]:
                digest.update(b"\0")
                digest.update(part.encode("utf-8", "surrogatepass"))
            key = self._keys[parts] = f"{self.namespace}:{digest.hexdigest()}"
        return key

    async def lookup(self, key: str) -> Answer | None:
        """The stored response for ``key`` (its audit events written again), or ``None``."""
        stored = await self.peek(key)
        if stored is None:
            return None
        return await self.hit(stored)

    async def peek(self, key: str) -> StoredResponse | None:
        """The stored response for ``key``, valid still, or ``None``; counts nothing."""
        return await self._lookup(key)

    async def hit(self, stored: StoredResponse) -> Answer:
        """A :meth:`peek` ed response served: counted, its audit events written again."""
        self.hits += 1
        await self._replay_audit(stored.audit)
        return Answer(200, stored.media_type, stored.body, _HIT)

    async def serve(
        self,
        key: str,
        context: GatewayContext,
        execute: Callable[[], Awaitable[Answer]],
    ) -> Answer:
        """``execute()``'s response after a missed :meth:`lookup`, shared with identical
        concurrent misses and stored when it had no errors."""
        stored = await self.lookup(key)  # a flight may have finished since the first look
        if stored is not None:
            return stored
        self.misses += 1
        flight = self._inflight.get(key)
        if flight is not None:
            answer, leader = await asyncio.shield(flight)
            await self._replay_audit(tuple(leader.written_audit))
            return dataclasses.replace(answer, headers={**answer.headers, **_MISS})
        future: asyncio.Future[tuple[Answer, GatewayContext]] = (
            asyncio.get_running_loop().create_future()
        )
        self._inflight[key] = future
        self.executions += 1
        try:
            answer = await execute()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # followers see it; nobody else needs to retrieve it
            raise
        else:
            future.set_result((answer, context))
        finally:
            self._inflight.pop(key, None)
        await self._store(key, answer, context)
        return dataclasses.replace(answer, headers={**answer.headers, **_MISS})

    async def _lookup(self, key: str) -> StoredResponse | None:
        near = self._near
        if near is not None:
            kept = near.get(key)
            if kept is not None:
                stored, epoch = kept
                if epoch == self.runner.local_epoch and self.clock.timestamp() < stored.expires_at:
                    return stored
                del near[key]
        found = await self._cache_lookup(key)
        if found is not None and near is not None:
            near[key] = (found, self.runner.local_epoch)
        return found

    async def _cache_lookup(self, key: str) -> StoredResponse | None:
        try:
            stored = await self.cache.get(key)
        except Exception as exc:  # noqa: BLE001 - a cache failure is a miss
            logger.warning("response cache get failed (%s)", type(exc).__name__)
            return None
        if not isinstance(stored, StoredResponse) or self.clock.timestamp() >= stored.expires_at:
            return None
        if stored.students:
            now = await self.runner.generations(list(stored.students))
            if now is None or tuple(now) != stored.generations:
                return None
        return stored

    async def _store(self, key: str, answer: Answer, context: GatewayContext) -> None:
        body = answer.body
        if answer.status != 200 or b'"errors"' in body or not context.cacheable:
            return
        if b'"stale"' in body and json.loads(body).get("extensions", {}).get("stale"):
            return  # served from stale provider data: ask again next time
        students = tuple(sorted(context.students_read))
        generations = await self.runner.generations(list(students)) if students else []
        if generations is None:
            return
        stored = StoredResponse(
            body=body,
            media_type=answer.media,
            students=students,
            generations=tuple(generations),
            audit=tuple(context.written_audit),
            expires_at=self.clock.timestamp() + max(1, int(self.ttl)),
        )
        try:
            await self.cache.set(key, stored, ttl=max(1, int(self.ttl)))
        except Exception as exc:  # noqa: BLE001
            logger.warning("response cache set failed (%s)", type(exc).__name__)

    async def _replay_audit(self, events: tuple[AuditEvent, ...]) -> None:
        if not events:
            return
        second = int(self.clock.timestamp())
        if second != self._replay_second:  # one clock formatting per second, not per hit
            self._replay_at = self.clock.now().isoformat(timespec="seconds")
            self._replay_second = second
        if not self.audit.replay_now(events, at=self._replay_at):  # else nothing to await
            await self.audit.replay(events, at=self._replay_at)


@lru_cache(maxsize=2_000)
def _document_digest(document: str) -> bytes:
    """SHA-256 of a GraphQL document (memoised: clients repeat the same few documents)."""
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).digest()


def _variables_json(variables: dict[str, Any] | None) -> str:
    if not variables:
        return "{}"
    try:
        return orjson.dumps(variables, option=orjson.OPT_SORT_KEYS).decode("utf-8")
    except TypeError:  # a lone surrogate: the standard encoder keeps it
        return json.dumps(variables, sort_keys=True, ensure_ascii=False)


_HIT = {"x-cache": "hit"}
_MISS = {"x-cache": "miss"}
