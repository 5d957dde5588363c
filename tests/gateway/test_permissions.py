"""Who sees what: every demo persona asks the same questions in every region, over real HTTP.

For each region (74, 11, 77) the matrix picks five students — the ``parent`` persona's child
(the canonical student), the ``student@CODE`` persona, a classmate of theirs in 9-А, a 5-Б
student of the same school and a student of the region's other school — and the journals of
four groups. Every persona (the two parents, the region's student, subject teacher, class
teacher and school admin, and an anonymous caller) reads all of them in one operation, plus
the canonical students of the other regions, ``me`` and ``regions``.

The expected relationships come from the demo world, never from the gateway's policy code;
what each relationship may see comes from the declared :data:`schema.policy.RULES`.
:func:`tests.gateway.matrix.check_response` compares every field of every answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from diary_gateway_demo.seed import World, school_year_start
from schema.ids import decode_id, encode_id
from schema.policy import Relation
from tests.clock import school_week

from .conftest import DemoGateway
from .matrix import (
    DIARY,
    FULL_MARKS,
    ME_SELECTION,
    REGIONS,
    REMARKS_DIARY,
    REMARKS_STUDENT_SELECTION,
    TWO_WAY_ME_SELECTION,
    TWO_WAY_STUDENT_SELECTION,
    Cast,
    Expectations,
    Selection,
    check_response,
    errors_by_path,
    expected_marks,
    expected_relations,
    expected_roles,
    group_teacher_subjects,
    matrix_query,
    persona_names,
)

R = Relation
STUDENT_KEYS = ("canonical", "self", "classmate", "other_class", "other_school")
GROUP_KEYS = ("teacher_9a", "teacher_5b", "class_teacher_9a", "other_school")


def _range() -> dict[str, str]:
    week = school_week()
    monday = date.fromisoformat(week["from"])
    start = max(school_year_start(monday), monday - timedelta(days=14))
    return {"from": start.isoformat(), "to": week["to"]}


def _teacher_groups(demo: DemoGateway, persona: str) -> list[str]:
    body = demo.query("{ me { roles { role groups { id } } } }", persona=persona)
    assert "errors" not in body, body["errors"]
    return [g["id"] for role in body["data"]["me"]["roles"] for g in role["groups"]]


def _journal_students(demo: DemoGateway, persona: str, group_id: str) -> list[str]:
    body = demo.query(
        "query ($g: ID!, $from: Date!, $to: Date!) "
        "{ journal(groupId: $g, from: $from, to: $to) { rows { student { id } } } }",
        {"g": group_id, **_range()},
        persona=persona,
    )
    assert "errors" not in body, body["errors"]
    return [row["student"]["id"] for row in body["data"]["journal"]["rows"]]


@pytest.fixture(scope="module")
def casts(demo: DemoGateway) -> dict[str, Cast]:
    """Per region: the students and groups of the story, their ids found through the API."""
    body = demo.query("{ me { children { id school { region { code } } } } }", persona="parent")
    assert "errors" not in body, body["errors"]
    worlds = {region: World.build(region) for region in REGIONS}
    canonical = {
        c["school"]["region"]["code"]: c["id"]
        for c in body["data"]["me"]["children"]
        if decode_id(c["id"]).native
        == str(worlds[c["school"]["region"]["code"]].canonical_student_id)
    }
    assert sorted(canonical) == sorted(REGIONS)
    found: dict[str, Cast] = {}
    for region in REGIONS:
        world = worlds[region]
        cast = Cast(region, world, students={"canonical": canonical[region]})
        home = cast.student("canonical")
        assert home.id == world.canonical_student_id
        teacher_groups = {
            world.groups[int(decode_id(g).native)].class_id: g
            for g in _teacher_groups(demo, f"teacher@{region}")
        }
        other_class = next(
            c
            for c in world.classes.values()
            if c.school_id == home.school_id and c.id != home.class_id
        )
        cast.groups["teacher_9a"] = teacher_groups[home.class_id]
        cast.groups["teacher_5b"] = teacher_groups[other_class.id]
        cast.groups["class_teacher_9a"] = next(
            g
            for g in _teacher_groups(demo, f"class-teacher@{region}")
            if world.groups[int(decode_id(g).native)].class_id == home.class_id
        )
        classmates = _journal_students(demo, f"teacher@{region}", cast.groups["teacher_9a"])
        by_native = {int(decode_id(s).native): s for s in classmates}
        assert set(by_native) == {s.id for s in world.class_students(home.class_id)}
        me = world.persona_student("student")
        cast.students["self"] = by_native[me.id]
        cast.students["classmate"] = next(
            gid for sid, gid in sorted(by_native.items()) if sid not in (home.id, me.id)
        )
        cast.students["other_class"] = _journal_students(
            demo, f"teacher@{region}", cast.groups["teacher_5b"]
        )[0]
        # The other school: nobody in the demo relates to it. Ids are opaque, but the ids seen
        # above are "Student:<region>:<world id>", so a stranger's id is built the same way.
        far = next(s for s in world.students.values() if s.school_id != home.school_id)
        cast.students["other_school"] = encode_id("Student", region, str(far.id))
        far_group = next(g for g in world.groups.values() if g.school_id != home.school_id)
        cast.groups["other_school"] = encode_id("Group", region, str(far_group.id))
        found[region] = cast
    return found


@dataclass
class Outcome:
    """One persona's matrix operation in one region: what was expected and what came back."""

    expect: Expectations
    body: dict[str, Any]


def _alias(key: str, region: str) -> str:
    return f"s_{key}_{region}"


@pytest.fixture(scope="module")
def matrix(demo: DemoGateway, casts: dict[str, Cast]) -> dict[tuple[str, str | None], Outcome]:
    """Every persona × region, one operation each."""
    worlds = {region: cast.world for region, cast in casts.items()}
    outcomes: dict[tuple[str, str | None], Outcome] = {}
    for region in REGIONS:
        cast = casts[region]
        for persona in persona_names(region):
            # Without a token, `me` (a non-null field) would null the whole answer: the
            # anonymous `me` is tested on its own below.
            expect = Expectations(persona, worlds, me=persona is not None)
            variables: dict[str, Any] = dict(_range())
            for key in STUDENT_KEYS:
                alias = _alias(key, region)
                expect.students[alias] = (region, cast.student(key))
                variables[alias] = cast.students[key]
            for other in REGIONS:
                if other != region:
                    alias = _alias("canonical", other)
                    expect.students[alias] = (other, casts[other].student("canonical"))
                    variables[alias] = casts[other].students["canonical"]
            for key in GROUP_KEYS:
                alias = f"g_{key}"
                expect.groups[alias] = (region, cast.group(key))
                variables[alias] = cast.groups[key]
            diary_alias = f"d_{_alias('canonical', region)}"
            expect.diaries[diary_alias] = (region, cast.student("canonical"))
            query = matrix_query(expect.students, expect.groups, expect.diaries, me=expect.me)
            body = demo.query(query, variables, persona=persona)
            outcomes[(region, persona)] = Outcome(expect, body)
    return outcomes


def _students_matrix(
    demo: DemoGateway,
    casts: dict[str, Cast],
    *,
    student_selection: Selection,
    diary_selection: Selection | None = None,
    me_selection: Selection | None = None,
) -> dict[tuple[str, str | None], Outcome]:
    """Every persona × region asking ``student_selection`` of each student of the region
    (and ``diary_selection`` of the canonical student's diary, ``me_selection`` of the
    signed-in viewer, when given): an operation of its own beside the matrix's."""
    worlds = {region: cast.world for region, cast in casts.items()}
    outcomes: dict[tuple[str, str | None], Outcome] = {}
    for region in REGIONS:
        cast = casts[region]
        for persona in persona_names(region):
            expect = Expectations(
                persona,
                worlds,
                me=me_selection is not None and persona is not None,
                student_selection=student_selection,
                diary_selection=diary_selection or DIARY,
                me_selection=me_selection or ME_SELECTION,
            )
            variables: dict[str, Any] = dict(_range()) if diary_selection is not None else {}
            for key in STUDENT_KEYS:
                alias = _alias(key, region)
                expect.students[alias] = (region, cast.student(key))
                variables[alias] = cast.students[key]
            if diary_selection is not None:
                diary_alias = f"d_{_alias('canonical', region)}"
                expect.diaries[diary_alias] = (region, cast.student("canonical"))
            query = matrix_query(
                expect.students,
                (),
                expect.diaries,
                me=expect.me,
                student_selection=expect.student_selection,
                diary_selection=expect.diary_selection,
                me_selection=expect.me_selection,
            )
            body = demo.query(query, variables, persona=persona)
            outcomes[(region, persona)] = Outcome(expect, body)
    return outcomes


def _problems(
    region: str, outcomes: dict[tuple[str, str | None], Outcome]
) -> tuple[list[str], Counter[str]]:
    """Every difference from the policy in ``region``'s outcomes, and the fields counted."""
    problems = []
    counts: Counter[str] = Counter()
    for (r, _), outcome in outcomes.items():
        if r == region:
            problems += check_response(outcome.expect, outcome.body, counts)
    return [str(p) for p in problems], counts


@pytest.fixture(scope="module")
def remarks_matrix(
    demo: DemoGateway, casts: dict[str, Cast]
) -> dict[tuple[str, str | None], Outcome]:
    """Every persona × region again, asking each student's remarks (by student and on the
    diary's days): a second operation, the first being at the cost limit."""
    return _students_matrix(
        demo,
        casts,
        student_selection=REMARKS_STUDENT_SELECTION,
        diary_selection=REMARKS_DIARY,
    )


@pytest.mark.parametrize("region", REGIONS)
def test_every_remarks_field_answers_as_the_policy_says(
    region: str, remarks_matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    problems, counts = _problems(region, remarks_matrix)
    assert not problems, "\n".join(problems[:60])
    assert counts["allowed"] > 100, counts
    assert counts["denied"] > 20, counts


@pytest.fixture(scope="module")
def two_way_matrix(
    demo: DemoGateway, casts: dict[str, Cast]
) -> dict[tuple[str, str | None], Outcome]:
    """Every persona × region asking each student's class notices, meetings, absence
    notices and reasons, and their own threads and correspondents: a third operation."""
    return _students_matrix(
        demo,
        casts,
        student_selection=TWO_WAY_STUDENT_SELECTION,
        me_selection=TWO_WAY_ME_SELECTION,
    )


@pytest.mark.parametrize("region", REGIONS)
def test_every_two_way_field_answers_as_the_policy_says(
    region: str, two_way_matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    problems, counts = _problems(region, two_way_matrix)
    assert not problems, "\n".join(problems[:60])
    assert counts["allowed"] > 20, counts
    assert counts["denied"] > 20, counts


def _lessons(diary: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for day in diary["days"]:
        for lesson in day["lessons"]:
            yield {**lesson, "date": day["date"]}


# -- the matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_every_field_answers_as_the_policy_says(
    region: str, matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    problems = []
    counts: Counter[str] = Counter()
    for (r, _), outcome in matrix.items():
        if r == region:
            problems += check_response(outcome.expect, outcome.body, counts)
    assert not problems, "\n".join(map(str, problems[:60]))
    # The answers are about the right students.
    for (r, _), outcome in matrix.items():
        for alias, (_, student) in outcome.expect.students.items() if r == region else ():
            found = outcome.body["data"][alias]
            if found is not None:
                person = student.person
                name = f"{person.last_name} {person.first_name} {person.middle_name}"
                assert (found["fullName"], found["className"]) == (
                    name,
                    outcome.expect.worlds[decode_id(found["id"]).region]
                    .classes[student.class_id]
                    .name,
                )
    # Thousands of field outcomes were compared, both ways (the diaries hold many lessons).
    assert counts["allowed"] > 5000, counts
    assert counts["denied"] > 100, counts


@pytest.mark.parametrize("region", REGIONS)
def test_every_error_has_a_code(region: str, matrix: dict[tuple[str, str | None], Outcome]) -> None:
    for (r, _), outcome in matrix.items():
        if r == region:
            assert "<none>" not in {c for cs in errors_by_path(outcome.body).values() for c in cs}


@pytest.mark.parametrize("region", REGIONS)
def test_diaries_hold_the_worlds_marks_filtered_by_subject_for_group_teachers(
    region: str, casts: dict[str, Cast], matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    """Every lesson's marks match the world: all of them, or only the teacher's subjects."""
    cast = casts[region]
    span = _range()
    start, end = date.fromisoformat(span["from"]), date.fromisoformat(span["to"])
    checked = filtered = 0
    for persona in persona_names(region):
        body = matrix[(region, persona)].body
        for key in STUDENT_KEYS:
            student = cast.student(key)
            relations = expected_relations(cast.world, persona, student)
            found = (body.get("data") or {}).get(_alias(key, region))
            if found is None or found["diary"] is None:
                continue
            world = expected_marks(cast.world, student, start, end)
            own = group_teacher_subjects(cast.world, persona, student)
            sees_all = bool(relations & FULL_MARKS)
            lessons = list(_lessons(found["diary"]))
            assert {(date.fromisoformat(le["date"]), le["number"]) for le in lessons} == set(world)
            for lesson in lessons:
                subject, count = world[(date.fromisoformat(lesson["date"]), lesson["number"])]
                assert lesson["subject"]["name"] == subject
                expected = count if sees_all or subject in own else 0
                assert len(lesson["marks"]) == expected, (persona, key, lesson)
                checked += 1
                filtered += count - expected
    assert checked > 0
    assert filtered > 0, "some marks must have been filtered out for a group teacher"


@pytest.mark.parametrize("region", REGIONS)
def test_group_teacher_sees_only_their_subjects(
    region: str, casts: dict[str, Cast], matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    cast = casts[region]
    canonical = cast.student("canonical")
    teacher = f"teacher@{region}"
    own = group_teacher_subjects(cast.world, teacher, canonical)
    assert own
    assert expected_relations(cast.world, teacher, canonical) & FULL_MARKS == set()
    mine = matrix[(region, teacher)].body["data"][_alias("canonical", region)]
    theirs = matrix[(region, "parent")].body["data"][_alias("canonical", region)]
    subjects = {le["subject"]["name"] for le in _lessons(mine["diary"]) if le["marks"]}
    assert subjects
    assert subjects <= own
    parent_subjects = {le["subject"]["name"] for le in _lessons(theirs["diary"]) if le["marks"]}
    assert parent_subjects - own, "the parent sees marks of subjects the teacher does not"
    assert {p["subject"]["name"] for p in mine["progress"]} <= own
    assert {p["subject"]["name"] for p in theirs["progress"]} - own
    # The same for the root `diary` field.
    root = matrix[(region, teacher)].body["data"][f"d_{_alias('canonical', region)}"]
    assert {le["subject"]["name"] for le in _lessons(root) if le["marks"]} <= own


def _refused(body: dict[str, Any], *path: str) -> bool:
    """The value at ``path`` is null and an error stands at that very path (any code)."""
    value: Any = body.get("data")
    for name in path:
        value = None if value is None else value.get(name)
    return value is None and bool(errors_by_path(body).get(tuple(path)))


@pytest.mark.parametrize("region", REGIONS)
def test_a_student_never_sees_a_classmates_records(
    region: str, matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    body = matrix[(region, f"student@{region}")].body
    for key in ("canonical", "classmate", "other_class", "other_school"):
        assert _refused(body, _alias(key, region)), key
    assert _refused(body, f"d_{_alias('canonical', region)}")
    for group in GROUP_KEYS:
        assert _refused(body, f"g_{group}"), group
    own = body["data"][_alias("self", region)]
    assert own["diary"] is not None
    assert own["progress"] is not None
    assert _refused(body, _alias("self", region), "accessLog")


@pytest.mark.parametrize("region", REGIONS)
def test_a_parent_who_is_not_the_legal_representative_sees_no_diary(
    region: str, casts: dict[str, Cast], matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    body = matrix[(region, "parent-not-representative")].body
    alias = _alias("canonical", region)
    person = casts[region].student("canonical").person
    child = body["data"][alias]
    assert child["fullName"] == f"{person.last_name} {person.first_name} {person.middle_name}"
    for name in ("diary", "progress", "changes", "accessLog", "bornOn", "parentContacts"):
        assert _refused(body, alias, name), name
    assert _refused(body, f"d_{alias}")
    children = body["data"]["me"]["children"]
    assert len(children) == len(REGIONS)
    for index, child in enumerate(children):
        assert child["fullName"]
        assert child["diary"] is None
        assert child["bornOn"] is None
        assert errors_by_path(body)[("me", "children", index, "diary")] == ["FORBIDDEN"]


@pytest.mark.parametrize("region", REGIONS)
def test_the_journal_is_for_staff_only(
    region: str, casts: dict[str, Cast], matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    cast = casts[region]
    nine_a = {s.id for s in cast.world.class_students(cast.student("canonical").class_id)}
    five_b = {s.id for s in cast.world.class_students(cast.student("other_class").class_id)}
    staff = {f"teacher@{region}", f"class-teacher@{region}", f"school-admin@{region}"}
    for persona in persona_names(region):
        body = matrix[(region, persona)].body
        if persona not in staff:
            for group in GROUP_KEYS:
                assert _refused(body, f"g_{group}"), (persona, group)
            continue
        readable = {
            f"teacher@{region}": {"teacher_9a": nine_a, "teacher_5b": five_b},
            f"class-teacher@{region}": {"teacher_9a": nine_a, "class_teacher_9a": nine_a},
            f"school-admin@{region}": {
                "teacher_9a": nine_a,
                "teacher_5b": five_b,
                "class_teacher_9a": nine_a,
            },
        }[persona]
        for group in GROUP_KEYS:
            if group not in readable:
                assert _refused(body, f"g_{group}"), (persona, group)
                continue
            rows = body["data"][f"g_{group}"]["rows"]
            found = {int(decode_id(r["student"]["id"]).native) for r in rows}
            assert found == readable[group], (persona, group)


@pytest.mark.parametrize("region", REGIONS)
def test_subject_teachers_get_no_birth_date_or_parent_contacts(
    region: str, matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    teacher = matrix[(region, f"teacher@{region}")].body
    for key in ("canonical", "self", "classmate", "other_class"):
        alias = _alias(key, region)
        assert teacher["data"][alias]["fullName"]
        assert teacher["data"][alias]["diary"]
        assert _refused(teacher, alias, "bornOn")
        assert _refused(teacher, alias, "parentContacts")
    rows = teacher["data"]["g_teacher_9a"]["rows"]
    assert rows
    assert all(r["student"]["bornOn"] is None for r in rows)
    assert all(r["student"]["parentContacts"] is None for r in rows)
    # The class teacher sees them for their class, but not in 5-Б, where they only teach.
    class_teacher = matrix[(region, f"class-teacher@{region}")].body
    mine = class_teacher["data"][_alias("canonical", region)]
    assert mine["bornOn"]
    assert mine["parentContacts"]
    other = _alias("other_class", region)
    assert class_teacher["data"][other]["diary"] is not None
    assert _refused(class_teacher, other, "bornOn")
    admin = matrix[(region, f"school-admin@{region}")].body["data"]
    assert admin[other]["bornOn"]
    assert admin[other]["parentContacts"] is not None


@pytest.mark.parametrize("region", REGIONS)
def test_signed_in_strangers_get_forbidden(
    region: str, casts: dict[str, Cast], matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    """A student, group or region the viewer has nothing to do with: FORBIDDEN, always.

    Neither NOT_FOUND (the provider's 404 for a student it hides) nor UNAUTHENTICATED (a
    region that does not know the person): the token is fine, the policy says no.
    """
    wrong = []
    for persona in persona_names(region):
        if persona is None:
            continue
        outcome = matrix[(region, persona)]
        errors = errors_by_path(outcome.body)
        for alias in [*outcome.expect.students, *outcome.expect.groups]:
            codes = errors.get((alias,))
            if codes is not None and codes != ["FORBIDDEN"]:
                wrong.append(f"{persona} {alias}: {codes}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("region", REGIONS)
def test_me_lists_the_worlds_roles_and_children(
    region: str, casts: dict[str, Cast], matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    worlds = {r: c.world for r, c in casts.items()}
    for persona in persona_names(region):
        if persona is None:
            continue
        me = matrix[(region, persona)].body["data"]["me"]
        roles = {(r["role"], r["region"]["code"]) for r in me["roles"]}
        assert roles == expected_roles(worlds, persona), persona
        children = {c["id"] for c in me["children"]}
        expected = {
            encode_id("Student", r, str(child.id))
            for r in REGIONS
            for child, _legal in worlds[r].children_of(persona)
        }
        assert children == expected, persona


@pytest.mark.parametrize("region", REGIONS)
def test_anonymous_callers_see_only_the_public_directory(
    region: str, matrix: dict[tuple[str, str | None], Outcome]
) -> None:
    body = matrix[(region, None)].body
    data = body["data"]
    assert {r["code"] for r in data["regions"]} == set(REGIONS)
    public = {"regions", "verifyReceipt"}  # anyone may check a receipt
    assert data["verifyReceipt"]["isValid"] is False
    assert all(value is None for name, value in data.items() if name not in public)
    errors = errors_by_path(body)
    assert {path[0] for path in errors} == {n for n in data if n not in public}
    assert {c for cs in errors.values() for c in cs} == {"UNAUTHENTICATED"}


def test_anonymous_me_leaves_its_public_siblings_answering(demo: DemoGateway) -> None:
    """`me` without a token is UNAUTHENTICATED at `me`; `regions` beside it still answers."""
    body = demo.query("{ me { person { fullName } } regions { code } }")
    assert errors_by_path(body) == {("me",): ["UNAUTHENTICATED"]}
    assert body["data"] is not None, "the whole answer is null: `me` is declared non-null"
    assert body["data"]["me"] is None
    assert {r["code"] for r in body["data"]["regions"]} == set(REGIONS)


# -- the checker itself can fail ------------------------------------------------------------


def test_the_checker_reports_leaks_missing_errors_and_stray_errors(casts: dict[str, Cast]) -> None:
    cast = casts["74"]
    worlds = {r: c.world for r, c in casts.items()}
    expect = Expectations("teacher@74", worlds)
    expect.students["s"] = ("74", cast.student("canonical"))
    student: dict[str, Any] = {
        "id": cast.students["canonical"],
        "fullName": "x",
        "className": "9-А",
        "bornOn": "2011-01-01",  # a leak: subject teachers must not see it
        "parentContacts": None,  # denied, but no error below
        "diary": {"days": []},
        "progress": [],
        "changes": None,
        "accessLog": None,
    }
    body = {
        "data": {"s": student, "me": {"person": None, "roles": [], "children": []}, "regions": []},
        "errors": [
            {"path": ["s", "changes"], "extensions": {"code": "FORBIDDEN"}},
            {"path": ["s", "accessLog"], "extensions": {"code": "FORBIDDEN"}},
            {"path": ["s", "fullName"], "extensions": {"code": "FORBIDDEN"}},
        ],
    }
    problems = {(p.path, p.what.split(":")[0].split(" ")[0]) for p in check_response(expect, body)}
    assert (("s", "bornOn"), "LEAK") in problems
    assert any(path == ("s", "parentContacts") for path, _ in problems)
    assert any(path == ("s", "fullName") for path, _ in problems)
    assert any(path == ("me", "person") for path, _ in problems)
    assert not any(path == ("s", "changes") for path, _ in problems)
