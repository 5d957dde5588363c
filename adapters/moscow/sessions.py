"""МЭШ tokens per person: obtained once, refreshed once on a 401, with per-person caches.

A caller signed in through the national SSO gets an МЭШ token from the
``/v3/auth/sudir/auth`` exchange; a student signed in with a school login brings the
session token of ``/lms/api/sessions``. :meth:`Sessions.call` runs one provider call with
the person's token; when the provider answers 401 (the token expired) it exchanges the
SSO token again — once, shared by concurrent calls — and retries. A school-login session
cannot be renewed without the password, so its 401 is final.

Each person's session also caches what rarely changes (the family profile, the reasons
dictionary, a teacher's groups) for a few minutes. Sessions are kept for the most recent
:data:`MAX_SESSIONS` people.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from adapters.errors import AuthenticationError
from adapters.models import Caller

from .client import Credentials, MoscowClient
from .parsing import parse_token_grant

__all__ = ["ExchangeRefused", "Sessions"]

T = TypeVar("T")

MAX_SESSIONS = 1024
_EXPIRY_MARGIN = 30.0


class ExchangeRefused(AuthenticationError):
    """The provider does not accept this person's national SSO token (unknown person)."""


@dataclass
class _Session:
    sso_token: str | None
    credentials: Credentials | None = None
    expires_at: float | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    cache: dict[str, tuple[float, Any]] = field(default_factory=dict)
    filling: dict[str, asyncio.Lock] = field(default_factory=dict)


class Sessions:
    """The adapter's МЭШ sessions, one per person (see the module docstring)."""

    def __init__(
        self, client: MoscowClient, *, provider: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._provider = provider
        self._clock = clock
        self._sessions: OrderedDict[str, _Session] = OrderedDict()

    def _session(self, caller: Caller) -> _Session:
        if caller.session is not None and not caller.sso_token:
            # a school login: its token is the credential, kept by the gateway
            session = self._sessions.get(caller.scope)
            if (
                session is None
                or session.credentials is None
                or (session.credentials.token != caller.session.token)
            ):
                session = _Session(
                    sso_token=None,
                    credentials=Credentials(
                        caller.session.token, caller.session.student_id, "student"
                    ),
                )
        else:
            if not caller.sso_token:
                raise AuthenticationError(
                    "the caller has no national SSO token", provider=self._provider
                )
            session = self._sessions.get(caller.scope) or _Session(sso_token=caller.sso_token)
            session.sso_token = caller.sso_token
        self._sessions[caller.scope] = session
        self._sessions.move_to_end(caller.scope)
        while len(self._sessions) > MAX_SESSIONS:
            self._sessions.popitem(last=False)
        return session

    def _valid(self, session: _Session) -> Credentials | None:
        if session.credentials is None:
            return None
        if session.expires_at is not None and self._clock() >= session.expires_at:
            return None
        return session.credentials

    async def _exchange(self, session: _Session, stale: Credentials | None) -> Credentials:
        async with session.lock:
            current = self._valid(session)
            if current is not None and current is not stale:
                return current  # another call got a fresh token meanwhile
            if session.sso_token is None:
                raise AuthenticationError(
                    "the school session has ended; sign in again", provider=self._provider
                )
            try:
                grant = parse_token_grant(await self._client.exchange(session.sso_token))
            except ExchangeRefused:
                raise
            except AuthenticationError as exc:
                raise ExchangeRefused(exc.message, provider=self._provider) from exc
            session.credentials = Credentials(grant.token, grant.profile_id, grant.profile_type)
            session.expires_at = (
                self._clock() + max(0.0, grant.expires_in - _EXPIRY_MARGIN)
                if grant.expires_in is not None
                else None
            )
            return session.credentials

    async def credentials(self, caller: Caller) -> Credentials:
        """The person's current credentials (exchanging the SSO token if needed)."""
        session = self._session(caller)
        return self._valid(session) or await self._exchange(session, None)

    async def call(self, caller: Caller, fetch: Callable[[Credentials], Awaitable[T]]) -> T:
        """Run ``fetch`` with the person's token; on a 401 renew the token once and retry."""
        session = self._session(caller)
        creds = self._valid(session) or await self._exchange(session, None)
        try:
            return await fetch(creds)
        except AuthenticationError:
            if session.sso_token is None:
                raise
        creds = await self._exchange(session, creds)
        return await fetch(creds)

    async def cached(
        self,
        caller: Caller,
        key: str,
        ttl: float,
        fetch: Callable[[Credentials], Awaitable[T]],
    ) -> T:
        """Like :meth:`call`, remembering the result in the person's session for ``ttl`` s.

        Concurrent calls for the same key wait for one fetch.
        """
        session = self._session(caller)
        lock = session.filling.setdefault(key, asyncio.Lock())
        async with lock:
            hit = session.cache.get(key)
            if hit is not None and hit[0] > self._clock():
                value: T = hit[1]
                return value
            result = await self.call(caller, fetch)
            session.cache[key] = (self._clock() + ttl, result)
            return result
