"""The shared adapter contract: every provider, present and future, passes it unchanged.

:class:`ContractChecks` holds the checks as test methods over the ``contract_harness``
fixture (a provider started on the canonical scenario, with ``contract_harness.adapter`` the
adapter under test; see :mod:`adapters.contract.harness` for what a harness offers). The
plugin (:mod:`adapters.contract.plugin`) collects them for every configured harness; a test
module may also subclass :class:`ContractChecks` itself.

The canonical week (``diary_gateway_demo.seed.canonical``, in ``emulators/``) is written by
every provider in its own native shape; the expectations below are written out by hand in
normalized form, so a provider that translates wrongly fails here. Which checks apply
follows the adapter's declared capabilities and the personas the harness offers: a check
that does not apply is skipped with the reason, so a parent-only region passes the checks
that apply to it.
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
    RemarkKind,
    Role,
)

from .conversation import ConversationChecks
from .harness import child_name, harness_personas
from .requirements import needs, seed_world
from .writes import WriteChecks

__all__ = ["MONDAY", "WEEK", "ContractChecks", "needs"]

MONDAY = date(2025, 10, 13)
WEEK = DateRange(MONDAY, MONDAY + timedelta(days=6))


def _day(lessons: list[Lesson], weekday: int) -> list[Lesson]:
    return [le for le in lessons if le.date == MONDAY + timedelta(days=weekday)]


def _lesson(lessons: list[Lesson], weekday: int, number: int) -> Lesson:
    (found,) = [le for le in _day(lessons, weekday) if le.number == number]
    return found


async def _week(h: Any, persona: str = "parent") -> list[Lesson]:
    (slot,) = await h.adapter.get_diaries(h.caller(persona), [h.canonical_student_id()], WEEK)
    assert isinstance(slot, list), slot
    return slot


def _names(students: Any) -> set[str]:
    return {s.person.full_name for s in students}


class ContractChecks(ConversationChecks, WriteChecks):
    """The contract's checks; run for each harness the ``contract_harness`` fixture gives
    (the two-way half's checks come from :mod:`.conversation` and :mod:`.writes`)."""

    @pytest.mark.contract_structure
    def test_declares_slug_capabilities_and_config(self, contract_harness: Any) -> None:
        cls = type(contract_harness.adapter)
        assert cls.slug, "an adapter declares its slug"
        assert cls.slug == contract_harness.slug
        assert Capability.PROFILE in cls.capabilities
        assert Capability.SCHEDULE in cls.capabilities
        assert dataclasses.is_dataclass(cls.config_model)
        assert cls.diary_system

    async def test_parent_profile_lists_the_canonical_child(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.PROFILE,), personas=("parent",))
        profile = await contract_harness.adapter.get_profile(contract_harness.caller("parent"))
        assert profile is not None
        assert any(g.role is Role.PARENT for g in profile.roles)
        (child,) = [
            c for c in profile.children if c.student.id == contract_harness.canonical_student_id()
        ]
        assert child.is_legal_representative is True
        name = child_name(contract_harness)
        if name is not None:
            assert child.student.person.full_name == name
        if "parent-not-representative" not in harness_personas(contract_harness):
            return
        other = await contract_harness.adapter.get_profile(
            contract_harness.caller("parent-not-representative")
        )
        assert other is not None
        (same,) = [
            c for c in other.children if c.student.id == contract_harness.canonical_student_id()
        ]
        assert same.is_legal_representative is False

    @pytest.mark.parametrize(
        ("persona", "role"),
        [
            ("teacher", Role.TEACHER),
            ("class-teacher", Role.CLASS_TEACHER),
            ("school-admin", Role.SCHOOL_ADMIN),
            ("student", Role.STUDENT),
        ],
    )
    async def test_staff_and_student_profiles_carry_their_roles(
        self, contract_harness: Any, persona: str, role: Role
    ) -> None:
        needs(contract_harness, capabilities=(Capability.PROFILE,), personas=(persona,))
        profile = await contract_harness.adapter.get_profile(contract_harness.caller(persona))
        assert profile is not None
        grants = [g for g in profile.roles if g.role is role]
        assert grants, f"{persona} has no {role.name} grant"
        if role is Role.TEACHER:
            assert contract_harness.teacher_group_id() in grants[0].group_ids
            assert {g.id for g in profile.groups} >= set(grants[0].group_ids)
        elif role is Role.CLASS_TEACHER:
            assert any(g.class_unit_ids for g in grants)
        elif role is Role.SCHOOL_ADMIN:
            assert any(g.school_id for g in grants)
        else:
            assert any(g.student_id for g in grants)

    async def test_canonical_week_schedule(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.SCHEDULE,), personas=("parent",))
        lessons = await _week(contract_harness)
        per_day = [len(_day(lessons, d)) for d in range(7)]
        assert per_day == [7, 6, 7, 6, 6, 0, 0]
        assert lessons == sorted(lessons, key=lambda le: (le.date, le.number))
        algebra = _lesson(lessons, 0, 1)
        assert algebra.subject.name == "Алгебра"
        assert algebra.topic == "Квадратные уравнения"
        zone = contract_harness.adapter.region.timezone
        assert algebra.starts_at.tzinfo is not None
        assert algebra.starts_at.astimezone(zone).time() == time(8, 30)
        assert algebra.starts_at.utcoffset() == algebra.starts_at.astimezone(zone).utcoffset()
        assert algebra.ends_at > algebra.starts_at
        assert _lesson(lessons, 0, 3).cancelled is True
        assert _lesson(lessons, 2, 2).remote is True
        assert _lesson(lessons, 2, 3).replaced is True
        assert not any(le.cancelled for le in lessons if (le.date.weekday(), le.number) != (0, 3))

    async def test_canonical_week_marks_normalized(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.MARKS,), personas=("parent",))
        lessons = await _week(contract_harness)
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

    async def test_canonical_week_homework(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.HOMEWORK,), personas=("parent",))
        lessons = await _week(contract_harness)
        (homework,) = _lesson(lessons, 0, 1).homework
        assert homework.text == "№ 245, 247"
        assert homework.due_on == MONDAY + timedelta(days=1)  # the next Алгебра: Tuesday
        (reading,) = _lesson(lessons, 1, 1).homework
        assert [a.name for a in reading.attachments] == ["plan.pdf"]

    async def test_canonical_week_absences(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.ATTENDANCE,), personas=("parent",))
        lessons = await _week(contract_harness)
        ill = _lesson(lessons, 1, 2).absence
        assert ill is not None
        assert ill.excused is True
        assert ill.reason == "Болезнь"
        truant = _lesson(lessons, 4, 2).absence
        assert truant is not None
        assert truant.excused is False
        assert sum(1 for le in lessons if le.absence) == 2

    async def test_marks_and_progress_use_the_weighted_rule(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.MARKS,), personas=("parent",))
        caller = contract_harness.caller("parent")
        (marks,) = await contract_harness.adapter.get_marks(
            caller, [contract_harness.canonical_student_id()], WEEK
        )
        assert isinstance(marks, list)
        assert len(marks) == 6
        if not contract_harness.adapter.supports(Capability.PROGRESS):
            pytest.skip("provider has no progress")
        (progress,) = await contract_harness.adapter.get_progress(
            caller, [contract_harness.canonical_student_id()], WEEK
        )
        assert isinstance(progress, list)
        algebra = next(p for p in progress if p.subject.name == "Алгебра")
        assert algebra.count == 3
        assert algebra.average_five == 4.0  # (5×2 + 4 + 2) / 4
        hundreds = sorted(m.grade.hundred or 0 for m in marks if m.subject.name == "Алгебра")
        weights = {100.0: 2.0}
        expected = sum(h * weights.get(h, 1.0) for h in hundreds) / 4
        assert algebra.average_hundred == round(expected, 2)  # the same rule on every scale

    async def test_unknown_student_fails_only_its_slot(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.SCHEDULE,), personas=("parent",))
        caller = contract_harness.caller("parent")
        result = await contract_harness.adapter.get_diaries(
            caller, [contract_harness.canonical_student_id(), "987654321"], WEEK
        )
        assert isinstance(result[0], list)
        assert result[0]
        assert isinstance(result[1], NotFoundError | AccessDeniedError)
        students = await contract_harness.adapter.get_students(
            caller, [contract_harness.canonical_student_id(), "987654321"]
        )
        name = child_name(contract_harness)
        assert not isinstance(students[0], AdapterError), students[0]
        if name is not None:
            assert students[0].person.full_name == name
        assert isinstance(students[1], NotFoundError | AccessDeniedError)

    async def test_journal_for_the_groups_teacher_only(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.JOURNAL,), personas=("teacher", "parent"))
        journal = await contract_harness.adapter.get_journal(
            contract_harness.caller("teacher"), contract_harness.teacher_group_id(), WEEK
        )
        assert journal.group.id == contract_harness.teacher_group_id()
        assert len(journal.students) == 25
        assert all(le.date in WEEK for le in journal.lessons)
        with pytest.raises(AccessDeniedError):
            await contract_harness.adapter.get_journal(
                contract_harness.caller("parent"), contract_harness.teacher_group_id(), WEEK
            )

    async def test_school_login(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.SCHOOL_LOGIN,), personas=("student",))
        school, login, password = contract_harness.student_login()
        session = await contract_harness.adapter.login(
            school=school, login=login, password=password
        )
        assert session.student_id
        with pytest.raises(AuthenticationError) as wrong_password:
            await contract_harness.adapter.login(
                school=school, login=login, password=password + "x"
            )
        with pytest.raises(AuthenticationError) as wrong_login:
            await contract_harness.adapter.login(
                school=school, login="nobody-" + login, password=password
            )
        assert str(wrong_password.value) == str(wrong_login.value)

    async def test_homework_done_or_not_supported(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.HOMEWORK,), personas=("parent",))
        caller = contract_harness.caller("parent")
        student = contract_harness.canonical_student_id()
        (homework,) = _lesson(await _week(contract_harness), 0, 1).homework
        if not contract_harness.adapter.supports(Capability.HOMEWORK_DONE):
            with pytest.raises(NotSupportedError):
                await contract_harness.adapter.set_homework_done(caller, student, homework.id, True)
            return
        updated = await contract_harness.adapter.set_homework_done(
            caller, student, homework.id, True
        )
        assert updated.done is True
        (again,) = _lesson(await _week(contract_harness), 0, 1).homework
        assert again.done is True
        undone = await contract_harness.adapter.set_homework_done(
            caller, student, homework.id, False
        )
        assert undone.done is False

    async def test_remarks_or_not_supported(self, contract_harness: Any) -> None:
        """The canonical week's remarks are the student's own, in the week, oldest first, with
        praise and remarks among them; an adapter without them says ``NotSupportedError``."""
        needs(contract_harness, personas=("parent",))
        caller = contract_harness.caller("parent")
        student = contract_harness.canonical_student_id()
        if not contract_harness.adapter.supports(Capability.REMARKS):
            with pytest.raises(NotSupportedError):
                await contract_harness.adapter.get_remarks(caller, [student], WEEK)
            return
        (slot,) = await contract_harness.adapter.get_remarks(caller, [student], WEEK)
        assert isinstance(slot, list), slot
        assert all(r.student_id == student and r.day in WEEK for r in slot)
        assert [r.day for r in slot] == sorted(r.day for r in slot)
        assert {r.kind for r in slot} == set(RemarkKind)  # the week has praise and remarks
        assert all(r.text and r.author is not None for r in slot)
        assert any(r.subject is None for r in slot)  # the class teacher's, outside lessons

    async def test_acknowledgement_or_not_supported(self, contract_harness: Any) -> None:
        """The region's system takes a legal representative's acknowledgement of a week, or
        the adapter says ``NotSupportedError``."""
        needs(contract_harness, personas=("parent",))
        caller = contract_harness.caller("parent")
        student = contract_harness.canonical_student_id()
        adapter = contract_harness.adapter
        if not adapter.supports(Capability.ACKNOWLEDGEMENT):
            with pytest.raises(NotSupportedError):
                await adapter.acknowledge_week(caller, student, WEEK.start, "0" * 64, "a.b.c")
            return
        await adapter.acknowledge_week(caller, student, WEEK.start, "0" * 64, "a.b.c")

    async def test_invitation_binding_or_not_supported(self, contract_harness: Any) -> None:
        """A region that binds identities (invitations) accepts a parent's SSO identity for
        the canonical student; one that cannot says ``NotSupportedError``."""
        needs(contract_harness, personas=("parent",))
        caller = contract_harness.caller("parent")
        student = contract_harness.canonical_student_id()
        adapter = contract_harness.adapter
        if not adapter.supports(Capability.INVITATIONS):
            with pytest.raises(NotSupportedError):
                await adapter.bind_parent(caller, student)
            return
        await adapter.bind_parent(caller, student)  # already theirs: binding again is harmless
        profile = await adapter.get_profile(caller)
        assert profile is not None
        assert student in {c.student.id for c in profile.children}

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
        self, contract_harness: Any, fault: Fault, error: type[AdapterError]
    ) -> None:
        needs(
            contract_harness, capabilities=(Capability.SCHEDULE,), personas=("parent",), faults=True
        )
        caller = contract_harness.caller("parent")
        await contract_harness.adapter.get_profile(caller)  # a healthy first call (tokens obtained)
        contract_harness.set_fault(fault)
        try:
            with pytest.raises(AdapterError) as info:
                result = await contract_harness.adapter.get_diaries(
                    caller, [contract_harness.canonical_student_id()], WEEK
                )
                for slot in result:
                    if isinstance(slot, AdapterError):
                        raise slot
        finally:
            contract_harness.set_fault(None)
        assert isinstance(info.value, error), repr(info.value)
        assert info.value.provider == contract_harness.slug
        if fault is Fault.RATE_LIMITED:
            assert isinstance(info.value, ProviderUnavailableError)
            assert info.value.retry_after is not None
            assert info.value.retry_after > 0
        # healthy again afterwards
        assert await _week(contract_harness)

    async def test_results_hold_only_unified_models(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.SCHEDULE,), personas=("parent",))
        lessons = await _week(contract_harness)
        allowed = {
            getattr(models, name)
            for name in models.__all__
            if isinstance(getattr(models, name), type)
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

    async def test_aclose_twice(self, contract_harness: Any) -> None:
        await contract_harness.adapter.aclose()
        await contract_harness.adapter.aclose()

    async def test_changes_feed_lists_the_weeks_new_marks_newest_first(
        self, contract_harness: Any
    ) -> None:
        needs(contract_harness, capabilities=(Capability.CHANGES,), personas=("parent",))
        since = datetime.combine(MONDAY, time.min)  # naive: the region's local time
        (changes,) = await contract_harness.adapter.get_changes(
            contract_harness.caller("parent"), [contract_harness.canonical_student_id()], since
        )
        assert isinstance(changes, list), changes
        assert all(c.at.tzinfo is not None for c in changes)
        assert [c.at for c in changes] == sorted((c.at for c in changes), reverse=True)
        marks = [c for c in changes if c.kind is ChangeKind.MARK_CREATED]
        week_marks = [c for c in marks if c.lesson_date is not None and c.lesson_date in WEEK]
        assert len(week_marks) == 6
        assert sorted(c.subject_name for c in week_marks).count("Алгебра") == 3

    async def test_roster_of_each_staff_role_is_their_classes_groups_and_students(
        self,
        contract_harness: Any,
    ) -> None:
        staff = ("class-teacher", "school-admin", "teacher", "parent")
        needs(contract_harness, capabilities=(Capability.PROFILE,), personas=staff, world=True)
        world = seed_world(contract_harness)
        adapter = contract_harness.adapter
        canonical = world.students[world.canonical_student_id]
        home = world.classes[canonical.class_id]
        school = [c for c in world.classes.values() if c.school_id == home.school_id]

        def full(seed: Any) -> str:
            p = seed.person
            return " ".join(x for x in (p.last_name, p.first_name, p.middle_name) if x)

        lead = await adapter.get_roster(contract_harness.caller("class-teacher"))
        assert home.name in {c.name for c in lead.classes}
        assert {full(s) for s in world.class_students(home.id)} <= _names(lead.students)
        by_class = {c.id: c.name for c in lead.classes}
        assert all(by_class.get(s.class_unit_id) == s.class_name for s in lead.students)

        admin = await adapter.get_roster(contract_harness.caller("school-admin"))
        assert {c.name for c in admin.classes} == {c.name for c in school}
        assert _names(admin.students) == {
            full(s) for c in school for s in world.class_students(c.id)
        }
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
        mine = await adapter.get_roster(contract_harness.caller("teacher"))
        names = {c.id: c.name for c in mine.classes}
        assert {(g.subject.name, names[g.class_unit_id]) for g in mine.groups} >= {
            (g.subject, world.classes[g.class_id].name) for g in taught
        }
        assert {full(s) for g in taught for s in world.class_students(g.class_id)} <= _names(
            mine.students
        )

        family = await adapter.get_roster(contract_harness.caller("parent"))
        assert family == models.Roster()

    async def test_terms_cover_the_school_year_in_order(self, contract_harness: Any) -> None:
        needs(contract_harness, capabilities=(Capability.TERMS,), personas=("parent",), world=True)
        world = seed_world(contract_harness)
        school = str(world.students[world.canonical_student_id].school_id)
        terms = await contract_harness.adapter.get_terms(contract_harness.caller("parent"), school)
        assert terms, "no terms"
        assert [t.starts_on for t in terms] == sorted(t.starts_on for t in terms)
        year = (
            terms[0].starts_on.year
            if terms[0].starts_on.month >= 9
            else terms[0].starts_on.year - 1
        )
        assert date(year, 9, 1) <= terms[0].starts_on
        assert terms[-1].ends_on <= date(year + 1, 8, 31)
        assert len({t.id for t in terms}) == len(terms)
        assert all(t.starts_on <= t.ends_on for t in terms)
