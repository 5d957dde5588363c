"""Execution: the request's :class:`GatewayContext` and Strawberry's public ``execute``.

The schema reads the document's parse and validation from the shared
:class:`schema.documents.DocumentCache` (its ``CachedDocuments`` extension): nothing is
parsed or validated again here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from adapters import AdapterRegistry, Clock
from schema import GatewayContext, QueryLimits
from schema.context import AbsenceNoticeStore, WriteLedger

from ..audit import AuditLog
from ..sessions import SessionService
from .body import GraphQLRequest
from .errors import Refusal
from .identity import Identity

__all__ = ["SUBSCRIPTION_TRANSPORTS", "Executor"]

SUBSCRIPTION_TRANSPORTS = (
    "a subscription is served over WebSocket (graphql-transport-ws) or over HTTP with "
    "Accept: text/event-stream (graphql-sse), not in a plain request"
)
_QUERY_TYPES = frozenset({OperationType.QUERY})
_ALL_TYPES = frozenset({OperationType.QUERY, OperationType.MUTATION})


class Executor:
    """Builds each request's context and executes the operation through the schema."""

    def __init__(
        self,
        schema: strawberry.Schema,
        *,
        registry: AdapterRegistry,
        audit: AuditLog,
        sessions: SessionService | None,
        limits: QueryLimits,
        history_days: dict[str, int],
        clock: Clock,
        on_mutation: Callable[[str, str], Awaitable[None]] | None = None,
        budget: float = 15.0,
        receipts: Any = None,
        onboarding: Any = None,
        ledger: WriteLedger | None = None,
        absence_notices: AbsenceNoticeStore | None = None,
    ) -> None:
        self.schema = schema
        self.ledger = ledger
        """Idempotent writes (:class:`gateway.idempotency.WriteLedger`)."""
        self.absence_notices = absence_notices
        """Notices the gateway keeps (:class:`gateway.absences.AbsenceNoticeBook`)."""
        self.registry = registry
        self.audit = audit
        self.sessions = sessions
        self.limits = limits
        self.history_days = history_days
        self.clock = clock
        self.on_mutation = on_mutation
        self.budget = budget
        self.receipts = receipts
        self.onboarding = onboarding
        """Invitations and access requests (:class:`gateway.onboarding.Onboarding`)."""
        """Acknowledgement receipts (:class:`gateway.receipts.ReceiptIssuer`), for resolvers."""
        """Seconds one operation may wait for providers in all (each call has its own): the
        pipeline bounds the response-cache scope and the execution by it."""
        self.tracer: Any = None
        """The OpenTelemetry tracer of the DataLoader batch spans (``None``: tracing off)."""

    def context(
        self, identity: Identity, *, address: str | None, request_id: str | None
    ) -> GatewayContext:
        extra: dict[str, Any] = {}
        if request_id is not None:
            extra["request_id"] = request_id
        if self.tracer is not None:
            extra["tracer"] = self.tracer
        return GatewayContext(
            registry=self.registry,
            caller=identity.caller,
            auth_error=identity.auth_error,
            session_region=identity.session_region,
            sessions=self.sessions,
            client_address=address,
            limits=self.limits,
            audit=self.audit,
            history_days=self.history_days,
            on_mutation=self.on_mutation,
            clock=self.clock,
            receipts=self.receipts,
            onboarding=self.onboarding,
            ledger=self.ledger,
            absence_notices=self.absence_notices,
            **extra,
        )

    async def execute(
        self, request: GraphQLRequest, context: GatewayContext, *, queries_only: bool
    ) -> ExecutionResult:
        """Run the operation; refusals Strawberry raises become :class:`Refusal`."""
        try:
            return await self.schema.execute(
                request.query,
                variable_values=request.variables,
                context_value=context,
                root_value=None,
                operation_name=request.operation_name,
                allowed_operation_types=_QUERY_TYPES if queries_only else _ALL_TYPES,
                operation_extensions=request.extensions,
            )
        except CannotGetOperationTypeError as exc:
            raise Refusal(400, exc.as_http_error_reason()) from None
        except InvalidOperationTypeError:
            if not queries_only:  # a subscription in a plain request: it needs a stream
                raise Refusal(400, SUBSCRIPTION_TRANSPORTS) from None
            raise Refusal(
                405, "only queries may be sent with GET", headers={"Allow": "POST"}
            ) from None
        except MissingQueryError:
            raise Refusal(400, "no GraphQL query in the request") from None
