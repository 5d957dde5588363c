"""The Moscow adapter's writes against the emulator over real HTTP, at awkward instants.

A teacher enters and corrects marks in the journal of their group (``MARK_ENTRY``) and a
legal representative tells the school in advance that a child will be absent
(``ABSENCE_NOTICES``): what the family then sees, who is refused, what the provider's
validation refuses, idempotency keys, and what a failed write leaves behind
(``WriteOutcome``). Every test runs at New Year's night (winter break: the future days
exist all the same) and at 23:30 on a Sunday in Moscow.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapters import (
    AbsenceReason,
    AccessDeniedError,
    Caller,
    ChangeKind,
    Clock,
    DateRange,
    Fault,
    JournalLesson,
    Mark,
    MarkInput,
    ProviderRejectedError,
    ProviderUnavailableError,
    WriteOutcome,
)
from adapters.moscow import MoscowAdapter
from adapters.moscow.parsing import (
    CONTROL_FORMS,
    DEFAULT_CONTROL_FORM,
    UnknownControlForm,
    build_mark_body,
    parse_absence_notices,
    parse_absence_reasons,
)
from diary_gateway_demo.seed import national_id
from tests.adapters.harnesses.moscow import SSO_AUDIENCE, Harness
from tests.adapters.moscow.test_adapter_http import rewriting
from tests.clock import AWKWARD_INSTANTS

MSK = ZoneInfo("Europe/Moscow")
INSTANTS = ("31-december", "sunday-2330-moscow")


class Writes:
    """A started harness at a pinned instant, and the people and ids the tests use."""

    def __init__(self, harness: Harness, adapter: MoscowAdapter, now: datetime) -> None:
        self.harness = harness
        self.adapter = adapter
        self.now = now.astimezone(MSK)
        self.student = harness.canonical_student_id()
        self.parent = harness.caller("parent")
        self.teacher = harness.caller("teacher")

    async def lesson(self, reader: Caller | None = None) -> JournalLesson:
        """The latest lesson of the teacher's group before today (from the journal, as the
        teacher or ``reader`` sees it)."""
        today = self.now.date()
        days = DateRange(today - timedelta(days=28), today - timedelta(days=1))
        journal = await self.adapter.get_journal(
            reader or self.teacher, self.harness.teacher_group_id(), days
        )
        lessons = [le for le in journal.lessons if not le.cancelled]
        assert lessons, f"the teacher's group had no lesson in {days}"
        return max(lessons, key=lambda le: (le.date, le.number))

    async def family_marks(self, lesson: JournalLesson) -> list[Mark]:
        """The parent's view of the student's marks on the lesson."""
        (slot,) = await self.adapter.get_marks(
            self.parent, [self.student], DateRange(lesson.date, lesson.date)
        )
        assert isinstance(slot, list), slot
        return [m for m in slot if m.lesson_id == lesson.id]

    async def enter(
        self,
        lesson: JournalLesson,
        value: str,
        *,
        key: str | None = None,
        caller: Caller | None = None,
    ) -> Mark:
        return await self.adapter.enter_mark(
            caller or self.teacher,
            lesson.id,
            self.student,
            MarkInput(value, weight=2, comment="Работа у доски", control_form="Тест"),
            idempotency_key=key or str(uuid.uuid4()),
        )


@pytest.fixture(params=INSTANTS)
async def writes(request: pytest.FixtureRequest) -> AsyncIterator[Writes]:
    instant = AWKWARD_INSTANTS[request.param]
    harness = Harness()
    adapter = await harness.start(Clock.fixed(instant))
    assert isinstance(adapter, MoscowAdapter)
    try:
        yield Writes(harness, adapter, instant)
    finally:
        await harness.stop()


# -- marks -------------------------------------------------------------------------------


async def test_a_mark_entered_shows_in_the_family_marks_and_changes(writes: Writes) -> None:
    lesson = await writes.lesson()
    before = await writes.family_marks(lesson)
    since = writes.now - timedelta(minutes=1)

    mark = await writes.enter(lesson, "4")

    assert (mark.value, mark.weight, mark.lesson_id, mark.lesson_date) == (
        "4",
        2.0,
        lesson.id,
        lesson.date,
    )
    assert mark.grade.five == 4.0
    assert mark.control_form == "Тест"
    after = await writes.family_marks(lesson)
    assert [m.id for m in after] == [*(m.id for m in before), mark.id]
    seen = next(m for m in after if m.id == mark.id)
    assert (seen.value, seen.comment, seen.student_id) == ("4", "Работа у доски", writes.student)
    (changes,) = await writes.adapter.get_changes(writes.parent, [writes.student], since)
    assert isinstance(changes, list), changes
    marks = [c for c in changes if c.kind in (ChangeKind.MARK_CREATED, ChangeKind.MARK_UPDATED)]
    assert [(c.kind, c.mark_value, c.lesson_date) for c in marks] == [
        (ChangeKind.MARK_CREATED, "4", lesson.date)
    ]


async def test_a_correction_shows_as_mark_updated_with_the_new_value(writes: Writes) -> None:
    lesson = await writes.lesson()
    since = writes.now - timedelta(minutes=1)
    mark = await writes.enter(lesson, "3")

    corrected = await writes.adapter.correct_mark(
        writes.teacher,
        mark.id,
        writes.student,
        MarkInput("5", weight=1, comment="Пересдача"),
        idempotency_key=str(uuid.uuid4()),
    )

    assert (corrected.id, corrected.value, corrected.weight) == (mark.id, "5", 1.0)
    assert corrected.control_form == "Тест"  # a correction without a form keeps the mark's
    seen = next(m for m in await writes.family_marks(lesson) if m.id == mark.id)
    assert (seen.value, seen.comment) == ("5", "Пересдача")
    (changes,) = await writes.adapter.get_changes(writes.parent, [writes.student], since)
    assert isinstance(changes, list), changes
    updated = [c for c in changes if c.kind is ChangeKind.MARK_UPDATED]
    assert [(c.mark_value, c.previous_mark_value) for c in updated] == [("5", "3")]


async def test_a_mark_read_in_the_journal_can_be_corrected(writes: Writes) -> None:
    today = writes.now.date()
    days = DateRange(today - timedelta(days=28), today - timedelta(days=1))
    journal = await writes.adapter.get_journal(
        writes.teacher, writes.harness.teacher_group_id(), days
    )
    given = [
        m
        for m in journal.marks
        if m.student_id == writes.student and m.value in {"2", "3", "4", "5"}
    ]
    assert given, f"the student has no mark of the teacher's group in {days}"
    mark = max(given, key=lambda m: (m.lesson_date, m.id))
    value = "2" if mark.value != "2" else "3"
    since = writes.now - timedelta(minutes=1)

    corrected = await writes.adapter.correct_mark(
        writes.teacher,
        mark.id,
        writes.student,
        MarkInput(value, weight=int(mark.weight)),
        idempotency_key=str(uuid.uuid4()),
    )

    assert (corrected.id, corrected.value, corrected.lesson_id) == (mark.id, value, mark.lesson_id)
    (slot,) = await writes.adapter.get_marks(
        writes.parent, [writes.student], DateRange(mark.lesson_date, mark.lesson_date)
    )
    assert isinstance(slot, list), slot
    assert [m.value for m in slot if m.id == mark.id] == [value]
    (changes,) = await writes.adapter.get_changes(writes.parent, [writes.student], since)
    assert isinstance(changes, list), changes
    assert [(c.kind, c.mark_value, c.previous_mark_value) for c in changes] == [
        (ChangeKind.MARK_UPDATED, value, mark.value)
    ]


async def test_a_teacher_who_does_not_teach_the_group_is_refused(writes: Writes) -> None:
    lesson = await writes.lesson()
    before = await writes.family_marks(lesson)
    # the class teacher leads the class and reads this journal, but does not teach algebra
    with pytest.raises(AccessDeniedError) as refused:
        await writes.enter(lesson, "5", caller=writes.harness.caller("class-teacher"))
    assert refused.value.write_outcome is WriteOutcome.NOT_APPLIED
    assert await writes.family_marks(lesson) == before


async def test_a_value_outside_the_five_point_scale_is_rejected(writes: Writes) -> None:
    lesson = await writes.lesson()
    before = await writes.family_marks(lesson)
    with pytest.raises(ProviderRejectedError) as rejected:
        await writes.enter(lesson, "7")
    assert rejected.value.write_outcome is WriteOutcome.NOT_APPLIED
    assert rejected.value.field == "grade_origins"
    assert rejected.value.message  # the provider's own words, shown to the teacher
    assert await writes.family_marks(lesson) == before


async def test_an_unknown_control_form_is_rejected_before_it_is_sent(writes: Writes) -> None:
    lesson = await writes.lesson()
    with pytest.raises(ProviderRejectedError) as rejected:
        await writes.adapter.enter_mark(
            writes.teacher,
            lesson.id,
            writes.student,
            MarkInput("5", control_form="Сочинение на свободную тему"),
            idempotency_key=str(uuid.uuid4()),
        )
    assert rejected.value.field == "control_form"
    assert rejected.value.write_outcome is WriteOutcome.NOT_APPLIED


async def test_a_replay_with_the_same_key_gives_the_same_mark_once(writes: Writes) -> None:
    lesson = await writes.lesson()
    before = await writes.family_marks(lesson)
    key = str(uuid.uuid4())

    first = await writes.enter(lesson, "4", key=key)
    again = await writes.enter(lesson, "4", key=key)

    assert again.id == first.id
    after = await writes.family_marks(lesson)
    assert [m.id for m in after] == [*(m.id for m in before), first.id]
    with pytest.raises(ProviderRejectedError) as reused:
        await writes.enter(lesson, "5", key=key)
    assert reused.value.write_outcome is WriteOutcome.NOT_APPLIED
    assert await writes.family_marks(lesson) == after


async def test_a_server_error_leaves_the_write_unknown(writes: Writes) -> None:
    lesson = await writes.lesson()  # the teacher's token is obtained: the write is sent
    writes.harness.set_fault(Fault.SERVER_ERROR)
    try:
        with pytest.raises(ProviderUnavailableError) as failed:
            await writes.enter(lesson, "5")
    finally:
        writes.harness.set_fault(None)
    assert failed.value.write_outcome is WriteOutcome.UNKNOWN


async def test_a_failure_before_the_write_is_sent_leaves_it_not_applied(writes: Writes) -> None:
    # the class teacher reads the journal: the teacher has not signed in yet
    lesson = await writes.lesson(reader=writes.harness.caller("class-teacher"))
    writes.harness.set_fault(Fault.SERVER_ERROR)  # the teacher's token exchange fails
    try:
        with pytest.raises(ProviderUnavailableError) as failed:
            await writes.enter(lesson, "5")
    finally:
        writes.harness.set_fault(None)
    assert failed.value.write_outcome is WriteOutcome.NOT_APPLIED


# -- advance absence notices -------------------------------------------------------------


async def test_reasons_are_those_a_parent_may_give(writes: Writes) -> None:
    reasons = await writes.adapter.get_absence_reasons(writes.parent, writes.student)
    assert {r.id: r.name for r in reasons} == {"1": "Болезнь", "2": "Семейные обстоятельства"}


async def test_a_notice_for_future_days_is_listed_for_the_parent_and_class_teacher(
    writes: Writes,
) -> None:
    today = writes.now.date()
    days = DateRange(today + timedelta(days=1), today + timedelta(days=3))
    notice = await writes.adapter.notify_absence(
        writes.parent,
        writes.student,
        days,
        "1",
        comment="Плановая операция",
        idempotency_key=str(uuid.uuid4()),
    )
    assert (notice.student_id, notice.days, notice.reason.id, notice.reason.name) == (
        writes.student,
        days,
        "1",
        "Болезнь",
    )
    assert notice.comment == "Плановая операция"
    for persona in ("parent", "class-teacher"):
        (slot,) = await writes.adapter.get_absence_notices(
            writes.harness.caller(persona), [writes.student]
        )
        assert isinstance(slot, list), (persona, slot)
        assert [(n.id, n.days, n.reason.id) for n in slot] == [(notice.id, days, "1")], persona
    (refused,) = await writes.adapter.get_absence_notices(writes.teacher, [writes.student])
    assert isinstance(refused, AccessDeniedError)  # a subject teacher is not told


async def test_a_notice_for_today_is_accepted(writes: Writes) -> None:
    today = writes.now.date()
    notice = await writes.adapter.notify_absence(
        writes.parent,
        writes.student,
        DateRange(today, today),
        "2",
        comment=None,
        idempotency_key=str(uuid.uuid4()),
    )
    assert notice.days == DateRange(today, today)
    assert notice.comment is None


async def test_a_notice_for_a_past_day_is_rejected(writes: Writes) -> None:
    yesterday = writes.now.date() - timedelta(days=1)
    with pytest.raises(ProviderRejectedError) as rejected:
        await writes.adapter.notify_absence(
            writes.parent,
            writes.student,
            DateRange(yesterday, yesterday + timedelta(days=2)),
            "1",
            comment=None,
            idempotency_key=str(uuid.uuid4()),
        )
    assert rejected.value.write_outcome is WriteOutcome.NOT_APPLIED
    assert rejected.value.field == "dates"
    (slot,) = await writes.adapter.get_absence_notices(writes.parent, [writes.student])
    assert slot == []


async def test_a_parent_who_does_not_represent_the_child_is_refused(writes: Writes) -> None:
    tomorrow = writes.now.date() + timedelta(days=1)
    with pytest.raises(AccessDeniedError) as refused:
        await writes.adapter.notify_absence(
            writes.harness.caller("parent-not-representative"),
            writes.student,
            DateRange(tomorrow, tomorrow),
            "1",
            comment=None,
            idempotency_key=str(uuid.uuid4()),
        )
    assert refused.value.write_outcome is WriteOutcome.NOT_APPLIED
    (slot,) = await writes.adapter.get_absence_notices(writes.parent, [writes.student])
    assert slot == []


async def test_a_replayed_notice_is_recorded_once(writes: Writes) -> None:
    tomorrow = writes.now.date() + timedelta(days=1)
    key = str(uuid.uuid4())
    days = DateRange(tomorrow, tomorrow)
    first = await writes.adapter.notify_absence(
        writes.parent, writes.student, days, "2", comment=None, idempotency_key=key
    )
    again = await writes.adapter.notify_absence(
        writes.parent, writes.student, days, "2", comment=None, idempotency_key=key
    )
    assert again.id == first.id
    (slot,) = await writes.adapter.get_absence_notices(writes.parent, [writes.student])
    assert isinstance(slot, list)
    assert [n.id for n in slot] == [first.id]


# -- the emulator's side of it, over HTTP --------------------------------------------------

TEACHER_API = "/api/ej/core/teacher/v1"
FAMILY_API = "/api/family/mobile/v1"


def sign_in(writes: Writes, persona: str) -> dict[str, str]:
    """МЭШ headers of a persona signed in through the national SSO exchange."""
    token = writes.harness.issuer.mint(national_id(persona, "77"), audience=SSO_AUDIENCE)
    grant = writes.harness.admin.post(
        "/v3/auth/sudir/auth", headers={"Authorization": f"Bearer {token}"}
    )
    assert grant.status_code == 200, grant.text
    return {
        "Auth-Token": grant.json()["token"],
        "X-Mes-Subsystem": "familymp",
        "Profile-Id": str(grant.json()["profile_id"]),
    }


def mark_body(writes: Writes, lesson: JournalLesson, value: str) -> dict[str, object]:
    return {
        "student_profile_id": int(writes.student),
        "schedule_item_id": int(lesson.id),
        "grade_origins": [{"grade_origin": value, "grade_system_id": 4140000}],
        "control_form_id": 4600001,
        "weight": 1,
        "is_exam": False,
        "comment": None,
    }


async def test_the_emulator_words_refusals_and_feeds_old_and_new_values(writes: Writes) -> None:
    lesson = await writes.lesson()
    http = writes.harness.admin
    teacher = sign_in(writes, "teacher")
    key = {"Idempotency-Key": "k-1"}

    bad = http.post(f"{TEACHER_API}/marks", json=mark_body(writes, lesson, "7"), headers=teacher)
    assert bad.status_code == 400
    assert bad.json()["message"] == bad.json()["description"]
    assert bad.json()["details"] == {"field": "grade_origins"}

    created = http.post(
        f"{TEACHER_API}/marks", json=mark_body(writes, lesson, "2"), headers=teacher | key
    )
    assert created.status_code == 201, created.text
    reused = http.post(
        f"{TEACHER_API}/marks", json=mark_body(writes, lesson, "3"), headers=teacher | key
    )
    assert reused.status_code == 422
    assert reused.json()["message"]
    mark_id = created.json()["id"]

    other = sign_in(writes, "class-teacher")
    path = f"{TEACHER_API}/marks/{mark_id}"
    assert http.put(path, json=mark_body(writes, lesson, "3"), headers=other).status_code == 403
    missing = f"{TEACHER_API}/marks/{mark_id + 1}"
    assert (
        http.put(missing, json=mark_body(writes, lesson, "3"), headers=teacher).status_code == 404
    )
    for value in ("3", "4"):
        changed = http.put(path, json=mark_body(writes, lesson, value), headers=teacher)
        assert changed.status_code == 200, changed.text
        assert changed.json()["value"] == value

    parent = sign_in(writes, "parent")
    feed = http.get(
        f"{FAMILY_API}/notifications/search", params={"student_id": writes.student}, headers=parent
    ).json()
    ours = [
        (n["event_type"], n["old_mark_value"], n["new_mark_value"])
        for n in feed
        if n["event_type"] in ("create_mark", "update_mark")
        and n["lesson_date"].startswith(lesson.date.isoformat())
        and n["subject_name"] == "Алгебра"
        and n["created_at"] == writes.now.replace(tzinfo=None).isoformat(timespec="seconds")
    ]
    assert sorted(ours) == [
        ("create_mark", None, "2"),
        ("update_mark", "2", "3"),
        ("update_mark", "3", "4"),
    ]


async def test_the_emulator_takes_only_reasons_a_parent_may_give(writes: Writes) -> None:
    http = writes.harness.admin
    parent = sign_in(writes, "parent")
    tomorrow = (writes.now.date() + timedelta(days=1)).isoformat()

    def notice(reason: int) -> httpx.Response:
        body = {
            "student_id": int(writes.student),
            "notifications": [{"date": tomorrow, "reason_id": reason, "description": ""}],
        }
        return http.post(f"{FAMILY_API}/attendance", json=body, headers=parent)

    unexcused = notice(6)
    assert unexcused.status_code == 400
    assert unexcused.json()["details"] == {"field": "reason_id"}
    assert notice(99).status_code == 400
    assert notice(1).status_code == 201
    student = sign_in(writes, "student")  # the student persona is not the canonical student
    listed = http.get(
        f"{FAMILY_API}/attendance/notifications",
        params={"student_id": writes.student},
        headers=student,
    )
    assert listed.status_code == 403


async def test_a_representative_withdraws_days_of_a_notice(writes: Writes) -> None:
    today = writes.now.date()
    days = DateRange(today + timedelta(days=1), today + timedelta(days=3))
    notice = await writes.adapter.notify_absence(
        writes.parent, writes.student, days, "1", comment=None, idempotency_key=str(uuid.uuid4())
    )
    http = writes.harness.admin

    def withdraw(persona: str, *offsets: int) -> httpx.Response:
        body = {
            "student_id": int(writes.student),
            "notifications": [{"date": (today + timedelta(days=d)).isoformat()} for d in offsets],
        }
        return http.request(
            "DELETE", f"{FAMILY_API}/attendance", json=body, headers=sign_in(writes, persona)
        )

    assert withdraw("parent-not-representative", 3).status_code == 403
    assert withdraw("parent", -1).status_code == 400
    answer = withdraw("parent", 3)
    assert answer.status_code == 200, answer.text
    assert answer.json()["removed"] == 1
    (slot,) = await writes.adapter.get_absence_notices(writes.parent, [writes.student])
    assert isinstance(slot, list), slot
    assert [(n.id, n.days) for n in slot] == [
        (notice.id, DateRange(days.start, days.end - timedelta(days=1)))
    ]
    assert withdraw("parent", 1, 2).json()["removed"] == 2
    (slot,) = await writes.adapter.get_absence_notices(writes.parent, [writes.student])
    assert slot == []


def without_subjects(path: str, document: object) -> object:
    """A server that answers call 15 in call 13's shape only: no subject on the mark."""
    if path.startswith(TEACHER_API + "/marks") and isinstance(document, dict):
        return {k: v for k, v in document.items() if k not in ("subject_id", "subject_name")}
    return document


async def test_a_mark_without_a_subject_takes_its_lessons_from_the_journal() -> None:
    harness = Harness(wrap=rewriting(without_subjects))
    adapter = await harness.start(Clock.fixed(AWKWARD_INSTANTS["sunday-2330-moscow"]))
    assert isinstance(adapter, MoscowAdapter)
    try:
        writes = Writes(harness, adapter, AWKWARD_INSTANTS["sunday-2330-moscow"])
        lesson = await writes.lesson()
        mark = await writes.enter(lesson, "5")
        group = harness.world.groups[int(harness.teacher_group_id())]
        assert (mark.subject.id, mark.subject.name) == (str(group.subject_id), group.subject)
    finally:
        await harness.stop()


# -- the pure translation ----------------------------------------------------------------


def test_mark_bodies_name_control_forms_by_id() -> None:
    entered = build_mark_body(
        MarkInput(" 4 ", weight=3, control_form="контрольная  Работа", is_exam=True),
        student_id="7701001",
        grade_system_id=4140001,
        lesson_id="77",
    )
    assert entered == {
        "student_profile_id": 7701001,
        "schedule_item_id": 77,
        "grade_origins": [{"grade_origin": "4", "grade_system_id": 4140001}],
        "control_form_id": 4600004,
        "weight": 3,
        "is_exam": True,
        "comment": None,
    }
    default = build_mark_body(MarkInput("5"), student_id="1", grade_system_id=1, lesson_id="2")
    assert default["control_form_id"] == DEFAULT_CONTROL_FORM
    kept = build_mark_body(
        MarkInput("5"), student_id="1", grade_system_id=1, lesson_id=None, correcting=True
    )
    assert "control_form_id" not in kept
    assert "schedule_item_id" not in kept
    assert (
        build_mark_body(
            MarkInput("5", control_form="homework"),
            student_id="1",
            grade_system_id=1,
            lesson_id=None,
        )["control_form_id"]
        == CONTROL_FORMS["домашняя работа"]
    )
    with pytest.raises(UnknownControlForm):
        build_mark_body(
            MarkInput("5", control_form="Эссе"), student_id="1", grade_system_id=1, lesson_id=None
        )


def test_notices_read_from_sparse_answers() -> None:
    reasons = {1: ("Болезнь", True), 6: ("Без причины", False)}
    document = {
        "payload": [
            {
                "id": 9,
                "notifications": [
                    {"date": "2026-12-03", "reason_id": "1"},
                    {"date": "2026-12-01", "reason_id": "1", "description": None},
                ],
                "unknown": True,
            },
            {"id": 9, "notifications": [{"date": "2026-11-30", "reason_id": 1}]},
            {
                "id": 3,
                "student_id": 5,
                "reason_id": 1,
                "reason_name": "Болеет",
                "notifications": [{"date": "2026-11-30"}],
                "created_at": "2026-11-29T23:30:00",
                "author_profile_id": 42,
            },
        ]
    }
    first, second = parse_absence_notices(document, student_id="5", reasons=reasons, tz=MSK)
    assert (first.id, first.days, first.reason.name, first.author_id) == (
        "3",
        DateRange(date(2026, 11, 30), date(2026, 11, 30)),
        "Болеет",
        "42",
    )
    assert first.created_at == datetime(2026, 11, 29, 23, 30, tzinfo=MSK)
    assert (second.id, second.student_id, second.days, second.reason) == (
        "9",
        "5",
        DateRange(date(2026, 12, 1), date(2026, 12, 3)),
        AbsenceReason("1", "Болезнь"),
    )
    assert second.comment is None
    listed = [
        {"id": 1, "name": "Болезнь", "is_parent_available": True},
        {"id": 6, "name": "x", "is_parent_available": False},
        {"id": 7, "name": "Иное"},
    ]
    assert parse_absence_reasons(listed) == [
        AbsenceReason("1", "Болезнь"),
        AbsenceReason("7", "Иное"),
    ]
