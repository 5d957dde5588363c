"""Limits and cost, once per operation: its type against the method, its cost in fields,
and the argument caps (page sizes) with the variables known.

The document was parsed and validated by :class:`schema.documents.DocumentCache`; this
step reads the operation it names. A mutation over GET is ``405``; an operation whose cost
alone is over a cost budget can never run (``400``); an argument over a cap is a request
error. The argument check is memoised per (document, operation, variables), so a repeated
query costs a lookup.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from cachetools import LRUCache
from graphql import GraphQLError, OperationType

from schema import QueryLimits, argument_error
from schema.documents import CompiledDocument

from ..ratelimit import RateLimits
from .body import GraphQLRequest
from .errors import Refusal
from .execute import SUBSCRIPTION_TRANSPORTS

__all__ = ["OperationCheck", "OperationLimits"]


@dataclass(frozen=True, slots=True)
class OperationCheck:
    """What the later steps need to know of the operation."""

    is_query: bool
    cost: int
    """Fields selected, fragments spread in full (0 for a document that cannot run)."""
    argument_error: GraphQLError | None = None
    """An argument over a cap: answered as a request error, not executed."""
    valid: bool = False
    """The document passed validation."""


_NOT_RUNNABLE = OperationCheck(False, 0)


class OperationLimits:
    """The limits-and-cost step (see the module doc)."""

    def __init__(self, query_limits: QueryLimits, rate_limits: RateLimits | None) -> None:
        self.query_limits = query_limits
        self.rate_limits = rate_limits
        self._arguments: LRUCache[tuple[str, str | None, bytes], GraphQLError | None] = LRUCache(
            maxsize=2_000
        )

    def check(
        self,
        compiled: CompiledDocument,
        request: GraphQLRequest,
        *,
        method: str,
        person: str | None,
    ) -> OperationCheck:
        """The operation's check; raises :class:`Refusal` for a mutation over GET or a cost
        over a whole budget. A document that does not parse, or names no single operation,
        costs 0 and is not a query here: execution reports the error."""
        operation, cost = compiled.operation(request.operation_name)
        if operation is None:
            return _NOT_RUNNABLE
        kind = operation.operation
        if method == "GET" and kind is not OperationType.QUERY:
            if kind is OperationType.SUBSCRIPTION:
                raise Refusal(400, SUBSCRIPTION_TRANSPORTS)
            raise Refusal(
                405,
                f"a {kind.value} cannot be sent with GET: use POST",
                headers={"Allow": "POST"},
            )
        if self.rate_limits is not None and cost:
            budget = self.rate_limits.over_budget(cost, person=person)
            if budget is not None:
                raise Refusal(
                    400,
                    f"the operation selects too many fields ({cost}) for the budget of "
                    f"{budget} per window",
                )
        error = self._argument_error(compiled, request) if compiled.valid else None
        return OperationCheck(kind is OperationType.QUERY, cost, error, compiled.valid)

    def _argument_error(
        self, compiled: CompiledDocument, request: GraphQLRequest
    ) -> GraphQLError | None:
        if request.query is None or compiled.document is None:
            return None  # nothing to check: the document did not parse (refused before)
        variables = request.variables or {}
        try:
            frozen = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS) if variables else b""
        except TypeError:  # not JSON orjson can write (a lone surrogate): check every time
            return argument_error(
                compiled.document, request.operation_name, variables, self.query_limits
            )
        key = (request.query, request.operation_name, frozen)
        if key in self._arguments:
            return self._arguments[key]
        error = argument_error(
            compiled.document, request.operation_name, variables, self.query_limits
        )
        self._arguments[key] = error
        return error
