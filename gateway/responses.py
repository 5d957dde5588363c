"""The whole-response cache: repeated GraphQL queries answered from stored bytes.

An ASGI middleware in front of ``/graphql``. A cacheable request is a JSON ``POST`` of a
query (never a mutation). Its key is a hash of the document, the operation name, the
variables, the ``Accept`` header, today's date (data windows move with it) and the
**authorization scope**: the person (or school-login session) plus a *scope version* — a
hash of their roles, children and groups in every region, so that the key changes as soon
as the regions report a change in relationships.

A hit skips parsing, validation and execution and returns the stored bytes; the token is
still verified (an invalid one is never served from cache), rate limits (outer middleware)
still count, and the operation's audit events are written again for this request. An entry
also remembers which students' data it holds and their invalidation generations at store
time: a mutation that invalidates one of them (in any instance sharing the cache) makes the
entry a miss. Responses with errors are never stored. Identical concurrent misses within
one scope share one execution.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from graphql import OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLError

from adapters import AdapterError, AdapterRegistry, Caller
from schema import AuditEvent

from .audit import AuditLog
from .identity import AuthenticationFailed, TokenVerifier
from .sessions import SessionService, SessionStore
from .upstream import UpstreamRunner

__all__ = ["ResponseCacheMiddleware", "ScopeKey", "ScopeResolver"]

logger = logging.getLogger(__name__)

ASGIApp = Callable[[Any, Any, Any], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ScopeKey:
    """Who the response is for: the scope and the version of their relationships."""

    scope: str
    version: str


class _Lru(OrderedDict[str, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def put(self, key: str, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


class ScopeResolver:
    """Turns an ``Authorization`` header into a :class:`ScopeKey` (or ``None``: don't cache).

    Verified tokens are remembered until they expire and scope versions for a few seconds,
    so a cache hit costs no signature check and no profile lookup in the common case.
    """

    def __init__(
        self,
        *,
        verifier: TokenVerifier,
        sessions: SessionService | None,
        registry: AdapterRegistry,
        version_ttl: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._verifier = verifier
        self._sessions = sessions
        self._registry = registry
        self._version_ttl = version_ttl
        self._clock = clock
        self._tokens = _Lru(10_000)
        self._versions = _Lru(10_000)

    async def resolve(self, authorization: str | None) -> ScopeKey | None:
        """The scope key of a request, or ``None`` when it must not be served from cache."""
        if not authorization:
            return ScopeKey("anonymous", "0")
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        digest = hashlib.sha256(token.encode()).hexdigest()
        now = self._clock()
        known = self._tokens.get(digest)
        if known is not None and known[1] > now:
            caller, session_region = known[0], known[2]
        else:
            resolved = await self._caller(token)
            if resolved is None:
                return None
            caller, expires, session_region = resolved
            self._tokens.put(digest, (caller, expires, session_region))
        if caller.person_id is None:
            return ScopeKey(f"{caller.scope}@{session_region}", "session")
        cached = self._versions.get(caller.scope)
        if cached is not None and cached[1] > now:
            return ScopeKey(caller.scope, cached[0])
        version = await self._version(caller)
        if version is None:
            return None
        self._versions.put(caller.scope, (version, now + self._version_ttl))
        return ScopeKey(caller.scope, version)

    async def _caller(self, token: str) -> tuple[Caller, float, str | None] | None:
        if self._sessions is not None and SessionStore.is_session_token(token):
            found = await self._sessions.resolve(token)
            if found is None:
                return None
            region, session = found
            return Caller(person_id=None, session=session), self._clock() + 60.0, region
        try:
            identity = await self._verifier.verify(token)
        except AuthenticationFailed:
            return None
        caller = Caller(person_id=identity.person_id, sso_token=identity.token)
        return caller, float(identity.expires_at), None

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
class _Stored:
    body: bytes
    content_type: bytes
    students: tuple[tuple[str, str], ...]
    generations: tuple[int, ...]
    audit: tuple[AuditEvent, ...]


@dataclass(slots=True)
class _Captured:
    status: int = 0
    headers: list[tuple[bytes, bytes]] | None = None
    body: bytearray | None = None
    context: Any = None


class ResponseCacheMiddleware:
    """Serves repeated queries from cache; see the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        cache: Any,
        runner: UpstreamRunner,
        resolver: ScopeResolver,
        audit: AuditLog,
        ttl: float = 60.0,
        path: str = "/graphql",
        max_body: int = 65_536,
        today: Callable[[], date] = date.today,
        namespace: str = "dg:resp",
    ) -> None:
        self.app = app
        self.cache = cache
        self.runner = runner
        self.resolver = resolver
        self.audit = audit
        self.ttl = ttl
        self.path = path
        self.max_body = max_body
        self.today = today
        self.namespace = namespace
        self._operations = _Lru(2_000)
        self._inflight: dict[str, asyncio.Future[_Captured]] = {}
        self.hits = 0
        self.misses = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        body, complete = await _read_body(receive, self.max_body)
        replay = _replay(body, complete, receive)
        key = None
        if complete and headers.get(b"content-type", b"").startswith(b"application/json"):
            key = await self._key(body, headers)
        if key is None:
            await self.app(scope, replay, send)
            return
        stored = await self._lookup(key)
        if stored is not None:
            self.hits += 1
            await self._replay_audit(stored.audit)
            await _send(send, 200, [(b"content-type", stored.content_type)], stored.body, hit=True)
            return
        self.misses += 1
        leader = key not in self._inflight
        if leader:
            future: asyncio.Future[_Captured] = asyncio.get_running_loop().create_future()
            self._inflight[key] = future
            try:
                captured = await self._execute(scope, replay)
                future.set_result(captured)
            except BaseException as exc:
                future.set_exception(exc)
                raise
            finally:
                self._inflight.pop(key, None)
            await self._store(key, captured)
        else:
            captured = await asyncio.shield(self._inflight[key])
            context = captured.context
            if context is not None:
                await self._replay_audit(tuple(context.written_audit))
        await _send(
            send, captured.status, captured.headers or [], bytes(captured.body or b""), hit=False
        )

    async def _key(self, body: bytes, headers: dict[bytes, bytes]) -> str | None:
        try:
            request = json.loads(body)
        except ValueError:
            return None
        if not isinstance(request, dict):
            return None
        query = request.get("query")
        variables = request.get("variables") or {}
        operation = request.get("operationName")
        if not isinstance(query, str) or not isinstance(variables, dict):
            return None
        if operation is not None and not isinstance(operation, str):
            return None
        if not self._is_query(query, operation):
            return None
        who = await self.resolver.resolve(
            headers.get(b"authorization", b"").decode("latin-1") or None
        )
        if who is None:
            return None
        material = json.dumps(
            [
                query,
                operation,
                variables,
                headers.get(b"accept", b"").decode("latin-1"),
                self.today().isoformat(),
                who.scope,
                who.version,
            ],
            sort_keys=True,
            ensure_ascii=False,
        )
        return f"{self.namespace}:{hashlib.sha256(material.encode()).hexdigest()}"

    def _is_query(self, document: str, operation: str | None) -> bool:
        digest = hashlib.sha256(f"{operation}\0{document}".encode()).hexdigest()
        known = self._operations.get(digest)
        if known is None:
            known = False
            try:
                parsed = parse(document, no_location=True, max_tokens=2_000)
            except GraphQLError:
                parsed = None
            if parsed is not None:
                ops = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
                chosen = [
                    d
                    for d in ops
                    if operation is None or (d.name is not None and d.name.value == operation)
                ]
                known = len(chosen) == 1 and chosen[0].operation is OperationType.QUERY
            self._operations.put(digest, known)
        return bool(known)

    async def _lookup(self, key: str) -> _Stored | None:
        try:
            stored = await self.cache.get(key)
        except Exception as exc:  # noqa: BLE001 - a cache failure is a miss
            logger.warning("response cache get failed (%s)", type(exc).__name__)
            return None
        if not isinstance(stored, _Stored):
            return None
        if stored.students:
            now = await self.runner.generations(list(stored.students))
            if now is None or tuple(now) != stored.generations:
                return None
        return stored

    async def _execute(self, scope: Any, receive: Any) -> _Captured:
        captured = _Captured(headers=[], body=bytearray())

        async def capture(message: Any) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                captured.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                assert captured.body is not None
                captured.body.extend(message.get("body", b""))

        await self.app(scope, receive, capture)
        captured.context = scope.get("state", {}).get("gateway_context")
        return captured

    async def _store(self, key: str, captured: _Captured) -> None:
        context = captured.context
        body = bytes(captured.body or b"")
        if captured.status != 200 or context is None or b'"errors"' in body:
            return
        students = tuple(sorted(context.students_read))
        generations = await self.runner.generations(list(students)) if students else []
        if generations is None:
            return
        content_type = next(
            (v for k, v in captured.headers or [] if k.lower() == b"content-type"),
            b"application/json",
        )
        stored = _Stored(
            body=body,
            content_type=content_type,
            students=students,
            generations=tuple(generations),
            audit=tuple(context.written_audit),
        )
        try:
            await self.cache.set(key, stored, ttl=int(self.ttl))
        except Exception as exc:  # noqa: BLE001
            logger.warning("response cache set failed (%s)", type(exc).__name__)

    async def _replay_audit(self, events: tuple[AuditEvent, ...]) -> None:
        if not events:
            return
        at = datetime.now(UTC).isoformat(timespec="seconds")
        await self.audit.record([replace(e, at=at, request_id="cached") for e in events])


async def _read_body(receive: Any, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, complete: bool, receive: Any) -> Any:
    sent = False

    async def replayed() -> Any:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": not complete}
        return await receive()

    return replayed


async def _send(
    send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes, *, hit: bool
) -> None:
    out = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"x-cache")]
    out.append((b"content-length", str(len(body)).encode()))
    out.append((b"x-cache", b"hit" if hit else b"miss"))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})
