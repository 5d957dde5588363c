"""Global ids: unique per object, never shared by objects that differ, and refetchable.

Walks what a parent, a teacher, a class teacher and a school admin reach from `me` (and the
journals of their own groups), collects every object with an id, and checks that one id
always names one type with the same fields, and that `node(id:)` gives the object back or
refuses it with FORBIDDEN/NOT_FOUND.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from tests.clock import school_week

from .conftest import DemoGateway

LESSON = """id __typename number date isCancelled isReplaced isRemote topic room
  subject { id __typename name } teacher { id __typename fullName }
  homework { id __typename text dueOn isDone }
  marks { id __typename value lessonOn fivePoint comment }
  absence { id __typename date reason isExcused }"""

STUDENT = f"""id __typename fullName className
  diary(from: $from, to: $to) {{ id __typename startsOn endsOn days {{
    id __typename date lessons {{ {LESSON} }}
    marksWithoutLesson {{ id __typename value lessonOn }}
    homeworkWithoutLesson {{ id __typename text }}
    absencesWithoutLesson {{ id __typename date reason }} }} }}"""

WALK = f"""query ($from: Date!, $to: Date!) {{
  me {{ id __typename
    roles {{ groups {{ id __typename name studentCount subject {{ id __typename name }} }} }}
    children {{ {STUDENT}
      changes(first: 20) {{ edges {{ node {{ id __typename kind occurredAt subjectName
        lesson {{ id __typename }} mark {{ id __typename }} homework {{ id __typename }} }} }} }}
    }}
  }}
  regions {{ id __typename schools {{ nodes {{ id __typename name }} }} }}
}}"""

JOURNAL = f"""query ($g: ID!, $from: Date!, $to: Date!) {{
  journal(groupId: $g, from: $from, to: $to) {{
    group {{ id __typename name }}
    lessons {{ id __typename date number isCancelled topic }}
    rows {{ student {{ {STUDENT} }} cells {{ lessonId marks {{ id __typename value lessonOn }}
      absence {{ id __typename date reason }} }} }}
  }}
}}"""

PERSONAS = ("parent", "teacher@74", "class-teacher@74", "school-admin@74")


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "id" in value and "__typename" in value:
            yield value
        for item in value.values():
            yield from _objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)


def _flat(obj: dict[str, Any]) -> dict[str, Any]:
    """An object's own scalar fields (nested objects by their ids)."""
    flat: dict[str, Any] = {}
    for key, value in obj.items():
        if isinstance(value, dict):
            flat[key] = value.get("id")
        elif isinstance(value, list):
            flat[key] = [v.get("id") if isinstance(v, dict) else v for v in value]
        else:
            flat[key] = value
    return flat


def _walk(demo: DemoGateway, persona: str) -> dict[str, dict[str, Any]]:
    week = school_week()
    body = demo.query(WALK, week, persona=persona)
    assert body.get("data"), body
    seen: dict[str, dict[str, Any]] = {}
    found = list(_objects(body["data"]))
    groups = {g["id"] for r in body["data"]["me"]["roles"] if r for g in r["groups"]}
    for group in sorted(groups):
        journal = demo.query(JOURNAL, {"g": group, **week}, persona=persona)
        if journal.get("data") and journal["data"]["journal"]:
            found += list(_objects(journal["data"]))
            lessons = {le["id"] for le in journal["data"]["journal"]["lessons"]}
            for row in journal["data"]["journal"]["rows"]:
                assert {c["lessonId"] for c in row["cells"]} <= lessons
    for obj in found:
        flat = _flat(obj)
        before = seen.setdefault(obj["id"], flat)
        # one id, one type and one set of fields (fields asked in both places agree)
        assert before["__typename"] == flat["__typename"], (before, flat)
        for key in before.keys() & flat.keys():
            assert before[key] == flat[key], (persona, obj["id"], key, before, flat)
    return seen


def _refetch(demo: DemoGateway, persona: str, ids: list[str]) -> None:
    for start in range(0, len(ids), 10):
        chunk = ids[start : start + 10]
        query = (
            "query {"
            + " ".join(
                f'n{i}: node(id: "{gid}") {{ id __typename }}' for i, gid in enumerate(chunk)
            )
            + "}"
        )
        body = demo.query(query, persona=persona)
        refused = {
            error["path"][0]: error["extensions"]["code"] for error in body.get("errors", [])
        }
        for i, gid in enumerate(chunk):
            answer = (body.get("data") or {}).get(f"n{i}")
            if answer is None:
                assert refused.get(f"n{i}") in ("FORBIDDEN", "NOT_FOUND"), (persona, gid, body)
            else:
                assert answer["id"] == gid, (persona, gid, answer)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_id_is_unique_and_node_refetches_it(demo: DemoGateway, persona: str) -> None:
    seen = _walk(demo, persona)
    kinds = {obj["__typename"] for obj in seen.values()}
    assert {"Region", "School", "Viewer"} <= kinds, kinds
    if persona != "school-admin@74":  # the admin's students: through School.students
        assert {"Lesson", "DiaryDay", "Diary", "Student", "Mark"} <= kinds, kinds
    # every id is opaque base64url of "Type:region:…" naming its own type
    for gid, obj in seen.items():
        text = base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4)).decode()
        assert text.split(":", 1)[0] == obj["__typename"], text
    ids = sorted(seen)
    # refetch a sample of every kind (all of the rarer ones)
    by_kind: dict[str, list[str]] = {}
    for gid in ids:
        by_kind.setdefault(seen[gid]["__typename"], []).append(gid)
    sample = [gid for kind_ids in by_kind.values() for gid in kind_ids[:6]]
    _refetch(demo, persona, sample)


def test_refetched_objects_equal_what_the_walk_saw(demo: DemoGateway) -> None:
    seen = _walk(demo, "parent")
    lessons = [gid for gid, obj in seen.items() if obj["__typename"] == "Lesson"][:5]
    for gid in lessons:
        body = demo.query(
            f'query {{ node(id: "{gid}") {{ ... on Lesson {{ {LESSON} }} }} }}', persona="parent"
        )
        assert "errors" not in body, body
        assert _flat(body["data"]["node"]) == seen[gid]


def test_twins_get_different_ids_for_the_same_lesson(demo: DemoGateway) -> None:
    body = demo.query(WALK, school_week(), persona="parent")
    twins = [c for c in body["data"]["me"]["children"] if c["id"] and _region(c["id"]) == "77"]
    assert len(twins) == 2
    slots = [
        {(d["date"], le["number"]): le for d in t["diary"]["days"] for le in d["lessons"]}
        for t in twins
    ]
    shared = slots[0].keys() & slots[1].keys()
    assert shared, "twins in one class share lessons"
    for slot in shared:
        a, b = slots[0][slot], slots[1][slot]
        assert a["subject"]["id"] == b["subject"]["id"]
        assert a["id"] != b["id"], slot
        for mark in a["marks"]:
            assert mark["id"] not in {m["id"] for m in b["marks"]}


def _region(gid: str) -> str:
    return base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4)).decode().split(":")[1]
