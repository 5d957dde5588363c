"""Gateway sessions for school-login sign-ins, and throttling of failed sign-ins.

A student who signs in with a school-issued login gets a :class:`ProviderSession` from the
region's adapter. That provider session is a credential of the provider and never leaves the
server: :class:`SessionStore` keeps it in an aiocache cache (memory, or Redis shared by several
gateway instances) under a random session id (``sid``) and hands the client two tokens of its
own instead:

* an **access token** — a short-lived JWT signed by the gateway with **HS256** (HMAC-SHA-256).
  A symmetric algorithm fits because only the gateway itself ever verifies these tokens; nobody
  else needs a public key. Claims: ``iss="diary-gateway/session"``,
  ``sub="session:<region>:<student_id>"``, ``sid``, ``use="access"``, ``iat`` and ``exp``.
  The provider's token and data are never put into it.
* a **refresh token** — an opaque random string (``secrets.token_urlsafe(32)``). Only its SHA-256
  digest is stored. Refreshing rotates it: each refresh token works once, and concurrent uses of
  the same one yield at most one new pair (the cache's atomic delete decides the winner).

Cache layout (keys are relative to the cache's own namespace, ``<[cache] key_prefix>sessions:``
when the gateway builds it):

* ``session:<sid>`` → the region and provider session, with the current refresh digest;
  TTL = the refresh TTL (it slides on every refresh);
* ``refresh:<sha256 hex>`` → the sid and the refresh expiry; TTL = the refresh TTL;
* ``revoked:<sid>`` → a tombstone that stops a refresh racing a revocation from bringing the
  session back; TTL = the refresh TTL;
* ``ended:<sha256 hex of the provider token>`` → the provider ended that provider session
  (a read met its refusal): the gateway session ends with it, :meth:`SessionStore.refresh`
  raises :class:`SessionEnded`; TTL = the refresh TTL.

Values are JSON text written and read with explicit ``dumps_fn``/``loads_fn``, so any serializer
configured on the cache works. JSON rather than pickle on purpose: unpickling data read from a
shared Redis would execute code for anyone able to write to that Redis.

The signing key is 32 random bytes, generated once into a key file (mode 0600) or passed in.
**Several gateway instances sharing one Redis must share the key**: configure every instance
with the same key file (e.g. a mounted secret); otherwise each instance rejects the others'
tokens. Replacing the key invalidates every issued access token (refresh tokens keep working).

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

import base64
import binascii
import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import redis.asyncio as redis
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry
from limits import RateLimitItem, parse
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter

from adapters import SYSTEM_CLOCK
from adapters.models import ProviderSession
from schema import ErrorCode, coded_error

from .limiter import open_storage
from .secrets_file import read_or_create_secret
from .settings import DEFAULT_KEY_PREFIX

__all__ = [
    "ISSUER",
    "MAX_TOKEN_LENGTH",
    "IssuedSession",
    "LoginThrottle",
    "SessionEnded",
    "SessionService",
    "SessionStore",
    "ThrottleUnavailable",
    "load_or_create_key",
]

logger = logging.getLogger(__name__)

ISSUER: Final = "diary-gateway/session"
"""The ``iss`` claim of every gateway session token."""

MAX_TOKEN_LENGTH: Final = 8 * 1024
"""Longer inputs are rejected before any parsing."""

_ALGORITHM: Final = "HS256"
_USE: Final = "access"
_KEY_BYTES: Final = 32
_MAX_REFRESH_LENGTH: Final = 256
_RECORD_VERSION: Final = 1

KeySource = str | os.PathLike[str] | bytes | OctKey
"""A key file path (``str``/``PathLike``), raw key bytes (at least 32), or a joserfc ``OctKey``."""


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """What the client receives after a sign-in or a refresh."""

    token: str = field(repr=False)
    """The signed access token (a JWT) to send as ``Authorization: Bearer``."""
    expires_in: int
    """Seconds until :attr:`token` expires."""
    refresh_token: str = field(repr=False)
    """Single-use opaque token to obtain a new pair with :meth:`SessionStore.refresh`."""


def load_or_create_key(path: str | os.PathLike[str]) -> OctKey:
    """Load the HS256 key kept at ``path``, creating it (32 random bytes, mode 0600) if missing.

    The file holds the key as one line of unpadded base64url. Creation is atomic (a hard link of
    a complete temporary file), so instances starting together end up with the same key.
    """
    path = Path(path)
    raw = read_or_create_secret(path, min_bytes=_KEY_BYTES, what="session signing key")
    return _import_key(raw, origin=str(path))


def _import_key(raw: bytes, *, origin: str) -> OctKey:
    if len(raw) < _KEY_BYTES:
        raise ValueError(f"session signing key from {origin} is shorter than {_KEY_BYTES} bytes")
    return OctKey.import_key(raw)


def _resolve_key(source: KeySource) -> OctKey:
    if isinstance(source, OctKey):
        if len(source.raw_value) < _KEY_BYTES:
            raise ValueError(f"session signing key is shorter than {_KEY_BYTES} bytes")
        return source
    if isinstance(source, bytes):
        return _import_key(source, origin="the given bytes")
    return load_or_create_key(source)


def _digest(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode("utf-8")).hexdigest()


def _dumps(value: dict[str, Any]) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _loads(value: object) -> object:
    # The cache's serializer decides whether raw values come back as str or bytes.
    if isinstance(value, bytes | str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return None


def _unverified_claims(token: object) -> dict[str, Any] | None:
    """The payload of a compact JWS, without any verification (used only for routing)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(data)
    except (binascii.Error, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


class SessionEnded(Exception):
    """The provider ended the session's provider session: the user must sign in again."""

    def __init__(self, region: str) -> None:
        super().__init__(f"the provider session of region {region} has ended")
        self.region = region


class SessionStore:
    """Issues, resolves, refreshes and revokes gateway sessions that wrap provider sessions.

    ``cache`` is an aiocache cache (``SimpleMemoryCache`` or ``RedisCache``); give it a
    namespace to keep these keys apart from other data. ``secret_key_path_or_key`` is the path
    of the key file (created if missing, see :func:`load_or_create_key`), raw key bytes or an
    ``OctKey``. ``clock`` returns the current Unix time and exists for tests.

    Malformed, forged, expired or revoked tokens give ``None``; errors of the cache itself
    (e.g. Redis unreachable) propagate, so an outage is not mistaken for a sign-out.
    """

    def __init__(
        self,
        cache: Any,
        *,
        secret_key_path_or_key: KeySource,
        ttl_seconds: int = 900,
        refresh_ttl_seconds: int = 7 * 24 * 3600,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_seconds <= 0 or refresh_ttl_seconds <= 0:
            raise ValueError("session TTLs must be positive")
        self._cache = cache
        self._key = _resolve_key(secret_key_path_or_key)
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
        """Whether ``token`` claims to be a gateway session token (``iss`` only, not verified).

        Cheap enough to route every Bearer token: session tokens go to :meth:`resolve`, anything
        else to the national SSO verifier. A ``True`` here proves nothing.
        """
        claims = _unverified_claims(token)
        return claims is not None and claims.get("iss") == ISSUER

    async def open(self, region: str, session: ProviderSession) -> IssuedSession:
        """Store ``session`` for ``region`` and issue a new access/refresh token pair."""
        if not region or ":" in region:
            raise ValueError("region must be a non-empty identifier without ':'")
        sid = secrets.token_urlsafe(16)
        record: dict[str, Any] = {
            "v": _RECORD_VERSION,
            "region": region,
            "student_id": session.student_id,
            "token": session.token,
            "data": [[key, value] for key, value in session.data],
        }
        return await self._issue(sid, record)

    async def resolve(self, token: str) -> tuple[str, ProviderSession] | None:
        """The ``(region, provider session)`` behind a valid access token, else ``None``."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            return None
        claims = self._verify(token, check_expiry=True)
        if claims is None:
            return None
        sid = claims["sid"]
        raw_record, tombstone = await self._cache.multi_get(
            [f"session:{sid}", f"revoked:{sid}"], loads_fn=_loads
        )
        if tombstone is not None:
            return None
        found = self._parse_record(raw_record)
        if found is None:
            return None
        region, session, _ = found
        if claims["sub"] != f"session:{region}:{session.student_id}":
            return None
        return region, session

    async def refresh(self, refresh_token: str) -> IssuedSession | None:
        """Exchange a refresh token for a new pair; the old refresh token stops working.

        The access tokens issued before stay valid until they expire (they share the ``sid``).
        """
        if not isinstance(refresh_token, str) or not 0 < len(refresh_token) <= _MAX_REFRESH_LENGTH:
            return None
        digest = _digest(refresh_token)
        entry = await self._cache.get(f"refresh:{digest}", loads_fn=_loads)
        if not isinstance(entry, dict):
            return None
        sid, expires = entry.get("sid"), entry.get("exp")
        if not isinstance(sid, str) or not isinstance(expires, int | float):
            return None
        # Whoever deletes the entry owns the rotation; a concurrent or repeated use gets None.
        if not await self._cache.delete(f"refresh:{digest}"):
            return None
        if expires <= self._clock():
            return None
        raw_record, tombstone = await self._cache.multi_get(
            [f"session:{sid}", f"revoked:{sid}"], loads_fn=_loads
        )
        if tombstone is not None or not isinstance(raw_record, dict):
            return None
        found = self._parse_record(raw_record)
        if raw_record.get("refresh") != digest or found is None:
            return None
        region, provider_session, _ = found
        if (
            await self._cache.get(f"ended:{_digest(provider_session.token)}", loads_fn=_loads)
            is not None
        ):
            await self._forget(sid, None)  # its provider session ended: so does this one
            raise SessionEnded(region)
        issued = await self._issue(sid, raw_record)
        if await self._cache.get(f"revoked:{sid}", loads_fn=_loads) is not None:
            # Revoked while we were rotating: undo what we just wrote.
            await self._forget(sid, _digest(issued.refresh_token))
            return None
        return issued

    async def provider_session_ended(self, session: ProviderSession) -> None:
        """Note that the provider ended ``session``: the gateway session ends with it.

        Its refresh token stops working (:meth:`refresh` raises :class:`SessionEnded`);
        its access token still resolves until it expires, and reads with it keep saying
        that the provider session ended.
        """
        await self._cache.set(
            f"ended:{_digest(session.token)}", "1", ttl=self._refresh_ttl, dumps_fn=_identity
        )

    async def revoke(self, token_or_sid: str) -> bool:
        """End a session given one of its access tokens (expired ones too) or its ``sid``.

        Returns whether a live session was found. A token must carry a valid signature; a bare
        ``sid`` is trusted as given.
        """
        if not isinstance(token_or_sid, str) or len(token_or_sid) > MAX_TOKEN_LENGTH:
            return False
        if "." in token_or_sid:
            claims = self._verify(token_or_sid, check_expiry=False)
            if claims is None:
                return False
            sid: str = claims["sid"]
        else:
            sid = token_or_sid
        if not sid:
            return False
        record = await self._cache.get(f"session:{sid}", loads_fn=_loads)
        if record is None:
            return False
        # The tombstone stops a refresh that is rotating right now from restoring the session.
        await self._cache.set(f"revoked:{sid}", "1", ttl=self._refresh_ttl, dumps_fn=_identity)
        digest = record.get("refresh") if isinstance(record, dict) else None
        await self._forget(sid, digest if isinstance(digest, str) else None)
        return True

    async def _issue(self, sid: str, record: dict[str, Any]) -> IssuedSession:
        now = int(self._clock())
        refresh_token = secrets.token_urlsafe(32)
        digest = _digest(refresh_token)
        record = {**record, "refresh": digest, "refresh_exp": now + self._refresh_ttl}
        await self._cache.set(
            f"session:{sid}", _dumps(record), ttl=self._refresh_ttl, dumps_fn=_identity
        )
        await self._cache.set(
            f"refresh:{digest}",
            _dumps({"sid": sid, "exp": now + self._refresh_ttl}),
            ttl=self._refresh_ttl,
            dumps_fn=_identity,
        )
        claims = {
            "iss": ISSUER,
            "sub": f"session:{record['region']}:{record['student_id']}",
            "sid": sid,
            "use": _USE,
            "iat": now,
            "exp": now + self._ttl,
        }
        token = jwt.encode({"alg": _ALGORITHM, "typ": "JWT"}, claims, self._key, [_ALGORITHM])
        return IssuedSession(token=token, expires_in=self._ttl, refresh_token=refresh_token)

    async def _forget(self, sid: str, digest: str | None) -> None:
        await self._cache.delete(f"session:{sid}")
        if digest is not None:
            await self._cache.delete(f"refresh:{digest}")

    def _verify(self, token: object, *, check_expiry: bool) -> dict[str, Any] | None:
        if not isinstance(token, str) or not self.is_session_token(token):
            return None
        try:
            verified = jwt.decode(token, self._key, algorithms=[_ALGORITHM])
            options: dict[str, Any] = {
                "iss": {"essential": True, "value": ISSUER},
                "sub": {"essential": True},
                "sid": {"essential": True},
                "use": {"essential": True, "value": _USE},
            }
            if check_expiry:
                options["exp"] = {"essential": True}
            JWTClaimsRegistry(now=lambda: int(self._clock()), **options).validate(verified.claims)
        except (JoseError, ValueError, TypeError, KeyError):
            return None
        claims = verified.claims
        if check_expiry and not isinstance(claims.get("exp"), int):
            return None
        if not isinstance(claims["sid"], str) or not isinstance(claims["sub"], str):
            return None
        return claims

    @staticmethod
    def _parse_record(record: object) -> tuple[str, ProviderSession, str] | None:
        if not isinstance(record, dict) or record.get("v") != _RECORD_VERSION:
            return None
        region, student_id = record.get("region"), record.get("student_id")
        token, data, digest = record.get("token"), record.get("data"), record.get("refresh")
        if not (
            isinstance(region, str)
            and isinstance(student_id, str)
            and isinstance(token, str)
            and isinstance(digest, str)
            and isinstance(data, list)
        ):
            return None
        pairs: list[tuple[str, str]] = []
        for pair in data:
            if not (isinstance(pair, list) and len(pair) == 2):
                return None
            key, value = pair
            if not (isinstance(key, str) and isinstance(value, str)):
                return None
            pairs.append((key, value))
        session = ProviderSession(student_id=student_id, token=token, data=tuple(pairs))
        return region, session, digest


def _identity(value: str) -> str:
    return value


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
