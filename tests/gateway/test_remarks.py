"""Teachers' remarks and praise through the running gateway, against the demo world as the
oracle: who sees which (the family and the class teacher all, a subject teacher their
subjects', nobody else), by student and on the diary's days, and ``NOT_SUPPORTED`` where the
region's system keeps none (ЭлЖур, region 11)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from diary_gateway_demo.personas import find_persona
from diary_gateway_demo.seed import SeedRemark, World
from schema.ids import encode_id
from tests.clock import school_week

from .conftest import DemoGateway

REMARKS = """query Remarks($id: ID!, $from: Date!, $to: Date!) {
  student(id: $id) {
    remarks(from: $from, to: $to) {
      id date kind text author { fullName } subject { name } createdAt
    }
  }
}"""
DAYS = """query RemarkDays($id: ID!, $from: Date!, $to: Date!) {
  diary(studentId: $id, from: $from, to: $to) { days { date remarks { date kind text } } }
}"""
SUPPORTED = ("74", "77")


def _span() -> dict[str, str]:
    """Four school weeks up to the latest one with a finished day (a range with remarks)."""
    return {"from": school_week(weeks_back=3)["from"], "to": school_week()["to"]}


def _oracle(world: World, student_id: int, span: dict[str, str]) -> list[SeedRemark]:
    student = world.students[student_id]
    start, end = date.fromisoformat(span["from"]), date.fromisoformat(span["to"])
    return [
        r
        for day in world.days(start, end)
        for r in world.remarks(student.class_id, day)
        if r.student_id == student_id
    ]


def _as_answered(world: World, remarks: list[SeedRemark]) -> list[tuple[str, str, str, str | None]]:
    return [
        (
            r.day.isoformat(),
            r.kind.upper(),
            r.text,
            r.subject,
        )
        for r in remarks
    ]


def _answered(body: dict[str, Any]) -> list[tuple[str, str, str, str | None]]:
    assert "errors" not in body, body["errors"]
    return [
        (r["date"], r["kind"], r["text"], (r["subject"] or {}).get("name"))
        for r in body["data"]["student"]["remarks"]
    ]


def _ask(demo: DemoGateway, region: str, student_id: int, persona: str | None) -> dict[str, Any]:
    student = encode_id("Student", region, str(student_id))
    return demo.query(REMARKS, {"id": student, **_span()}, persona=persona)


@pytest.fixture(scope="module")
def worlds() -> dict[str, World]:
    return {region: World.build(region) for region in ("74", "11", "77")}


@pytest.mark.parametrize("region", SUPPORTED)
@pytest.mark.parametrize("persona", ["parent", "class-teacher"])
def test_the_family_and_the_class_teacher_see_every_remark(
    demo: DemoGateway, worlds: dict[str, World], region: str, persona: str
) -> None:
    world = worlds[region]
    canonical = world.canonical_student_id
    expected = _oracle(world, canonical, _span())
    assert expected, "the canonical student has remarks every school week"
    assert any(r.subject is None for r in expected)  # the class teacher's, outside lessons
    assert {r.kind for r in expected} == {"praise", "remark"}
    who = "parent" if persona == "parent" else f"{persona}@{region}"
    assert _answered(_ask(demo, region, canonical, who)) == _as_answered(world, expected)


@pytest.mark.parametrize("region", SUPPORTED)
def test_a_student_sees_their_own_remarks(
    demo: DemoGateway, worlds: dict[str, World], region: str
) -> None:
    world = worlds[region]
    student = world.persona_student("student")
    expected = _oracle(world, student.id, _span())
    body = _ask(demo, region, student.id, f"student@{region}")
    assert _answered(body) == _as_answered(world, expected)


@pytest.mark.parametrize("region", SUPPORTED)
def test_a_subject_teacher_sees_the_remarks_of_their_subjects_only(
    demo: DemoGateway, worlds: dict[str, World], region: str
) -> None:
    world = worlds[region]
    canonical = world.canonical_student_id
    teacher = next(
        t
        for t in world.teachers.values()
        if t.person.national_id == find_persona(f"teacher@{region}").subject
    )
    student_class = world.students[canonical].class_id
    subjects = {
        g.subject for g in world.groups_of_teacher(teacher.id) if g.class_id == student_class
    }
    expected = [r for r in _oracle(world, canonical, _span()) if r.subject in subjects]
    answered = _answered(_ask(demo, region, canonical, f"teacher@{region}"))
    assert answered == _as_answered(world, expected)
    assert all(subject in subjects for _, _, _, subject in answered)  # never outside lessons


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("school-admin", "FORBIDDEN"),
        ("parent-not-representative", "FORBIDDEN"),
        ("other-parent", "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ],
)
@pytest.mark.parametrize("region", SUPPORTED)
def test_nobody_else_sees_remarks(
    demo: DemoGateway, worlds: dict[str, World], region: str, persona: str | None, code: str
) -> None:
    who = None if persona is None else persona if "parent" in persona else f"{persona}@{region}"
    body = _ask(demo, region, worlds[region].canonical_student_id, who)
    student = body["data"]["student"]
    assert student is None or student["remarks"] is None
    assert code in {e["extensions"]["code"] for e in body["errors"]}


def test_a_region_without_remarks_answers_not_supported(
    demo: DemoGateway, worlds: dict[str, World]
) -> None:
    body = _ask(demo, "11", worlds["11"].canonical_student_id, "parent")
    assert body["data"]["student"]["remarks"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "NOT_SUPPORTED"
    assert error["path"] == ["student", "remarks"]


@pytest.mark.parametrize("region", SUPPORTED)
def test_each_diary_day_holds_its_remarks(
    demo: DemoGateway, worlds: dict[str, World], region: str
) -> None:
    world = worlds[region]
    canonical = world.canonical_student_id
    span = _span()
    student = encode_id("Student", region, str(canonical))
    body = demo.query(DAYS, {"id": student, **span}, persona="parent")
    assert "errors" not in body, body["errors"]
    by_day = {
        d["date"]: [(r["kind"], r["text"]) for r in d["remarks"]]
        for d in body["data"]["diary"]["days"]
    }
    start = date.fromisoformat(span["from"])
    for offset in range((date.fromisoformat(span["to"]) - start).days + 1):
        day = start + timedelta(days=offset)
        expected = [
            (r.kind.upper(), r.text) for r in _oracle(world, canonical, span) if r.day == day
        ]
        assert by_day[day.isoformat()] == expected, day
