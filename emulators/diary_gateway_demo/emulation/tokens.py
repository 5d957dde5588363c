"""Persona tokens: the access tokens an emulator issues, each standing for one persona.

An emulator signs a persona in (a login form, an SSO exchange) and issues a random token;
later requests carry it and :meth:`PersonaTokens.resolve` says whose it is — or ``None``
once it has expired (``lifetime`` seconds on the emulator's clock) or served
``calls_per_token`` calls, so tests can end sessions on demand. At most ``capacity``
tokens are kept: the dead ones go first, then the oldest.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Generic, TypeVar

from adapters.clock import SYSTEM_CLOCK, Clock

__all__ = ["PersonaTokens"]

P = TypeVar("P")


@dataclass
class _Issued(Generic[P]):
    persona: P
    expires_at: float
    calls_left: int | None


class PersonaTokens(Generic[P]):
    """Token → persona, with expiry and an optional per-token call budget."""

    def __init__(
        self,
        *,
        lifetime: float,
        calls_per_token: int | None = None,
        capacity: int = 10_000,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if calls_per_token is not None and calls_per_token < 1:
            raise ValueError("calls_per_token must be at least 1")
        self.lifetime = lifetime
        self.calls_per_token = calls_per_token
        self.capacity = capacity
        self.clock = clock
        self._issued: dict[str, _Issued[P]] = {}

    def __len__(self) -> int:
        return len(self._issued)

    def issue(self, persona: P) -> str:
        """A fresh token for ``persona``."""
        if len(self._issued) >= self.capacity:
            now = self.clock.timestamp()
            self._issued = {
                t: r for t, r in self._issued.items() if r.expires_at > now and r.calls_left != 0
            }
            while len(self._issued) >= self.capacity:  # still full: forget the oldest
                del self._issued[next(iter(self._issued))]
        token = secrets.token_urlsafe(24)
        self._issued[token] = _Issued(
            persona, self.clock.timestamp() + self.lifetime, self.calls_per_token
        )
        return token

    def resolve(self, token: str) -> P | None:
        """The persona of a live token, counting the call (``None``: unknown or ended)."""
        record = self._issued.get(token)
        if record is None or record.expires_at < self.clock.timestamp() or record.calls_left == 0:
            return None
        if record.calls_left is not None:
            record.calls_left -= 1
        return record.persona

    def revoke(self, token: str) -> None:
        """End a token (a logout)."""
        self._issued.pop(token, None)

    def clear(self) -> None:
        self._issued.clear()
