"""The error-code catalogue, and the one place adapter errors become GraphQL errors.

Every error the API returns carries ``extensions.code`` from :class:`ErrorCode`. Provider
failures carry ``extensions.provider`` (the adapter slug) and, for rate limits,
``extensions.retryAfter``; a failed write carries ``extensions.writeOutcome``
(``NOT_APPLIED``: nothing changed; ``UNKNOWN``: it may have been applied — send it again
with the same ``idempotencyKey``). A region system's own validation of a write is
``BAD_USER_INPUT`` with its message.

``UNAUTHENTICATED`` is only ever about the gateway's own credential (the SSO token or the
gateway session). A region's system refusing the credentials the gateway holds for the
caller is ``REAUTHENTICATION_REQUIRED`` on that region's fields, with ``extensions.region``
and ``extensions.action``: ``SIGN_IN_AGAIN`` (a school-login session ended: sign in again
with the school login) or ``RETRY_LATER`` (nothing the user can do now).
"""

from __future__ import annotations

import enum
from typing import Any

from graphql import GraphQLError

from adapters import (
    AccessDeniedError,
    AdapterError,
    AuthenticationError,
    NotFoundError,
    NotSupportedError,
    ProviderRejectedError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from adapters.errors import CredentialsRefusedError, Reauthentication

__all__ = ["ErrorCode", "coded_error", "from_adapter_error"]


class ErrorCode(enum.Enum):
    """The catalogue of ``extensions.code`` values (documented in the README)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    REAUTHENTICATION_REQUIRED = "REAUTHENTICATION_REQUIRED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    CONFLICT = "CONFLICT"
    RATE_LIMITED = "RATE_LIMITED"
    SLOW_SUBSCRIBER = "SLOW_SUBSCRIBER"
    SHUTTING_DOWN = "SHUTTING_DOWN"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def coded_error(code: ErrorCode, message: str, **extensions: Any) -> GraphQLError:
    """A GraphQL error with ``extensions.code`` and any extra extensions."""
    return GraphQLError(message, extensions={"code": code.value, **extensions})


def from_adapter_error(
    error: AdapterError, *, region: str, school_login: bool = False
) -> GraphQLError:
    """Translate an adapter error into a coded GraphQL error naming the provider.

    ``school_login``: the caller is a school-login session, so a provider refusal that
    does not say otherwise means the session ended (``SIGN_IN_AGAIN``).
    """
    extra: dict[str, Any] = {"provider": error.provider, "region": region}
    if error.write_outcome is not None:  # a failed write: may it have been applied?
        extra["writeOutcome"] = error.write_outcome.value
    if isinstance(error, ProviderRejectedError):
        if error.field is not None:
            extra["argument"] = error.field
        return coded_error(
            ErrorCode.BAD_USER_INPUT,
            f"the diary system of region {region} refused this: {error.message}",
            **extra,
        )
    if isinstance(error, AuthenticationError):
        if isinstance(error, CredentialsRefusedError):
            action = error.action
        else:
            action = (
                Reauthentication.SIGN_IN_AGAIN if school_login else Reauthentication.RETRY_LATER
            )
        advice = (
            "sign in again with the school login"
            if action is Reauthentication.SIGN_IN_AGAIN
            else "try again later"
        )
        return coded_error(
            ErrorCode.REAUTHENTICATION_REQUIRED,
            f"the diary system of region {region} no longer accepts this sign-in; {advice}",
            action=action.value,
            **extra,
        )
    if isinstance(error, AccessDeniedError):
        return coded_error(
            ErrorCode.FORBIDDEN, f"the diary system of region {region} refused access", **extra
        )
    if isinstance(error, NotSupportedError):
        return coded_error(ErrorCode.NOT_SUPPORTED, error.message, **extra)
    if isinstance(error, NotFoundError):
        return coded_error(ErrorCode.NOT_FOUND, f"not found in region {region}", **extra)
    if isinstance(error, ProviderUnavailableError):
        if error.retry_after is not None:
            extra["retryAfter"] = error.retry_after
        return coded_error(
            ErrorCode.PROVIDER_UNAVAILABLE,
            f"the diary system of region {region} ({error.provider}) is unavailable",
            **extra,
        )
    if isinstance(error, ProviderResponseError):
        return coded_error(
            ErrorCode.PROVIDER_UNAVAILABLE,
            f"the diary system of region {region} ({error.provider}) sent an unreadable answer",
            **extra,
        )
    return coded_error(ErrorCode.INTERNAL_SERVER_ERROR, "provider error", **extra)
