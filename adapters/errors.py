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
     ├── ProviderRejectedError        the provider's own validation refused a write (400, 422)
     ├── ProviderUnavailableError     timeouts, connection errors, 5xx, 429 (retry_after)
     └── ProviderResponseError        malformed or unexpected payload

Every error carries the provider ``slug``; an error of a write also says whether the write
may have reached the provider (``write_outcome``, :class:`WriteOutcome`). Nothing outside
``adapters/`` ever sees an ``httpx`` exception: :func:`map_httpx_errors` translates them at
the boundary, picking the most specific class and chaining with ``raise … from exc``.
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
    "ProviderRejectedError",
    "ProviderResponseError",
    "ProviderUnavailableError",
    "Reauthentication",
    "WriteOutcome",
    "error_for_status",
    "map_httpx_errors",
    "write_outcome_of",
]


class WriteOutcome(enum.StrEnum):
    """What a failed write left behind at the provider."""

    NOT_APPLIED = "NOT_APPLIED"
    """The provider refused it or never got it: nothing changed, it is safe to send again."""
    UNKNOWN = "UNKNOWN"
    """It may have been applied (a timeout or a 5xx after it was sent): send it again with
    the same idempotency key, or look before writing again."""


class AdapterError(Exception):
    """Base of every error an adapter raises.

    ``write_outcome`` is set on errors of writes only (``None`` for reads).
    """

    def __init__(self, message: str, *, provider: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.write_outcome: WriteOutcome | None = None

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


class ProviderRejectedError(AdapterError):
    """The provider's own validation refused a write (a mark outside its scale, a date in
    the past…); ``message`` is safe to show the user, ``field`` names the input at fault."""

    def __init__(self, message: str, *, provider: str = "", field: str | None = None) -> None:
        super().__init__(message, provider=provider)
        self.field = field


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


def write_outcome_of(error: AdapterError) -> WriteOutcome:
    """What a write that failed with ``error`` left behind, when its raiser did not say: an
    unavailable provider or an unreadable answer may have applied it; a refusal did not."""
    if error.write_outcome is not None:
        return error.write_outcome
    if isinstance(error, ProviderUnavailableError | ProviderResponseError):
        return WriteOutcome.UNKNOWN
    return WriteOutcome.NOT_APPLIED


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
        limited = ProviderUnavailableError(
            "provider is rate limiting", provider=provider, retry_after=_retry_after(retry_after)
        )
        limited.write_outcome = WriteOutcome.NOT_APPLIED  # refused before it was looked at
        return limited
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
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        unreached = ProviderUnavailableError(
            f"cannot reach provider ({type(exc).__name__})", provider=provider
        )
        unreached.write_outcome = WriteOutcome.NOT_APPLIED  # nothing was sent
        raise unreached from exc
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
