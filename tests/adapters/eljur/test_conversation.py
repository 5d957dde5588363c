"""ЭлЖур's messages, class notices and parent meetings: the adapter over HTTP to the emulator.

Every test runs at instants that have broken date code before (New Year's Eve in UTC, a
Sunday night in Moscow, a summer night): the seed places messages, notices and meetings
relative to the emulator's ``world.today``, so each instant has a past and a future meeting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, time
from typing import Any

import pytest

from adapters import (
    AccessDeniedError,
    AuthenticationError,
    Caller,
    Clock,
    Meeting,
    Message,
    MessageThread,
    NotFoundError,
    ProviderRejectedError,
    ProviderUnavailableError,
    Rsvp,
    WriteOutcome,
)
from adapters.eljur import ElJurAdapter, parsing
from diary_gateway_demo.eljur.render import admin_user_id, parent_user_id
from diary_gateway_demo.seed import World
from tests.adapters.harnesses.eljur import Harness
from tests.clock import AWKWARD_INSTANTS, MOSCOW, pinned

INSTANTS: dict[str, Clock] = {
    "31-december": Clock.fixed(AWKWARD_INSTANTS["31-december"]),
    "sunday-2330-moscow": Clock.fixed(AWKWARD_INSTANTS["sunday-2330-moscow"]),
    "summer-night": pinned(date(2026, 7, 19), time(3, 30), zone=MOSCOW),
}


@pytest.fixture(params=sorted(INSTANTS))
async def served(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    """The adapter over real HTTP to the emulator, at one awkward instant."""
    harness = Harness()
    await harness.start(INSTANTS[request.param])
    try:
        yield harness
    finally:
        await harness.stop()


def _adapter(served: Harness) -> ElJurAdapter:
    assert isinstance(served.adapter, ElJurAdapter)
    return served.adapter


def _now(world: World) -> datetime:
    """The emulator's "now" as an aware datetime in the region's zone."""
    return world.now().replace(tzinfo=MOSCOW)


def _teacher_id(world: World) -> str:
    """The ``teacher`` persona's user id (they teach the canonical student's class)."""
    return str(world.teacher_persona_group().teacher_id)


def _class_teacher_id(world: World) -> str:
    canonical = world.students[world.canonical_student_id]
    return str(world.classes[canonical.class_id].class_teacher_id)


def _stranger_teacher_id(world: World) -> str:
    """A teacher who neither teaches nor leads the canonical student's class."""
    canonical = world.students[world.canonical_student_id]
    cls = world.classes[canonical.class_id]
    ours = {g.teacher_id for g in world.groups_of_class(cls.id)} | {cls.class_teacher_id}
    return str(next(t for t in sorted(world.teachers) if t not in ours))


async def _thread(served: Harness, caller: Caller, thread_id: str) -> MessageThread:
    threads = await _adapter(served).list_message_threads(caller)
    (found,) = [t for t in threads if t.id == thread_id]
    return found


async def _sent_to_teacher(served: Harness, text: str) -> Message:
    return await _adapter(served).send_message(
        served.caller("parent"),
        to=_teacher_id(served.world),
        subject="Вопрос о домашнем задании",
        text=text,
        idempotency_key=f"key-{text}",
    )


async def test_parent_may_write_to_the_childs_teachers_class_teacher_and_admin(
    served: Harness,
) -> None:
    world = served.world
    canonical = world.students[world.canonical_student_id]
    expected = {str(g.teacher_id) for g in world.groups_of_class(canonical.class_id)}
    expected |= {_class_teacher_id(world), str(admin_user_id(canonical.school_id))}
    people = await _adapter(served).list_correspondents(served.caller("parent"))
    assert {p.id for p in people} == expected
    assert len(people) == len(expected)  # each person once
    roles = {p.id: p.role for p in people}
    assert roles[_class_teacher_id(world)] == "class_teacher"
    assert roles[str(admin_user_id(canonical.school_id))] == "admin"
    teacher = next(p for p in people if p.id == _teacher_id(world))
    assert teacher.subject_names  # what they teach the child
    assert all(p.person.last_name for p in people)


async def test_sent_message_is_unread_for_the_teacher_until_read_then_the_parent_sees_the_receipt(
    served: Harness,
) -> None:
    adapter = _adapter(served)
    parent, teacher = served.caller("parent"), served.caller("teacher")
    now = _now(served.world)
    sent = await _sent_to_teacher(served, "Можно ли сдать работу в понедельник?")
    assert sent.is_own
    assert sent.is_read
    assert sent.sent_at == now
    assert sent.read_at is None
    assert sent.read_by == ()
    assert sent.thread_id == sent.id  # a new chain is named by its first message

    thread = await _thread(served, teacher, sent.thread_id)
    assert thread.unread == 1
    assert thread.subject == "Вопрос о домашнем задании"
    assert parent_user_id(served.world, "parent") in {int(p.id) for p in thread.participants}
    (received,) = await adapter.get_messages(teacher, sent.thread_id)
    assert received.text == "Можно ли сдать работу в понедельник?"
    assert not received.is_own
    assert not received.is_read
    assert received.author.role == "parent"
    # reading the thread did not mark it read
    assert (await _thread(served, teacher, sent.thread_id)).unread == 1
    (seen,) = await adapter.get_messages(parent, sent.thread_id)
    assert seen.read_by == ()
    assert seen.read_at is None

    await adapter.mark_messages_read(teacher, [received.id])

    assert (await _thread(served, teacher, sent.thread_id)).unread == 0
    (receipt,) = await adapter.get_messages(parent, sent.thread_id)
    assert receipt.read_by == (_teacher_id(served.world),)
    assert receipt.read_at == now
    (again,) = await adapter.get_messages(teacher, sent.thread_id)
    assert again.is_read


async def test_replies_stay_in_the_thread_in_order(served: Harness) -> None:
    adapter = _adapter(served)
    parent, teacher = served.caller("parent"), served.caller("teacher")
    first = await _sent_to_teacher(served, "Первое")
    reply = await adapter.send_message(
        teacher, thread_id=first.thread_id, text="Ответ учителя", idempotency_key="r1"
    )
    assert reply.thread_id == first.thread_id
    assert reply.is_own
    assert reply.author.id == _teacher_id(served.world)
    thread = await _thread(served, parent, first.thread_id)
    assert thread.unread == 1
    answer = await adapter.send_message(
        parent, thread_id=first.thread_id, text="Спасибо", idempotency_key="r2"
    )
    messages = await adapter.get_messages(parent, first.thread_id)
    assert [m.id for m in messages] == [first.id, reply.id, answer.id]
    assert [m.is_own for m in messages] == [True, False, True]
    assert [m.text for m in messages] == ["Первое", "Ответ учителя", "Спасибо"]
    assert all(m.thread_id == first.thread_id for m in messages)
    # the teacher sees the whole chain as one thread too
    assert [m.id for m in await adapter.get_messages(teacher, first.thread_id)] == [
        m.id for m in messages
    ]


async def test_seeded_conversation_with_the_class_teacher(served: Harness) -> None:
    """The class teacher's chain with the parent: past, with its last message unread."""
    adapter = _adapter(served)
    parent = served.caller("parent")
    threads = await adapter.list_message_threads(parent)
    assert [t.last_message_at for t in threads] == sorted(
        (t.last_message_at for t in threads), reverse=True
    )
    leader = _class_teacher_id(served.world)
    (chain,) = [t for t in threads if {p.id for p in t.participants} == {leader}]
    assert chain.last_message_at < _now(served.world)
    assert chain.unread == 1
    messages = await adapter.get_messages(parent, chain.id)
    assert len(messages) == 3
    assert [m.sent_at for m in messages] == sorted(m.sent_at for m in messages)
    assert [m.is_read for m in messages] == [True, True, False]
    assert messages[1].is_own
    assert messages[1].read_by == (leader,)
    reply = await adapter.send_message(
        parent, thread_id=chain.id, text="Хорошо", idempotency_key="seeded"
    )
    seen = await adapter.get_messages(served.caller("class-teacher"), chain.id)
    assert seen[-1].id == reply.id
    assert not seen[-1].is_read


async def test_parent_may_not_write_to_a_teacher_of_another_class(served: Harness) -> None:
    adapter = _adapter(served)
    parent = served.caller("parent")
    stranger = _stranger_teacher_id(served.world)
    before = await adapter.list_message_threads(parent)
    with pytest.raises(AccessDeniedError) as refused:
        await adapter.send_message(parent, to=stranger, text="Здравствуйте", idempotency_key="x")
    assert refused.value.write_outcome is WriteOutcome.NOT_APPLIED
    assert stranger not in {p.id for p in await adapter.list_correspondents(parent)}
    assert await adapter.list_message_threads(parent) == before


@pytest.mark.parametrize("text", ["", "   \n ", "я" * 10_001])
async def test_empty_or_too_long_text_is_refused(served: Harness, text: str) -> None:
    adapter = _adapter(served)
    parent = served.caller("parent")
    before = await adapter.list_message_threads(parent)
    with pytest.raises(ProviderRejectedError) as refused:
        await _sent_to_teacher(served, text)
    assert refused.value.field == "text"
    assert refused.value.write_outcome is WriteOutcome.NOT_APPLIED
    assert await adapter.list_message_threads(parent) == before


async def test_a_thread_of_others_is_not_found(served: Harness) -> None:
    sent = await _sent_to_teacher(served, "Личный вопрос")
    with pytest.raises(NotFoundError):
        await _adapter(served).get_messages(served.caller("class-teacher"), sent.thread_id)
    with pytest.raises(NotFoundError) as reply:
        await _adapter(served).send_message(
            served.caller("class-teacher"),
            thread_id=sent.thread_id,
            text="Вмешаюсь",
            idempotency_key="k",
        )
    assert reply.value.write_outcome is WriteOutcome.NOT_APPLIED


async def test_teacher_writes_to_a_parent_of_the_class(served: Harness) -> None:
    adapter = _adapter(served)
    teacher = served.caller("teacher")
    parent_id = str(parent_user_id(served.world, "parent"))
    people = await adapter.list_correspondents(teacher)
    assert {p.role for p in people if p.id == parent_id} == {"parent"}
    sent = await adapter.send_message(
        teacher, to=parent_id, text="Прошу зайти", idempotency_key="t1"
    )
    thread = await _thread(served, served.caller("parent"), sent.thread_id)
    assert thread.unread == 1
    assert thread.subject == "Прошу зайти"  # no subject given: the text's first line


async def test_server_error_on_send_may_have_applied_it(served: Harness) -> None:
    adapter = _adapter(served)
    parent = served.caller("parent")
    threads = await adapter.list_message_threads(parent)  # tokens and rules obtained
    served.set_faults({"error_rate": 1.0})
    try:
        with pytest.raises(ProviderUnavailableError) as failed:
            await _sent_to_teacher(served, "При сбое")
        # a reply first reads the thread: when that read fails, nothing was sent
        with pytest.raises(ProviderUnavailableError) as unsent:
            await adapter.send_message(
                parent, thread_id=threads[0].id, text="Ответ", idempotency_key="u"
            )
    finally:
        served.set_faults({})
    assert failed.value.write_outcome is WriteOutcome.UNKNOWN
    assert unsent.value.write_outcome is WriteOutcome.NOT_APPLIED
    assert await adapter.list_message_threads(parent) == threads


async def test_notices_of_the_childs_class_latest_first(served: Harness) -> None:
    world = served.world
    canonical = world.students[world.canonical_student_id]
    other = next(s for s in world.students.values() if s.class_id != canonical.class_id)
    adapter = _adapter(served)
    mine, foreign = await adapter.get_class_notices(
        served.caller("parent"), [str(canonical.id), str(other.id)]
    )
    assert isinstance(mine, list), mine
    assert mine
    assert {n.class_id for n in mine} == {str(canonical.class_id)}
    assert [n.posted_at for n in mine] == sorted((n.posted_at for n in mine), reverse=True)
    assert all(n.posted_at <= _now(world) for n in mine)
    assert {n.author.id for n in mine} == {_class_teacher_id(world)}
    assert all(n.title and n.text for n in mine)
    assert isinstance(foreign, AccessDeniedError)


def _split(meetings: list[Meeting], now: datetime) -> tuple[list[Meeting], list[Meeting]]:
    return [m for m in meetings if m.starts_at < now], [m for m in meetings if m.starts_at > now]


async def test_meetings_past_and_future_and_rsvp(served: Harness) -> None:
    adapter = _adapter(served)
    parent = served.caller("parent")
    student = served.canonical_student_id()
    now = _now(served.world)
    (meetings,) = await adapter.get_meetings(parent, [student])
    assert isinstance(meetings, list), meetings
    assert [m.starts_at for m in meetings] == sorted(m.starts_at for m in meetings)
    past, future = _split(meetings, now)
    assert past
    assert future
    assert all(m.rsvp is None for m in meetings)
    assert all((m.place is None) != (m.link is None) for m in meetings)
    coming = future[0]

    answered = await adapter.rsvp_meeting(parent, coming.id, Rsvp.ATTENDING)
    assert answered.rsvp is Rsvp.ATTENDING
    assert answered.starts_at == coming.starts_at
    assert await adapter.rsvp_meeting(parent, coming.id, Rsvp.ATTENDING) == answered
    (after,) = await adapter.get_meetings(parent, [student])
    assert isinstance(after, list)
    assert [m.rsvp for m in after if m.id == coming.id] == [Rsvp.ATTENDING]
    assert [m for m in after if m.id != coming.id] == [m for m in meetings if m.id != coming.id]

    changed = await adapter.rsvp_meeting(parent, coming.id, Rsvp.NOT_ATTENDING)
    assert changed.rsvp is Rsvp.NOT_ATTENDING
    # the answer is the parent's own: the other linked adult has not answered
    (theirs,) = await adapter.get_meetings(served.caller("parent-not-representative"), [student])
    assert isinstance(theirs, list)
    assert all(m.rsvp is None for m in theirs)


async def test_past_meeting_or_a_teacher_cannot_be_answered(served: Harness) -> None:
    adapter = _adapter(served)
    parent = served.caller("parent")
    (meetings,) = await adapter.get_meetings(parent, [served.canonical_student_id()])
    assert isinstance(meetings, list)
    past, future = _split(meetings, _now(served.world))
    with pytest.raises(ProviderRejectedError) as late:
        await adapter.rsvp_meeting(parent, past[-1].id, Rsvp.MAYBE)
    assert late.value.field == "rsvp"
    assert late.value.write_outcome is WriteOutcome.NOT_APPLIED
    with pytest.raises(AccessDeniedError):
        await adapter.rsvp_meeting(served.caller("teacher"), future[0].id, Rsvp.ATTENDING)
    (unchanged,) = await adapter.get_meetings(parent, [served.canonical_student_id()])
    assert unchanged == meetings


async def test_a_student_writes_to_staff_only(served: Harness) -> None:
    adapter = _adapter(served)
    student = served.caller("student")
    world = served.world
    pupil = world.persona_student("student")
    people = await adapter.list_correspondents(student)
    assert str(world.classes[pupil.class_id].class_teacher_id) in {p.id for p in people}
    assert "parent" not in {p.role for p in people}
    with pytest.raises(AccessDeniedError):
        await adapter.send_message(
            student,
            to=str(parent_user_id(world, "parent")),
            text="Привет",
            idempotency_key="s1",
        )


async def test_reset_forgets_sent_messages_and_answers(served: Harness) -> None:
    adapter = _adapter(served)
    parent = served.caller("parent")
    before = await adapter.list_message_threads(parent)
    sent = await _sent_to_teacher(served, "До сброса")
    (meetings,) = await adapter.get_meetings(parent, [served.canonical_student_id()])
    assert isinstance(meetings, list)
    coming = next(m for m in meetings if m.starts_at > _now(served.world))
    await adapter.rsvp_meeting(parent, coming.id, Rsvp.MAYBE)
    served.admin.post("/__admin/reset").raise_for_status()
    with pytest.raises(AuthenticationError):  # the reset revoked every token…
        await adapter.list_message_threads(parent)
    # …which the adapter then forgot: it exchanges the SSO token again
    assert sent.thread_id not in {t.id for t in await adapter.list_message_threads(parent)}
    assert await adapter.list_message_threads(parent) == before
    (after,) = await adapter.get_meetings(parent, [served.canonical_student_id()])
    assert after == meetings


def test_receipt_of_a_message_to_two_waits_for_both() -> None:
    """``read_at`` is when the last recipient read it; ``read_by`` who has so far."""
    card = {"lastname": "Петрова", "firstname": "Анна", "middlename": "Ивановна"}
    answer: dict[str, Any] = {
        "message": {
            "id": "501",
            "thread": "500",
            "date": "2026-12-31 23:50:00",
            "text": "Собрание переносится",
            "unread": False,
            "user_from": {"name": "7", **card},
            "user_to": [
                {"name": "8", **card, "read_date": "2027-01-01 00:10:00"},
                {"name": "9", **card, "read_date": None},
            ],
            "files": [],
        }
    }
    half = parsing.parse_message(answer, MOSCOW, "7", {"7": "class_teacher"})
    assert half.read_by == ("8",)
    assert half.read_at is None
    assert half.thread_id == "500"
    assert half.is_own
    assert half.author.role == "class_teacher"
    assert half.sent_at == datetime(2026, 12, 31, 23, 50, tzinfo=MOSCOW)
    answer["message"]["user_to"][1]["read_date"] = "2027-01-02 09:00:00"
    both = parsing.parse_message(answer, MOSCOW, "7", {})
    assert both.read_by == ("8", "9")
    assert both.read_at == datetime(2027, 1, 2, 9, 0, tzinfo=MOSCOW)
    assert both.author.role == parsing.UNKNOWN_ROLE
