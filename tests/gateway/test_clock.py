"""The gateway at the instants that have broken us, and across a region's midnight.

Each test here takes the ``clock`` fixture: the whole process (gateway, emulator, JWTs and
the worlds used as oracles) runs at Sunday 23:30 in Moscow (Monday in region 74), on
31 December, on a Saturday, on the first day after the winter break and on 1 September.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from adapters import Clock
from diary_gateway_demo.demo import example_week
from diary_gateway_demo.seed import World
from schema.ids import decode_id

from .conftest import DemoGateway, make_demo

CHILDREN_DIARIES = """
query ($from: Date!, $to: Date!) {
  me { children {
    id school { region { code } }
    diary(from: $from, to: $to) { days { date lessons {
      id number subject { name } startsAt
      marks { value createdAt }
      homework { dueOn }
    } } }
  } }
}
"""


def _days(first: date, count: int) -> dict[str, str]:
    return {"from": first.isoformat(), "to": (first + timedelta(days=count - 1)).isoformat()}


def _expected_days(world: World, student_id: int, first: date, count: int) -> list[Any]:
    """What the world says the student's days hold now: (date, [(number, subject, marks)])."""
    student = world.students[student_id]
    found = []
    for day in world.days(first, first + timedelta(days=count - 1)):
        marks = [m for m in world.marks(student.class_id, day) if m.student_id == student_id]
        found.append(
            (
                day.isoformat(),
                [
                    (le.number, le.subject, sum(1 for m in marks if m.lesson_id == le.id))
                    for le in world.lessons(student.class_id, day)
                ],
            )
        )
    return found


def _answered_days(child: dict[str, Any]) -> list[Any]:
    return [
        (
            day["date"],
            [(le["number"], le["subject"]["name"], len(le["marks"])) for le in day["lessons"]],
        )
        for day in child["diary"]["days"]
    ]


def test_every_region_shows_its_own_today_and_no_mark_from_the_future(
    clock: Clock, fresh_demo: DemoGateway
) -> None:
    now = clock.now()
    # nine days around the latest "today" of the demo regions (region 74, UTC+5)
    first = clock.today(ZoneInfo("Asia/Yekaterinburg")) - timedelta(days=7)
    body = fresh_demo.query(CHILDREN_DIARIES, _days(first, 9), persona="parent")
    assert "errors" not in body, body.get("errors")
    children = body["data"]["me"]["children"]
    assert len(children) == 4
    for child in children:
        region = child["school"]["region"]["code"]
        world = World.build(region, clock=clock)
        student_id = int(decode_id(child["id"]).native)
        assert _answered_days(child) == _expected_days(world, student_id, first, 9), region
        for day in child["diary"]["days"]:
            for lesson in day["lessons"]:
                starts = datetime.fromisoformat(lesson["startsAt"])
                # a lesson's date is its local date in its own region
                assert starts.astimezone(world.zone).date().isoformat() == day["date"]
                for mark in lesson["marks"]:
                    created = datetime.fromisoformat(mark["createdAt"])
                    assert starts < created <= now, (region, mark)
                for homework in lesson["homework"]:
                    assert homework["dueOn"] > day["date"]


def test_the_example_week_has_lessons_and_names_a_break(clock: Clock) -> None:
    monday, sunday, note = example_week(clock)
    assert monday.weekday() == 0
    assert sunday == monday + timedelta(days=6)
    world = World.build("74", clock=clock)
    child = world.students[world.canonical_student_id]
    days = world.days(monday, sunday)
    assert any(world.lessons(child.class_id, day) for day in days)
    today = clock.today(ZoneInfo("Asia/Yekaterinburg"))
    if note is None:
        assert monday <= today <= sunday
    else:
        assert sunday < today
        assert "каникулы" in note or "no lessons" in note


def test_a_demo_running_past_midnight_moves_to_the_new_day(tmp_path: Path) -> None:
    """Started at 23:55 on a Monday in region 74; no restart; Tuesday's marks appear."""
    zone = ZoneInfo("Asia/Yekaterinburg")
    late = datetime(2026, 12, 14, 23, 55, tzinfo=zone)  # a Monday in term time
    monday = late.date()
    with time_machine.travel(late, tick=True) as traveller, make_demo(tmp_path / "k") as demo:
        world = World.build("74")
        child = world.students[world.canonical_student_id]
        before = demo.query(CHILDREN_DIARIES, _days(monday, 2), persona="parent")
        assert "errors" not in before, before.get("errors")
        mine = _region_child(before, "74")
        monday_then, tuesday_then = mine["diary"]["days"]
        assert monday_then["lessons"]
        assert tuesday_then["lessons"]
        assert all(not le["marks"] for le in tuesday_then["lessons"])
        assert _answered_days(mine) == _expected_days(world, child.id, monday, 2)
        # after midnight and after Tuesday's lessons: the same running gateway
        traveller.move_to(datetime(2026, 12, 15, 18, 0, tzinfo=zone))
        after = demo.query(CHILDREN_DIARIES, _days(monday, 3), persona="parent")
        assert "errors" not in after, after.get("errors")
        mine_after = _region_child(after, "74")
        monday_now, tuesday_now, _ = mine_after["diary"]["days"]
        assert monday_now == monday_then, "an earlier day never changes"
        assert [le["id"] for le in tuesday_now["lessons"]] == [
            le["id"] for le in tuesday_then["lessons"]
        ]
        expected = _expected_days(world, child.id, monday, 3)
        assert _answered_days(mine_after) == expected
        tuesday_marks = sum(len(le["marks"]) for le in tuesday_now["lessons"])
        assert tuesday_marks == sum(n for _, _, n in expected[1][1])


def _region_child(body: dict[str, Any], region: str) -> dict[str, Any]:
    (child,) = [
        c for c in body["data"]["me"]["children"] if c["school"]["region"]["code"] == region
    ]
    found: dict[str, Any] = child
    return found


def test_a_students_school_login_sees_the_marks_of_their_own_today(
    clock: Clock, fresh_demo: DemoGateway
) -> None:
    """The student persona signs in with the school login in each region, at each instant."""
    from .test_login import DIARY, _credentials, _login, _sid

    for region in ("74", "11", "77"):
        world = World.build(region, clock=clock)
        me = world.persona_student("student")
        session = _login(fresh_demo, _credentials(world))
        today = clock.today(world.zone)
        first = today - timedelta(days=today.weekday())  # the region's own week
        body = fresh_demo.query(
            DIARY, {"id": _sid(world, me), **_days(first, 7)}, token=session["token"]
        )
        assert "errors" not in body, body.get("errors")
        days = body["data"]["student"]["diary"]["days"]
        answered = [(d["date"], sum(len(le["marks"]) for le in d["lessons"])) for d in days]
        expected = [
            (
                day.isoformat(),
                sum(1 for m in world.marks(me.class_id, day) if m.student_id == me.id),
            )
            for day in world.days(first, first + timedelta(days=6))
        ]
        assert answered == expected, region


CHANGES = """
query { me { children {
  id school { region { code } }
  changes(days: 14, first: 100) { edges { node { kind occurredAt subjectName lessonOn } } }
} } }
"""


def test_the_changes_feed_dates_every_change_by_its_regions_lesson(
    clock: Clock, fresh_demo: DemoGateway
) -> None:
    now = clock.now()
    body = fresh_demo.query(CHANGES, persona="parent")
    assert "errors" not in body, body.get("errors")
    for child in body["data"]["me"]["children"]:
        region = child["school"]["region"]["code"]
        world = World.build(region, clock=clock)
        student = world.students[int(decode_id(child["id"]).native)]
        for edge in child["changes"]["edges"]:
            change = edge["node"]
            at = datetime.fromisoformat(change["occurredAt"])
            assert at <= now, (region, change)
            day = date.fromisoformat(change["lessonOn"])
            subjects = {le.subject for le in world.lessons(student.class_id, day)}
            assert change["subjectName"] in subjects, (region, change)
            if change["kind"] in ("MARK_CREATED", "MARK_UPDATED"):
                assert at.astimezone(world.zone).date() >= day, (region, change)
