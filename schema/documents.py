"""Parsing and validation, once per distinct document: one bounded cache for every caller.

:class:`DocumentCache` parses a document (with the token limit), refuses fragment fan-out
before graphql-core's own rules, validates it (graphql-core's rules, Strawberry's, the
query limits and, with introspection off, the introspection ban) and keeps the outcome in
an LRU keyed by the document's text. The HTTP pipeline asks it before execution, and the
schema's :class:`CachedDocuments` extension hands the same outcome to Strawberry's
execution, so a document is compiled once whichever side sees it first.

Strawberry keeps its graphql-core schema in a private attribute; :func:`graphql_schema`
is the one place that reads it (a test pins the behaviour).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
    specified_rules,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from .limits import QueryLimits, fan_out_error, operation_cost, validation_rules

if TYPE_CHECKING:
    import strawberry

__all__ = [
    "CachedDocuments",
    "CompiledDocument",
    "DocumentCache",
    "compile_document",
    "graphql_schema",
]

DEFAULT_SIZE = 1_000
"""Distinct documents kept; the least recently used is dropped."""


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema behind a Strawberry schema (Strawberry's private attribute)."""
    found = schema._schema
    if not isinstance(found, GraphQLSchema):  # pinned by a test: Strawberry changed
        raise TypeError(f"Strawberry's schema holds {type(found).__name__}, not GraphQLSchema")
    return found


@dataclass(slots=True)
class CompiledDocument:
    """A parsed and validated document (``errors``: why it cannot run, parse errors too)."""

    document: DocumentNode | None
    errors: list[GraphQLError]
    _costs: dict[str | None, tuple[OperationDefinitionNode | None, int]] = field(
        default_factory=dict
    )

    @property
    def valid(self) -> bool:
        return self.document is not None and not self.errors

    def operation(self, name: str | None) -> tuple[OperationDefinitionNode | None, int]:
        """The operation ``name`` selects (``None`` if none or ambiguous) and its cost in fields."""
        known = self._costs.get(name)
        if known is None:
            operation = get_operation_ast(self.document, name) if self.document else None
            cost = operation_cost(self.document, operation) if self.document and operation else 0
            known = self._costs[name] = (operation, cost)
        return known


def compile_document(
    schema: GraphQLSchema,
    query: str,
    limits: QueryLimits,
    rules: tuple[type[ASTValidationRule], ...],
) -> CompiledDocument:
    """Parse and validate ``query``: the work :class:`DocumentCache` does once per document."""
    try:
        document = parse(query, max_tokens=limits.tokens)
    except GraphQLError as error:
        return CompiledDocument(None, [error])
    except RecursionError:
        return CompiledDocument(None, [GraphQLError("the document is nested too deeply")])
    fan_out = fan_out_error(document, limits)
    if fan_out is not None:  # the cheapest refusal first: graphql-core's rules never see it
        return CompiledDocument(document, [fan_out])
    return CompiledDocument(document, validate_document(schema, document, rules))


class DocumentCache:
    """Compiled documents by text, in one bounded LRU (see the module doc).

    Args:
        limits: the query limits (tokens, fan-out and the validation rules).
        introspection: whether introspection queries are allowed.
        size: how many distinct documents are kept.
    """

    def __init__(
        self, limits: QueryLimits, *, introspection: bool = True, size: int = DEFAULT_SIZE
    ) -> None:
        self.limits = limits
        extra = () if introspection else (NoSchemaIntrospectionCustomRule,)
        self.rules: tuple[type[ASTValidationRule], ...] = (
            *specified_rules,
            *validation_rules(limits),
            *extra,
        )
        self._schema: GraphQLSchema | None = None
        self._compiled: LRUCache[str, CompiledDocument] = LRUCache(maxsize=size)

    def bind(self, schema: strawberry.Schema) -> None:
        """Validate against ``schema`` (called once the schema is built)."""
        self._schema = graphql_schema(schema)

    def get(self, query: str) -> CompiledDocument:
        """``query`` parsed and validated, from the cache when it was seen before."""
        compiled = self._compiled.get(query)
        if compiled is None:
            if self._schema is None:
                raise RuntimeError("DocumentCache.bind() was not called")
            compiled = compile_document(self._schema, query, self.limits, self.rules)
            self._compiled[query] = compiled
        return compiled

    def __len__(self) -> int:
        return len(self._compiled)


class CachedDocuments(SchemaExtension):
    """Gives Strawberry's execution the cached parse and validation of the document."""

    documents: DocumentCache

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            compiled = self.documents.get(context.query)
            if compiled.document is None:
                raise compiled.errors[0]
            context.graphql_document = compiled.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.query:
            context.pre_execution_errors = list(self.documents.get(context.query).errors)
        yield


def documents_extension(documents: DocumentCache) -> Any:
    """The :class:`CachedDocuments` extension class for ``documents``."""
    return type("CachedDocuments", (CachedDocuments,), {"documents": documents})
