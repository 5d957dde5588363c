"""Rate limits on the GraphQL endpoint: requests and query cost, per person and per address.

Four limits, each in the ``limits`` notation (``"120/minute"``) and each optional:

* **requests per person** — the signed-in caller: the verified SSO subject, or the student of
  a school-login session (in its region);
* **requests per address** — the client address, signed in or not;
* **cost per person** and **cost per address** — the cost of the operations run, a coarse
  measure: the number of fields selected, with fragments expanded (so alias batching and
  fragment fan-out count in full; see :func:`schema.limits.operation_cost`).

The counters use the *sliding window counter* strategy of ``limits`` (cheap, no burst at
window edges) on memory storage, or on Redis when the cache is Redis, so that all gateway
instances share them. Storage keys are SHA-256 digests: no subject or address is stored in
clear. An operation whose cost alone is over a per-minute budget can never run; the view
refuses it with 400 instead of 429 (see :meth:`RateLimits.over_budget`).

The request pipeline (:mod:`gateway.pipeline`) counts every request to ``/graphql`` per
address before anything else, then per person once the caller is known, and the cost of
each operation served (response-cache hits included). Refusals are ``429`` with
``Retry-After`` and a GraphQL error whose ``extensions.code`` is ``RATE_LIMITED``.

The stricter limits on failed school logins are :class:`gateway.sessions.LoginThrottle`'s.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import redis.asyncio as redis
from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from adapters import SYSTEM_CLOCK, SettingsError

from .limiter import open_storage
from .settings import DEFAULT_KEY_PREFIX, Settings

__all__ = ["RateLimited", "RateLimits"]

logger = logging.getLogger(__name__)

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


@lru_cache(maxsize=4_096)
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
        self.refused: Counter[str] = Counter()
        """Refusals by limit (``requests_person``, ``cost_address``…), for the metrics."""

    @classmethod
    def from_settings(cls, settings: Settings, *, storage: Any) -> RateLimits | None:
        """The configured limits (``None`` when ``[server] rate_limits`` is off).

        ``storage`` is the process's (``Infrastructure.limits_storage()``): Redis when
        ``[cache] url`` is Redis, so that every instance counts together.
        """
        server = settings.server
        if not server.rate_limits:
            return None
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
            self.refused[f"{kind}_{scope}"] += 1
            return RateLimited(scope=scope, kind=kind, retry_after=wait, limit=str(item))
        return None
