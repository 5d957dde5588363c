"""Verification of national-SSO access tokens for the ``/v3/auth/sudir/auth`` exchange.

The emulator trusts one issuer, named by its JWKS URL. Keys are fetched with httpx on first
use and cached; a token naming an unknown ``kid`` triggers one refetch, at most every
``refetch_interval`` seconds. Only ES256 and RS256 signatures are accepted, ``exp`` and
``sub`` are required. Tokens are never logged.
"""

from __future__ import annotations

import asyncio
import time

import httpx
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import ECKey, Key, KeySet, RSAKey

from adapters.clock import SYSTEM_CLOCK

__all__ = ["SsoVerifier"]

_ALGORITHMS = ("ES256", "RS256")
_LEEWAY_SECONDS = 30
_KEY_TYPES: dict[str, type[ECKey] | type[RSAKey]] = {"EC": ECKey, "RSA": RSAKey}


class SsoVerifier:
    """Checks national-SSO JWTs against an issuer's JWKS and returns their ``sub``."""

    def __init__(self, jwks_url: str, *, refetch_interval: float = 10.0) -> None:
        self.jwks_url = jwks_url
        self.refetch_interval = refetch_interval
        self._keys: KeySet | None = None
        self._fetched_at: float | None = None
        self._lock: asyncio.Lock | None = None

    async def subject(self, token: str) -> str | None:
        """The token's ``sub`` if the token verifies, else ``None``."""
        if not token or len(token) > 8192:
            return None
        try:
            keys = await self._key_set(refresh=False)
            try:
                verified = jwt.decode(token, keys, algorithms=_ALGORITHMS)
            except InvalidKeyIdError:
                keys = await self._key_set(refresh=True)
                verified = jwt.decode(token, keys, algorithms=_ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                now=int(SYSTEM_CLOCK.timestamp()),
                leeway=_LEEWAY_SECONDS,
                exp={"essential": True},
                sub={"essential": True},
            )
            registry.validate(verified.claims)
        except (JoseError, ValueError, TypeError, httpx.HTTPError):
            return None
        subject = verified.claims.get("sub")
        return subject if isinstance(subject, str) and subject else None

    async def _key_set(self, *, refresh: bool) -> KeySet:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            stale = self._fetched_at is None or (
                refresh and time.monotonic() - self._fetched_at >= self.refetch_interval
            )
            if self._keys is None or stale:
                self._fetched_at = time.monotonic()
                self._keys = await self._fetch()
            return self._keys

    async def _fetch(self) -> KeySet:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(self.jwks_url, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWK Set")
        keys: list[Key] = []
        for entry in document["keys"]:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            kind = _KEY_TYPES.get(str(entry.get("kty", "")))
            if kind is not None:
                try:
                    keys.append(kind.import_key(entry))
                except (JoseError, ValueError, TypeError, KeyError):
                    continue
        return KeySet(keys)
