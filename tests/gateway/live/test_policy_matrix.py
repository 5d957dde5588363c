"""The subscription in the permission matrix: every persona of region 77 subscribes to the
canonical student; who hears which events follows the demo world's relationships and the
declared rule of ``StudentEvent`` (a group teacher: their subjects — marks, absences and
lesson changes alike), as ``matrix.py`` derives them for queries — never from the gateway's
policy code."""

from __future__ import annotations

from dataclasses import replace

import pytest

from adapters import ChangeKind
from diary_gateway_demo.seed import World
from schema.ids import encode_id
from schema.policy import Relation
from tests.gateway.conftest import DemoGateway
from tests.gateway.live.clients import NodeSubscriber, wait_until
from tests.gateway.live.test_subscriptions import _change, _open, live, publish
from tests.gateway.matrix import (
    FULL_MARKS,
    expected_relations,
    group_teacher_subjects,
    persona_names,
    rule,
)

__all__ = ["live"]  # the module's gateway, shared with test_subscriptions' fixture

KINDS = (ChangeKind.MARK_CREATED, ChangeKind.ABSENCE_CREATED, ChangeKind.LESSON_CHANGED)
"""A feed's kind and the diary diff's two: each is heard by subject alike."""


def test_who_hears_which_events_follows_the_matrix(live: DemoGateway) -> None:
    world = World.build("77")
    student = world.students[world.canonical_student_id]
    child = encode_id("Student", "77", str(student.id))
    personas = [p for p in persona_names("77") if p is not None]
    taught = set().union(*(group_teacher_subjects(world, p, student) for p in personas))
    assert taught, "the matrix needs a subject teacher of the student's class"
    theirs, other = sorted(taught)[0], "Предмет, которого никто из них не ведёт"
    expected: dict[str, set[str] | None] = {}  # None: refused
    for persona in personas:
        relations = expected_relations(world, persona, student)
        if not relations & rule("StudentEvent", "kind"):
            expected[persona] = None
        elif relations & FULL_MARKS:
            expected[persona] = {theirs, other}
        else:
            assert Relation.GROUP_TEACHER in relations
            expected[persona] = {theirs} & group_teacher_subjects(world, persona, student)
    assert None in expected.values()  # the matrix has someone refused …
    assert any(v == {theirs, other} for v in expected.values())  # … and someone hearing all
    subscribers = {
        p: NodeSubscriber("ws", live.url, live.token(p), {"ids": [child]}) for p in personas
    }
    try:
        allowed = sum(1 for v in expected.values() if v is not None)
        wait_until("the allowed subscriptions opened", lambda: _open(live) == allowed)
        for persona, subjects in expected.items():
            if subjects is None:
                (error,) = subscribers[persona].wait_for("error")["error"]
                assert error["extensions"]["code"] == "FORBIDDEN", persona
        subject_of: dict[str, str] = {}
        for kind in KINDS:  # a kind at a time: within the subscribers' queue bound
            sent = [
                (
                    subject,
                    replace(
                        _change(str(student.id), f"matrix-{kind.value}-{n}", subject), kind=kind
                    ),
                )
                for n, subject in enumerate((other, theirs))
            ]
            ids = publish(live, *(("77", change) for _, change in sent))
            subject_of.update(zip(ids, (subject for subject, _ in sent), strict=True))
            for persona, subjects in expected.items():
                if not subjects:
                    continue
                heard = [
                    subscribers[persona].wait_for("next")["payload"]["data"]["studentEvents"]
                    for _ in subjects
                ]
                assert {subject_of[e["id"]] for e in heard} == subjects, persona
                assert {e["kind"] for e in heard} == {kind.name}, persona
    finally:
        for subscriber in subscribers.values():
            subscriber.close()
    for persona, subjects in expected.items():
        events = subscribers[persona].events()
        got = {subject_of[e["id"]] for e in events}
        assert got == (subjects or set()), persona
        assert {e["kind"] for e in events} == ({k.name for k in KINDS} if subjects else set())


def test_an_anonymous_connection_is_refused(live: DemoGateway) -> None:
    with NodeSubscriber("ws", live.url, "not-a-token", {"ids": []}) as subscriber:
        assert subscriber.wait_for("closed")["code"] == 4403


@pytest.fixture(autouse=True)
def _nothing_left_open(live: DemoGateway) -> None:
    wait_until("earlier subscriptions closed", lambda: _open(live) == 0)
