"""The adapter error tree, and the translation of httpx and parsing errors into it.

::

    AdapterError
     ├── AuthenticationError          bad or expired credentials (provider 401)
     │    └── CredentialsRefusedError  the region's system no longer accepts what the
     │                                 gateway holds for the caller (``action`` says what
     │                                 the user can do: sign in again, or nothing for now)
     ├── AccessDeniedError            the provider refuses this caller this object (403)
     ├── NotSupportedError            the region's system lacks the capability
     ├── NotFoundError                no such student, group, homework… (404)
     ├── ProviderUnavailableError     timeouts, connection errors, 5xx, 429 (retry_after)
     └── ProviderResponseError        malformed or unexpected payload

Every error carries the provider ``slug``. Nothing outside ``adapters/`` ever sees an
``httpx`` exception: :func:`map_httpx_errors` translates them at the boundary, picking the
most specific class and chaining with ``raise … from exc``.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

__all__ = [
    "AccessDeniedError",
    "AdapterError",
    "AuthenticationError",
    "CredentialsRefusedError",
    "NotFoundError",
    "NotSupportedError",
    "ProviderResponseError",
    "ProviderUnavailableError",
    "Reauthentication",
    "error_for_status",
    "map_httpx_errors",
]


class AdapterError(Exception):
    """Base of every error an adapter raises."""

    def __init__(self, message: str, *, provider: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider

    def __str__(self) -> str:
        return f"[{self.provider}] {self.message}" if self.provider else self.message


class AuthenticationError(AdapterError):
    """The provider did not accept the caller's credentials (or they expired)."""


class Reauthentication(enum.StrEnum):
    """What a user can do when a region's system refuses the credentials we hold."""

    SIGN_IN_AGAIN = "SIGN_IN_AGAIN"
    """A school-login session ended at the provider: sign in again with the school login."""
    RETRY_LATER = "RETRY_LATER"
    """The provider refuses our exchange of a valid national SSO token: nothing to do now."""


class CredentialsRefusedError(AuthenticationError):
    """The region's system refused the credentials the gateway holds for the caller.

    Not the caller's own credential (the gateway verified that): a school-login session
    that ended at the provider (``SIGN_IN_AGAIN``), or a provider that refuses the national
    SSO exchange or every fresh token it gave (``RETRY_LATER``).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        action: Reauthentication = Reauthentication.RETRY_LATER,
    ) -> None:
        super().__init__(message, provider=provider)
        self.action = action


class AccessDeniedError(AdapterError):
    """The provider refuses this caller access to the object asked for."""


class NotSupportedError(AdapterError):
    """The region's system cannot answer this kind of question."""


class NotFoundError(AdapterError):
    """The provider does not know the object asked for."""


class ProviderUnavailableError(AdapterError):
    """The provider is down, slow, overloaded or rate limiting us.

    ``retry_after`` is the provider's ``Retry-After`` in seconds, when it gave one.
    """

    def __init__(
        self, message: str, *, provider: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, provider=provider)
        self.retry_after = retry_after


class ProviderResponseError(AdapterError):
    """The provider answered something we cannot parse; ``snippet`` is for logs only."""

    def __init__(self, message: str, *, provider: str = "", snippet: str = "") -> None:
        super().__init__(message, provider=provider)
        self.snippet = snippet[:200]


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_for_status(
    status: int, *, provider: str, detail: str = "", retry_after: str | None = None
) -> AdapterError:
    """The adapter error for a provider's HTTP error status."""
    text = detail or f"provider answered HTTP {status}"
    if status == 401:
        return AuthenticationError(text, provider=provider)
    if status == 403:
        return AccessDeniedError(text, provider=provider)
    if status == 404:
        return NotFoundError(text, provider=provider)
    if status == 429:
        return ProviderUnavailableError(
            "provider is rate limiting", provider=provider, retry_after=_retry_after(retry_after)
        )
    if status >= 500:
        return ProviderUnavailableError(text, provider=provider)
    return ProviderResponseError(f"unexpected HTTP {status}", provider=provider, snippet=detail)


@contextmanager
def map_httpx_errors(provider: str) -> Iterator[None]:
    """Translate httpx, JSON and shape errors raised inside the block into adapter errors."""
    try:
        yield
    except AdapterError:
        raise
    except httpx.TimeoutException as exc:
        raise ProviderUnavailableError("provider timed out", provider=provider) from exc
    except httpx.HTTPStatusError as exc:
        response = exc.response
        raise error_for_status(
            response.status_code,
            provider=provider,
            retry_after=response.headers.get("Retry-After"),
        ) from exc
    except httpx.TransportError as exc:
        raise ProviderUnavailableError(
            f"cannot reach provider ({type(exc).__name__})", provider=provider
        ) from exc
    except json.JSONDecodeError as exc:
        raise ProviderResponseError(
            "provider sent malformed JSON", provider=provider, snippet=exc.doc[:200]
        ) from exc
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ProviderResponseError(
            f"unexpected provider payload ({type(exc).__name__})", provider=provider
        ) from exc
