"""Provider sessions: the provider tokens of each caller, for any HTTP adapter.

A provider that speaks in tokens of its own (an МЭШ token exchanged for the national SSO
token, a session token from a school login) needs the same care in every adapter:

* **per caller**: one entry per caller (per school-login session for students), holding
  the current token, what the provider said about its lifetime, and a small cache of what
  rarely changes (a profile, a dictionary) for :meth:`ProviderSessions.cached`;
* **renewal ahead of expiry**: when the provider states ``expires_in``, the token is
  replaced a little before it runs out (:data:`EXPIRY_MARGIN`, at most half its life);
* **single flight**: concurrent calls that need a new token share one renewal;
* **401 after a renewal**: a call whose token was refused retries with the newer token when
  another call renewed meanwhile, or when its token had worked before (it expired in use);
  a token the provider refuses before anyone could use it counts against the call's
  ``max_renewals``; every call makes at most ``max_attempts`` attempts;
* **tokens that die after a few calls**: when a token dies in use after serving ``k``
  calls while many more were handed it (``2k + 2`` or more: used up, not timed out), or two
  tokens in a row die in use (serving at most ``k``), later tokens of that caller are handed
  to at most ``k`` calls each and renewed ahead of the next one (for
  :data:`CAPACITY_MEMORY` seconds after the last such death), so many concurrent calls do
  not all spend their attempts on one dying token (a token that merely timed out under a
  burst costs some extra renewals for that minute);
* **writes**: a call marked ``idempotent=False`` is never repeated after a 401;
* **sessions that cannot be renewed** (a school login: renewing needs the password) end at
  their first 401 or expiry: every later call of that session fails at once, without asking
  the provider, with :class:`~adapters.errors.CredentialsRefusedError` ``SIGN_IN_AGAIN``.

Refusals come out as :class:`~adapters.errors.CredentialsRefusedError`, whose ``action`` says
what the user can do: ``SIGN_IN_AGAIN`` (school login) or ``RETRY_LATER`` (the provider
refuses the exchange of a valid national SSO token, or every fresh token it gives). The
caller's own credential was verified by the gateway before any adapter ran, so no refusal
here means "signed out".

The adapter supplies two callables: ``obtain(caller)`` gives the first :class:`Grant` of a
caller (a token exchange; for a school login, the session token it already has) and
``renew(caller, stale_credentials)`` a new one (default: ``obtain`` again); ``renewable``
says whether a caller's credentials can be renewed at all (default: callers with a national
SSO token). Memory is bounded: :data:`MAX_SESSIONS` callers (least recently used dropped),
:data:`MAX_CACHED` cached values per caller. Tokens are never logged.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from cachetools import LRUCache

from .errors import AuthenticationError, CredentialsRefusedError, Reauthentication
from .models import Caller

__all__ = [
    "EXPIRY_MARGIN",
    "MAX_CACHED",
    "MAX_SESSIONS",
    "Grant",
    "ProviderSessions",
    "person_renewable",
    "sso_renewable",
]

logger = logging.getLogger(__name__)

C = TypeVar("C")
T = TypeVar("T")

MAX_SESSIONS = 1024
"""Callers whose provider sessions are kept (least recently used dropped first)."""
MAX_CACHED = 16
"""Values :meth:`ProviderSessions.cached` keeps per caller (least recently used dropped)."""
EXPIRY_MARGIN = 30.0
"""Seconds before the provider's ``expires_in`` at which a token is renewed (at most half
of its lifetime)."""
MAX_RENEWALS = 2
"""Renewals per call whose fresh token the provider refused before it ever worked."""
MAX_ATTEMPTS = 16
"""Attempts per call in all (tokens expiring in use under heavy concurrency included)."""
CAPACITY_MEMORY = 60.0
"""Seconds a learned "a token serves k calls" is applied after the last token that died so."""


@dataclass(frozen=True, slots=True)
class Grant(Generic[C]):
    """Credentials from the provider, with the lifetime it stated (seconds), if any."""

    credentials: C
    expires_in: float | None = None


@dataclass(eq=False, slots=True)
class _Token(Generic[C]):
    credentials: C
    expires_at: float | None
    accepted: bool = False
    """Some call succeeded with it (a later 401 means it expired in use)."""
    sent: int = 0
    """Calls handed this token."""
    served: int = 0
    """Calls that succeeded with it."""
    dead: bool = False
    """A call met a 401 with it."""


@dataclass(eq=False, slots=True)
class _Entry(Generic[C]):
    renewable: bool
    token: _Token[C] | None = None
    ended: bool = False
    died_serving: int | None = None
    """How many calls the last token that died in use had served."""
    capacity: int | None = None
    """Calls a token is handed, learned from two tokens in a row that died in use."""
    capacity_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    cache: LRUCache[str, tuple[float, Any]] = field(default_factory=lambda: LRUCache(MAX_CACHED))
    filling: dict[str, asyncio.Lock] = field(default_factory=dict)


def sso_renewable(caller: Caller) -> bool:
    """The default ``renewable``: callers with a national SSO token can get new tokens."""
    return bool(caller.sso_token)


def person_renewable(caller: Caller) -> bool:
    """For providers whose exchange needs only the national person id (no SSO token)."""
    return caller.person_id is not None


def _fingerprint(caller: Caller) -> str | None:
    """Tells school-login sessions apart (a new sign-in starts a new provider session)."""
    if caller.session is None or caller.sso_token:
        return None
    return hashlib.sha256(caller.session.token.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class ProviderSessions(Generic[C]):
    """Per-caller provider credentials with renewal (see the module docstring).

    Args:
        provider: the adapter slug, put on every error.
        obtain: the first credentials of a caller.
        renew: new credentials after ``stale`` expired (default: ``obtain`` again).
        renewable: whether a caller's credentials can be renewed at all.
        max_sessions, max_cached: the memory bounds.
        max_renewals: renewals per call whose fresh token was refused before it worked.
        max_attempts: attempts per call in all.
        expiry_margin: seconds before a stated expiry at which the token is renewed.
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(
        self,
        *,
        provider: str,
        obtain: Callable[[Caller], Awaitable[Grant[C]]],
        renew: Callable[[Caller, C], Awaitable[Grant[C]]] | None = None,
        renewable: Callable[[Caller], bool] = sso_renewable,
        max_sessions: int = MAX_SESSIONS,
        max_cached: int = MAX_CACHED,
        max_renewals: int = MAX_RENEWALS,
        max_attempts: int = MAX_ATTEMPTS,
        expiry_margin: float = EXPIRY_MARGIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_sessions < 1 or max_cached < 1 or max_renewals < 0 or max_attempts < 1:
            raise ValueError("session bounds must be positive")
        self._provider = provider
        self._obtain = obtain
        self._renew = renew
        self._renewable = renewable
        self._max_cached = max_cached
        self._max_renewals = max_renewals
        self._max_attempts = max_attempts
        self._margin = expiry_margin
        self._clock = clock
        self._entries: LRUCache[str, _Entry[C]] = LRUCache(max_sessions)

    def __len__(self) -> int:
        return len(self._entries)

    # -- public ------------------------------------------------------------------------

    async def credentials(self, caller: Caller) -> C:
        """The caller's current credentials (obtained or renewed if needed)."""
        return (await self._current(self._entry(caller), caller)).credentials

    def known(self, caller: Caller) -> bool:
        """Whether the provider ever gave credentials for this caller (in this process)."""
        entry = self._entries.get(self._key(caller))
        return entry is not None and entry.token is not None

    def ended(self, caller: Caller) -> bool:
        """Whether this caller's provider session ended (it cannot be renewed)."""
        entry = self._entries.get(self._key(caller))
        return entry is not None and entry.ended

    async def call(
        self, caller: Caller, fetch: Callable[[C], Awaitable[T]], *, idempotent: bool = True
    ) -> T:
        """Run ``fetch`` with the caller's credentials, renewing them on a 401.

        ``fetch`` raises :class:`~adapters.errors.AuthenticationError` for the provider's
        401. A call that is not ``idempotent`` is never repeated.
        """
        entry = self._entry(caller)
        token = await self._current(entry, caller)
        refusals = 0
        attempts = 0
        while True:
            attempts += 1
            token.sent += 1
            try:
                result = await fetch(token.credentials)
            except CredentialsRefusedError:
                raise
            except AuthenticationError as exc:
                failure = exc
            else:
                token.accepted = True
                token.served += 1
                return result
            if not token.accepted and entry.token is token:
                refusals += 1  # nobody could use it: not an expiry in use
            if token.accepted and not token.dead and entry.renewable:
                self._died_in_use(entry, token)
            token.dead = True
            if not entry.renewable:
                raise self._end(entry) from failure
            if not idempotent:
                raise CredentialsRefusedError(
                    f"the diary system ended our session during a write (not repeated): "
                    f"{failure.message}",
                    provider=self._provider,
                    action=Reauthentication.RETRY_LATER,
                ) from failure
            if refusals > self._max_renewals or attempts >= self._max_attempts:
                logger.warning(
                    "provider %s refused renewed credentials (%d attempts, %d refused fresh)",
                    self._provider,
                    attempts,
                    refusals,
                )
                raise CredentialsRefusedError(
                    "the diary system refuses the credentials it issued; try again later",
                    provider=self._provider,
                    action=Reauthentication.RETRY_LATER,
                ) from failure
            token = await self._replace(entry, caller, stale=token)

    async def cached(
        self, caller: Caller, key: str, ttl: float, fetch: Callable[[C], Awaitable[T]]
    ) -> T:
        """Like :meth:`call`, remembering the result for ``ttl`` seconds in the caller's entry.

        Concurrent calls for the same key wait for one fetch. An ended session serves
        nothing from its cache.
        """
        entry = self._entry(caller)
        lock = entry.filling.setdefault(key, asyncio.Lock())
        async with lock:
            if entry.ended:
                raise self._end(entry)
            hit = entry.cache.get(key)
            if hit is not None and hit[0] > self._clock():
                value: T = hit[1]
                return value
            result = await self.call(caller, fetch)
            entry.cache[key] = (self._clock() + ttl, result)
            for dropped in [k for k in entry.filling if k not in entry.cache]:
                if not entry.filling[dropped].locked():
                    del entry.filling[dropped]
            return result

    def forget(self, caller: Caller) -> None:
        """Drop the caller's entry: the next call obtains new credentials."""
        self._entries.pop(self._key(caller), None)

    # -- internals ---------------------------------------------------------------------

    @staticmethod
    def _key(caller: Caller) -> str:
        fingerprint = _fingerprint(caller)
        return caller.scope if fingerprint is None else f"{caller.scope}#{fingerprint}"

    def _entry(self, caller: Caller) -> _Entry[C]:
        key = self._key(caller)
        entry = self._entries.get(key)  # a hit is now the most recently used
        if entry is None:
            entry = _Entry(renewable=self._renewable(caller), cache=LRUCache(self._max_cached))
            self._entries[key] = entry
        return entry

    def _valid(self, token: _Token[C] | None) -> bool:
        return (
            token is not None
            and not token.dead
            and (token.expires_at is None or self._clock() < token.expires_at)
        )

    def _died_in_use(self, entry: _Entry[C], token: _Token[C]) -> None:
        previous, entry.died_serving = entry.died_serving, token.served
        if token.sent >= 2 * token.served + 2:  # used up by many calls at once
            entry.capacity = token.served
        elif previous is not None:  # the second in a row: tokens here serve a few calls
            entry.capacity = max(previous, token.served)
        else:
            return
        entry.capacity_until = self._clock() + CAPACITY_MEMORY

    def _usable(self, entry: _Entry[C], token: _Token[C] | None) -> bool:
        """Valid, and not handed to as many calls as such tokens have lately served."""
        if token is None or not self._valid(token):
            return False
        capacity = entry.capacity
        if capacity is None or not entry.renewable or self._clock() >= entry.capacity_until:
            return True
        return token.sent < capacity

    def _expiry(self, expires_in: float | None) -> float | None:
        if expires_in is None:
            return None
        lead = min(self._margin, max(0.0, expires_in) / 2)
        return self._clock() + max(0.0, expires_in) - lead

    def _end(self, entry: _Entry[C]) -> CredentialsRefusedError:
        if not entry.ended:
            entry.ended = True
            entry.cache.clear()
            logger.warning("provider %s ended a session that cannot be renewed", self._provider)
        return CredentialsRefusedError(
            "the diary system ended this session; sign in again",
            provider=self._provider,
            action=Reauthentication.SIGN_IN_AGAIN,
        )

    async def _current(self, entry: _Entry[C], caller: Caller) -> _Token[C]:
        if entry.ended:
            raise self._end(entry)
        token = entry.token
        if token is not None and self._usable(entry, token):
            return token
        return await self._replace(entry, caller, stale=token)

    async def _replace(
        self, entry: _Entry[C], caller: Caller, *, stale: _Token[C] | None
    ) -> _Token[C]:
        """A valid token newer than ``stale``: another call's renewal, or one made now."""
        async with entry.lock:
            if entry.ended:
                raise self._end(entry)
            current = entry.token
            if current is not None and current is not stale and self._usable(entry, current):
                return current  # another call renewed meanwhile
            if current is not None and not entry.renewable:
                raise self._end(entry)
            try:
                if current is not None and self._renew is not None:
                    grant = await self._renew(caller, current.credentials)
                else:
                    grant = await self._obtain(caller)
            except CredentialsRefusedError:
                raise
            except AuthenticationError as exc:
                action = (
                    Reauthentication.RETRY_LATER
                    if entry.renewable
                    else Reauthentication.SIGN_IN_AGAIN
                )
                raise CredentialsRefusedError(
                    exc.message, provider=self._provider, action=action
                ) from exc
            token: _Token[C] = _Token(grant.credentials, self._expiry(grant.expires_in))
            entry.token = token
            return token
