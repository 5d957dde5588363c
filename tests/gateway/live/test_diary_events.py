"""Absences and lesson changes through a running gateway: no region's feed reports them, so
the poller diffs the student's diary between polls (gateway/live/diff.py). The Moscow
emulator's ``POST /__admin/absences`` and ``/__admin/lessons`` (ours) change its diary; the
events travel the emulator's diary, the poller's diff, the Redis stream and the fan-out to
the npm clients. Also: a subscription closes when the viewer's relation to the student ends
(``POST /__admin/families``), rechecked before every event here
(``[live] relation_recheck_seconds = 0``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapters import SYSTEM_CLOCK, Change, ChangeKind
from adapters.moscow.config import MoscowConfig
from diary_gateway_demo.demo import EMULATOR_PATH
from tests.gateway.conftest import DemoGateway, make_demo
from tests.gateway.live.clients import NodeSubscriber, install_clients, metric, wait_until
from tests.gateway.live.test_subscriptions import _moscow_child, _native, publish
from tests.redis import REDIS_URL, require_redis, sub_prefix
from tests.servers import free_port

LIVE: dict[str, Any] = {
    "poll_interval_seconds": 0.3,
    "lease_seconds": 2.0,
    "off_hours_factor": 1,
    "relation_recheck_seconds": 0,
}

EVENTS = """
subscription Events($ids: [ID!]) {
  studentEvents(studentIds: $ids) {
    id kind at student { id }
    node {
      id __typename
      ... on Mark { value }
      ... on Absence { date reason isExcused }
      ... on Lesson { room isCancelled subject { name } }
    }
  }
}
"""

DIARY = """
query($s: ID!, $f: Date!, $t: Date!) {
  diary(studentId: $s, from: $f, to: $t) { days { date lessons { id subject { name } } } }
}
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, redis_prefix: str) -> Iterator[DemoGateway]:
    require_redis()
    install_clients()
    port = free_port()
    moscow = MoscowConfig(  # a family profile is read again each time: a relation's end shows
        base_url=f"http://127.0.0.1:{port}{EMULATOR_PATH}", profile_ttl_seconds=0
    )
    with make_demo(
        Path(tmp_path_factory.mktemp("diary-events")) / "key.json",
        port=port,
        cache={
            "url": REDIS_URL,
            "key_prefix": sub_prefix(redis_prefix, "diary-events"),
            "ttl": {"profile": 0},  # a relation's end is seen at the next recheck
        },
        server={"metrics": "open"},
        live=LIVE,
        region_overrides={"77": {"adapter_config": moscow}},
    ) as running:
        yield running


def _polls(demo: DemoGateway) -> float:
    return metric(demo.url, "diary_gateway_live_polls_total")


def _admin(demo: DemoGateway, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = httpx.post(f"{demo.url}{EMULATOR_PATH}/__admin/{path}", json=body, timeout=10)
    assert answer.status_code in (200, 201), answer.text
    found: dict[str, Any] = answer.json()
    return found


def _settle(demo: DemoGateway, polls: int = 3) -> None:
    """Wait for ``polls`` more polls (each diffs the diary once)."""
    before = _polls(demo)
    wait_until(f"{polls} more polls", lambda: _polls(demo) >= before + polls)


def _about(subscriber: NodeSubscriber, kind: str) -> list[dict[str, Any]]:
    return [e for e in subscriber.events() if e["kind"] == kind]


def _upcoming(demo: DemoGateway, child: str, *, back: int = 0) -> list[tuple[str, str]]:
    """(date, subject) of the child's lessons from ``back`` days ago through five days
    ahead (inside the poller's diff window: a week back, six days ahead)."""
    today = SYSTEM_CLOCK.now_in(ZoneInfo("Europe/Moscow")).date()
    answer = demo.query(
        DIARY,
        {
            "s": child,
            "f": (today - timedelta(days=back)).isoformat(),
            "t": (today + timedelta(days=5)).isoformat(),
        },
        persona="parent",
    )
    days = answer["data"]["diary"]["days"]
    lessons = [(d["date"], le["subject"]["name"]) for d in days for le in d["lessons"]]
    if not lessons:  # e.g. New Year's Eve in the winter break (CI runs the suite then)
        pytest.skip("no lessons in the diary diff's window at this instant (school holidays)")
    return lessons


def test_the_first_poll_is_a_baseline_and_an_absence_reaches_a_parent_once(
    demo: DemoGateway,
) -> None:
    child = _moscow_child(demo)
    _, native = _native(child)
    with NodeSubscriber("ws", demo.url, demo.token("parent"), {"ids": [child]}, EVENTS) as ws:
        _settle(demo)
        assert ws.events() == []  # the diary as it was is history, not news
        day, subject = _upcoming(demo, child, back=6)[-1]  # a lesson the diff looks at
        added = _admin(
            demo,
            "absences",
            {"student_id": int(native), "day": day, "subject": subject, "reason_id": 1},
        )
        event = ws.wait_for("next")["payload"]["data"]["studentEvents"]
        assert event["kind"] == "ABSENCE_CREATED"
        assert event["student"]["id"] == child
        node = event["node"]
        assert node["__typename"] == "Absence"
        assert node["date"] == added["day"]
        assert node["reason"]
        _settle(demo)  # more diffs of the same diary: nothing again
        assert len(_about(ws, "ABSENCE_CREATED")) == 1
        changed = _admin(
            demo,
            "absences",
            {"lesson_id": added["lesson_id"], "student_id": int(native), "reason_id": 2},
        )
        assert changed["lesson_id"] == added["lesson_id"]
        update = ws.wait_for("next")["payload"]["data"]["studentEvents"]
        assert update["kind"] == "ABSENCE_UPDATED"
        assert update["node"]["id"] == node["id"]
        _settle(demo)
        assert len(_about(ws, "ABSENCE_UPDATED")) == 1


def test_a_lesson_change_reaches_its_subject_teacher_and_not_another(demo: DemoGateway) -> None:
    roles = demo.query(
        "{ me { roles { role groups { subject { name } } } } }", persona="teacher@77"
    )["data"]["me"]["roles"]
    mine = {g["subject"]["name"] for r in roles if r["role"] == "TEACHER" for g in r["groups"]}
    child = _moscow_child(demo)
    _, native = _native(child)
    upcoming = _upcoming(demo, child)
    theirs = next(((d, s) for d, s in upcoming if s in mine), None)
    other = next(((d, s) for d, s in upcoming if s not in mine), None)
    if theirs is None or other is None:
        pytest.skip("the days ahead lack a lesson of the teacher's subject and one of another")
    with (
        NodeSubscriber(
            "ws", demo.url, demo.token("teacher@77"), {"ids": [child]}, EVENTS
        ) as teacher,
        NodeSubscriber("sse", demo.url, demo.token("parent"), {"ids": [child]}, EVENTS) as parent,
    ):
        _settle(demo)
        moved = _admin(
            demo,
            "lessons",
            {"student_id": int(native), "day": other[0], "subject": other[1], "room": "999"},
        )
        heard = parent.wait_for("next")["payload"]["data"]["studentEvents"]
        assert heard["kind"] == "LESSON_CHANGED"
        assert heard["node"]["__typename"] == "Lesson"
        assert heard["node"]["room"] == moved["room"] == "999"
        assert heard["node"]["subject"]["name"] == other[1]
        _admin(
            demo,
            "lessons",
            {"student_id": int(native), "day": theirs[0], "subject": theirs[1], "cancelled": True},
        )
        own = teacher.wait_for("next")["payload"]["data"]["studentEvents"]
        assert own["kind"] == "LESSON_CHANGED"
        assert own["node"]["subject"]["name"] == theirs[1]
        assert own["node"]["isCancelled"] is True
        # the other subject's change came first and never reached the teacher
        assert [e["node"]["subject"]["name"] for e in teacher.events()] == [theirs[1]]
        wait_until("the parent heard both", lambda: len(_about(parent, "LESSON_CHANGED")) >= 2)
        _settle(demo)
        assert len(_about(parent, "LESSON_CHANGED")) == 2  # once each


def test_a_subscription_closes_when_the_relation_ends(demo: DemoGateway) -> None:
    child = _moscow_child(demo)
    region, native = _native(child)

    def mark(change_id: str) -> tuple[str, Change]:
        return region, Change(
            id=change_id,
            student_id=native,
            kind=ChangeKind.MARK_CREATED,
            at=SYSTEM_CLOCK.now(),
            subject_name="Математика",
            mark_value="5",
        )

    ended_before = metric(demo.url, "diary_gateway_live_closed_total", reason="relation_ended")
    token = demo.token("parent")
    with (
        NodeSubscriber("ws", demo.url, token, {"ids": [child]}, EVENTS) as ws,
        NodeSubscriber("sse", demo.url, token, {"ids": [child]}, EVENTS) as sse,
    ):
        wait_until(
            "both subscribed", lambda: metric(demo.url, "diary_gateway_live_subscriptions") >= 2
        )
        publish(demo, mark("relation-before"))
        for subscriber in (ws, sse):  # still related: the recheck lets the event through
            assert subscriber.wait_for("next")["payload"]["data"]["studentEvents"]["kind"]
        _admin(demo, "families", {"student_id": int(native), "linked": False})
        try:
            # each event after the end makes the subscription decide the relation again; the
            # first may still see the cached profile (served stale while it is refreshed)
            closed: dict[str, Any] | None = None
            sent: list[str] = []
            for attempt in range(10):
                sent += publish(demo, mark(f"relation-after-{attempt}"))
                line = ws.next_line()
                while line["event"] not in ("next", "closed"):
                    line = ws.next_line()
                if line["event"] == "closed":
                    closed = line
                    break
            assert closed is not None, "the connection stayed open after the relation ended"
            assert closed["code"] == 4403
            last = sse.wait_for("complete")
            assert last["event"] == "complete"
            final = [line for line in sse.seen if line["event"] == "next"][-1]
            (error,) = final["payload"]["errors"]
            assert error["extensions"]["code"] == "FORBIDDEN"
        finally:
            _admin(demo, "families", {"student_id": int(native), "linked": True})
    for subscriber in (ws, sse):
        heard = [e["id"] for e in subscriber.events()]
        assert len(heard) == len(set(heard))  # once each
        assert len(heard) <= len(sent)  # one of those after the end at most (a stale profile)
    assert sent[-1] not in [e["id"] for e in ws.events()]  # the closing one never delivered
    ended = metric(demo.url, "diary_gateway_live_closed_total", reason="relation_ended")
    assert ended >= ended_before + 2
