"""Who is calling: verification of national-SSO access tokens.

The gateway never sees passwords. A caller presents an access token (a JWT) issued by a national
single sign-on service (Госуслуги / ЕСИА in production); :class:`TokenVerifier` checks it against
the issuer's published JSON Web Key Set and turns it into an :class:`Identity`.

The verification follows RFC 8725 (JWT best current practices) and RFC 9068 (JWT access tokens):

* the unverified header and payload are read only to choose the configured issuer (``iss``) and
  the key (``kid``) — nothing else is trusted before the signature is checked;
* only ``RS256`` and ``ES256`` are accepted; ``none``, the HMAC family and anything else are
  rejected before any key is looked up, and keys are never taken from the token itself
  (``jwk``, ``jku``, ``x5u`` headers are ignored);
* ``iss``, ``aud``, ``exp`` (required), ``nbf`` and ``iat`` are checked with a small, bounded
  clock leeway; ``sub`` is required and becomes :attr:`Identity.person_id`.

Keys are fetched lazily and cached per issuer. A token naming an unknown ``kid`` triggers a
refetch (the issuer may have rotated its keys), throttled to one request per
``refetch_interval`` seconds per issuer, and concurrent verifications share one fetch.

The development issuer of the demo lives in :mod:`gateway.dev_issuer`; it is verified here
like any other issuer.

Tokens are secrets: nothing here logs them or puts them into exception messages.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

import httpx
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyCurveError,
    InvalidKeyIdError,
    InvalidKeyTypeError,
    JoseError,
    MissingClaimError,
    UnsupportedAlgorithmError,
    UnsupportedKeyAlgorithmError,
    UnsupportedKeyOperationError,
    UnsupportedKeyUseError,
)
from joserfc.jwk import ECKey, Key, KeySet, RSAKey
from joserfc.jws import JWSRegistry
from joserfc.jwt import JWTClaimsRegistry
from lru import LRU

__all__ = [
    "AuthenticationFailed",
    "Identity",
    "IssuerConfig",
    "TokenVerifier",
]

logger = logging.getLogger(__name__)

#: The only signature algorithms the gateway accepts (RFC 8725 §3.1, §3.2).
SUPPORTED_ALGORITHMS: Final[frozenset[str]] = frozenset({"RS256", "ES256"})
#: Tokens longer than this are rejected as malformed before any parsing.
MAX_TOKEN_LENGTH: Final = 8 * 1024
#: Upper bound for :attr:`IssuerConfig.leeway_seconds`.
MAX_LEEWAY_SECONDS: Final = 300

_KEY_TYPES: Final[Mapping[str, type[RSAKey] | type[ECKey]]] = {"RSA": RSAKey, "EC": ECKey}
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]*")

_MESSAGES: Final[Mapping[str, str]] = {
    "malformed": "the token is not a well-formed compact JWS",
    "algorithm": "the token's signature algorithm is not accepted",
    "unknown_issuer": "the token was not issued by a trusted issuer",
    "unknown_key": "the issuer has no usable key for this token",
    "bad_signature": "the token's signature does not verify",
    "expired": "the token has expired",
    "not_yet_valid": "the token is not valid yet",
    "bad_audience": "the token was issued for another audience",
    "missing_claim": "the token lacks a required claim",
    "invalid_claim": "the token has a claim with an invalid value",
    "jwks_unavailable": "the issuer's signing keys could not be fetched",
}


@dataclass(frozen=True, slots=True)
class IssuerConfig:
    """A trusted token issuer.

    ``algorithms`` may narrow the accepted algorithms for this issuer (it must be a non-empty
    subset of RS256/ES256); ``leeway_seconds`` is the clock skew tolerated for ``exp``, ``nbf``
    and ``iat`` (0 to 300 seconds).
    """

    issuer: str
    audience: str
    jwks_url: str
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    leeway_seconds: int = 30

    def __post_init__(self) -> None:
        if not self.issuer:
            raise ValueError("issuer must be a non-empty string")
        if not self.audience:
            raise ValueError("audience must be a non-empty string")
        if not self.jwks_url:
            raise ValueError("jwks_url must be a non-empty string")
        if not self.algorithms or not set(self.algorithms) <= SUPPORTED_ALGORITHMS:
            raise ValueError(
                f"algorithms must be a non-empty subset of {sorted(SUPPORTED_ALGORITHMS)}, "
                f"got {list(self.algorithms)}"
            )
        if not 0 <= self.leeway_seconds <= MAX_LEEWAY_SECONDS:
            raise ValueError(f"leeway_seconds must be between 0 and {MAX_LEEWAY_SECONDS}")


@dataclass(frozen=True, slots=True)
class Identity:
    """A verified caller. ``token`` and ``claims`` are kept out of ``repr``."""

    person_id: str
    issuer: str
    token: str = field(repr=False)
    expires_at: int
    claims: Mapping[str, Any] = field(repr=False)


class AuthenticationFailed(Exception):
    """The token was not accepted.

    ``reason`` is a short machine-readable string, one of ``malformed``, ``algorithm``,
    ``unknown_issuer``, ``unknown_key``, ``bad_signature``, ``expired``, ``not_yet_valid``,
    ``bad_audience``, ``missing_claim``, ``invalid_claim`` and ``jwks_unavailable``. The message
    is meant for humans and never contains the token.
    """

    def __init__(self, reason: str, message: str | None = None) -> None:
        self.reason = reason
        self.message = message if message is not None else _MESSAGES.get(reason, reason)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"AuthenticationFailed(reason={self.reason!r}, message={self.message!r})"


@dataclass(slots=True)
class _IssuerState:
    config: IssuerConfig
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    keys: KeySet | None = None
    #: Clock reading when the last completed fetch (successful or not) started.
    last_fetch: float | None = None


_VERIFIED_MEMO = 10_000
JWKS_TIMEOUT_SECONDS = 5.0
"""One JWKS fetch, connect to last byte (the shared client has a connect timeout only)."""


class TokenVerifier:
    """Verifies access tokens of the configured issuers against their JWKS.

    ``http`` is used for JWKS requests only, each bounded by ``JWKS_TIMEOUT_SECONDS``.
    ``clock`` returns the current Unix time; it drives both the claim checks and the refetch
    throttle.
    """

    def __init__(
        self,
        issuers: Sequence[IssuerConfig],
        http: httpx.AsyncClient,
        *,
        refetch_interval: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if refetch_interval < 0:
            raise ValueError("refetch_interval must not be negative")
        self._states: dict[str, _IssuerState] = {}
        for config in issuers:
            if config.issuer in self._states:
                raise ValueError(f"issuer {config.issuer!r} is configured twice")
            self._states[config.issuer] = _IssuerState(config)
        self._http = http
        self._verified: LRU[str, tuple[Identity, int]] = LRU(_VERIFIED_MEMO)
        self._refetch_interval = refetch_interval
        self._clock = clock

    async def verify(self, token: str) -> Identity:
        """Return the identity carried by ``token`` or raise :class:`AuthenticationFailed`.

        A token verified once is remembered (at most 10,000 of them) until it expires, so
        a client repeating requests pays for one signature check, not one each.
        """
        known = self.remembered(token)
        if known is not None:
            return known
        identity = await self._verify(token)
        leeway = self._states[identity.issuer].config.leeway_seconds
        self._verified[token] = (identity, leeway)  # the least recently used goes past the cap
        return identity

    async def key_status(self) -> dict[str, bool]:
        """Per issuer: whether its signing keys are at hand (readiness). An issuer whose keys
        were never fetched is tried now (within the refetch throttle)."""
        status: dict[str, bool] = {}
        for issuer, state in self._states.items():
            if state.keys is None:
                try:
                    await self._key_set(state, None)
                except AuthenticationFailed:
                    pass
            status[issuer] = state.keys is not None
        return status

    def remembered(self, token: str) -> Identity | None:
        """The identity of a token verified before and not expired since, else ``None``."""
        known = self._verified.get(token)
        if known is None:
            return None
        identity, leeway = known
        if self._clock() <= identity.expires_at + leeway:
            return identity  # the lookup marked it recently used
        del self._verified[token]
        return None

    async def _verify(self, token: str) -> Identity:
        header, unverified = _peek(token)

        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in SUPPORTED_ALGORITHMS:
            raise AuthenticationFailed("algorithm")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationFailed("malformed", "the token's 'kid' header is not a string")

        issuer = unverified.get("iss")
        if issuer is not None and not isinstance(issuer, str):
            raise AuthenticationFailed("malformed", "the token's 'iss' claim is not a string")
        state = self._states.get(issuer) if issuer is not None else None
        if state is None:
            raise AuthenticationFailed("unknown_issuer")
        config = state.config
        if alg not in config.algorithms:
            raise AuthenticationFailed("algorithm")

        key_set = await self._key_set(state, kid)
        if kid is not None and not _has_kid(key_set, kid):
            raise AuthenticationFailed("unknown_key")
        claims = _verify_signature(token, key_set, alg)
        person_id, expires_at = _check_claims(claims, config, self._clock())
        return Identity(
            person_id=person_id,
            issuer=config.issuer,
            token=token,
            expires_at=expires_at,
            claims=MappingProxyType(claims),
        )

    async def _key_set(self, state: _IssuerState, kid: str | None) -> KeySet:
        """The issuer's keys, fetched if needed; may lack ``kid`` when a refetch is throttled."""
        cached = state.keys
        if cached is not None and (kid is None or _has_kid(cached, kid)):
            return cached
        async with state.lock:
            # Another verification may have fetched while this one waited for the lock.
            cached = state.keys
            if cached is not None and (kid is None or _has_kid(cached, kid)):
                return cached
            last = state.last_fetch
            if last is not None and self._clock() - last < self._refetch_interval:
                if cached is None:
                    raise AuthenticationFailed("jwks_unavailable")
                return cached
            return await self._fetch(state)

    async def _fetch(self, state: _IssuerState) -> KeySet:
        config = state.config
        started = self._clock()
        try:
            response = await self._http.get(
                config.jwks_url,
                headers={"Accept": "application/json"},
                timeout=httpx.Timeout(JWKS_TIMEOUT_SECONDS),  # the shared client: connect only
            )
            response.raise_for_status()
            key_set = _parse_jwks(response.json())
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
            state.last_fetch = started
            logger.warning(
                "JWKS fetch failed for issuer %s from %s: %s",
                config.issuer,
                config.jwks_url,
                type(error).__name__,
            )
            raise AuthenticationFailed("jwks_unavailable") from error
        state.last_fetch = started
        state.keys = key_set
        logger.info(
            "fetched JWKS for issuer %s: %d usable key(s)", config.issuer, len(key_set.keys)
        )
        return key_set


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Decode header and payload of a compact JWS without verifying anything."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        raise AuthenticationFailed("malformed")
    segments = token.split(".")
    # The signature may be empty here (as in "alg": "none" tokens): the algorithm check that
    # follows gives the more useful reason, and the signature check rejects it in any case.
    if len(segments) != 3 or not _BASE64URL.fullmatch(segments[2]):
        raise AuthenticationFailed("malformed")
    return _decode_segment(segments[0]), _decode_segment(segments[1])


def _decode_segment(segment: str) -> dict[str, Any]:
    if not segment or not _BASE64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise AuthenticationFailed("malformed")
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw.decode("utf-8"))
    except ValueError:  # binascii.Error, UnicodeDecodeError and JSONDecodeError alike
        # Deliberately unchained: a JSON error carries the decoded document.
        raise AuthenticationFailed("malformed") from None
    if not isinstance(value, dict):
        raise AuthenticationFailed("malformed")
    return value


def _has_kid(key_set: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in key_set.keys)


def _parse_jwks(document: object) -> KeySet:
    """Import the RSA and EC keys of a JWKS document, skipping keys that cannot be used."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set document")
    keys: list[Key] = []
    for entry in document["keys"]:
        if not isinstance(entry, dict):
            continue
        kty = entry.get("kty")
        key_class = _KEY_TYPES.get(kty) if isinstance(kty, str) else None
        if key_class is None or entry.get("use", "sig") != "sig":
            continue  # RFC 7517 §5: ignore keys we do not understand or may not use
        try:
            keys.append(key_class.import_key(entry))
        except (JoseError, ValueError, TypeError, KeyError):
            logger.warning("ignoring an unusable JWK (kid %r)", entry.get("kid"))
    return KeySet(keys)


def _verify_signature(token: str, key_set: KeySet, alg: str) -> dict[str, Any]:
    # Unknown non-critical header parameters must be ignored (RFC 7515 §4), hence not strict.
    registry = JWSRegistry(algorithms=[alg], strict_check_header=False)
    try:
        verified = jwt.decode(token, key_set, registry=registry)
    except BadSignatureError:
        raise AuthenticationFailed("bad_signature") from None
    except UnsupportedAlgorithmError:
        raise AuthenticationFailed("algorithm") from None
    except (
        InvalidKeyIdError,
        InvalidKeyTypeError,
        InvalidKeyCurveError,
        UnsupportedKeyAlgorithmError,
        UnsupportedKeyUseError,
        UnsupportedKeyOperationError,
    ):
        raise AuthenticationFailed("unknown_key") from None
    except (JoseError, ValueError):
        raise AuthenticationFailed("malformed") from None
    return verified.claims


_NOT_YET_VALID: Final = frozenset({"nbf", "iat"})


def _check_claims(claims: Mapping[str, Any], config: IssuerConfig, now: float) -> tuple[str, int]:
    """Check the registered claims of a verified token (joserfc's registry); ``(sub, exp)``.

    ``exp``, ``aud`` and ``sub`` are required; ``nbf`` and ``iat`` checked when present; all
    times with the issuer's leeway.
    """
    if claims.get("iss") != config.issuer:
        raise AuthenticationFailed("unknown_issuer")
    registry = JWTClaimsRegistry(
        now=math.floor(now),  # NumericDate claims are whole seconds: the same boundaries
        leeway=config.leeway_seconds,
        exp={"essential": True},
        aud={"essential": True, "value": config.audience},
        sub={"essential": True},
    )
    try:
        registry.validate(dict(claims))
    except ExpiredTokenError:
        raise AuthenticationFailed("expired") from None
    except MissingClaimError as error:
        missing = error.claim.split(",")
        if "exp" in missing or "sub" in missing:
            name = "exp" if "exp" in missing else "sub"
            raise AuthenticationFailed(
                "missing_claim", f"the token lacks the {name!r} claim"
            ) from None
        raise AuthenticationFailed("bad_audience") from None
    except InvalidClaimError as error:
        if error.claim == "aud":
            raise AuthenticationFailed("bad_audience") from None
        if error.claim in _NOT_YET_VALID and _is_date(claims.get(error.claim)):
            raise AuthenticationFailed("not_yet_valid") from None
        what = "a string" if error.claim == "sub" else "a date"
        raise AuthenticationFailed(
            "invalid_claim", f"the token's {error.claim!r} claim is not {what}"
        ) from None
    return str(claims["sub"]), math.floor(claims["exp"])


def _is_date(value: object) -> bool:
    """A JSON number that is a NumericDate (not a boolean, not NaN or infinite)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
