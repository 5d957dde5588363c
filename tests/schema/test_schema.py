"""The committed SDL, descriptions on everything, and a policy rule for every field."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from schema import build_schema, rule_for

SDL = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def _own_types() -> list[object]:
    schema = build_schema()._schema
    return [
        t
        for name, t in schema.type_map.items()
        if not name.startswith("__")
        and isinstance(
            t, GraphQLObjectType | GraphQLInterfaceType | GraphQLEnumType | GraphQLInputObjectType
        )
    ]


def test_committed_sdl_is_current() -> None:
    printed = build_schema().as_str() + "\n"
    assert SDL.read_text(encoding="utf-8") == printed, (
        "schema/schema.graphql is stale: run `diary-gateway schema > schema/schema.graphql`"
    )


def test_every_type_and_field_has_a_description() -> None:
    missing = []
    for t in _own_types():
        if not t.description:  # type: ignore[attr-defined]
            missing.append(t.name)  # type: ignore[attr-defined]
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            for name, f in t.fields.items():
                if not f.description:
                    missing.append(f"{t.name}.{name}")
                for arg_name, arg in f.args.items():
                    if not arg.description:
                        missing.append(f"{t.name}.{name}({arg_name})")
        if isinstance(t, GraphQLEnumType):
            for name, value in t.values.items():
                if not value.description:
                    missing.append(f"{t.name}.{name}")
    assert missing == []


def test_policy_has_a_rule_for_every_field() -> None:
    missing = []
    for t in _own_types():
        if not isinstance(t, GraphQLObjectType) or t.name in ("Query", "Mutation"):
            continue
        for name in t.fields:
            if rule_for(t.name, name) is None:
                missing.append(f"{t.name}.{name}")
    assert missing == []
