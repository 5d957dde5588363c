"""Applying the policy to objects as they are built (decide once per object).

:func:`restrict` looks up, once per type and relationship set, which plain fields the
viewer may not see and replaces their values with a ``FORBIDDEN`` error; graphql-core
raises an error value returned for a field at that field's path, so the field is ``null``
with a coded error and its siblings still answer. Fields with resolvers check
:func:`require` themselves.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from strawberry.types.base import get_object_definition

from .errors import ErrorCode, coded_error
from .policy import Access, denied_fields, forbidden, rule_for

__all__ = ["plain_fields", "require", "restrict"]

T = TypeVar("T")


@cache
def plain_fields(cls: Any) -> tuple[tuple[str, str], ...]:
    """(GraphQL name, Python name) of a Strawberry type's fields without resolvers."""
    definition = get_object_definition(cls, strict=True)
    result = []
    for f in definition.fields:
        if f.base_resolver is not None:
            continue
        name = f.graphql_name or _camel(f.python_name)
        result.append((name, f.python_name))
    return tuple(result)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@cache
def _graphql_name(cls: Any) -> str:
    definition = get_object_definition(cls, strict=True)
    return definition.name


def restrict(obj: T, access: Access) -> T:
    """Replace the values of ``obj``'s plain fields the viewer may not see with errors."""
    cls: Any = type(obj)
    fields = plain_fields(cls)
    type_name = _graphql_name(cls)
    denied = denied_fields(type_name, access.relations, tuple(g for g, _ in fields))
    if denied:
        python = dict(fields)
        for name in denied:
            setattr(obj, python[name], forbidden(f"{type_name}.{name}"))
    return obj


def require(access: Access, type_name: str, field_name: str) -> None:
    """Raise ``FORBIDDEN`` unless the viewer may see ``type_name.field_name``."""
    rule = rule_for(type_name, field_name)
    if rule is None or not access.allows(rule):
        raise coded_error(ErrorCode.FORBIDDEN, f"not allowed to see {type_name}.{field_name}")
