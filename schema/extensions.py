"""Schema extensions: the audit-trail flush and the masking of unexpected errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

from .context import AuditEvent, GatewayContext
from .errors import ErrorCode

__all__ = ["AuditTrail", "masked_errors", "merge_events"]

logger = logging.getLogger("gateway.errors")


def merge_events(events: list[AuditEvent]) -> list[AuditEvent]:
    """One event per (student, outcome) of an operation, with the union of fields read."""
    merged: dict[tuple[str, str, bool], AuditEvent] = {}
    for event in events:
        key = (event.region, event.student, event.allowed)
        previous = merged.get(key)
        if previous is None:
            merged[key] = event
        else:
            fields = tuple(dict.fromkeys(previous.fields + event.fields))
            merged[key] = AuditEvent(
                at=previous.at,
                viewer=previous.viewer,
                role=previous.role,
                relation=previous.relation,
                region=previous.region,
                student=previous.student,
                fields=fields,
                allowed=previous.allowed,
                request_id=previous.request_id,
            )
    return list(merged.values())


class AuditTrail(SchemaExtension):
    """Writes the audit events an operation noted, once, after it executed."""

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        if not isinstance(context, GatewayContext) or not context.pending_audit:
            return
        events = merge_events(context.pending_audit)
        context.pending_audit.clear()
        context.written_audit.extend(events)
        if context.audit is not None:
            await context.audit.record(events)


def _should_mask(error: GraphQLError) -> bool:
    code = (error.extensions or {}).get("code")
    if code is not None:
        return False
    if error.original_error is None:
        return False  # parse and validation errors are the client's and safe to show
    if error.path is None and isinstance(error.original_error, GraphQLError):
        return False  # a variable graphql-core could not coerce: the client's too
    logger.error(
        "unexpected error (%s) at %s",
        type(error.original_error).__name__,
        error.path,
        exc_info=error.original_error,
    )
    return True


class _CodedMaskErrors(MaskErrors):
    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value},
        )


def masked_errors() -> Any:  # a factory: strawberry builds one per request
    """Unexpected exceptions become ``INTERNAL_SERVER_ERROR`` with a generic message."""
    return _CodedMaskErrors(should_mask_error=_should_mask, error_message="Internal server error")
