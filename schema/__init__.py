"""The unified Student / Diary / Journal graph (Strawberry) over the regional adapters.

Knows ``adapters``; never imports ``gateway``.
"""

from __future__ import annotations

from .api import Mutation, Query, build_schema
from .context import AuditEvent, AuditSink, GatewayContext, Info, SessionIssuer
from .errors import ErrorCode, coded_error, from_adapter_error
from .extensions import merge_events
from .ids import GlobalId, decode_id, encode_id
from .limits import (
    QueryLimits,
    argument_error,
    limit_extensions,
    planned_calls,
    validation_rules,
)
from .live import LiveEventLike, LiveSource, StudentEvent, StudentEventKind, Subscription
from .policy import RULES, Access, Relation, rule_for

__all__ = [
    "RULES",
    "Access",
    "AuditEvent",
    "AuditSink",
    "ErrorCode",
    "GatewayContext",
    "GlobalId",
    "Info",
    "LiveEventLike",
    "LiveSource",
    "Mutation",
    "Query",
    "QueryLimits",
    "Relation",
    "SessionIssuer",
    "StudentEvent",
    "StudentEventKind",
    "Subscription",
    "argument_error",
    "build_schema",
    "coded_error",
    "decode_id",
    "encode_id",
    "from_adapter_error",
    "limit_extensions",
    "merge_events",
    "planned_calls",
    "rule_for",
    "schema",
    "validation_rules",
]

schema = build_schema()
"""The schema with its default limits (the gateway builds its own with the configured ones)."""
