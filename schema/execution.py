"""Compiled plans for plain fields: graphql-core's executor with a fast path.

Most of a diary answer is plain data: fields without resolvers, arguments or extensions
whose values are attributes of objects the resolvers built (days, lessons, marks…).
graphql-core completes each of them through the general machinery — a resolve info, the
resolver wrapper Strawberry puts around every field, awaitable checks, path bookkeeping —
which costs far more than the attribute read.

:class:`PlannedExecutor` compiles, once per field selection of a cached document, a *plan*
for a plain field whose whole sub-selection is plain: a walk that reads the attributes and
builds the response value directly (leaves coerced by their GraphQL type, objects checked
with the type's ``is_type_of``). A plan covers only the clean case: at anything it does not
— an error value (a field :func:`schema.enforcement.restrict` denied), a null in a non-null
position, an awaitable, a value its type refuses — it gives up and graphql-core completes
the field as usual (its sub-fields trying their own plans), so errors, paths and
``extensions.code`` come from graphql-core as before. Reading attributes has no side
effects, so giving up and starting over is safe.

A plan is never built for a field with a resolver, arguments, a permission class or field
extension, a schema extension that hooks every resolver, a directive anywhere in the
sub-selection (``@skip``/``@include`` depend on variables, ``@defer``/``@stream`` on
delivery), an abstract type (interface, union) or an introspection field other than
``__typename``.

Which fields are plain is Strawberry's knowledge: :func:`plain_attribute` is the one place
that reads it (a test pins the behaviour).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from cachetools import LRUCache
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    is_leaf_type,
    is_object_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE as _CAST

__all__ = ["PlannedExecutor", "plain_attribute"]

Plan = Callable[[Any], Any]
"""A field's plan: its source object → the field's completed value (or raises)."""

_DEFINITION = "strawberry-definition"
"""Where Strawberry keeps a graphql-core field's own definition (its ``extensions``)."""

PLAN_CACHE_SIZE = 4_096
"""Field selections whose plan (or lack of one) is kept across requests."""


class _GiveUp(Exception):
    """A plan met something it does not cover: graphql-core completes the field instead."""


def plain_attribute(field: GraphQLField) -> str | None:
    """The Python attribute a graphql-core field reads, if it is a plain Strawberry field.

    Plain: no resolver, no field extension, no permission class (Strawberry gives those a
    resolver), the default resolver reading the attribute (``getattr``). Reaches into
    Strawberry's internals: the definition it keeps in the field's ``extensions`` and the
    mark it puts on the resolver of a basic field.
    """
    definition = (field.extensions or {}).get(_DEFINITION)
    if definition is None or not getattr(field.resolve, "_is_default", False):
        return None
    if definition.base_resolver is not None or definition.extensions:
        return None
    if getattr(definition, "permission_classes", None):
        return None
    if getattr(definition, "default_resolver", getattr) is not getattr or field.args:
        return None
    name = definition.python_name
    return name if isinstance(name, str) else None


class _Planner:
    """Compiles plans for one schema and one document's fragments."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments

    def field(self, parent: GraphQLObjectType, nodes: Sequence[FieldNode]) -> Plan | None:
        if any(node.directives or node.arguments for node in nodes):
            return None
        name = nodes[0].name.value
        if name == "__typename":
            type_name = parent.name

            def typename(_source: Any) -> Any:
                return type_name

            typename.reads = (None, type_name)  # type: ignore[attr-defined]
            return typename
        if name.startswith("__"):
            return None
        field = parent.fields.get(name)
        if field is None:
            return None
        attribute = plain_attribute(field)
        if attribute is None:
            return None
        complete = self.value(field.type, nodes)
        if complete is None:
            return None

        def plan(source: Any) -> Any:
            return complete(getattr(source, attribute))

        plan.reads = (attribute, complete)  # type: ignore[attr-defined]
        return plan

    def value(self, kind: GraphQLOutputType, nodes: Sequence[FieldNode]) -> Plan | None:
        if isinstance(kind, GraphQLNonNull):
            inner = self.value(kind.of_type, nodes)
            if inner is None:
                return None

            def non_null(value: Any) -> Any:
                completed = inner(value)
                if completed is None:
                    raise _GiveUp
                return completed

            return non_null
        if isinstance(kind, GraphQLList):
            item = self.value(kind.of_type, nodes)
            if item is None:
                return None

            def listed(value: Any) -> Any:
                if value is None:
                    return None
                if type(value) is not list and type(value) is not tuple:
                    raise _GiveUp
                return [item(v) for v in value]

            return listed
        if is_leaf_type(kind):
            coerce = kind.coerce_output_value
            # graphql-core's standard scalars return these values unchanged
            same = _UNCHANGED.get(kind)

            def leaf(value: Any) -> Any:
                if same is not None and type(value) is same and _in_range(kind, value):
                    return value
                if value is None:
                    return None
                if isinstance(value, BaseException):
                    raise _GiveUp
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    raise _GiveUp
                return coerced

            return leaf
        if is_object_type(kind):
            return self.object(kind, nodes)
        return None  # interfaces and unions: graphql-core resolves the runtime type

    def object(self, kind: GraphQLObjectType, nodes: Sequence[FieldNode]) -> Plan | None:
        grouped: dict[str, list[FieldNode]] = {}
        for node in nodes:
            if node.selection_set is None or not self.collect(kind, node.selection_set, grouped):
                return None
        fields: list[tuple[str, Plan]] = []
        for key, group in grouped.items():
            plan = self.field(kind, group)
            if plan is None:
                return None
            fields.append((key, plan))
        is_type_of = kind.is_type_of
        reads = tuple((key, *plan.reads) for key, plan in fields)  # type: ignore[attr-defined]
        checked: set[type] = set()
        """Classes ``is_type_of`` accepted (an instance cast to another type is checked)."""

        def complete(value: Any) -> Any:
            if value is None:
                return None
            if is_type_of is not None and (
                type(value) not in checked or getattr(value, _CAST, None) is not None
            ):
                if isinstance(value, BaseException) or is_type_of(value, None) is not True:  # type: ignore[arg-type]
                    raise _GiveUp
                if getattr(value, _CAST, None) is None:
                    checked.add(type(value))
            elif isinstance(value, BaseException):
                raise _GiveUp
            out = {}
            for key, attribute, read in reads:
                out[key] = read if attribute is None else read(getattr(value, attribute))
            return out

        return complete

    def collect(
        self, kind: GraphQLObjectType, selections: SelectionSetNode, into: dict[str, list[Any]]
    ) -> bool:
        """Group ``selections`` by response key as graphql-core does (``False``: no plan)."""
        for selection in selections.selections:
            if selection.directives:
                return False
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                into.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and not self.applies(condition.name.value, kind):
                    continue
                if not self.collect(kind, selection.selection_set, into):
                    return False
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None or fragment.directives:
                    return False
                if getattr(fragment, "variable_definitions", None):
                    return False
                if not self.applies(fragment.type_condition.name.value, kind):
                    continue
                if not self.collect(kind, fragment.selection_set, into):
                    return False
            else:
                return False
        return True

    def applies(self, condition: str, kind: GraphQLObjectType) -> bool:
        named = self.schema.get_type(condition)
        if named is None:
            return False
        if named is kind:
            return True
        return bool(
            not is_object_type(named) and self.schema.is_sub_type(named, kind)  # type: ignore[arg-type]
        )


_UNCHANGED: dict[Any, type] = {
    GraphQLString: str,
    GraphQLID: str,
    GraphQLInt: int,
    GraphQLFloat: float,
    GraphQLBoolean: bool,
}
_INT_RANGE = range(-(2**31), 2**31)


def _in_range(kind: Any, value: Any) -> bool:
    """Whether a standard scalar returns ``value`` unchanged (32-bit ints, finite floats)."""
    if kind is GraphQLInt:
        return value in _INT_RANGE
    if kind is GraphQLFloat:
        return math.isfinite(value)
    return True


_PLANS: LRUCache[tuple[Any, ...], tuple[tuple[FieldNode, ...], Plan | None]] = LRUCache(
    maxsize=PLAN_CACHE_SIZE
)
"""(parent type, the field nodes' ids) → (the nodes, their plan): the nodes are kept and
compared by identity, so an id reused by another document never finds a stale plan."""


class PlannedExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor with plans for plain fields (see the module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._field_plans: dict[tuple[Any, int], tuple[Any, Plan | None]] = {}
        middleware = self.middleware_manager
        self._plans_allowed = not (middleware is not None and middleware.middlewares)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        key = (parent_type, id(field_details_list))
        found = self._field_plans.get(key)
        if found is None:
            plan = self._plan(parent_type, field_details_list) if self._plans_allowed else None
            found = self._field_plans[key] = (field_details_list, plan)
        plan = found[1]
        if plan is not None:
            try:
                return plan(source)
            except Exception:  # noqa: BLE001, S110 - not covered: graphql-core completes it
                pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _plan(self, parent_type: GraphQLObjectType, field_details_list: Any) -> Plan | None:
        if any(
            getattr(details, "fragment_variable_values", None) is not None
            or getattr(details, "defer_usage", None) is not None
            for details in field_details_list
        ):
            return None
        nodes = tuple(details.node for details in field_details_list)
        key = (parent_type, *map(id, nodes))
        cached = _PLANS.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], nodes, strict=True)):
            return cached[1]
        plan = _Planner(self.schema, self.fragment_definitions).field(parent_type, nodes)
        _PLANS[key] = (nodes, plan)
        return plan
