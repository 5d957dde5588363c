"""The gateway's one secret, and the key each use derives from it.

``[server] secret_key_file`` holds 32 random bytes (base64url), created privately on first
start and shared by every instance of a deployment (mount the same secret). Nothing uses
the secret directly: each purpose derives its own key with HKDF-SHA256 and a purpose label,
so a key leaked from one use (say, cache authentication) says nothing about another (say,
the pseudonyms in the access log)::

    keyring = Keyring.load_or_create(Path(".secrets/key"))
    cache_key = keyring.derive("cache-hmac")
    pseudonym_key = keyring.derive("audit-pseudonym")
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .secrets_file import read_or_create_secret

__all__ = ["PURPOSES", "Keyring"]

logger = logging.getLogger("gateway.keyring")

SECRET_BYTES = 32
PURPOSES = frozenset(
    {
        "cache-hmac",
        "audit-pseudonym",
        "session-signing",
        "receipt-keys",
        "invitation-codes",
        "onboarding-subject",
    }
)
"""The labels keys are derived under; a new use adds its own."""


@dataclass(frozen=True, slots=True)
class Keyring:
    """The deployment's secret; :meth:`derive` gives each use its own key."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) < SECRET_BYTES:
            raise ValueError(f"the gateway secret must be at least {SECRET_BYTES} bytes")

    @classmethod
    def generate(cls) -> Keyring:
        """A fresh random secret (tests, single-process demos)."""
        return cls(secrets.token_bytes(SECRET_BYTES))

    @classmethod
    def load_or_create(cls, path: Path) -> Keyring:
        """The secret in ``path`` (base64url), created with mode 0600 if missing."""
        raw = read_or_create_secret(path, min_bytes=SECRET_BYTES, what="gateway secret")
        return cls(raw)

    def derive(self, purpose: str, length: int = 32) -> bytes:
        """The key for ``purpose`` (one of :data:`PURPOSES`), ``length`` bytes."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}; known: {sorted(PURPOSES)}")
        hkdf = HKDF(
            algorithm=hashes.SHA256(),
            length=length,
            salt=b"diary-gateway",
            info=purpose.encode("ascii"),
        )
        return hkdf.derive(self.secret)
