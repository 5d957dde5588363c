"""Who is asking, resolved once per request: a verified SSO token, a school-login session,
or nobody.

SSO tokens are verified by :class:`gateway.identity.TokenVerifier`, which remembers each
verified token until it expires (the one identity cache): a repeated token costs a lookup.
Session tokens are looked up in the session store.
"""

from __future__ import annotations

from dataclasses import dataclass

from lru import LRU

from adapters import Caller

from ..identity import AuthenticationFailed, TokenVerifier
from ..identity import Identity as VerifiedToken
from ..sessions import SessionService, SessionStore

__all__ = ["ANONYMOUS", "Identity", "IdentityResolver", "person_key"]

_IDENTITY_MEMO = 10_000


@dataclass(frozen=True, slots=True)
class Identity:
    """The caller of one request (``None``: anonymous) and why a token was refused."""

    caller: Caller | None
    auth_error: str | None = None
    session_region: str | None = None

    @property
    def person(self) -> str | None:
        """The caller's key for per-person limits (``None``: anonymous)."""
        return person_key(self.caller, self.session_region)


ANONYMOUS = Identity(None)


def person_key(caller: Caller | None, session_region: str | None) -> str | None:
    """A caller's per-person key: the SSO subject, or a session's student in its region."""
    if caller is None:
        return None
    scope = caller.scope
    if scope == "anonymous":
        return None
    return f"{scope}@{session_region}" if session_region else scope


class IdentityResolver:
    """Turns an ``Authorization`` header into an :class:`Identity`."""

    def __init__(self, verifier: TokenVerifier, sessions: SessionService | None) -> None:
        self.verifier = verifier
        self.sessions = sessions
        self._identities: LRU[str, tuple[VerifiedToken, Identity]] = LRU(_IDENTITY_MEMO)
        """The identity built for a token still remembered by the verifier (same object):
        a repeated token costs two lookups, no new objects."""

    async def resolve(self, authorization: str | None) -> Identity:
        if not authorization:
            return ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return Identity(None, "malformed Authorization header")
        remembered = self.verifier.remembered(token)
        if remembered is not None:  # verified before: no session lookup, no signature check
            known = self._identities.get(token)
            if known is not None and known[0] is remembered:
                return known[1]
            identity = Identity(Caller(person_id=remembered.person_id, sso_token=remembered.token))
            self._identities[token] = (remembered, identity)
            return identity
        if self.sessions is not None and SessionStore.is_session_token(token):
            resolved = await self.sessions.resolve(token)
            if resolved is None:
                return Identity(None, "the session has expired or is not valid")
            region, provider_session = resolved
            return Identity(Caller(person_id=None, session=provider_session), None, region)
        try:
            verified = await self.verifier.verify(token)
        except AuthenticationFailed as exc:
            return Identity(None, exc.message)
        return Identity(Caller(person_id=verified.person_id, sso_token=verified.token))
