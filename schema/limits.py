"""Query limits: hostile or runaway operations are refused before any provider call.

Validation rules (they run once per document, and their results are cached with the
validation cache):

* **depth** — the deepest field path, fragments followed (introspection fields ignored,
  as GraphQL Armor does); default 8;
* **aliases** — aliased fields in the operation, counted through fragments each time a
  fragment is spread; default 15;
* **directives** — directive uses in the document; default 10;
* **cost** — the *planned provider calls*: each field that reads a provider costs one call
  per object it may be asked for, multiplied through lists (a viewer's children count as up
  to ``children``, a journal's rows as up to ``journal_rows`` students, the regions as
  their number); default budget 50.

Tokens are capped at parse time (default 1,000). Before execution, with the variables
known, date ranges longer than ``max_range_days`` and page sizes over ``max_page`` are
refused. Circular fragments are a validation error (graphql-core's rule) and never
recursed into here. Every refusal carries ``extensions.code = "BAD_USER_INPUT"``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from graphql import (
    ASTValidationRule,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension

from .errors import ErrorCode

__all__ = [
    "QueryLimits",
    "argument_error",
    "limit_extensions",
    "planned_calls",
    "validation_rules",
]


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """The limits and their defaults (no looser than GraphQL Armor's)."""

    depth: int = 8
    aliases: int = 15
    tokens: int = 1_000
    directives: int = 10
    cost: int = 50
    """Planned provider calls one operation may make."""
    children: int = 5
    """How many children a viewer is assumed to have, for the cost."""
    journal_rows: int = 30
    """How many students a journal is assumed to list, for the cost."""
    regions: int = 5
    """How many regions ``regions`` lists, for the cost (the gateway sets its own count)."""
    max_range_days: int = 62
    max_page: int = 100


# Fields that read a provider: (type, field) → calls per object. Everything else costs 0.
PROVIDER_FIELDS: dict[tuple[str, str], int] = {
    ("Query", "me"): 1,
    ("Query", "student"): 1,
    ("Query", "node"): 1,
    ("Query", "diary"): 2,
    ("Query", "journal"): 2,
    ("Student", "diary"): 1,
    ("Student", "absences"): 1,
    ("Student", "progress"): 1,
    ("Student", "changes"): 1,
    ("Student", "school"): 1,
    ("Region", "schools"): 1,
    ("RegionRole", "school"): 1,
    ("School", "bellSchedule"): 1,
    ("Mutation", "setHomeworkDone"): 2,
    ("Mutation", "login"): 2,
}
# Lists whose length the cost assumes: (type, field) → QueryLimits attribute or a number.
LIST_SIZES: dict[tuple[str, str], str] = {
    ("Viewer", "children"): "children",
    ("Journal", "rows"): "journal_rows",
    ("Query", "regions"): "regions",
}
RANGE_FIELDS = {("Query", "diary"), ("Query", "journal"), ("Student", "diary")}
RANGE_FIELDS |= {("Student", "absences"), ("Student", "progress")}


def _error(message: str, node: Any, **extensions: Any) -> GraphQLError:
    return GraphQLError(
        message, node, extensions={"code": ErrorCode.BAD_USER_INPUT.value, **extensions}
    )


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def _fields(
    selection_set: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> Iterator[FieldNode]:
    """The fields of a selection set, fragments inlined (cycles not followed)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from _fields(fragment.selection_set, fragments, seen | {name})


def _depth(field: FieldNode, fragments: dict[str, FragmentDefinitionNode], limit: int) -> int:
    if field.name.value.startswith("__"):
        return 0  # introspection is not counted
    children = [_depth(f, fragments, limit) for f in _fields(field.selection_set, fragments)]
    depth = 1 + max(children, default=0)
    return min(depth, limit + 1)  # no need to look deeper than the limit


def _field_type(schema: GraphQLSchema, parent: GraphQLNamedType | None, name: str) -> Any:
    if not isinstance(parent, GraphQLObjectType):
        return None
    field = parent.fields.get(name)
    return get_named_type(field.type) if field is not None else None


def planned_calls(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    limits: QueryLimits,
) -> int:
    """The provider calls an operation may plan, multiplied through lists (see module doc)."""
    fragments = _fragments(document)
    root = schema.mutation_type if operation.operation.value == "mutation" else schema.query_type

    def walk(selection_set: SelectionSetNode | None, parent: Any, factor: int) -> int:
        total = 0
        for field in _fields(selection_set, fragments):
            name = field.name.value
            key = (parent.name, name) if parent is not None else ("", name)
            total += PROVIDER_FIELDS.get(key, 0) * factor
            size = LIST_SIZES.get(key)
            child_factor = factor
            if size is not None:
                child_factor = factor * int(getattr(limits, size))
            if field.selection_set is not None:
                total += walk(field.selection_set, _field_type(schema, parent, name), child_factor)
            if total > 10 * limits.cost:
                return total  # far over: stop counting
        return total

    return walk(operation.selection_set, root, 1)


def _rules(limits: QueryLimits) -> list[type[ASTValidationRule]]:
    class DepthLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = _fragments(self.context.document)
            depth = max(
                (
                    _depth(f, fragments, limits.depth)
                    for f in _fields(node.selection_set, fragments)
                ),
                default=0,
            )
            if depth > limits.depth:
                self.report_error(
                    _error(
                        f"the operation is nested deeper than {limits.depth} levels",
                        node,
                        limit="depth",
                        maximum=limits.depth,
                    )
                )

    class AliasLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = _fragments(self.context.document)
            count = 0
            stack = [node.selection_set]
            visited = 0
            while stack and count <= limits.aliases and visited < 100_000:
                selection_set = stack.pop()
                for field in _fields(selection_set, fragments):
                    visited += 1
                    if field.alias is not None:
                        count += 1
                    if field.selection_set is not None:
                        stack.append(field.selection_set)
            if count > limits.aliases:
                self.report_error(
                    _error(
                        f"the operation uses more than {limits.aliases} aliases",
                        node,
                        limit="aliases",
                        maximum=limits.aliases,
                    )
                )

    class DirectiveLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.count = 0
            self.reported = False

        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            self.count += 1
            if self.count > limits.directives and not self.reported:
                self.reported = True
                self.report_error(
                    _error(
                        f"the document uses more than {limits.directives} directives",
                        node,
                        limit="directives",
                        maximum=limits.directives,
                    )
                )

    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost = planned_calls(self.context.schema, self.context.document, node, limits)
            if cost > limits.cost:
                self.report_error(
                    _error(
                        f"the operation would make about {cost} provider calls; "
                        f"the limit is {limits.cost}",
                        node,
                        limit="cost",
                        maximum=limits.cost,
                        value=cost,
                    )
                )

    return [DepthLimit, AliasLimit, DirectiveLimit, CostLimit]


def _argument(field: FieldNode, name: str, variables: dict[str, Any]) -> Any:
    for argument in field.arguments or ():
        if argument.name.value == name:
            return value_from_ast_untyped(argument.value, variables)
    return None


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


class ArgumentCaps(SchemaExtension):
    """Refuses over-long date ranges and over-large pages before execution starts."""

    limits: QueryLimits = QueryLimits()

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            error = argument_error(
                document, context.operation_name, context.variables or {}, self.limits
            )
            if error is not None:
                from graphql import ExecutionResult

                context.result = ExecutionResult(data=None, errors=[error])
        yield


def argument_error(
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
    limits: QueryLimits,
) -> GraphQLError | None:
    """The first over-long date range or over-large page the operation asks for, if any."""
    fragments = _fragments(document)
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    stack = [op.selection_set for op in operations]
    seen = 0
    while stack and seen < 100_000:
        for field in _fields(stack.pop(), fragments):
            seen += 1
            start = _as_date(_argument(field, "from", variables))
            end = _as_date(_argument(field, "to", variables))
            if start is not None and end is not None:
                if (end - start).days + 1 > limits.max_range_days:
                    return _error(
                        f"date ranges are limited to {limits.max_range_days} days",
                        field,
                        limit="range",
                        maximum=limits.max_range_days,
                    )
            first = _argument(field, "first", variables)
            if isinstance(first, int) and not isinstance(first, bool):
                if first > limits.max_page or first < 0:
                    return _error(
                        f"first must be between 0 and {limits.max_page}",
                        field,
                        limit="first",
                        maximum=limits.max_page,
                    )
            if field.selection_set is not None:
                stack.append(field.selection_set)
    return None


@lru_cache(maxsize=16)
def validation_rules(limits: QueryLimits) -> list[type[ASTValidationRule]]:
    """The limit rules for ``limits`` (one set of classes per distinct limits)."""
    return _rules(limits)


def limit_extensions(limits: QueryLimits | None = None) -> list[Any]:
    """The schema extensions that enforce ``limits`` (defaults when ``None``)."""
    chosen = limits or QueryLimits()
    rules = validation_rules(chosen)
    caps = type("ArgumentCaps", (ArgumentCaps,), {"limits": chosen})
    return [
        lambda: MaxTokensLimiter(max_token_count=chosen.tokens),
        lambda: AddValidationRules(rules),
        caps,
    ]
