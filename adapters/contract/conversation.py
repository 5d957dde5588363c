"""Contract checks of messages, class notices and parent meetings (``MESSAGES``,
``CLASS_NOTICES``, ``MEETINGS``): what a region's system that declares them must do, and
``NotSupportedError`` from one that does not."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from adapters import (
    AdapterError,
    Capability,
    Correspondent,
    Fault,
    Meeting,
    MessageThread,
    NotSupportedError,
    ProviderRejectedError,
    ProviderUnavailableError,
    Rsvp,
    WriteOutcome,
)

from .requirements import needs, upstream_calls

__all__ = ["ConversationChecks"]

_Call = Callable[[Any, Any], Awaitable[object]]

_UNSUPPORTED: dict[Capability, dict[str, _Call]] = {
    Capability.MESSAGES: {
        "list_correspondents": lambda a, c: a.list_correspondents(c),
        "list_message_threads": lambda a, c: a.list_message_threads(c),
        "get_messages": lambda a, c: a.get_messages(c, "1"),
        "send_message (to)": lambda a, c: a.send_message(c, to="1", text="x", idempotency_key="k"),
        "send_message (reply)": lambda a, c: a.send_message(
            c, thread_id="1", text="x", idempotency_key="k"
        ),
        "mark_messages_read": lambda a, c: a.mark_messages_read(c, ["1"]),
    },
    Capability.CLASS_NOTICES: {
        "get_class_notices": lambda a, c: a.get_class_notices(c, ["1"]),
    },
    Capability.MEETINGS: {
        "get_meetings": lambda a, c: a.get_meetings(c, ["1"]),
        "rsvp_meeting": lambda a, c: a.rsvp_meeting(c, "1", Rsvp.ATTENDING),
    },
}
"""Each capability's public calls, with arguments an adapter that lacks it never looks at."""


def _now(contract_harness: Any) -> datetime:
    clock = contract_harness.adapter.deps.clock
    now: datetime = clock.now()
    return now


async def _name(contract_harness: Any, persona: str) -> str:
    profile = await contract_harness.adapter.get_profile(contract_harness.caller(persona))
    assert profile is not None, f"{persona} has no profile"
    name: str = profile.person.full_name
    return name


async def _correspondent(contract_harness: Any, writer: str, persona: str) -> Correspondent:
    """``persona`` among ``writer``'s correspondents, found by the name of their profile."""
    name = await _name(contract_harness, persona)
    people = await contract_harness.adapter.list_correspondents(contract_harness.caller(writer))
    found: list[Correspondent] = [p for p in people if p.person.full_name == name]
    assert len(found) == 1, f"{persona} is not once among {writer}'s correspondents"
    return found[0]


async def _thread(contract_harness: Any, persona: str, thread_id: str) -> MessageThread:
    threads = await contract_harness.adapter.list_message_threads(contract_harness.caller(persona))
    found: list[MessageThread] = [t for t in threads if t.id == thread_id]
    assert len(found) == 1, f"{persona} does not see the thread once"
    return found[0]


async def _meetings(contract_harness: Any) -> list[Meeting]:
    (slot,) = await contract_harness.adapter.get_meetings(
        contract_harness.caller("parent"), [contract_harness.canonical_student_id()]
    )
    assert isinstance(slot, list), slot
    return slot


class ConversationChecks:
    """Mixed into :class:`~adapters.contract.checks.ContractChecks`."""

    @pytest.mark.parametrize("capability", list(_UNSUPPORTED), ids=[c.value for c in _UNSUPPORTED])
    async def test_conversation_calls_not_supported_without_asking(
        self, contract_harness: Any, capability: Capability
    ) -> None:
        """An adapter that does not declare a capability of the two-way half raises
        ``NotSupportedError`` from each of its public calls, before any provider call."""
        needs(contract_harness, personas=("parent",))
        adapter = contract_harness.adapter
        if adapter.supports(capability):
            pytest.skip(f"{adapter.slug} declares {capability.value}")
        caller = contract_harness.caller("parent")
        before = upstream_calls(contract_harness)
        for name, call in _UNSUPPORTED[capability].items():
            with pytest.raises(NotSupportedError) as info:
                await call(adapter, caller)
            assert info.value.provider == adapter.slug, name
        if before is not None:
            assert upstream_calls(contract_harness) == before, "the provider was asked"

    async def test_parent_writes_to_the_childs_class_teacher_and_teachers(
        self, contract_harness: Any
    ) -> None:
        """A parent's correspondents are staff (the class teacher among them, as such, and
        the ``teacher`` persona, who teaches the canonical child's class), each once."""
        needs(
            contract_harness,
            capabilities=(Capability.MESSAGES, Capability.PROFILE),
            personas=("parent", "teacher", "class-teacher"),
        )
        people = await contract_harness.adapter.list_correspondents(
            contract_harness.caller("parent")
        )
        assert len({p.id for p in people}) == len(people)
        assert all(p.role != "parent" for p in people)  # no other families
        leader = await _correspondent(contract_harness, "parent", "class-teacher")
        assert leader.role == "class_teacher"
        await _correspondent(contract_harness, "parent", "teacher")

    async def test_message_is_unread_until_read_and_replies_keep_the_thread(
        self, contract_harness: Any
    ) -> None:
        """Parent → teacher: the teacher sees it unread (reading the thread does not mark
        it); marked read, it is read; the teacher's reply lands in the same thread, oldest
        first; a receipt, where the provider gives one, names the teacher."""
        needs(
            contract_harness,
            capabilities=(Capability.MESSAGES, Capability.PROFILE),
            personas=("parent", "teacher"),
        )
        adapter = contract_harness.adapter
        parent, teacher = contract_harness.caller("parent"), contract_harness.caller("teacher")
        to = await _correspondent(contract_harness, "parent", "teacher")
        text = f"Проверка связи {uuid.uuid4().hex[:8]}"
        sent = await adapter.send_message(
            parent, to=to.id, subject="Контракт", text=text, idempotency_key=uuid.uuid4().hex
        )
        assert sent.is_own
        assert sent.text == text
        assert sent.sent_at.tzinfo is not None
        assert (await _thread(contract_harness, "teacher", sent.thread_id)).unread >= 1
        received = (await adapter.get_messages(teacher, sent.thread_id))[-1]
        assert received.id == sent.id
        assert received.text == text
        assert not received.is_own
        assert not received.is_read
        assert (await _thread(contract_harness, "teacher", sent.thread_id)).unread >= 1

        await adapter.mark_messages_read(teacher, [received.id])
        assert (await _thread(contract_harness, "teacher", sent.thread_id)).unread == 0
        (own,) = [m for m in await adapter.get_messages(parent, sent.thread_id) if m.id == sent.id]
        assert own.read_by in ((), (to.id,))
        assert own.read_at is None or own.read_at >= sent.sent_at

        reply = await adapter.send_message(
            teacher, thread_id=sent.thread_id, text="Получено", idempotency_key=uuid.uuid4().hex
        )
        assert reply.thread_id == sent.thread_id
        chain = await adapter.get_messages(parent, sent.thread_id)
        assert [m.id for m in chain][-2:] == [sent.id, reply.id]
        assert [m.sent_at for m in chain] == sorted(m.sent_at for m in chain)
        assert not chain[-1].is_own
        assert not chain[-1].is_read

    async def test_empty_message_is_refused_and_not_applied(self, contract_harness: Any) -> None:
        needs(
            contract_harness,
            capabilities=(Capability.MESSAGES, Capability.PROFILE),
            personas=("parent", "teacher"),
        )
        adapter = contract_harness.adapter
        parent = contract_harness.caller("parent")
        to = await _correspondent(contract_harness, "parent", "teacher")
        before = await adapter.list_message_threads(parent)
        with pytest.raises(ProviderRejectedError) as refused:
            await adapter.send_message(parent, to=to.id, text="  ", idempotency_key="empty")
        assert refused.value.write_outcome is WriteOutcome.NOT_APPLIED
        assert refused.value.provider == adapter.slug
        assert await adapter.list_message_threads(parent) == before

    @pytest.mark.parametrize("fault", [Fault.SERVER_ERROR, Fault.RATE_LIMITED])
    async def test_failed_send_says_whether_it_may_have_been_applied(
        self, contract_harness: Any, fault: Fault
    ) -> None:
        """A send that fails says what it left behind; ``NOT_APPLIED`` must be true."""
        needs(
            contract_harness,
            capabilities=(Capability.MESSAGES, Capability.PROFILE),
            personas=("parent", "teacher"),
            faults=True,
        )
        adapter = contract_harness.adapter
        parent = contract_harness.caller("parent")
        to = await _correspondent(contract_harness, "parent", "teacher")
        before = await adapter.list_message_threads(parent)
        contract_harness.set_fault(fault)
        try:
            with pytest.raises(AdapterError) as failed:
                await adapter.send_message(
                    parent, to=to.id, text="При сбое", idempotency_key=uuid.uuid4().hex
                )
        finally:
            contract_harness.set_fault(None)
        assert isinstance(failed.value, ProviderUnavailableError), repr(failed.value)
        assert failed.value.write_outcome is not None
        if fault is Fault.RATE_LIMITED:
            assert failed.value.write_outcome is WriteOutcome.NOT_APPLIED
        if failed.value.write_outcome is WriteOutcome.NOT_APPLIED:
            assert await adapter.list_message_threads(parent) == before

    async def test_class_notices_of_the_childs_class_latest_first(
        self, contract_harness: Any
    ) -> None:
        needs(contract_harness, capabilities=(Capability.CLASS_NOTICES,), personas=("parent",))
        (slot,) = await contract_harness.adapter.get_class_notices(
            contract_harness.caller("parent"), [contract_harness.canonical_student_id()]
        )
        assert isinstance(slot, list), slot
        assert slot, "the canonical child's class has no notices"
        assert len({n.class_id for n in slot}) == 1  # the child's one class
        assert [n.posted_at for n in slot] == sorted((n.posted_at for n in slot), reverse=True)
        now = _now(contract_harness)
        assert all(n.posted_at.tzinfo is not None and n.posted_at <= now for n in slot)
        assert all(n.title or n.text for n in slot)

    async def test_meetings_earliest_first_and_an_rsvp_set_once(
        self, contract_harness: Any
    ) -> None:
        """The child's class has a meeting to come; answering it shows, answering the same
        again changes nothing, and a later answer replaces it."""
        needs(contract_harness, capabilities=(Capability.MEETINGS,), personas=("parent",))
        adapter = contract_harness.adapter
        parent = contract_harness.caller("parent")
        meetings = await _meetings(contract_harness)
        assert [m.starts_at for m in meetings] == sorted(m.starts_at for m in meetings)
        assert all(m.starts_at.tzinfo is not None for m in meetings)
        coming = [m for m in meetings if m.starts_at > _now(contract_harness)]
        assert coming, "no meeting to come"
        meeting = coming[0]
        first = await adapter.rsvp_meeting(parent, meeting.id, Rsvp.ATTENDING)
        assert first.id == meeting.id
        assert first.rsvp is Rsvp.ATTENDING
        assert await adapter.rsvp_meeting(parent, meeting.id, Rsvp.ATTENDING) == first
        assert [m.rsvp for m in await _meetings(contract_harness) if m.id == meeting.id] == [
            Rsvp.ATTENDING
        ]
        later = await adapter.rsvp_meeting(parent, meeting.id, Rsvp.MAYBE)
        assert later.rsvp is Rsvp.MAYBE
        assert [m.rsvp for m in await _meetings(contract_harness) if m.id == meeting.id] == [
            Rsvp.MAYBE
        ]
