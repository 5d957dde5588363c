"""Every role finds its own records from `me`, with no id built by hand (issue 12, item 2)."""

from __future__ import annotations

from typing import Any

import pytest

from diary_gateway_demo.seed import World
from tests.clock import school_week

from .conftest import DemoGateway

REGIONS = ("74", "11", "77")

WALK = """{ viewer { id } me {
  students { id fullName }
  roles { role
    classes { name students(first: 100) { totalCount nodes { fullName } } }
    groups { name subject { name } classUnit { name } } } } }"""

SCHOOL = """{ me { roles { role school { name
      classes(first: 100) { totalCount edges { cursor node { name } } }
      groups(first: 100) { totalCount nodes { subject { name } } }
      students(first: 100) { totalCount pageInfo { hasNextPage } nodes { fullName } }
      terms { id name startsOn endsOn } } } } }"""


def _full(seed: object) -> str:
    p = seed.person  # type: ignore[attr-defined]
    return " ".join(x for x in (p.last_name, p.first_name, p.middle_name) if x)


def _walk(demo: DemoGateway, persona: str, query: str = WALK) -> dict[str, Any]:
    body = demo.query(query, persona=persona)
    assert "errors" not in body, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


@pytest.mark.parametrize("region", REGIONS)
def test_each_role_reaches_its_records_from_me(demo: DemoGateway, region: str) -> None:
    world = World.build(region)
    canonical = world.students[world.canonical_student_id]
    home = world.classes[canonical.class_id]
    school = [c for c in world.classes.values() if c.school_id == home.school_id]

    student = _walk(demo, f"student@{region}")
    assert [s["fullName"] for s in student["me"]["students"]] == [
        _full(world.persona_student("student"))
    ]

    lead = _walk(demo, f"class-teacher@{region}")
    (role,) = [r for r in lead["me"]["roles"] if r["role"] == "CLASS_TEACHER"]
    (unit,) = role["classes"]
    assert unit["name"] == home.name
    assert unit["students"]["totalCount"] == 25
    assert {n["fullName"] for n in unit["students"]["nodes"]} == {
        _full(s) for s in world.class_students(home.id)
    }

    admin = _walk(demo, f"school-admin@{region}", SCHOOL)
    (role,) = [r for r in admin["me"]["roles"] if r["role"] == "SCHOOL_ADMIN"]
    found = role["school"]
    assert {e["node"]["name"] for e in found["classes"]["edges"]} == {c.name for c in school}
    assert found["students"]["totalCount"] == 25 * len(school)
    assert {n["fullName"] for n in found["students"]["nodes"]} == {
        _full(s) for c in school for s in world.class_students(c.id)
    }
    groups = [g for g in world.groups.values() if g.school_id == home.school_id]
    assert found["groups"]["totalCount"] == len(groups)

    teacher = _walk(demo, f"teacher@{region}")
    roles = [r for r in teacher["me"]["roles"] if r["role"] == "TEACHER"]
    pairs = {(g["subject"]["name"], g["classUnit"]["name"]) for r in roles for g in r["groups"]}
    group = world.teacher_persona_group()
    seed_teacher = world.teachers[group.teacher_id]
    assert pairs == {
        (g.subject, world.classes[g.class_id].name)
        for g in world.groups_of_teacher(seed_teacher.id)
    }

    parent = _walk(demo, "parent", SCHOOL)
    assert all(
        r["school"] is None or r["school"]["students"]["totalCount"] == 0
        for r in parent["me"]["roles"]
    )


def test_school_students_to_diaries_is_within_the_cost_budget_only_for_small_pages(
    demo: DemoGateway,
) -> None:
    query = (
        "query ARGS { me { roles { school { students(first: FIRST) { nodes { "
        'diary(from: "2026-09-01", to: "2026-09-07") { days { date } } } } } } } }'
    )
    small = demo.query(query.replace("ARGS", "").replace("FIRST", "2"), persona="school-admin@74")
    assert "errors" not in small, small
    # a big page, or a page size the cost cannot see before the variables are known
    for args, first, variables in (("", "60", None), ("($n: Int!)", "$n", {"n": 2})):
        body = demo.query(
            query.replace("ARGS", args).replace("FIRST", first),
            variables,
            persona="school-admin@74",
        )
        assert body.get("data") is None, body
        assert body["errors"][0]["extensions"]["limit"] == "cost"


PERSONA_WALKS = {
    "student": "{ me { students { id school { terms { id } } } } }",
    "class-teacher": """{ me { roles { role
        classes { id classTeacher { id } students(first: 3) { nodes { id } } } } } }""",
    "school-admin": """{ me { roles { role school { id
        classes(first: 2) { nodes { id } } students(first: 3) { nodes { id } } } } } }""",
    "teacher": """{ me { roles { role groups { id classUnit { id } } } } }""",
}
RECORDS = """query ($id: ID!, $from: Date!, $to: Date!) { node(id: $id) { id ... on Student {
  diary(from: $from, to: $to) { id days { id lessons { id marks { id } homework { id } } } }
  absences(from: $from, to: $to) { id } } } }"""
JOURNAL = """query ($g: ID!, $from: Date!, $to: Date!) {
  journal(groupId: $g, from: $from, to: $to) { lessons { id } rows { student { id } } } }"""


def _ids(value: object, kind: str | None = None) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        if isinstance(value.get("id"), str):
            found.append(value["id"])
        for item in value.values():
            found += _ids(item)
    elif isinstance(value, list):
        for item in value:
            found += _ids(item)
    return found


def _lessons(value: object) -> int:
    if isinstance(value, dict):
        return len(value.get("lessons") or []) + sum(_lessons(v) for v in value.values())
    if isinstance(value, list):
        return sum(_lessons(v) for v in value)
    return 0


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("role", list(PERSONA_WALKS))
def test_each_persona_reads_its_records_starting_from_me(
    demo: DemoGateway, region: str, role: str
) -> None:
    """Each persona reaches students' diaries from `me` alone; every id it was handed
    refetches through `node(id:)` (or is refused with FORBIDDEN/NOT_FOUND, never otherwise)."""
    persona = f"{role}@{region}"
    week = school_week()
    body = demo.query(PERSONA_WALKS[role], persona=persona)
    assert "errors" not in body, body
    found: list[object] = [body["data"]]
    if role == "teacher":
        roles = body["data"]["me"]["roles"]
        groups = [g["id"] for r in roles if r["role"] == "TEACHER" for g in r["groups"]]
        assert groups
        journal = demo.query(JOURNAL, {"g": groups[0], **week}, persona=persona)
        assert "errors" not in journal, journal
        assert journal["data"]["journal"]["rows"], journal
        found.append(journal["data"])
    students = sorted({g for g in _ids(found) if _kind(g) == "Student"})
    assert students, body
    for student in students[:3]:
        records = demo.query(RECORDS, {"id": student, **week}, persona=persona)
        assert "errors" not in records, (persona, records)
        assert records["data"]["node"]["diary"]["days"], records
        found.append(records["data"])
    assert _lessons(found) > 0, (persona, found)
    data = found
    ids = sorted(set(_ids(data)))
    for start in range(0, len(ids), 10):
        chunk = ids[start : start + 10]
        query = "{" + " ".join(f'n{i}: node(id: "{g}") {{ id }}' for i, g in enumerate(chunk)) + "}"
        answer = demo.query(query, persona=persona)
        codes = {e["path"][0]: e["extensions"]["code"] for e in answer.get("errors", [])}
        for i, gid in enumerate(chunk):
            got = (answer.get("data") or {}).get(f"n{i}")
            if got is None:
                assert codes.get(f"n{i}") in ("FORBIDDEN", "NOT_FOUND"), (persona, gid, answer)
            else:
                assert got["id"] == gid
        # what the persona was handed from its own roles is refetched, not refused
        refused = [chunk[int(k[1:])] for k in codes]
        assert not [g for g in refused if _kind(g) in REFETCHABLE], (persona, refused, answer)


REFETCHABLE = {"Student", "ClassUnit", "Group", "School", "Term", "Lesson", "Mark", "DiaryDay"}
REFETCHABLE |= {"Diary", "Teacher", "JournalLesson", "Subject"}


def _kind(gid: str) -> str:
    import base64

    return base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4)).decode().split(":", 1)[0]
