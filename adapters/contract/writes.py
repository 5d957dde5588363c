"""Contract checks of a teacher's marks and a parent's advance absence notices
(``MARK_ENTRY``, ``ABSENCE_NOTICES``): what a region's system that declares them must do,
and ``NotSupportedError`` from one that does not.

A mark is entered on a lesson of the ``teacher`` persona's group in the canonical week (read
from the journal), for the canonical student; the ``parent`` then sees it, and its
correction, in the student's marks (and the change feed, where the adapter has one). The
provider refuses a value outside every scale and a teacher who does not teach the group,
and a failed write never claims ``NOT_APPLIED`` for a mark that was written. A notice is
given for the days after the harness's today (read from the adapter's clock, whatever the
season) and listed for the ``parent`` and the ``class-teacher``; the provider refuses a
past day and a parent who does not represent the child. Idempotency keys are handed over
but not checked here: a provider need not honour them.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from adapters import (
    AccessDeniedError,
    AdapterError,
    Capability,
    ChangeKind,
    DateRange,
    Fault,
    JournalLesson,
    Mark,
    MarkInput,
    NotSupportedError,
    ProviderRejectedError,
    WriteOutcome,
)

from .requirements import needs

__all__ = ["WriteChecks"]

_WEEK = DateRange(date(2025, 10, 13), date(2025, 10, 19))
"""The canonical week (in the past at the contract clock): the teacher's lessons to mark."""
_OUT_OF_EVERY_SCALE = "999"
"""Not a mark on a five-, ten- or hundred-point scale."""


def _key() -> str:
    return str(uuid.uuid4())


async def _lesson_and_student(h: Any) -> tuple[JournalLesson, str]:
    """The last lesson of the teacher's group in the canonical week, and the student to
    mark (the canonical student where they are in the group)."""
    journal = await h.adapter.get_journal(h.caller("teacher"), h.teacher_group_id(), _WEEK)
    lessons = [le for le in journal.lessons if not le.cancelled]
    assert lessons, "the teacher's group has no lesson in the canonical week"
    students = [s.id for s in journal.students]
    canonical = h.canonical_student_id()
    student = canonical if canonical in students or not students else students[0]
    return max(lessons, key=lambda le: (le.date, le.number)), student


async def _marks_on(h: Any, persona: str, student: str, lesson: JournalLesson) -> list[Mark]:
    """The marks ``persona`` sees for ``student`` on the day of ``lesson``."""
    (slot,) = await h.adapter.get_marks(
        h.caller(persona), [student], DateRange(lesson.date, lesson.date)
    )
    assert isinstance(slot, list), slot
    return slot


def _family(h: Any, student: str) -> str:
    """Who reads the student's marks back: the parent for the canonical student, else the
    teacher (staff read the students they teach)."""
    return "parent" if student == h.canonical_student_id() else "teacher"


def _today(h: Any) -> date:
    adapter = h.adapter
    today: date = adapter.deps.clock.today(adapter.region.timezone)
    return today


class WriteChecks:
    """Mixed into :class:`~adapters.contract.checks.ContractChecks`."""

    # -- MARK_ENTRY ----------------------------------------------------------------------

    async def test_mark_entry_not_supported(self, contract_harness: Any) -> None:
        """An adapter that does not declare ``MARK_ENTRY`` says ``NotSupportedError`` from
        both writes (before asking its provider anything)."""
        adapter = contract_harness.adapter
        if adapter.supports(Capability.MARK_ENTRY):
            pytest.skip(f"{adapter.slug} declares mark_entry")
        needs(contract_harness, personas=("teacher",))
        caller = contract_harness.caller("teacher")
        student = contract_harness.canonical_student_id()
        with pytest.raises(NotSupportedError):
            await adapter.enter_mark(caller, "1", student, MarkInput("5"), idempotency_key=_key())
        with pytest.raises(NotSupportedError):
            await adapter.correct_mark(caller, "1", student, MarkInput("5"), idempotency_key=_key())

    async def test_a_mark_entered_and_corrected_shows_in_the_students_marks(
        self, contract_harness: Any
    ) -> None:
        h = contract_harness
        needs(
            h,
            capabilities=(Capability.MARK_ENTRY, Capability.JOURNAL, Capability.MARKS),
            personas=("teacher", "parent"),
        )
        lesson, student = await _lesson_and_student(h)
        reader = _family(h, student)
        before = {m.id for m in await _marks_on(h, reader, student, lesson)}
        teacher = h.caller("teacher")

        mark = await h.adapter.enter_mark(
            teacher, lesson.id, student, MarkInput("4", comment="contract"), idempotency_key=_key()
        )
        assert mark.id not in before
        assert (mark.value, mark.student_id, mark.lesson_date) == ("4", student, lesson.date)
        assert mark.grade.five == 4.0
        seen = {m.id: m for m in await _marks_on(h, reader, student, lesson)}
        assert set(seen) == before | {mark.id}
        assert seen[mark.id].value == "4"

        corrected = await h.adapter.correct_mark(
            teacher, mark.id, student, MarkInput("5", comment="contract"), idempotency_key=_key()
        )
        assert (corrected.id, corrected.value) == (mark.id, "5")
        seen = {m.id: m for m in await _marks_on(h, reader, student, lesson)}
        assert set(seen) == before | {mark.id}
        assert seen[mark.id].value == "5"

    async def test_entered_and_corrected_marks_reach_the_change_feed(
        self, contract_harness: Any
    ) -> None:
        h = contract_harness
        needs(
            h,
            capabilities=(Capability.MARK_ENTRY, Capability.JOURNAL, Capability.CHANGES),
            personas=("teacher", "parent"),
        )
        lesson, student = await _lesson_and_student(h)
        if student != h.canonical_student_id():
            pytest.skip("the canonical student is not in the teacher's group")
        since = h.adapter.deps.clock.now() - timedelta(minutes=1)
        teacher = h.caller("teacher")
        mark = await h.adapter.enter_mark(
            teacher, lesson.id, student, MarkInput("3"), idempotency_key=_key()
        )
        await h.adapter.correct_mark(
            teacher, mark.id, student, MarkInput("4"), idempotency_key=_key()
        )
        (slot,) = await h.adapter.get_changes(h.caller("parent"), [student], since)
        assert isinstance(slot, list), slot
        kinds = {ChangeKind.MARK_CREATED, ChangeKind.MARK_UPDATED}
        found = {(c.kind, c.mark_value) for c in slot if c.kind in kinds}
        assert (ChangeKind.MARK_CREATED, "3") in found or (ChangeKind.MARK_CREATED, "4") in found
        assert (ChangeKind.MARK_UPDATED, "4") in found

    async def test_a_mark_outside_every_scale_is_rejected(self, contract_harness: Any) -> None:
        h = contract_harness
        needs(
            h,
            capabilities=(Capability.MARK_ENTRY, Capability.JOURNAL, Capability.MARKS),
            personas=("teacher", "parent"),
        )
        lesson, student = await _lesson_and_student(h)
        reader = _family(h, student)
        before = await _marks_on(h, reader, student, lesson)
        with pytest.raises(ProviderRejectedError) as rejected:
            await h.adapter.enter_mark(
                h.caller("teacher"),
                lesson.id,
                student,
                MarkInput(_OUT_OF_EVERY_SCALE),
                idempotency_key=_key(),
            )
        assert rejected.value.provider == h.slug
        assert rejected.value.message
        assert rejected.value.write_outcome is WriteOutcome.NOT_APPLIED
        assert await _marks_on(h, reader, student, lesson) == before

    async def test_a_teacher_of_another_subject_may_not_mark_the_group(
        self, contract_harness: Any
    ) -> None:
        h = contract_harness
        needs(
            h,
            capabilities=(Capability.MARK_ENTRY, Capability.JOURNAL, Capability.PROFILE),
            personas=("teacher", "class-teacher"),
        )
        other = h.caller("class-teacher")
        profile = await h.adapter.get_profile(other)
        if profile is not None and h.teacher_group_id() in {g.id for g in profile.groups}:
            pytest.skip("the class teacher teaches the teacher's group here")
        lesson, student = await _lesson_and_student(h)
        with pytest.raises(AccessDeniedError) as refused:
            await h.adapter.enter_mark(
                other, lesson.id, student, MarkInput("5"), idempotency_key=_key()
            )
        assert refused.value.write_outcome is WriteOutcome.NOT_APPLIED

    @pytest.mark.parametrize(
        "fault", [Fault.SERVER_ERROR, Fault.RATE_LIMITED], ids=lambda f: f.value
    )
    async def test_a_failed_mark_entry_says_what_it_left_behind(
        self, contract_harness: Any, fault: Fault
    ) -> None:
        """Every failed write carries a ``write_outcome``; a rate-limited one was not
        applied; and one that claims ``NOT_APPLIED`` left no mark."""
        h = contract_harness
        needs(
            h,
            capabilities=(Capability.MARK_ENTRY, Capability.JOURNAL, Capability.MARKS),
            personas=("teacher", "parent"),
            faults=True,
        )
        lesson, student = await _lesson_and_student(h)  # the teacher's token is obtained
        reader = _family(h, student)
        before = await _marks_on(h, reader, student, lesson)
        h.set_fault(fault)
        try:
            with pytest.raises(AdapterError) as failed:
                await h.adapter.enter_mark(
                    h.caller("teacher"), lesson.id, student, MarkInput("5"), idempotency_key=_key()
                )
        finally:
            h.set_fault(None)
        outcome = failed.value.write_outcome
        assert outcome is not None, repr(failed.value)
        if fault is Fault.RATE_LIMITED:
            assert outcome is WriteOutcome.NOT_APPLIED
        if outcome is WriteOutcome.NOT_APPLIED:
            assert await _marks_on(h, reader, student, lesson) == before

    # -- ABSENCE_NOTICES -----------------------------------------------------------------

    async def test_absence_notices_not_supported(self, contract_harness: Any) -> None:
        """An adapter that does not declare ``ABSENCE_NOTICES`` says ``NotSupportedError``
        from each of its calls."""
        adapter = contract_harness.adapter
        if adapter.supports(Capability.ABSENCE_NOTICES):
            pytest.skip(f"{adapter.slug} declares absence_notices")
        needs(contract_harness, personas=("parent",))
        caller = contract_harness.caller("parent")
        student = contract_harness.canonical_student_id()
        tomorrow = _today(contract_harness) + timedelta(days=1)
        with pytest.raises(NotSupportedError):
            await adapter.get_absence_reasons(caller, student)
        with pytest.raises(NotSupportedError):
            await adapter.notify_absence(
                caller,
                student,
                DateRange(tomorrow, tomorrow),
                "1",
                comment=None,
                idempotency_key=_key(),
            )
        with pytest.raises(NotSupportedError):
            await adapter.get_absence_notices(caller, [student])

    async def test_a_notice_for_coming_days_is_listed_for_the_parent_and_class_teacher(
        self, contract_harness: Any
    ) -> None:
        h = contract_harness
        needs(h, capabilities=(Capability.ABSENCE_NOTICES,), personas=("parent", "class-teacher"))
        parent = h.caller("parent")
        student = h.canonical_student_id()
        reasons = await h.adapter.get_absence_reasons(parent, student)
        assert reasons, "no reason a parent may give"
        assert all(r.id and r.name for r in reasons)
        today = _today(h)
        days = DateRange(today + timedelta(days=1), today + timedelta(days=2))
        notice = await h.adapter.notify_absence(
            parent, student, days, reasons[0].id, comment="contract", idempotency_key=_key()
        )
        assert (notice.student_id, notice.days, notice.reason.id) == (
            student,
            days,
            reasons[0].id,
        )
        for persona in ("parent", "class-teacher"):
            (slot,) = await h.adapter.get_absence_notices(h.caller(persona), [student])
            assert isinstance(slot, list), (persona, slot)
            assert [(n.id, n.days, n.reason.id) for n in slot] == [
                (notice.id, days, reasons[0].id)
            ], persona

    async def test_a_notice_for_a_past_day_is_rejected(self, contract_harness: Any) -> None:
        h = contract_harness
        needs(h, capabilities=(Capability.ABSENCE_NOTICES,), personas=("parent",))
        parent = h.caller("parent")
        student = h.canonical_student_id()
        (reason, *_) = await h.adapter.get_absence_reasons(parent, student)
        yesterday = _today(h) - timedelta(days=1)
        with pytest.raises(ProviderRejectedError) as rejected:
            await h.adapter.notify_absence(
                parent,
                student,
                DateRange(yesterday, yesterday),
                reason.id,
                comment=None,
                idempotency_key=_key(),
            )
        assert rejected.value.message
        assert rejected.value.write_outcome is WriteOutcome.NOT_APPLIED
        (slot,) = await h.adapter.get_absence_notices(parent, [student])
        assert slot == []

    async def test_a_parent_who_does_not_represent_the_child_may_not_notify(
        self, contract_harness: Any
    ) -> None:
        h = contract_harness
        needs(
            h,
            capabilities=(Capability.ABSENCE_NOTICES,),
            personas=("parent", "parent-not-representative"),
        )
        student = h.canonical_student_id()
        (reason, *_) = await h.adapter.get_absence_reasons(h.caller("parent"), student)
        tomorrow = _today(h) + timedelta(days=1)
        with pytest.raises(AccessDeniedError) as refused:
            await h.adapter.notify_absence(
                h.caller("parent-not-representative"),
                student,
                DateRange(tomorrow, tomorrow),
                reason.id,
                comment=None,
                idempotency_key=_key(),
            )
        assert refused.value.write_outcome is WriteOutcome.NOT_APPLIED
        (slot,) = await h.adapter.get_absence_notices(h.caller("parent"), [student])
        assert slot == []
