"""Every role finds its own records from `me`, with no id built by hand (issue 12, item 2)."""

from __future__ import annotations

import pytest

from adapters.seed import World

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


def _walk(demo: DemoGateway, persona: str, query: str = WALK) -> dict:  # type: ignore[type-arg]
    body = demo.query(query, persona=persona)
    assert "errors" not in body, body["errors"]
    return body["data"]


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


def test_school_students_to_diaries_is_over_the_cost_budget(demo: DemoGateway) -> None:
    body = demo.query(
        '{ me { roles { school { students(first: 2) { nodes { diary(from: "2026-09-01", '
        'to: "2026-09-07") { days { date } } } } } } } }',
        persona="school-admin@74",
    )
    assert body["errors"][0]["extensions"]["limit"] == "cost"
