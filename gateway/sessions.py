"""Gateway sessions for school-login sign-ins, and throttling of failed sign-ins.

A student who signs in with a school-issued login gets a :class:`ProviderSession` from the
region's adapter. That provider session is a credential of the provider and never leaves the
server: :class:`SessionStore` keeps it in the shared store (Redis when ``[cache] url`` is
Redis, a bounded in-memory cache otherwise) under a random session id (``sid``) and hands the
client two **opaque random tokens** of its own (``secrets.token_urlsafe(32)``):

* an **access token** (``dgs_…``), valid for ``[server] session_ttl_seconds``, sent as
  ``Authorization: Bearer``. Every request looks it up in the store anyway, so it carries
  nothing and needs no signing key; revoking a session ends it at once;
* a **refresh token** (``dgr_…``), valid for a week. Refreshing rotates both: each refresh
  token works once, the access token it replaces stops working, and concurrent uses of the
  same refresh token yield at most one new pair (the store's atomic delete decides the
  winner).

Only SHA-256 digests of the tokens are stored. Store layout (keys relative to the cache's
namespace, ``<[cache] key_prefix>sessions:``):

* ``session:<sid>`` → the region and provider session, with the digests of the current access
  and refresh tokens; TTL = the refresh TTL (it slides on every refresh);
* ``access:<sha256 hex>`` / ``refresh:<sha256 hex>`` → the sid and the token's expiry;
* ``revoked:<sid>`` → a tombstone that stops a refresh racing a revocation from bringing the
  session back;
* ``ended:<sha256 hex of the provider token>`` → the provider ended that provider session
  (a read met its refusal): the gateway session ends with it, :meth:`SessionStore.refresh`
  raises :class:`SessionEnded`.

In Redis every value is sealed JSON (:class:`~gateway.upstream.codec.Codec`, under the key the
gateway's secret derives for ``"session-signing"``): whoever can write to Redis cannot make up
a session or move one to another token. Instances sharing Redis share the sessions (and must
share ``[server] secret_key_file``, as for the caches).

:class:`LoginThrottle` slows down password guessing with limits from the ``limits`` package:
by default 5 attempts per 15 minutes per (region, login) (a moving window, cleared by a
successful sign-in) and 20 unsuccessful attempts per 15 minutes per client address (a fixed
window; a successful sign-in gives its attempt back). An attempt is counted **before** the
provider is asked, with the storage's atomic hit (a Lua script in Redis, a lock in memory), so
concurrent guesses cannot all slip through between a check and a count. Logins are normalised
(stripped, lower-cased) and only their SHA-256 digest is used as a storage key.

Tokens, refresh tokens and passwords are secrets: nothing here logs them or puts them into
exception messages.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import redis.asyncio as redis
from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter

from adapters import SYSTEM_CLOCK
from adapters.models import ProviderSession
from schema import ErrorCode, coded_error

from .limiter import open_storage
from .settings import DEFAULT_KEY_PREFIX

__all__ = [
    "ACCESS_TOKEN_PREFIX",
    "MAX_TOKEN_LENGTH",
    "REFRESH_TOKEN_PREFIX",
    "IssuedSession",
    "LoginThrottle",
    "SessionEnded",
    "SessionService",
    "SessionStore",
    "ThrottleUnavailable",
]

logger = logging.getLogger(__name__)

ACCESS_TOKEN_PREFIX: Final = "dgs_"  # noqa: S105 - a prefix, not a secret
"""The start of every gateway session (access) token: routes it away from the SSO verifier."""
REFRESH_TOKEN_PREFIX: Final = "dgr_"  # noqa: S105 - a prefix, not a secret
"""The start of every refresh token."""
MAX_TOKEN_LENGTH: Final = 256
"""Longer inputs are rejected before any lookup."""

_TOKEN_BYTES: Final = 32
_RECORD_VERSION: Final = 2


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """What the client receives after a sign-in or a refresh."""

    token: str = field(repr=False)
    """The opaque access token to send as ``Authorization: Bearer``."""
    expires_in: int
    """Seconds until :attr:`token` expires."""
    refresh_token: str = field(repr=False)
    """Single-use opaque token to obtain a new pair with :meth:`SessionStore.refresh`."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _is_token(token: object, prefix: str) -> bool:
    return isinstance(token, str) and len(token) <= MAX_TOKEN_LENGTH and token.startswith(prefix)


class SessionEnded(Exception):
    """The provider ended the session's provider session: the user must sign in again."""

    def __init__(self, region: str) -> None:
        super().__init__(f"the provider session of region {region} has ended")
        self.region = region


class SessionStore:
    """Issues, resolves, refreshes and revokes gateway sessions that wrap provider sessions.

    ``cache`` is an aiocache cache holding plain values: the bounded memory cache, or the
    sealed Redis cache shared by instances (see :func:`gateway.upstream.build_cache`); give it
    a namespace to keep these keys apart from other data. ``clock`` returns the current Unix
    time and exists for tests.

    Malformed, unknown, expired, replaced or revoked tokens give ``None``; errors of the cache
    itself (e.g. Redis unreachable) propagate, so an outage is not mistaken for a sign-out.
    """

    def __init__(
        self,
        cache: Any,
        *,
        ttl_seconds: int = 900,
        refresh_ttl_seconds: int = 7 * 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_seconds <= 0 or refresh_ttl_seconds <= 0:
            raise ValueError("session TTLs must be positive")
        self._cache = cache
        self._ttl = int(ttl_seconds)
        self._refresh_ttl = int(refresh_ttl_seconds)
        self._clock = clock

    def __repr__(self) -> str:
        return f"SessionStore(ttl={self._ttl}, refresh_ttl={self._refresh_ttl})"

    async def close(self) -> None:
        """Close the cache's connections."""
        await self._cache.close()

    @staticmethod
    def is_session_token(token: str) -> bool:
        """Whether ``token`` has the shape of a gateway session token (nothing looked up).

        Cheap enough to route every Bearer token: session tokens go to :meth:`resolve`, anything
        else to the national SSO verifier. A ``True`` here proves nothing.
        """
        return _is_token(token, ACCESS_TOKEN_PREFIX)

    async def open(self, region: str, session: ProviderSession) -> IssuedSession:
        """Store ``session`` for ``region`` and issue a new access/refresh token pair."""
        if not region or ":" in region:
            raise ValueError("region must be a non-empty identifier without ':'")
        record: dict[str, Any] = {
            "v": _RECORD_VERSION,
            "region": region,
            "student_id": session.student_id,
            "token": session.token,
            "data": [[key, value] for key, value in session.data],
        }
        return await self._issue(secrets.token_hex(16), record)

    async def resolve(self, token: str) -> tuple[str, ProviderSession] | None:
        """The ``(region, provider session)`` behind a valid access token, else ``None``."""
        if not self.is_session_token(token):
            return None
        digest = _digest(token)
        sid = self._live(await self._cache.get(f"access:{digest}"))
        if sid is None:
            return None
        record, tombstone = await self._cache.multi_get([f"session:{sid}", f"revoked:{sid}"])
        found = self._parse_record(record)
        if tombstone is not None or found is None or record.get("access") != digest:
            return None  # revoked, gone, or replaced by a refresh
        region, session = found
        return region, session

    async def refresh(self, refresh_token: str) -> IssuedSession | None:
        """Exchange a refresh token for a new pair; the old pair stops working."""
        if not _is_token(refresh_token, REFRESH_TOKEN_PREFIX):
            return None
        digest = _digest(refresh_token)
        entry = await self._cache.get(f"refresh:{digest}")
        if not isinstance(entry, dict) or not isinstance(entry.get("sid"), str):
            return None
        # Whoever deletes the entry owns the rotation; a concurrent or repeated use gets None.
        if not await self._cache.delete(f"refresh:{digest}"):
            return None
        sid = self._live(entry)
        if sid is None:
            return None
        record, tombstone = await self._cache.multi_get([f"session:{sid}", f"revoked:{sid}"])
        found = self._parse_record(record)
        if tombstone is not None or found is None or record.get("refresh") != digest:
            return None
        region, provider_session = found
        if await self._cache.get(f"ended:{_digest(provider_session.token)}") is not None:
            await self._forget(sid, record)  # its provider session ended: so does this one
            raise SessionEnded(region)
        issued = await self._issue(sid, record)
        if await self._cache.get(f"revoked:{sid}") is not None:
            # Revoked while we were rotating: undo what we just wrote.
            await self._forget(sid, await self._cache.get(f"session:{sid}"))
            return None
        return issued

    async def provider_session_ended(self, session: ProviderSession) -> None:
        """Note that the provider ended ``session``: the gateway session ends with it.

        Its refresh token stops working (:meth:`refresh` raises :class:`SessionEnded`);
        its access token still resolves until it expires, and reads with it keep saying
        that the provider session ended.
        """
        await self._cache.set(f"ended:{_digest(session.token)}", "1", ttl=self._refresh_ttl)

    async def revoke(self, token_or_sid: str) -> bool:
        """End a session given one of its access tokens (expired ones too) or its ``sid``.

        Returns whether a live session was found.
        """
        if not isinstance(token_or_sid, str) or not 0 < len(token_or_sid) <= MAX_TOKEN_LENGTH:
            return False
        sid: str | None = token_or_sid
        if self.is_session_token(token_or_sid):
            entry = await self._cache.get(f"access:{_digest(token_or_sid)}")
            sid = entry.get("sid") if isinstance(entry, dict) else None
        if not isinstance(sid, str):
            return False
        record = await self._cache.get(f"session:{sid}")
        if record is None:
            return False
        # The tombstone stops a refresh that is rotating right now from restoring the session.
        await self._cache.set(f"revoked:{sid}", "1", ttl=self._refresh_ttl)
        await self._forget(sid, record)
        return True

    async def _issue(self, sid: str, record: dict[str, Any]) -> IssuedSession:
        now = int(self._clock())
        token = ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
        refresh_token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(_TOKEN_BYTES)
        replaced = record.get("access")
        record = {**record, "access": _digest(token), "refresh": _digest(refresh_token)}
        ttl = self._refresh_ttl
        await self._cache.set(f"session:{sid}", record, ttl=ttl)
        # The access entry outlives the token (its expiry is checked) so that revoking with
        # an expired token still finds the session.
        await self._cache.set(
            f"access:{record['access']}", {"sid": sid, "exp": now + self._ttl}, ttl=ttl
        )
        await self._cache.set(
            f"refresh:{record['refresh']}", {"sid": sid, "exp": now + ttl}, ttl=ttl
        )
        if isinstance(replaced, str):
            await self._cache.delete(f"access:{replaced}")
        return IssuedSession(token=token, expires_in=self._ttl, refresh_token=refresh_token)

    async def _forget(self, sid: str, record: object) -> None:
        await self._cache.delete(f"session:{sid}")
        if isinstance(record, dict):
            for kind in ("access", "refresh"):
                digest = record.get(kind)
                if isinstance(digest, str):
                    await self._cache.delete(f"{kind}:{digest}")

    def _live(self, entry: object) -> str | None:
        """The sid of a token entry that has not expired."""
        if not isinstance(entry, dict):
            return None
        sid, expires = entry.get("sid"), entry.get("exp")
        if not isinstance(sid, str) or not isinstance(expires, int) or expires <= self._clock():
            return None
        return sid

    @staticmethod
    def _parse_record(record: object) -> tuple[str, ProviderSession] | None:
        if not isinstance(record, dict) or record.get("v") != _RECORD_VERSION:
            return None
        region, student_id = record.get("region"), record.get("student_id")
        token, data = record.get("token"), record.get("data")
        if not (
            isinstance(region, str)
            and isinstance(student_id, str)
            and isinstance(token, str)
            and isinstance(data, list)
            and all(
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(part, str) for part in pair)
                for pair in data
            )
        ):
            return None
        pairs = tuple((key, value) for key, value in data)
        return region, ProviderSession(student_id=student_id, token=token, data=pairs)


class ThrottleUnavailable(Exception):
    """The sign-in attempt counter cannot be reached (Redis gone): sign-in is refused.

    The login throttle fails closed: without its counts a password could be guessed freely.
    """

    retry_after: float = 30.0
    """Seconds a client is told to wait."""


class LoginThrottle:
    """Counts sign-in attempts before the provider is asked; says how long to wait past a limit.

    ``storage`` is a ``limits`` storage URI (``"async+memory://"``,
    ``"async+redis://host:port/db"``) or an async ``limits`` storage object; Redis lets several
    gateway instances share the counts. Limits use the ``limits`` notation (``"5 per 15
    minutes"``). ``namespace`` names the limits inside the storage; Redis keys are
    ``<key_prefix>limits:…`` (``[cache] key_prefix``).

    Typical use: ``wait = await attempt(...)`` before asking the provider — refuse with
    ``wait`` if it is not ``None`` (nothing was counted then) — and after the provider
    answered, ``succeeded(...)`` or, when it could not say (an outage), ``inconclusive(...)``.
    A wrong password needs no call: its attempt is already counted.

    * Per (region, login): every attempt that goes to the provider counts, in a moving
      window; a successful sign-in forgets them.
    * Per client address: likewise, in a fixed window, but a successful (or inconclusive)
      sign-in gives its attempt back, so a school's many students behind one address are
      only held back by their failures.
    """

    def __init__(
        self,
        storage: str | Any = "async+memory://",
        *,
        login_limit: str = "5 per 15 minutes",
        address_limit: str = "20 per 15 minutes",
        namespace: str = "diary-gateway-login",
        key_prefix: str = DEFAULT_KEY_PREFIX,
    ) -> None:
        self._pool: redis.ConnectionPool | None = None
        if isinstance(storage, str):
            storage, self._pool = open_storage(storage, key_prefix=key_prefix)
        self._storage = storage
        self._login_limiter = MovingWindowRateLimiter(storage)
        self._address_limiter = FixedWindowRateLimiter(storage)
        self._login_limit = self._item(login_limit, f"{namespace}/login")
        self._address_limit = self._item(address_limit, f"{namespace}/address-attempts")

    @staticmethod
    def _item(text: str, namespace: str) -> RateLimitItem:
        item = parse(text)
        return type(item)(item.amount, item.multiples, namespace=namespace)

    @staticmethod
    def _login_key(region: str, login: str) -> str:
        normalised = login.strip().lower()
        return hashlib.sha256(
            f"{region}\0{normalised}".encode("utf-8", "surrogatepass")
        ).hexdigest()

    @staticmethod
    def _address_key(address: str) -> str:
        return hashlib.sha256(address.encode("utf-8", "surrogatepass")).hexdigest()

    async def attempt(self, region: str, login: str, *, address: str | None = None) -> float | None:
        """Count one attempt of ``login`` (and of ``address``) before the provider is asked.

        Returns ``None`` when the attempt may go to the provider, else the seconds to wait;
        a refused attempt is not counted. Atomic: of any number of concurrent attempts, at
        most the limit's amount get ``None``.

        Raises:
            ThrottleUnavailable: the counts' storage cannot be reached (fail closed).
        """
        try:
            return await self._attempt(region, login, address=address)
        except Exception as exc:  # noqa: BLE001 - any storage failure refuses the sign-in
            logger.warning(
                "sign-in refused: the attempt counter is unavailable (%s)", type(exc).__name__
            )
            raise ThrottleUnavailable from None

    async def _attempt(self, region: str, login: str, *, address: str | None) -> float | None:
        address_key = self._address_key(address) if address is not None else None
        if address_key is not None and not await self._address_limiter.hit(
            self._address_limit, address_key
        ):
            await self._give_back(address_key)  # a fixed window counts refused hits too
            return await self._retry_after(self._address_limiter, self._address_limit, address_key)
        login_key = self._login_key(region, login)
        if not await self._login_limiter.hit(self._login_limit, login_key):
            if address_key is not None:  # the login is held back: the address did not guess
                await self._give_back(address_key)
            return await self._retry_after(self._login_limiter, self._login_limit, login_key)
        return None

    async def check(self, region: str, login: str, *, address: str | None = None) -> float | None:
        """Seconds an attempt would have to wait now, or ``None`` (counts nothing)."""
        waits = [
            await self._wait(self._login_limiter, self._login_limit, self._login_key(region, login))
        ]
        if address is not None:
            waits.append(
                await self._wait(
                    self._address_limiter, self._address_limit, self._address_key(address)
                )
            )
        return max((wait for wait in waits if wait is not None), default=None)

    async def succeeded(self, region: str, login: str, *, address: str | None = None) -> None:
        """Forget the attempts of ``login`` after a sign-in; ``address`` gets its attempt back.

        A storage failure here is logged, not raised (the counts only stay higher)."""
        try:
            await self._login_limiter.clear(self._login_limit, self._login_key(region, login))
            if address is not None:
                await self._give_back(self._address_key(address))
        except Exception as exc:  # noqa: BLE001
            logger.warning("sign-in counts not reset (%s)", type(exc).__name__)

    async def inconclusive(self, region: str, login: str, *, address: str | None = None) -> None:
        """The provider could not answer: ``address`` gets its attempt back (``login`` does not)."""
        if address is not None:
            try:
                await self._give_back(self._address_key(address))
            except Exception as exc:  # noqa: BLE001
                logger.warning("sign-in count not given back (%s)", type(exc).__name__)

    async def close(self) -> None:
        """Release the Redis connections opened for a storage URI (storage objects are yours)."""
        if self._pool is not None:
            await self._pool.aclose()

    async def _give_back(self, address_key: str) -> None:
        item = self._address_limit
        key = item.key_for(address_key)
        left = await self._storage.incr(key, item.get_expiry(), amount=-1)
        if int(left) < 0:  # the window turned in between: do not go below zero
            await self._storage.incr(key, item.get_expiry(), amount=1)

    @classmethod
    async def _wait(cls, limiter: RateLimiter, item: RateLimitItem, key: str) -> float | None:
        if await limiter.test(item, key):
            return None
        return await cls._retry_after(limiter, item, key)

    @staticmethod
    async def _retry_after(limiter: RateLimiter, item: RateLimitItem, key: str) -> float:
        """The wait of a refused attempt (never ``None``: a give-back may race the refusal)."""
        stats = await limiter.get_window_stats(item, key)
        return max(float(stats.reset_time) - SYSTEM_CLOCK.timestamp(), 1.0)


class SessionService:
    """The schema's session issuer: a :class:`SessionStore` plus a :class:`LoginThrottle`."""

    def __init__(self, store: SessionStore, throttle: LoginThrottle) -> None:
        self.store = store
        self.throttle = throttle

    async def open(self, region: str, session: ProviderSession) -> IssuedSession:
        return await self.store.open(region, session)

    async def refresh(self, refresh_token: str) -> IssuedSession | None:
        """See :meth:`SessionStore.refresh`; a session whose provider session ended is refused
        with ``REAUTHENTICATION_REQUIRED`` (``action: SIGN_IN_AGAIN``, ``region``)."""
        try:
            return await self.store.refresh(refresh_token)
        except SessionEnded as exc:
            raise coded_error(
                ErrorCode.REAUTHENTICATION_REQUIRED,
                f"the diary system of region {exc.region} ended this session; "
                "sign in again with the school login",
                region=exc.region,
                action="SIGN_IN_AGAIN",
            ) from None

    async def provider_session_ended(self, region: str, session: ProviderSession) -> None:
        await self.store.provider_session_ended(session)

    async def attempt(self, region: str, login: str, *, address: str | None = None) -> float | None:
        """See :meth:`LoginThrottle.attempt`; without its counts the sign-in is refused with
        ``RATE_LIMITED`` (and ``retryAfter``): the throttle fails closed."""
        try:
            return await self.throttle.attempt(region, login, address=address)
        except ThrottleUnavailable as exc:
            raise coded_error(
                ErrorCode.RATE_LIMITED,
                "sign-in is paused: its attempt counter is unavailable; try again later",
                retryAfter=exc.retry_after,
            ) from None

    async def succeeded(self, region: str, login: str, *, address: str | None = None) -> None:
        await self.throttle.succeeded(region, login, address=address)

    async def inconclusive(self, region: str, login: str, *, address: str | None = None) -> None:
        await self.throttle.inconclusive(region, login, address=address)

    async def resolve(self, token: str) -> tuple[str, ProviderSession] | None:
        return await self.store.resolve(token)

    async def aclose(self) -> None:
        await self.throttle.close()
        await self.store.close()
