"""The error-code catalogue, and the one place adapter errors become GraphQL errors.

Every error the API returns carries ``extensions.code`` from :class:`ErrorCode`. Provider
failures carry ``extensions.provider`` (the adapter slug) and, for rate limits,
``extensions.retryAfter``.
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
    ProviderResponseError,
    ProviderUnavailableError,
)

__all__ = ["ErrorCode", "coded_error", "from_adapter_error"]


class ErrorCode(enum.Enum):
    """The catalogue of ``extensions.code`` values (documented in the README)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


def coded_error(code: ErrorCode, message: str, **extensions: Any) -> GraphQLError:
    """A GraphQL error with ``extensions.code`` and any extra extensions."""
    return GraphQLError(message, extensions={"code": code.value, **extensions})


def from_adapter_error(error: AdapterError, *, region: str) -> GraphQLError:
    """Translate an adapter error into a coded GraphQL error naming the provider."""
    extra: dict[str, Any] = {"provider": error.provider, "region": region}
    if isinstance(error, AuthenticationError):
        return coded_error(
            ErrorCode.UNAUTHENTICATED,
            f"the diary system of region {region} did not accept the credentials",
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
