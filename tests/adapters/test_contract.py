"""The shared adapter contract: every provider, present and future, passes it unchanged.

Each test receives ``harness`` (see ``conftest.py``): a provider started on the canonical
scenario, with ``harness.adapter`` the adapter under test. A harness offers ``caller(persona)``,
``canonical_student_id()``, ``teacher_group_id()``, ``set_fault(fault)``,
``upstream_calls()`` and ``student_login()``.

The canonical week (``adapters/seed/canonical.py``) is written by every provider in its
own native shape; the expectations below are written out by hand in normalized form, so a
provider that translates wrongly fails here.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

import adapters.models as models
from adapters import (
    AccessDeniedError,
    AdapterError,
    AuthenticationError,
    Capability,
    ChangeKind,
    DateRange,
    Fault,
    Lesson,
    NotFoundError,
    NotSupportedError,
    ProviderResponseError,
    ProviderUnavailableError,
    Role,
)

MONDAY = date(2025, 10, 13)
WEEK = DateRange(MONDAY, MONDAY + timedelta(days=6))


PARENTS_CHILD = {
    "74": "Соколова Мария Андреевна",
    "11": "Соколов Илья Андреевич",
    "77": "Соколова Анна Андреевна",
}
"""The ``parent`` persona's child in each region's first class: siblings, not one name."""


def _day(lessons: list[Lesson], weekday: int) -> list[Lesson]:
    return [le for le in lessons if le.date == MONDAY + timedelta(days=weekday)]


def _lesson(lessons: list[Lesson], weekday: int, number: int) -> Lesson:
    (found,) = [le for le in _day(lessons, weekday) if le.number == number]
    return found


async def _week(h: Any, persona: str = "parent") -> list[Lesson]:
    (slot,) = await h.adapter.get_diaries(h.caller(persona), [h.canonical_student_id()], WEEK)
    assert isinstance(slot, list), slot
    return slot


def test_declares_slug_capabilities_and_config(harness: Any) -> None:
    cls = type(harness.adapter)
    assert cls.slug == harness.slug
    assert Capability.PROFILE in cls.capabilities
    assert Capability.SCHEDULE in cls.capabilities
    assert dataclasses.is_dataclass(cls.config_model)
    assert cls.diary_system


async def test_parent_profile_lists_the_canonical_child(harness: Any) -> None:
    profile = await harness.adapter.get_profile(harness.caller("parent"))
    assert profile is not None
    assert any(g.role is Role.PARENT for g in profile.roles)
    (child,) = [c for c in profile.children if c.student.id == harness.canonical_student_id()]
    assert child.is_legal_representative is True
    assert child.student.person.full_name == PARENTS_CHILD[harness.region]
    other = await harness.adapter.get_profile(harness.caller("parent-not-representative"))
    assert other is not None
    (same,) = [c for c in other.children if c.student.id == harness.canonical_student_id()]
    assert same.is_legal_representative is False


async def test_staff_and_student_profiles_carry_their_roles(harness: Any) -> None:
    teacher = await harness.adapter.get_profile(harness.caller("teacher"))
    assert teacher is not None
    grants = [g for g in teacher.roles if g.role is Role.TEACHER]
    assert grants
    assert harness.teacher_group_id() in grants[0].group_ids
    assert {g.id for g in teacher.groups} >= set(grants[0].group_ids)
    class_teacher = await harness.adapter.get_profile(harness.caller("class-teacher"))
    assert class_teacher is not None
    assert any(g.role is Role.CLASS_TEACHER and g.class_unit_ids for g in class_teacher.roles)
    admin = await harness.adapter.get_profile(harness.caller("school-admin"))
    assert admin is not None
    assert any(g.role is Role.SCHOOL_ADMIN and g.school_id for g in admin.roles)
    student = await harness.adapter.get_profile(harness.caller("student"))
    assert student is not None
    assert any(g.role is Role.STUDENT and g.student_id for g in student.roles)


async def test_canonical_week_schedule(harness: Any) -> None:
    lessons = await _week(harness)
    per_day = [len(_day(lessons, d)) for d in range(7)]
    assert per_day == [7, 6, 7, 6, 6, 0, 0]
    assert lessons == sorted(lessons, key=lambda le: (le.date, le.number))
    algebra = _lesson(lessons, 0, 1)
    assert algebra.subject.name == "Алгебра"
    assert algebra.topic == "Квадратные уравнения"
    zone = harness.adapter.region.timezone
    assert algebra.starts_at.tzinfo is not None
    assert algebra.starts_at.astimezone(zone).time() == time(8, 30)
    assert algebra.starts_at.utcoffset() == algebra.starts_at.astimezone(zone).utcoffset()
    assert algebra.ends_at > algebra.starts_at
    assert _lesson(lessons, 0, 3).cancelled is True
    assert _lesson(lessons, 2, 2).remote is True
    assert _lesson(lessons, 2, 3).replaced is True
    assert not any(le.cancelled for le in lessons if (le.date.weekday(), le.number) != (0, 3))


async def test_canonical_week_marks_normalized(harness: Any) -> None:
    lessons = await _week(harness)
    (test,) = _lesson(lessons, 0, 1).marks
    assert (test.grade.five, test.grade.ten, test.grade.hundred) == (5.0, 10.0, 100.0)
    assert test.normalized == 1.0
    assert test.weight == 2.0
    assert test.control_form == "Контрольная работа"
    assert test.comment == "Отличная работа"
    assert test.lesson_date == MONDAY
    (passed,) = _lesson(lessons, 0, 4).marks
    assert passed.scale.name == "pass"
    assert passed.grade.five is None
    assert passed.normalized is None
    assert [m.grade.five for m in _lesson(lessons, 1, 1).marks] == [4.0]
    (geometry,) = _lesson(lessons, 2, 1).marks
    assert geometry.grade.five == 3.0
    assert geometry.comment == "Повторить доказательство"
    assert sorted(m.grade.five or 0.0 for m in _lesson(lessons, 3, 1).marks) == [2.0, 4.0]
    two = min(_lesson(lessons, 3, 1).marks, key=lambda m: m.grade.five or 0)
    # МЭШ's own lookup and the common table agree: a five-point «2» is 30, not 40
    assert two.grade.hundred == 30.0
    assert two.normalized == 0.3
    for mark in (m for le in lessons for m in le.marks):
        # normalized = hundredPoint / 100 for every mark of every provider
        hundred = mark.grade.hundred
        assert mark.normalized == (None if hundred is None else hundred / 100)
    total = sum(len(le.marks) for le in lessons)
    assert total == 6


async def test_canonical_week_homework_and_absences(harness: Any) -> None:
    lessons = await _week(harness)
    (homework,) = _lesson(lessons, 0, 1).homework
    assert homework.text == "№ 245, 247"
    assert homework.due_on == MONDAY + timedelta(days=1)  # the next Алгебра: Tuesday
    (reading,) = _lesson(lessons, 1, 1).homework
    assert [a.name for a in reading.attachments] == ["plan.pdf"]
    ill = _lesson(lessons, 1, 2).absence
    assert ill is not None
    assert ill.excused is True
    assert ill.reason == "Болезнь"
    truant = _lesson(lessons, 4, 2).absence
    assert truant is not None
    assert truant.excused is False
    assert sum(1 for le in lessons if le.absence) == 2


async def test_marks_and_progress_use_the_weighted_rule(harness: Any) -> None:
    caller = harness.caller("parent")
    (marks,) = await harness.adapter.get_marks(caller, [harness.canonical_student_id()], WEEK)
    assert isinstance(marks, list)
    assert len(marks) == 6
    if not harness.adapter.supports(Capability.PROGRESS):
        pytest.skip("provider has no progress")
    (progress,) = await harness.adapter.get_progress(caller, [harness.canonical_student_id()], WEEK)
    assert isinstance(progress, list)
    algebra = next(p for p in progress if p.subject.name == "Алгебра")
    assert algebra.count == 3
    assert algebra.average_five == 4.0  # (5×2 + 4 + 2) / 4
    hundreds = sorted(m.grade.hundred or 0 for m in marks if m.subject.name == "Алгебра")
    weights = {100.0: 2.0}
    expected = sum(h * weights.get(h, 1.0) for h in hundreds) / 4
    assert algebra.average_hundred == round(expected, 2)  # the same rule on every scale


async def test_unknown_student_fails_only_its_slot(harness: Any) -> None:
    caller = harness.caller("parent")
    result = await harness.adapter.get_diaries(
        caller, [harness.canonical_student_id(), "987654321"], WEEK
    )
    assert isinstance(result[0], list)
    assert result[0]
    assert isinstance(result[1], NotFoundError | AccessDeniedError)
    students = await harness.adapter.get_students(
        caller, [harness.canonical_student_id(), "987654321"]
    )
    assert students[0].person.full_name == PARENTS_CHILD[harness.region]
    assert isinstance(students[1], NotFoundError | AccessDeniedError)


async def test_journal_for_the_groups_teacher_only(harness: Any) -> None:
    if not harness.adapter.supports(Capability.JOURNAL):
        pytest.skip("provider has no journal")
    journal = await harness.adapter.get_journal(
        harness.caller("teacher"), harness.teacher_group_id(), WEEK
    )
    assert journal.group.id == harness.teacher_group_id()
    assert len(journal.students) == 25
    assert all(le.date in WEEK for le in journal.lessons)
    with pytest.raises(AccessDeniedError):
        await harness.adapter.get_journal(
            harness.caller("parent"), harness.teacher_group_id(), WEEK
        )


async def test_school_login(harness: Any) -> None:
    if not harness.adapter.supports(Capability.SCHOOL_LOGIN):
        pytest.skip("provider has no school logins")
    school, login, password = harness.student_login()
    session = await harness.adapter.login(school=school, login=login, password=password)
    assert session.student_id
    with pytest.raises(AuthenticationError) as wrong_password:
        await harness.adapter.login(school=school, login=login, password=password + "x")
    with pytest.raises(AuthenticationError) as wrong_login:
        await harness.adapter.login(school=school, login="nobody-" + login, password=password)
    assert str(wrong_password.value) == str(wrong_login.value)


async def test_homework_done_or_not_supported(harness: Any) -> None:
    caller = harness.caller("parent")
    student = harness.canonical_student_id()
    (homework,) = _lesson(await _week(harness), 0, 1).homework
    if not harness.adapter.supports(Capability.HOMEWORK_DONE):
        with pytest.raises(NotSupportedError):
            await harness.adapter.set_homework_done(caller, student, homework.id, True)
        return
    updated = await harness.adapter.set_homework_done(caller, student, homework.id, True)
    assert updated.done is True
    (again,) = _lesson(await _week(harness), 0, 1).homework
    assert again.done is True
    undone = await harness.adapter.set_homework_done(caller, student, homework.id, False)
    assert undone.done is False


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.UNAUTHORIZED, AuthenticationError),
        (Fault.NOT_FOUND, NotFoundError),
        (Fault.RATE_LIMITED, ProviderUnavailableError),
        (Fault.SERVER_ERROR, ProviderUnavailableError),
        (Fault.TIMEOUT, ProviderUnavailableError),
        (Fault.MALFORMED, ProviderResponseError),
    ],
)
async def test_failures_map_to_the_error_tree(
    harness: Any, fault: Fault, error: type[AdapterError]
) -> None:
    caller = harness.caller("parent")
    await harness.adapter.get_profile(caller)  # a healthy first call (tokens obtained)
    harness.set_fault(fault)
    try:
        with pytest.raises(AdapterError) as info:
            result = await harness.adapter.get_diaries(
                caller, [harness.canonical_student_id()], WEEK
            )
            for slot in result:
                if isinstance(slot, AdapterError):
                    raise slot
    finally:
        harness.set_fault(None)
    assert isinstance(info.value, error), repr(info.value)
    assert info.value.provider == harness.slug
    if fault is Fault.RATE_LIMITED:
        assert isinstance(info.value, ProviderUnavailableError)
        assert info.value.retry_after is not None
        assert info.value.retry_after > 0
    # healthy again afterwards
    assert await _week(harness)


async def test_results_hold_only_unified_models(harness: Any) -> None:
    lessons = await _week(harness)
    allowed = {
        getattr(models, name) for name in models.__all__ if isinstance(getattr(models, name), type)
    }

    def walk(value: Any) -> None:
        if isinstance(value, tuple | list):
            for item in value:
                walk(item)
        elif dataclasses.is_dataclass(value):
            assert type(value) in allowed, type(value)
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        else:
            assert isinstance(
                value, str | int | float | bool | date | time | type(None) | models.Role
            ) or type(value).__module__ in ("datetime", "zoneinfo"), type(value)

    walk(lessons)


async def test_aclose_twice(harness: Any) -> None:
    await harness.adapter.aclose()
    await harness.adapter.aclose()


async def test_changes_feed_lists_the_weeks_new_marks_newest_first(harness: Any) -> None:
    if not harness.adapter.supports(Capability.CHANGES):
        pytest.skip("provider has no changes feed")
    since = datetime.combine(MONDAY, time.min)  # naive: the region's local time
    (changes,) = await harness.adapter.get_changes(
        harness.caller("parent"), [harness.canonical_student_id()], since
    )
    assert isinstance(changes, list), changes
    assert all(c.at.tzinfo is not None for c in changes)
    assert [c.at for c in changes] == sorted((c.at for c in changes), reverse=True)
    marks = [c for c in changes if c.kind is ChangeKind.MARK_CREATED]
    week_marks = [c for c in marks if c.lesson_date is not None and c.lesson_date in WEEK]
    assert len(week_marks) == 6
    assert sorted(c.subject_name for c in week_marks).count("Алгебра") == 3


def _world(harness: Any) -> Any:
    world = getattr(harness, "world", None)
    return world if world is not None else harness.adapter.backend.world


def _names(students: Any) -> set[str]:
    return {s.person.full_name for s in students}


async def test_roster_of_each_staff_role_is_their_classes_groups_and_students(
    harness: Any,
) -> None:
    world = _world(harness)
    adapter = harness.adapter
    canonical = world.students[world.canonical_student_id]
    home = world.classes[canonical.class_id]
    school = [c for c in world.classes.values() if c.school_id == home.school_id]

    def full(seed: Any) -> str:
        p = seed.person
        return " ".join(x for x in (p.last_name, p.first_name, p.middle_name) if x)

    lead = await adapter.get_roster(harness.caller("class-teacher"))
    assert home.name in {c.name for c in lead.classes}
    assert {full(s) for s in world.class_students(home.id)} <= _names(lead.students)
    by_class = {c.id: c.name for c in lead.classes}
    assert all(by_class.get(s.class_unit_id) == s.class_name for s in lead.students)

    admin = await adapter.get_roster(harness.caller("school-admin"))
    assert {c.name for c in admin.classes} == {c.name for c in school}
    assert _names(admin.students) == {full(s) for c in school for s in world.class_students(c.id)}
    seed_groups = [g for g in world.groups.values() if g.school_id == home.school_id]
    assert len(admin.groups) == len(seed_groups)
    names = {c.id: c.name for c in admin.classes}
    assert {(g.subject.name, names[g.class_unit_id]) for g in admin.groups} == {
        (g.subject, world.classes[g.class_id].name) for g in seed_groups
    }

    teacher = next(
        t
        for t in world.teachers.values()
        if t.person.national_id
        and t.school_id == home.school_id
        and world.groups_of_teacher(t.id)
        and t.id != home.class_teacher_id
    )
    taught = world.groups_of_teacher(teacher.id)
    mine = await adapter.get_roster(harness.caller("teacher"))
    names = {c.id: c.name for c in mine.classes}
    assert {(g.subject.name, names[g.class_unit_id]) for g in mine.groups} >= {
        (g.subject, world.classes[g.class_id].name) for g in taught
    }
    assert {full(s) for g in taught for s in world.class_students(g.class_id)} <= _names(
        mine.students
    )

    family = await adapter.get_roster(harness.caller("parent"))
    assert family == models.Roster()


async def test_terms_cover_the_school_year_in_order(harness: Any) -> None:
    if not harness.adapter.supports(Capability.TERMS):
        pytest.skip("provider states no terms")
    world = _world(harness)
    school = str(world.students[world.canonical_student_id].school_id)
    terms = await harness.adapter.get_terms(harness.caller("parent"), school)
    assert terms, "no terms"
    assert [t.starts_on for t in terms] == sorted(t.starts_on for t in terms)
    year = terms[0].starts_on.year if terms[0].starts_on.month >= 9 else terms[0].starts_on.year - 1
    assert date(year, 9, 1) <= terms[0].starts_on
    assert terms[-1].ends_on <= date(year + 1, 8, 31)
    assert len({t.id for t in terms}) == len(terms)
    assert all(t.starts_on <= t.ends_on for t in terms)
