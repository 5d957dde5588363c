"""The demo's development national-SSO issuer (plays Госуслуги / ЕСИА; never in production).

An ES256 key kept in a git-ignored JSON file, the JWKS document the gateway publishes for it
(``[server] dev_issuer``), and :meth:`DevIssuer.mint` for the personas' tokens. The gateway
verifies its tokens like any other issuer's (:class:`gateway.identity.TokenVerifier`).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from adapters import SYSTEM_CLOCK

from .secrets_file import create_secret_file

__all__ = [
    "DEV_AUDIENCE",
    "DEV_ISSUER",
    "DEV_JWKS_PATH",
    "DevIssuer",
    "dev_key_path",
    "load_dev_issuer",
]

logger = logging.getLogger(__name__)

_RESERVED_CLAIMS: Final = frozenset({"iss", "sub", "aud", "iat", "nbf", "exp", "jti"})

DEV_ISSUER = "urn:diary-gateway:dev-sso"
"""The development national-SSO issuer (plays Госуслуги / ЕСИА in the demo and ``serve``'s
``[server] dev_issuer``)."""
DEV_AUDIENCE = "diary-gateway"
DEV_JWKS_PATH = "/.well-known/dev-sso/jwks.json"
"""Where a gateway with the development issuer publishes its keys (``/.well-known/jwks.json``
is the gateway's own receipt keys)."""


class DevIssuer:
    """The development national-SSO issuer: an ES256 key that mints access tokens.

    Create it with :meth:`load_or_create`; publish :meth:`jwks` at the URL configured as the
    issuer's ``jwks_url``.
    """

    def __init__(self, key: ECKey, *, issuer: str) -> None:
        if not key.is_private or key.curve_name != "P-256":
            raise ValueError("DevIssuer needs a private EC P-256 key")
        if not issuer:
            raise ValueError("issuer must be a non-empty string")
        self._key = key
        self._issuer = issuer
        self._kid = key.thumbprint()

    def __repr__(self) -> str:
        return f"DevIssuer(issuer={self._issuer!r}, kid={self._kid!r})"

    @classmethod
    def load_or_create(cls, path: Path, *, issuer: str) -> DevIssuer:
        """Load the private JWK at ``path``, creating it (mode 0600) if it does not exist."""
        path = Path(path)
        if not path.exists():
            cls._create_key_file(path)
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            logger.warning("development issuer key %s is readable by others (%o)", path, mode)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("kty") != "EC":
                raise ValueError("not an EC JWK")
            key = ECKey.import_key(data)
        except (JoseError, ValueError, TypeError, KeyError) as error:
            raise ValueError(f"{path} does not hold a private EC P-256 JWK") from error
        return cls(key, issuer=issuer)

    @staticmethod
    def _create_key_file(path: Path) -> None:
        key = ECKey.generate_key("P-256", private=True)
        document = key.as_dict(private=True, kid=key.thumbprint(), alg="ES256", use="sig")
        content = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")
        create_secret_file(path, content)

    @property
    def issuer(self) -> str:
        return self._issuer

    @property
    def kid(self) -> str:
        """The RFC 7638 thumbprint of the key."""
        return self._kid

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set to publish at the issuer's ``jwks_url``."""
        public = self._key.as_dict(private=False, kid=self._kid, alg="ES256", use="sig")
        return {"keys": [dict(public)]}

    def mint(
        self,
        subject: str,
        *,
        audience: str = "diary-gateway",
        ttl_seconds: int = 8 * 3600,
        extra_claims: Mapping[str, Any] | None = None,
        now: int | None = None,
    ) -> str:
        """Sign an access token for ``subject`` (the person id)."""
        if not subject:
            raise ValueError("subject must be a non-empty string")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        extra = dict(extra_claims or {})
        clashing = _RESERVED_CLAIMS & extra.keys()
        if clashing:
            raise ValueError(f"extra_claims may not set {sorted(clashing)}")
        issued_at = int(SYSTEM_CLOCK.timestamp()) if now is None else now
        claims: dict[str, Any] = {
            **extra,
            "iss": self._issuer,
            "sub": subject,
            "aud": audience,
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + ttl_seconds,
            "jti": secrets.token_urlsafe(16),
        }
        header = {"alg": "ES256", "kid": self._kid, "typ": "JWT"}
        return jwt.encode(header, claims, self._key, algorithms=["ES256"])


def dev_key_path() -> Path:
    """Where the dev issuer's private key lives by default (git-ignored ``.dev-issuer/``;
    ``DIARY_GATEWAY_DEV_KEY`` overrides)."""
    override = os.environ.get("DIARY_GATEWAY_DEV_KEY")
    if override:
        return Path(override)
    root = Path(__file__).resolve().parent.parent
    base = root if (root / "pyproject.toml").exists() else Path.cwd()
    return base / ".dev-issuer" / "key.json"


def load_dev_issuer(path: Path | None = None) -> DevIssuer:
    """The dev issuer whose key is at ``path`` (default :func:`dev_key_path`), creating it."""
    return DevIssuer.load_or_create(path or dev_key_path(), issuer=DEV_ISSUER)
