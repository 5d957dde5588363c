"""Plans for plain fields (schema/execution.py) answer exactly what graphql-core answers.

Every plain field of the diary's types is asked for, by viewers whose access denies some of
them (``FORBIDDEN`` errors at their paths) and by one who sees them all, with plans and with
plans turned off: the answers are the same, errors, paths and codes included.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType

from schema import build_schema
from schema.documents import graphql_schema
from schema.execution import PlannedExecutor, plain_attribute
from tests.clock import canonical_week

from .conftest import DemoGateway

LESSON = """
  __typename id number date startsAt endsAt room topic isCancelled isReplaced isRemote
  subject { id name } teacher { id fullName }
  marks { ...M }
  homework { id text assignedOn dueOn isDone subject { name } attachments { name url } }
  absence { id date reason isExcused }
"""
DIARY = f"""
  id startsOn endsOn
  days {{
    __typename id date
    lessons {{ {LESSON} }}
    first: lessons {{ number ... on Lesson {{ room }} }}
    homeworkWithoutLesson {{ id text }}
    marksWithoutLesson {{ ...M }}
    absencesWithoutLesson {{ id reason }}
  }}
"""
MARK = """
fragment M on Mark {
  id value scale { kind min max } fivePoint tenPoint hundredPoint normalized weight isExam
  controlForm comment lessonOn createdAt subject { name }
}
"""
PARENT = (
    "query ($from: Date!, $to: Date!) { me { children { id fullName lastName firstName "
    f"middleName className bornOn parentContacts diary(from: $from, to: $to) {{ {DIARY} }} }} }} }}"
    + MARK
)
BY_ID = (
    "query ($id: ID!, $from: Date!, $to: Date!) { diary(studentId: $id, from: $from, to: $to)"
    f" {{ {DIARY} }} }}" + MARK
)


def _both(
    demo: DemoGateway,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    variables: dict[str, Any],
    persona: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    planned = demo.query(query, variables, persona=persona)
    with monkeypatch.context() as patched:
        patched.setattr(PlannedExecutor, "_plan", lambda *_: None)
        # another spelling of the document: not the stored response, not the same plans
        plain = demo.query(query + " ", variables, persona=persona)
    # ``extensions.stale`` reports the entity cache's age, which moves between the two
    return (
        {k: v for k, v in planned.items() if k != "extensions"},
        {k: v for k, v in plain.items() if k != "extensions"},
    )


def test_plans_answer_what_graphql_core_answers(
    demo: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    week = canonical_week()
    planned, plain = _both(demo, monkeypatch, PARENT, week, "parent")
    assert planned == plain
    children = planned["data"]["me"]["children"]
    assert sum(len(d["lessons"]) for c in children for d in c["diary"]["days"]) > 40
    assert "errors" not in planned
    ids = {c["id"] for c in children}
    denied = 0
    for persona in ("parent-not-representative", "class-teacher@74", "teacher@74"):
        for student in sorted(ids):
            variables = {"id": student, **week}
            planned, plain = _both(demo, monkeypatch, BY_ID, variables, persona)
            assert planned == plain, persona
            for error in planned.get("errors", []):
                assert error["extensions"]["code"]
                denied += error["extensions"]["code"] == "FORBIDDEN" and len(error["path"]) > 2
    assert denied, "no viewer was denied a field: the fallback went untested"


def test_plain_attribute_is_strawberrys_field_without_resolver() -> None:
    """Pins the one reach into Strawberry's internals: which fields are plain."""
    schema = graphql_schema(build_schema())
    plain = resolved = 0
    for named in schema.type_map.values():
        if not isinstance(named, GraphQLObjectType) or named.name.startswith("__"):
            continue
        for field in named.fields.values():
            definition = field.extensions["strawberry-definition"]
            found = plain_attribute(field)
            if definition.base_resolver is None and not definition.extensions:
                assert found == definition.python_name, (named.name, field)
                plain += 1
            else:
                assert found is None, (named.name, field)
                resolved += 1
    assert plain > 100
    assert resolved > 20
