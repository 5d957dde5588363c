"""Rate limits on the GraphQL endpoint: requests and query cost, per person and per address.

Four limits, each in the ``limits`` notation (``"120/minute"``) and each optional:

* **requests per person** — the signed-in caller: the verified SSO subject, or the student of
  a school-login session (in its region);
* **requests per address** — the client address, signed in or not;
* **cost per person** and **cost per address** — the cost of the operations run, a coarse
  measure: the number of fields selected, with fragments expanded (so alias batching and
  fragment fan-out count in full; see :func:`operation_cost`).

The counters use the *sliding window counter* strategy of ``limits`` (cheap, no burst at
window edges) on memory storage, or on Redis when the cache is Redis, so that all gateway
instances share them. Storage keys are SHA-256 digests: no subject or address is stored in
clear. An operation whose cost alone is over a per-minute budget can never run; the view
refuses it with 400 instead of 429 (see :meth:`RateLimits.over_budget`).

Request counts are taken by :class:`RateLimitMiddleware`, in front of everything else that
serves ``/graphql`` (the whole-response cache included, so cache hits count too): per address
before any token is verified, then per person, the bearer token verified once and remembered
until it expires (:class:`PersonResolver`). Costs are counted by the GraphQL view, which parses
the operation. Refusals are ``429`` with ``Retry-After`` and a GraphQL error whose
``extensions.code`` is ``RATE_LIMITED``.

The stricter limits on failed school logins are :class:`gateway.sessions.LoginThrottle`'s.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import redis.asyncio as redis
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Send
from starlette.types import Scope as ASGIScope

from adapters import SYSTEM_CLOCK, Caller, SettingsError
from schema import ErrorCode

from .identity import AuthenticationFailed, TokenVerifier
from .limiter import open_storage
from .middleware import JSON, error_body, negotiate
from .sessions import SessionService, SessionStore
from .settings import DEFAULT_KEY_PREFIX, Settings

__all__ = [
    "COST_CAP",
    "PersonResolver",
    "RateLimitMiddleware",
    "RateLimited",
    "RateLimits",
    "operation_cost",
    "person_key",
]

logger = logging.getLogger(__name__)

COST_CAP: Final = 1_000_000_000
"""Costs are counted up to this; fragment fan-out can otherwise grow exponentially."""

Scope = Literal["person", "address"]
Kind = Literal["requests", "cost"]


@dataclass(frozen=True, slots=True)
class RateLimited:
    """A refused request: which limit, and how many seconds until it may be tried again."""

    scope: Scope
    kind: Kind
    retry_after: int
    limit: str
    """The limit, as configured (``"120 per 1 minute"``)."""


def _item(text: str, key: str, namespace: str) -> RateLimitItem | None:
    if not text.strip():
        return None
    try:
        item = parse(text)
    except ValueError:
        raise SettingsError(
            f"server.{key}", 'a rate such as "120/minute" (or "" for none)', text
        ) from None
    if item.amount < 1:
        raise SettingsError(f"server.{key}", "a positive amount", text)
    return type(item)(item.amount, item.multiples, namespace=f"{namespace}/{key}")


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class RateLimits:
    """Request and cost limits per person and per client address.

    Args:
        storage: a ``limits`` storage URI (``"async+memory://"``, ``"async+redis://…"``)
            or an async ``limits`` storage object.
        person, address: requests per person / per address (``""``: no limit).
        cost_person, cost_address: operation cost per person / per address (``""``: none).
        namespace: names the limits inside the storage (``<namespace>/rate_limit_person``).
        key_prefix: start of the Redis keys (``[cache] key_prefix``); they are
            ``<key_prefix>limits:…``.

    Raises:
        SettingsError: a limit is not in the ``limits`` notation.
    """

    def __init__(
        self,
        storage: str | Any = "async+memory://",
        *,
        person: str = "120/minute",
        address: str = "300/minute",
        cost_person: str = "5000/minute",
        cost_address: str = "12000/minute",
        namespace: str = "diary-gateway-rate",
        key_prefix: str = DEFAULT_KEY_PREFIX,
    ) -> None:
        self._pool: redis.ConnectionPool | None = None
        if isinstance(storage, str):
            storage, self._pool = open_storage(storage, key_prefix=key_prefix)
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._requests: dict[Scope, RateLimitItem | None] = {
            "person": _item(person, "rate_limit_person", namespace),
            "address": _item(address, "rate_limit_address", namespace),
        }
        self._cost: dict[Scope, RateLimitItem | None] = {
            "person": _item(cost_person, "cost_limit_person", namespace),
            "address": _item(cost_address, "cost_limit_address", namespace),
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits | None:
        """The configured limits (``None`` when ``[server] rate_limits`` is off).

        Redis storage when ``[cache] url`` is Redis, so that every instance counts together.
        """
        server = settings.server
        if not server.rate_limits:
            return None
        url = settings.cache.url
        storage = f"async+{url}" if url.startswith(("redis://", "rediss://")) else "async+memory://"
        return cls(
            storage,
            person=server.rate_limit_person,
            address=server.rate_limit_address,
            cost_person=server.cost_limit_person,
            cost_address=server.cost_limit_address,
            key_prefix=settings.cache.key_prefix,
        )

    async def hit_request(self, *, person: str | None, address: str | None) -> RateLimited | None:
        """Count one request; the limit it went over, if any (then it is not counted)."""
        return await self._hit(self._requests, 1, "requests", person=person, address=address)

    async def hit_cost(
        self, cost: int, *, person: str | None, address: str | None
    ) -> RateLimited | None:
        """Count an operation's cost; the limit it went over, if any."""
        if cost <= 0:
            return None
        return await self._hit(self._cost, cost, "cost", person=person, address=address)

    def over_budget(self, cost: int, *, person: str | None) -> int | None:
        """The smallest cost budget ``cost`` exceeds on its own (it could never run), or None."""
        budgets = [
            item.amount
            for scope, item in self._cost.items()
            if item is not None and (scope == "address" or person is not None)
        ]
        over = [amount for amount in budgets if cost > amount]
        return min(over) if over else None

    async def close(self) -> None:
        """Release the Redis connections opened for a storage URI."""
        if self._pool is not None:
            await self._pool.aclose()

    async def _hit(
        self,
        items: dict[Scope, RateLimitItem | None],
        cost: int,
        kind: Kind,
        *,
        person: str | None,
        address: str | None,
    ) -> RateLimited | None:
        keys: dict[Scope, str | None] = {"person": person, "address": address}
        for scope in ("address", "person"):
            item, key = items[scope], keys[scope]
            if item is None or key is None:
                continue
            digest = _digest(key)
            try:
                if await self._limiter.hit(item, digest, cost=cost):
                    continue
                stats = await self._limiter.get_window_stats(item, digest)
            except Exception as exc:  # noqa: BLE001 - a storage outage must not stop the API
                logger.warning("rate-limit storage failed (%s); not limiting", type(exc).__name__)
                return None
            wait = max(1, math.ceil(float(stats.reset_time) - SYSTEM_CLOCK.timestamp()))
            return RateLimited(scope=scope, kind=kind, retry_after=wait, limit=str(item))
        return None


def person_key(caller: Caller | None, session_region: str | None) -> str | None:
    """The rate-limit identity of a caller: the SSO subject, or a session's student in its region.

    ``None`` for anonymous callers (only their address is limited).
    """
    if caller is None:
        return None
    scope = caller.scope
    if scope == "anonymous":
        return None
    return f"{scope}@{session_region}" if session_region else scope


class PersonResolver:
    """Turns an ``Authorization`` header into a :func:`person_key` (``None``: not signed in).

    A token is verified once (SSO tokens: signature and claims; session tokens: the session
    store) and remembered by its SHA-256 digest until it expires (sessions: a minute), in a
    bounded LRU. Invalid tokens give ``None``: such a request is limited by address only.
    """

    def __init__(
        self,
        verifier: TokenVerifier,
        sessions: SessionService | None,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._verifier = verifier
        self._sessions = sessions
        self._max_entries = max_entries
        self._clock = clock
        self._known: OrderedDict[str, tuple[str, float]] = OrderedDict()

    async def __call__(self, authorization: str | None) -> str | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        digest = _digest(token)
        now = self._clock()
        known = self._known.get(digest)
        if known is not None and known[1] > now:
            self._known.move_to_end(digest)
            return known[0]
        resolved = await self._resolve(token, now)
        if resolved is None:
            return None
        self._known[digest] = resolved
        self._known.move_to_end(digest)
        while len(self._known) > self._max_entries:
            self._known.popitem(last=False)
        return resolved[0]

    async def _resolve(self, token: str, now: float) -> tuple[str, float] | None:
        if self._sessions is not None and SessionStore.is_session_token(token):
            found = await self._sessions.resolve(token)
            if found is None:
                return None
            region, session = found
            key = person_key(Caller(person_id=None, session=session), region)
            return (key, now + 60.0) if key is not None else None
        try:
            identity = await self._verifier.verify(token)
        except AuthenticationFailed:
            return None
        key = person_key(Caller(person_id=identity.person_id), None)
        return (key, float(identity.expires_at)) if key is not None else None


class RateLimitMiddleware:
    """Counts requests to ``path`` per client address and per person; ``429`` past a limit.

    Args:
        app: the wrapped application.
        limits: the configured :class:`RateLimits`.
        identify: the person behind an ``Authorization`` header (e.g. a
            :class:`PersonResolver`); ``None``: addresses only.
        path: the limited path (other paths pass through).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: RateLimits,
        identify: Callable[[str | None], Awaitable[str | None]] | None = None,
        path: str = "/graphql",
    ) -> None:
        self.app = app
        self.limits = limits
        self.identify = identify
        self.path = path

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = str(client[0]) if client else None
        headers = Headers(scope=scope)
        refused = await self.limits.hit_request(person=None, address=address)
        if refused is None and self.identify is not None:
            person = await self.identify(headers.get("authorization"))
            if person is not None:
                refused = await self.limits.hit_request(person=person, address=None)
        if refused is None:
            await self.app(scope, receive, send)
            return
        media = negotiate(headers.get("accept")) or JSON
        body = error_body(
            f"too many requests: try again in {refused.retry_after} s",
            ErrorCode.RATE_LIMITED,
            retryAfter=refused.retry_after,
        )
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", f"{media}; charset=utf-8".encode("latin-1")),
                    (b"content-length", str(len(body)).encode("latin-1")),
                    (b"retry-after", str(refused.retry_after).encode("latin-1")),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def operation_cost(document: DocumentNode, operation: OperationDefinitionNode) -> int:
    """The number of fields ``operation`` selects, every fragment spread counted in full.

    Fields under aliases count once per alias; a fragment spread twice counts twice. Spreads
    that form a cycle count nothing (validation rejects them anyway). The walk is iterative,
    so deeply nested documents cannot exhaust the stack, and the result is capped at
    :data:`COST_CAP`.
    """
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    costs: dict[str, int] = {}

    def own_cost(selection_set: SelectionSetNode) -> tuple[int, list[str]]:
        total = 0
        spreads: list[str] = []
        stack = [selection_set]
        while stack:
            current = stack.pop()
            for selection in current.selections:
                if isinstance(selection, FieldNode):
                    total += 1
                    if selection.selection_set is not None:
                        stack.append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    stack.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    spreads.append(selection.name.value)
        return total, spreads

    def fragment_cost(root: str) -> int:
        # Post-order over the fragment graph with an explicit stack; a back edge costs 0.
        if root in costs:
            return costs[root]
        on_path: set[str] = set()
        stack: list[tuple[str, bool]] = [(root, False)]
        parts: dict[str, tuple[int, list[str]]] = {}
        while stack:
            name, expanded = stack.pop()
            if name in costs or name not in fragments:
                continue
            if expanded:
                own, spreads = parts[name]
                total = own + sum(costs.get(spread, 0) for spread in spreads)
                costs[name] = min(total, COST_CAP)
                on_path.discard(name)
                continue
            if name in on_path:
                continue
            on_path.add(name)
            parts[name] = own_cost(fragments[name].selection_set)
            stack.append((name, True))
            for spread in parts[name][1]:
                if spread not in costs and spread not in on_path:
                    stack.append((spread, False))
        return costs.get(root, 0)

    own, spreads = own_cost(operation.selection_set)
    total = own + sum(fragment_cost(spread) for spread in spreads)
    return min(total, COST_CAP)
