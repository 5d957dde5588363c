"""The per-request context every resolver receives (``Info[GatewayContext, None]``).

The gateway builds it from the request (who is asking) and its app state (the adapters);
the schema never imports the gateway.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import strawberry
from graphql import GraphQLError

from adapters import (
    SYSTEM_CLOCK,
    AbsenceNotice,
    AbsenceReason,
    AdapterError,
    AdapterRegistry,
    AuthenticationError,
    Caller,
    Clock,
    DateRange,
)
from adapters.errors import Reauthentication

from .errors import ErrorCode, coded_error, from_adapter_error
from .limits import QueryLimits

if TYPE_CHECKING:
    from .loaders import Loaders
    from .onboarding import OnboardingDesk
    from .receipts import ReceiptBook

__all__ = [
    "AbsenceNoticeStore",
    "AuditEvent",
    "AuditSink",
    "GatewayContext",
    "Info",
    "IssuedSessionLike",
    "SessionIssuer",
    "WriteLedger",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One read of (or a refused attempt at) a child's record. No values, names or tokens."""

    at: str
    viewer: str
    role: str
    relation: str
    region: str
    student: str
    fields: tuple[str, ...]
    allowed: bool
    request_id: str


class AuditSink(Protocol):
    """Where audit events go (the gateway's audit log)."""

    async def record(self, events: list[AuditEvent], *, at: str | None = None) -> None:
        """Write events; ``at`` overrides their time (replays of cached answers)."""
        ...

    async def history(self, region: str, student: str, limit: int) -> list[AuditEvent]: ...


class IssuedSessionLike(Protocol):
    """A gateway session handed to the client (no provider token in it)."""

    @property
    def token(self) -> str: ...

    @property
    def expires_in(self) -> int: ...

    @property
    def refresh_token(self) -> str: ...


class SessionIssuer(Protocol):
    """Gateway sessions for school logins, and the throttle on failed logins."""

    async def open(self, region: str, session: Any) -> IssuedSessionLike:
        """Keep the provider session server-side; return the gateway's own tokens."""
        ...

    async def refresh(self, refresh_token: str) -> IssuedSessionLike | None:
        """Rotate a refresh token; ``None`` when it is not valid.

        A session whose provider session ended raises a coded ``REAUTHENTICATION_REQUIRED``.
        """
        ...

    async def provider_session_ended(self, region: str, session: Any) -> None:
        """The provider ended ``session``: the gateway session ends with it (no refresh)."""
        ...

    async def attempt(self, region: str, login: str, *, address: str | None = None) -> float | None:
        """Count an attempt before the provider is asked: ``None`` if it may go, else the wait."""
        ...

    async def succeeded(self, region: str, login: str, *, address: str | None = None) -> None:
        """Clear the attempts of a login that signed in."""
        ...

    async def inconclusive(self, region: str, login: str, *, address: str | None = None) -> None:
        """The provider could not answer the attempt (its address's count is given back)."""
        ...


class AbsenceNoticeStore(Protocol):
    """Advance absence notices the gateway keeps for regions whose system takes none
    (:class:`gateway.absences.AbsenceNoticeBook`)."""

    def reasons(self) -> list[AbsenceReason]: ...

    async def add(
        self,
        *,
        region: str,
        student: str,
        days: DateRange,
        reason_id: str,
        comment: str | None,
        author: str,
    ) -> AbsenceNotice: ...

    async def of_student(self, region: str, student: str) -> list[AbsenceNotice]: ...


class WriteLedger(Protocol):
    """Runs each write once per (person, operation, idempotency key); a replay with the
    same arguments gets the first answer (:class:`gateway.idempotency.WriteLedger`)."""

    async def once(
        self,
        *,
        scope: str,
        operation: str,
        key: str,
        arguments: dict[str, Any],
        write: Callable[[], Awaitable[T]],
    ) -> T: ...


@dataclass
class GatewayContext:
    """What resolvers know about the request.

    Attributes:
        registry: the configured adapters by region code.
        caller: who is asking, for the adapters (``None``: anonymous).
        auth_error: why a presented token was refused (``None`` if none or accepted).
        session_region: for a school-login session, the region it belongs to.
        clock: every "now" of the operation; "today" is a region's (:meth:`today_in`).
    """

    registry: AdapterRegistry
    caller: Caller | None = None
    auth_error: str | None = None
    session_region: str | None = None
    clock: Clock = SYSTEM_CLOCK
    limits: QueryLimits = field(default_factory=QueryLimits)
    audit: AuditSink | None = None
    sessions: SessionIssuer | None = None
    history_days: dict[str, int] = field(default_factory=dict)
    """Region code → how many days back a parent may read (regional data windows)."""
    client_address: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    on_mutation: Callable[[str, str], Any] | None = None
    """Called with (region, student id) after a write, for cache invalidation."""
    tracer: Any = None
    """An OpenTelemetry tracer: a span per DataLoader batch and region (``None``: off)."""
    receipts: ReceiptBook | None = None
    """Signs, checks and keeps acknowledgement receipts (``None``: not configured)."""
    onboarding: OnboardingDesk | None = None
    """Invitations and access requests (``None``: not configured)."""
    ledger: WriteLedger | None = None
    """Idempotent writes (``None``: each write runs, replays included)."""
    absence_notices: AbsenceNoticeStore | None = None
    """Notices kept by the gateway where the region's system takes none (``None``: those
    regions answer NOT_SUPPORTED)."""
    _loaders: Loaders | None = None
    pending_audit: list[AuditEvent] = field(default_factory=list)
    written_audit: list[AuditEvent] = field(default_factory=list)
    """The audit events this operation wrote (the response cache replays them on hits)."""
    cacheable: bool = True
    """False when the answer must not be served from the response cache (the access log)."""
    students_read: set[tuple[str, str]] = field(default_factory=set)
    """(region, student id) of every student whose records this operation read."""
    live: Any = None
    """A subscription's event source (:class:`schema.live.LiveSource`); ``None`` outside one."""

    @property
    def loaders(self) -> Loaders:
        """The request's DataLoaders (built on first use)."""
        if self._loaders is None:
            from .loaders import Loaders

            self._loaders = Loaders(self)
        return self._loaders

    def today_in(self, region: str) -> date:
        """The region's local date now (at 23:30 in Moscow it is tomorrow in region 74)."""
        zone = self.registry[region].region.timezone if region in self.registry else UTC
        return self.clock.today(zone)

    def require_caller(self) -> Caller:
        """The caller, or an ``UNAUTHENTICATED`` error."""
        if self.caller is None:
            reason = f" ({self.auth_error})" if self.auth_error else ""
            raise coded_error(
                ErrorCode.UNAUTHENTICATED,
                f"sign in to see this: send Authorization: Bearer <token>{reason}",
            )
        return self.caller

    async def adapter_error(self, error: AdapterError, *, region: str) -> GraphQLError:
        """The coded GraphQL error for ``error`` in ``region``, for this caller.

        For a school-login session, a provider refusal means the provider session ended:
        the error says ``SIGN_IN_AGAIN`` and the gateway session ends with it.
        """
        caller = self.caller
        school_login = caller is not None and caller.session is not None and not caller.sso_token
        coded = from_adapter_error(error, region=region, school_login=school_login)
        if (
            school_login
            and isinstance(error, AuthenticationError)
            and (coded.extensions or {}).get("action") == Reauthentication.SIGN_IN_AGAIN.value
            and self.sessions is not None
            and caller is not None
            and caller.session is not None
        ):
            await self.sessions.provider_session_ended(region, caller.session)
        return coded

    def regions_for_viewer(self) -> list[str]:
        """The regions whose systems may know the viewer."""
        if self.session_region is not None:
            return [self.session_region]
        return list(self.registry)


Info = strawberry.Info[GatewayContext, None]
