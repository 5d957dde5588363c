"""Query limits: hostile or runaway operations are refused before any provider call.

The cheapest refusals come first:

1. **tokens** — capped at parse time (default 1,000);
2. **fan-out** — before graphql-core's own validation rules (some of which are costly on
   such documents), the fields of each operation and fragment are counted with every
   fragment spread in full — bottom-up, each fragment once, so a chain of fragments each
   spreading the next twice costs one look per fragment — and a document selecting more
   than ``fields`` (default 2,000) is refused; so is a fragment cycle;
3. **validation rules** (they run once per document, and their results are cached with
   the validation cache):

   * **depth** — the deepest field path, fragments followed (introspection fields ignored,
     as GraphQL Armor does); default 8;
   * **aliases** — aliased fields in the operation, counted through fragments each time a
     fragment is spread; default 15;
   * **directives** — directive uses in the document; default 10;
   * **cost** — the *planned provider calls*: each field that reads a provider costs one
     call per object it may be asked for, multiplied through lists (a viewer's children
     count as up to ``children``, a journal's rows as up to ``journal_rows`` students, the
     regions as their number, a connection's page as its ``first``); default budget 50.

Before execution, with the variables known, page sizes over ``max_page`` are refused. Date
ranges longer than ``max_range_days`` are refused by the field asked for them (an error at
that field's ``path`` naming the argument; a whole term asked for by ``termId`` is exempt
from the day cap, not from the cost).

Every walker visits each fragment once: depth, alias count and planned calls are memoised
per fragment (planned calls per fragment and parent type) and combined with the number of
times a fragment is spread, and each walker counts the selections it looks at and refuses
the document past ``visits`` (default 20,000) — a hard bound on the work per document
whatever its shape (:func:`walker_visits` reports the count). Every refusal carries
``extensions.code = "BAD_USER_INPUT"`` and ``extensions.limit``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
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
    IntValueNode,
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
    "COST_CAP",
    "QueryLimits",
    "argument_error",
    "fan_out_error",
    "limit_extensions",
    "operation_cost",
    "planned_calls",
    "validation_rules",
    "walker_visits",
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
    fields: int = 2_000
    """Fields one operation or fragment may select with every fragment spread in full."""
    visits: int = 20_000
    """Selections one limit walker may look at in a document before refusing it."""
    merges: int = 1_000
    """Pairs of same-named fields (and of fragments) that validation may have to compare."""


# Fields that read a provider: (type, field) → calls per object. Everything else costs 0.
PROVIDER_FIELDS: dict[tuple[str, str], int] = {
    ("Query", "me"): 1,
    ("Query", "student"): 1,
    ("Query", "node"): 1,
    ("Query", "diary"): 2,
    ("Query", "journal"): 2,
    ("Student", "diary"): 1,
    ("Student", "absences"): 1,
    ("Student", "marks"): 1,
    ("Student", "progress"): 1,
    ("Student", "changes"): 1,
    ("Student", "remarks"): 1,
    ("Student", "classNotices"): 1,
    ("Student", "meetings"): 1,
    ("Student", "absenceNotices"): 1,
    ("Student", "absenceReasons"): 1,
    ("Viewer", "messageThreads"): 2,  # the profile and the threads, per region
    ("Viewer", "correspondents"): 1,
    ("MessageThread", "messages"): 1,
    ("DiaryDay", "remarks"): 1,  # one read per diary (its days share it)
    ("Change", "lesson"): 1,
    ("Change", "mark"): 1,
    ("Change", "homework"): 1,
    ("Student", "school"): 1,
    ("Region", "schools"): 1,
    ("RegionRole", "school"): 1,
    ("School", "bellSchedule"): 1,
    ("Query", "viewer"): 1,
    ("Viewer", "students"): 1,
    ("RegionRole", "classes"): 1,
    ("School", "classes"): 1,
    ("School", "groups"): 1,
    ("School", "students"): 2,
    ("ClassUnit", "students"): 1,  # the roster and profile are read once per request
    ("School", "terms"): 1,
    ("Mutation", "setHomeworkDone"): 2,
    ("Mutation", "enterMark"): 3,  # profile, student, the write
    ("Mutation", "correctMark"): 3,
    ("Mutation", "notifyAbsence"): 3,
    ("Mutation", "rsvpMeeting"): 3,
    ("Mutation", "sendMessage"): 1,
    ("Mutation", "markMessagesRead"): 1,
    ("Mutation", "login"): 2,
    ("Mutation", "acknowledgeDiary"): 3,  # profile, student, the week's diary
    ("Mutation", "createInvitation"): 2,
    ("Mutation", "redeemInvitation"): 1,
    ("Mutation", "requestAccess"): 1,
    ("Mutation", "decideAccessRequest"): 3,
    ("Query", "accessRequests"): 1,
}
# Lists whose length the cost assumes: (type, field) → QueryLimits attribute or a number.
LIST_SIZES: dict[tuple[str, str], str] = {
    ("Viewer", "children"): "children",
    ("Journal", "rows"): "journal_rows",
    ("Query", "regions"): "regions",
    ("Viewer", "students"): "children",
    ("RegionRole", "classes"): "children",
}
"""A Relay connection field counts as many objects as its page may hold: the literal
``first``, the argument's default when it is left out, ``max_page`` when a variable
decides (the cost is planned before the variables are known)."""
BATCHED_PAGES = frozenset({"ChangeConnection"})
"""Connections whose items read a provider once per page, not once per item (a changes
page finds its lessons, marks and homework in one diary read)."""


def _error(message: str, node: Any, **extensions: Any) -> GraphQLError:
    return GraphQLError(
        message, node, extensions={"code": ErrorCode.BAD_USER_INPUT.value, **extensions}
    )


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


Selection = FieldNode | FragmentSpreadNode
ExecutableDefinition = OperationDefinitionNode | FragmentDefinitionNode


def _selections(selection_set: SelectionSetNode | None) -> Iterator[Selection]:
    """The fields and fragment spreads of a selection set, inline fragments inlined.

    Named fragments are *not* followed: the walkers below look each one up once.
    """
    if selection_set is None:
        return
    stack = [iter(selection_set.selections)]
    while stack:
        selection = next(stack[-1], None)
        if selection is None:
            stack.pop()
        elif isinstance(selection, InlineFragmentNode):
            stack.append(iter(selection.selection_set.selections))
        elif isinstance(selection, FieldNode | FragmentSpreadNode):
            yield selection


COST_CAP = 1_000_000_000
"""Expanded field counts stop here; fragment fan-out can otherwise grow exponentially."""


@dataclass(frozen=True, slots=True)
class _FieldCounts:
    definitions: list[tuple[ExecutableDefinition, int, list[str]]]
    """Each operation and fragment with its own fields and the fragments it spreads."""
    sizes: dict[str, int]
    """Each fragment's fields with every spread in full (capped at :data:`COST_CAP`)."""
    cycle: tuple[str, list[str]] | None
    """The first fragment found spreading itself, and the path back to it."""

    def expanded(self, count: int, spreads: list[str]) -> int:
        return min(count + sum(self.sizes.get(s, 0) for s in spreads), COST_CAP)


def _field_counts(document: DocumentNode) -> _FieldCounts:
    """The fields of every definition with every fragment spread in full, without expanding.

    Each definition's own fields and spreads are counted once; a fragment's expanded size is
    then computed bottom-up (own fields + the sizes of what it spreads), each fragment once,
    iteratively (no recursion), so a chain of fragments each spreading the next twice costs
    one look per fragment. A spread that closes a cycle counts nothing (the first cycle is
    reported). The one walker behind the fan-out refusal and :func:`operation_cost`.
    """
    own: dict[str, tuple[int, list[str]]] = {}
    definitions: list[tuple[ExecutableDefinition, int, list[str]]] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode):
            continue
        count = 0
        spreads: list[str] = []
        stack = [definition.selection_set]
        while stack:
            for selection in stack.pop().selections:
                if isinstance(selection, FieldNode):
                    count += 1
                    if selection.selection_set is not None:
                        stack.append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    stack.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    spreads.append(selection.name.value)
        if isinstance(definition, FragmentDefinitionNode):
            own.setdefault(definition.name.value, (count, spreads))
        definitions.append((definition, count, spreads))

    sizes: dict[str, int] = {}
    cycle: tuple[str, list[str]] | None = None
    for name in own:  # post-order over the fragment graph, with an explicit stack
        if name in sizes:
            continue
        on_path: list[str] = []
        stack_names: list[tuple[str, bool]] = [(name, False)]
        while stack_names:
            current, done = stack_names.pop()
            if done:
                count, spreads = own[current]
                total = count + sum(sizes.get(s, 0) for s in spreads)
                sizes[current] = min(total, COST_CAP)
                on_path.pop()
                continue
            if current in sizes or current not in own:
                continue
            if current in on_path:
                if cycle is None:
                    cycle = (current, on_path[on_path.index(current) :])
                continue
            on_path.append(current)
            stack_names.append((current, True))
            for spread in own[current][1]:
                if spread not in sizes:
                    stack_names.append((spread, False))
    return _FieldCounts(definitions, sizes, cycle)


def operation_cost(document: DocumentNode, operation: OperationDefinitionNode) -> int:
    """The number of fields ``operation`` selects, every fragment spread counted in full.

    Fields under aliases count once per alias; a fragment spread twice counts twice; a
    spread closing a cycle counts nothing. Capped at :data:`COST_CAP`.
    """
    counts = _field_counts(document)
    for definition, count, spreads in counts.definitions:
        if definition is operation:
            return counts.expanded(count, spreads)
    return 0


def _fan_out(document: DocumentNode, limits: QueryLimits) -> GraphQLError | None:
    """Refuses a fragment cycle and any definition whose fields, with every fragment spread
    in full, exceed ``limits.fields`` (see :func:`_field_counts`); then documents whose
    same-named fields validation would compare too often. Linear in the document: this runs
    before graphql-core's own validation rules, some of which are costly on such documents.
    """
    cap = limits.fields
    counts = _field_counts(document)
    definitions, sizes = counts.definitions, counts.sizes
    if counts.cycle is not None:
        current, cycle = counts.cycle
        via = ", ".join(f"'{n}'" for n in cycle[1:])
        node = next(d for d, _, _ in definitions if d.name and d.name.value == current)
        return _error(
            f"Cannot spread fragment '{current}' within itself" + (f" via {via}." if via else "."),
            node,
            limit="fragments",
        )

    for definition, count, spreads in definitions:
        total = count + sum(sizes.get(s, 0) for s in spreads)
        if total > cap:
            return _error(
                f"the operation selects more than {cap} fields with its fragments spread",
                definition,
                limit="fields",
                maximum=cap,
            )
    fragments = _fragments(document)
    budget = [limits.visits]
    pairs = 0
    for definition, _, _ in definitions:
        pairs += _merge_pairs(definition.selection_set, fragments, budget)
        if budget[0] < 0:
            return _too_complex(definition, limits)
        if pairs > limits.merges:
            return _error(
                f"the document asks for more than {limits.merges} comparisons of fields "
                "that share a name",
                definition,
                limit="merges",
                maximum=limits.merges,
            )
    return None


def _merge_pairs(
    selection_set: SelectionSetNode,
    fragments: dict[str, FragmentDefinitionNode],
    budget: list[int],
) -> int:
    """How many field pairs graphql-core's overlapping-fields rule compares, about.

    Fields with one response name in one selection set (fragments spread in full) are
    compared pairwise, and so are the fields of their merged sub-selections; so are the
    fragments spread in one selection set. Only called on a document whose fan-out is
    bounded and without cycles; every selection looked at spends one unit of ``budget``.
    """
    pairs = 0
    groups: list[list[SelectionSetNode]] = [[selection_set]]
    while groups:
        by_name: dict[str, list[SelectionSetNode | None]] = {}
        spreads = 0
        stack = groups.pop()
        while stack:
            for selection in stack.pop().selections:
                budget[0] -= 1
                if isinstance(selection, FieldNode):
                    name = (selection.alias or selection.name).value
                    by_name.setdefault(name, []).append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    stack.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    spreads += 1
                    fragment = fragments.get(selection.name.value)
                    if fragment is not None:
                        stack.append(fragment.selection_set)
            if budget[0] < 0:
                return pairs
        pairs += spreads * (spreads - 1) // 2
        for subs in by_name.values():
            pairs += len(subs) * (len(subs) - 1) // 2
            merged = [s for s in subs if s is not None]
            if merged:
                groups.append(merged)
    return pairs


def fan_out_error(document: DocumentNode, limits: QueryLimits) -> GraphQLError | None:
    """Why ``document`` is refused before any other validation (fragment fan-out), if it is."""
    return _fan_out(document, limits)


class _TooComplex(Exception):
    """A walker used up its visits: the document is refused, not walked further."""


class _Walk:
    """The limit walkers over one document: every fragment walked once, visits capped.

    Depth, alias counts and planned calls are memoised per fragment (planned calls per
    fragment and parent type, for one object; the caller multiplies) and combined with the
    number of times each is spread. Every selection looked at is a *visit*; past
    ``limits.visits`` the walk stops with :class:`_TooComplex`. A fragment that is being
    walked counts as empty where it is spread again (a cycle: refused elsewhere).
    """

    def __init__(
        self, document: DocumentNode, limits: QueryLimits, schema: GraphQLSchema | None = None
    ) -> None:
        self.fragments = _fragments(document)
        self.limits = limits
        self.schema = schema
        self.visits = 0
        self._depths: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._calls: dict[tuple[str, str], int] = {}
        self._active: set[str] = set()

    def _selections(self, selection_set: SelectionSetNode | None) -> Iterator[Selection]:
        for selection in _selections(selection_set):
            self.visits += 1
            if self.visits > self.limits.visits:
                raise _TooComplex
            yield selection

    def _fragment(self, name: str, memo: dict[Any, int], key: Any, walk: Any) -> int:
        if key in memo:
            return memo[key]
        fragment = self.fragments.get(name)
        if fragment is None or name in self._active:
            return 0
        self._active.add(name)
        try:
            value: int = walk(fragment.selection_set)
        finally:
            self._active.discard(name)
        memo[key] = value
        return value

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        """The deepest field path below ``selection_set`` (at most the limit + 1)."""
        ceiling = self.limits.depth + 1
        deepest = 0
        for selection in self._selections(selection_set):
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                found = self._fragment(name, self._depths, name, self.depth)
            elif selection.name.value.startswith("__"):
                continue  # introspection is not counted
            else:
                found = 1 + self.depth(selection.selection_set)
            deepest = max(deepest, found)
            if deepest >= ceiling:
                return ceiling  # no need to look deeper than the limit
        return deepest

    def aliases(self, selection_set: SelectionSetNode | None) -> int:
        """Aliased fields below ``selection_set``, a fragment counted each time it is spread."""
        ceiling = self.limits.aliases + 1
        count = 0
        for selection in self._selections(selection_set):
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                count += self._fragment(name, self._aliases, name, self.aliases)
            else:
                count += selection.alias is not None
                if selection.selection_set is not None:
                    count += self.aliases(selection.selection_set)
            if count >= ceiling:
                return ceiling
        return count

    def calls(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        """Planned provider calls below ``selection_set`` for one ``parent`` object."""
        ceiling = _COST_CEILING
        parent_name = parent.name if parent is not None else ""
        total = 0
        for selection in self._selections(selection_set):
            name = selection.name.value
            if isinstance(selection, FragmentSpreadNode):
                total += self._fragment(
                    name,
                    self._calls,
                    (name, parent_name),
                    lambda selections: self.calls(selections, parent),
                )
            else:
                key = (parent_name, name)
                total += PROVIDER_FIELDS.get(key, 0)
                if selection.selection_set is not None:
                    child = _field_type(self.schema, parent, name) if self.schema else None
                    size = LIST_SIZES.get(key)
                    if size is not None:
                        factor = int(getattr(self.limits, size))
                    elif _is_page(child):
                        factor = self._page_size(selection, parent)
                    else:
                        factor = 1
                    total += factor * self.calls(selection.selection_set, child)
            if total >= ceiling:
                return ceiling
        return total

    def _page_size(self, field: FieldNode, parent: Any) -> int:
        """How many items a connection field's page may hold: its literal ``first``, else
        the argument's default; ``max_page`` when a variable decides."""
        argument = next((a for a in field.arguments or () if a.name.value == "first"), None)
        if argument is not None:
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(0, min(int(value.value), self.limits.max_page))
            return self.limits.max_page
        definition = parent.fields.get(field.name.value) if parent is not None else None
        default = definition.args.get("first") if definition is not None else None
        if default is not None and isinstance(default.default_value, int):
            return min(default.default_value, self.limits.max_page)
        return self.limits.max_page


def _is_page(named: Any) -> bool:
    """A Relay connection whose items may each read a provider (see :data:`BATCHED_PAGES`)."""
    return (
        isinstance(named, GraphQLObjectType)
        and named.name.endswith("Connection")
        and named.name not in BATCHED_PAGES
    )


_COST_CEILING = 1_000_000
"""Planned calls are not counted further (the cost limit is far below)."""


def _field_type(schema: GraphQLSchema, parent: GraphQLNamedType | None, name: str) -> Any:
    if not isinstance(parent, GraphQLObjectType):
        return None
    field = parent.fields.get(name)
    return get_named_type(field.type) if field is not None else None


def _root(schema: GraphQLSchema, operation: OperationDefinitionNode) -> Any:
    return schema.mutation_type if operation.operation.value == "mutation" else schema.query_type


def planned_calls(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    limits: QueryLimits,
) -> int:
    """The provider calls an operation may plan, multiplied through lists (see module doc).

    Raises :class:`_TooComplex` past ``limits.visits`` visits.
    """
    walk = _Walk(document, limits, schema)
    return walk.calls(operation.selection_set, _root(schema, operation))


def walker_visits(schema: GraphQLSchema, document: DocumentNode, limits: QueryLimits) -> int:
    """How many selections the limit walkers look at for ``document`` (every operation).

    Each walker stops at ``limits.visits``, so the result is at most four times that; with
    every fragment walked once it is a small multiple of the document's size.
    """
    total = 0
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    for operation in operations:
        for kind in ("depth", "aliases", "calls"):
            walk = _Walk(document, limits, schema)
            try:
                if kind == "depth":
                    walk.depth(operation.selection_set)
                elif kind == "aliases":
                    walk.aliases(operation.selection_set)
                else:
                    walk.calls(operation.selection_set, _root(schema, operation))
            except (_TooComplex, RecursionError):
                pass
            total += walk.visits
    checks = _Walk(document, limits, schema)
    try:
        _argument_walk(checks, operations, {}, limits)
    except (_TooComplex, RecursionError):
        pass
    return total + checks.visits


def _too_complex(node: Any, limits: QueryLimits) -> GraphQLError:
    return _error(
        f"the operation is too complex to check (more than {limits.visits} selections "
        "with its fragments followed)",
        node,
        limit="visits",
        maximum=limits.visits,
    )


def _rules(limits: QueryLimits) -> list[type[ASTValidationRule]]:
    class DepthLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            try:
                depth = _Walk(self.context.document, limits).depth(node.selection_set)
            except (_TooComplex, RecursionError):
                self.report_error(_too_complex(node, limits))
                return
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
            try:
                count = _Walk(self.context.document, limits).aliases(node.selection_set)
            except (_TooComplex, RecursionError):
                self.report_error(_too_complex(node, limits))
                return
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
            try:
                cost = planned_calls(self.context.schema, self.context.document, node, limits)
            except (_TooComplex, RecursionError):
                self.report_error(_too_complex(node, limits))
                return
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


class ArgumentCaps(SchemaExtension):
    """Refuses over-large pages before execution starts."""

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
    """The first over-large page the operation asks for, if any."""
    operations = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode)
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
    ]
    walk = _Walk(document, limits)
    try:
        return _argument_walk(walk, operations, variables, limits)
    except (_TooComplex, RecursionError):
        return _too_complex(operations[0] if operations else None, limits)


def _argument_walk(
    walk: _Walk,
    operations: list[OperationDefinitionNode],
    variables: dict[str, Any],
    limits: QueryLimits,
) -> GraphQLError | None:
    """Checks every field's arguments once: each fragment is looked at once, however spread."""
    stack: list[SelectionSetNode | None] = [op.selection_set for op in operations]
    followed: set[str] = set()
    while stack:
        for selection in walk._selections(stack.pop()):
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = walk.fragments.get(name)
                if fragment is not None and name not in followed:
                    followed.add(name)
                    stack.append(fragment.selection_set)
                continue
            field = selection
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


@lru_cache(maxsize=16)
def _fan_out_rule(limits: QueryLimits) -> type[ASTValidationRule]:
    class FanOutLimit(ValidationRule):
        def enter_document(self, node: DocumentNode, *_: Any) -> None:
            error = fan_out_error(node, limits)
            if error is not None:
                self.report_error(error)

    return FanOutLimit


class FanOutCheck(SchemaExtension):
    """Runs the fan-out check right after parsing, before the validation rules.

    When the document is refused, validation runs only the (linear) fan-out rule, which
    reports the refusal: graphql-core's rules never see the document.
    """

    limits: QueryLimits = QueryLimits()

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        document = context.graphql_document
        if document is not None and fan_out_error(document, self.limits) is not None:
            context.validation_rules = (_fan_out_rule(self.limits),)


def limit_extensions(limits: QueryLimits | None = None) -> list[Any]:
    """The schema extensions that enforce ``limits`` (defaults when ``None``)."""
    chosen = limits or QueryLimits()
    rules = validation_rules(chosen)
    caps = type("ArgumentCaps", (ArgumentCaps,), {"limits": chosen})
    fan_out = type("FanOutCheck", (FanOutCheck,), {"limits": chosen})
    return [
        lambda: MaxTokensLimiter(max_token_count=chosen.tokens),
        lambda: AddValidationRules(rules),
        fan_out,
        caps,
    ]
