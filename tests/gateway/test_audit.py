"""The audit trail of reads of children's records, over real HTTP.

Every operation that reads a student's records (by anyone but the student) writes one event
per student and outcome, naming the reader, their role and relationship, and the fields
read; refused reads are recorded as ``allowed=False``. Events carry ids, roles and field
names only: the tests check them against the marks, names and tokens actually involved.
The legal representative reads the trail as ``student { accessLog }``.

The demo gateway is shared by the session, so each test looks only at the events its own
requests added (:func:`_read` diffs the audit log around one request).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import secrets
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from diary_gateway_demo.personas import find_persona
from diary_gateway_demo.seed import World
from gateway.audit import AuditLog
from schema import AuditEvent
from schema.ids import encode_id
from schema.policy import Relation
from tests.clock import school_week

from .conftest import DemoGateway
from .matrix import REGIONS, expected_relations

R = Relation
STRENGTH = (
    R.SELF,
    R.LEGAL_REPRESENTATIVE,
    R.SCHOOL_ADMIN,
    R.CLASS_TEACHER,
    R.GROUP_TEACHER,
    R.PARENT,
)
"""The relationship an event names: the strongest the reader has (README: who sees what)."""
ROLE = {
    R.LEGAL_REPRESENTATIVE: "parent",
    R.PARENT: "parent",
    R.GROUP_TEACHER: "teacher",
    R.CLASS_TEACHER: "class_teacher",
    R.SCHOOL_ADMIN: "school_admin",
}
READERS = ("parent", "teacher@{}", "class-teacher@{}", "school-admin@{}")

RECORDS = """query AuditRecords($id: ID!, $from: Date!, $to: Date!) {
  student(id: $id) {
    fullName
    diary(from: $from, to: $to) {
      days { lessons { marks { value comment } homework { text } absence { reason } } }
    }
    progress { subject { name } averageFivePoint }
  }
}"""


def _week() -> dict[str, str]:
    return school_week()


def _audit(demo: DemoGateway) -> AuditLog:
    audit = demo.app.state.audit
    assert isinstance(audit, AuditLog)
    return audit


def _read(
    demo: DemoGateway, query: str, variables: dict[str, Any], token: str | None
) -> tuple[dict[str, Any], list[AuditEvent]]:
    """One request, and the audit events it added."""
    audit = _audit(demo)
    before = Counter(audit.all_events())
    body = demo.query(query, variables, token=token)
    added = Counter(audit.all_events()) - before
    return body, list(added.elements())


def _nid(persona: str) -> str:
    return find_persona(persona).subject


@pytest.fixture(scope="module")
def worlds() -> dict[str, World]:
    return {region: World.build(region) for region in REGIONS}


def _student_id(region: str, student_id: int) -> str:
    return encode_id("Student", region, str(student_id))


def _canonical(worlds: dict[str, World], region: str) -> str:
    return _student_id(region, worlds[region].canonical_student_id)


def _strongest(relations: frozenset[Relation]) -> Relation:
    return next(r for r in STRENGTH if r in relations)


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _collect(data: Any, key: str) -> set[str]:
    """Every string value of ``key`` anywhere in a response."""
    found: set[str] = set()
    if isinstance(data, dict):
        for name, value in data.items():
            if name == key and isinstance(value, str):
                found.add(value)
            else:
                found |= _collect(value, key)
    elif isinstance(data, list):
        for item in data:
            found |= _collect(item, key)
    return found


# -- one event per operation and student ----------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_one_event_per_read_with_the_readers_relation_and_fields(
    region: str, demo: DemoGateway, worlds: dict[str, World]
) -> None:
    world = worlds[region]
    student = world.students[world.canonical_student_id]
    student_id = _canonical(worlds, region)
    for reader in (r.format(region) for r in READERS):
        token = demo.token(reader)
        body, events = _read(demo, RECORDS, {"id": student_id, **_week()}, token)
        assert "errors" not in body, body["errors"]
        assert body["data"]["student"]["diary"]["days"]
        relation = _strongest(expected_relations(world, reader, student))
        assert len(events) == 1, (reader, events)
        (event,) = events
        assert event.viewer == f"p:{_nid(reader)}"
        assert event.relation == relation.value, reader
        assert event.role == ROLE[relation], reader
        assert (event.region, event.student) == (region, student_id)
        assert set(event.fields) == {"diary", "progress"}
        assert event.allowed is True
        assert event.request_id


def test_one_event_per_student_however_often_the_operation_reads_them(
    demo: DemoGateway, worlds: dict[str, World]
) -> None:
    query = """query AuditTwice($id: ID!, $from: Date!, $to: Date!) {
      a: student(id: $id) { diary(from: $from, to: $to) { days { date } } }
      b: diary(studentId: $id, from: $from, to: $to) { days { date } }
      me { children { id absences(from: $from, to: $to) { date } } }
    }"""
    body, events = _read(
        demo, query, {"id": _canonical(worlds, "74"), **_week()}, demo.token("parent")
    )
    assert "errors" not in body, body["errors"]
    by_student = Counter((e.region, e.student) for e in events)
    children = Counter(
        (r, _student_id(r, child.id))
        for r in REGIONS
        for child, _ in worlds[r].children_of("parent")
    )
    assert len(children) == 4  # siblings in 74 and 11, twins in 77
    assert by_student == children
    (home,) = [e for e in events if e.region == "74"]
    assert set(home.fields) == {"diary", "absences"}
    assert all(e.allowed and e.relation == "legal_representative" for e in events)
    assert len({e.request_id for e in events}) == 1


@pytest.mark.parametrize("region", REGIONS)
def test_a_journal_read_is_one_event_per_student_of_the_group(
    region: str, demo: DemoGateway, worlds: dict[str, World]
) -> None:
    world = worlds[region]
    teacher = f"teacher@{region}"
    nine_a = world.students[world.canonical_student_id].class_id
    group = next(
        g
        for g in world.groups_of_class(nine_a)
        if world.teachers[g.teacher_id].person.national_id == _nid(teacher)
    )
    query = """query AuditJournal($g: ID!, $from: Date!, $to: Date!) {
      journal(groupId: $g, from: $from, to: $to) { rows { student { id } } }
    }"""
    variables = {"g": encode_id("Group", region, str(group.id)), **_week()}
    body, events = _read(demo, query, variables, demo.token(teacher))
    assert "errors" not in body, body["errors"]
    rows = {row["student"]["id"] for row in body["data"]["journal"]["rows"]}
    assert rows == {_student_id(region, s.id) for s in world.class_students(nine_a)}
    assert Counter(e.student for e in events) == Counter(rows)
    for event in events:
        assert event.fields == ("journal",)
        assert event.allowed
        assert event.relation == "group_teacher"
        assert event.viewer == f"p:{_nid(teacher)}"


@pytest.mark.parametrize("region", REGIONS)
def test_journal_events_name_the_readers_role_like_other_events(
    region: str, demo: DemoGateway, worlds: dict[str, World]
) -> None:
    """A teacher's journal read says role "teacher", as their diary reads do — not "staff"."""
    world = worlds[region]
    admin = f"school-admin@{region}"
    group = next(iter(world.groups_of_class(world.students[world.canonical_student_id].class_id)))
    query = """query AuditJournalRole($g: ID!, $from: Date!, $to: Date!) {
      journal(groupId: $g, from: $from, to: $to) { rows { student { id } } }
    }"""
    variables = {"g": encode_id("Group", region, str(group.id)), **_week()}
    body, events = _read(demo, query, variables, demo.token(admin))
    assert "errors" not in body, body["errors"]
    assert events
    assert {(e.relation, e.role) for e in events} == {("school_admin", "school_admin")}


# -- no event for the student's own reads -------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_no_event_when_a_student_reads_their_own_records(
    region: str, demo: DemoGateway, worlds: dict[str, World]
) -> None:
    me = worlds[region].persona_student("student")
    variables = {"id": _student_id(region, me.id), **_week()}
    body, events = _read(demo, RECORDS, variables, demo.token(f"student@{region}"))
    assert "errors" not in body, body["errors"]
    assert body["data"]["student"]["diary"]["days"]
    assert events == []


# -- refused reads ------------------------------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_refused_reads_are_recorded_as_not_allowed(
    region: str, demo: DemoGateway, worlds: dict[str, World]
) -> None:
    student_id = _canonical(worlds, region)
    query = """query AuditRefused($id: ID!, $from: Date!, $to: Date!) {
      student(id: $id) { fullName diary(from: $from, to: $to) { days { date } } }
    }"""
    body, events = _read(
        demo, query, {"id": student_id, **_week()}, demo.token("parent-not-representative")
    )
    assert body["data"]["student"]["diary"] is None
    assert [(e.fields, e.allowed, e.relation, e.role) for e in events] == [
        (("diary",), False, "parent", "parent")
    ]
    # An operation with an allowed and a refused read of one student: one event each.
    query = """query AuditMixed($id: ID!, $from: Date!, $to: Date!) {
      student(id: $id) {
        diary(from: $from, to: $to) { days { date } }
        changes { edges { cursor } }
      }
    }"""
    teacher = f"teacher@{region}"
    body, events = _read(demo, query, {"id": student_id, **_week()}, demo.token(teacher))
    assert body["data"]["student"]["diary"] is not None
    assert body["data"]["student"]["changes"] is None
    outcomes = sorted((e.allowed, e.fields, e.relation) for e in events)
    assert outcomes == [(False, ("changes",), "group_teacher"), (True, ("diary",), "group_teacher")]


@pytest.mark.parametrize("region", REGIONS)
def test_a_refused_progress_read_is_recorded_too(
    region: str, demo: DemoGateway, worlds: dict[str, World]
) -> None:
    """`progress` is a child record like the diary: a refused read leaves an event."""
    query = """query AuditProgress($id: ID!) {
      student(id: $id) { fullName progress { subject { name } } }
    }"""
    body, events = _read(
        demo, query, {"id": _canonical(worlds, region)}, demo.token("parent-not-representative")
    )
    assert body["data"]["student"]["progress"] is None
    assert [(e.fields, e.allowed) for e in events] == [(("progress",), False)]


# -- what an event never carries ----------------------------------------------------------


def test_no_event_carries_a_mark_a_name_or_a_token(
    demo: DemoGateway, worlds: dict[str, World], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.audit")
    tokens: set[str] = set()
    events: list[AuditEvent] = []
    marks: set[str] = set()
    texts: set[str] = set()  # comments, homework, names: never in an event, even in part
    for region in REGIONS:
        world = worlds[region]
        for reader in [r.format(region) for r in READERS] + ["parent-not-representative"]:
            token = demo.token(reader)
            tokens.add(token)
            variables = {"id": _canonical(worlds, region), **_week()}
            body, added = _read(demo, RECORDS, variables, token)
            events += added
            marks |= _collect(body.get("data"), "value")
            texts |= _collect(body.get("data"), "comment") | _collect(body.get("data"), "text")
            texts |= _collect(body.get("data"), "fullName")
        for student in world.students.values():
            person = student.person
            texts |= {person.last_name, person.first_name, person.middle_name}
    assert len(events) == 3 * len(READERS) + 3
    assert marks
    assert texts
    assert len(marks) >= 3, marks  # several distinct mark values were read
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.audit"]
    assert len(lines) == len(events)
    secrets_ = {t for t in texts | tokens if len(t) >= 4}
    secrets_ |= {t.split(".")[2] for t in tokens}  # the signature alone
    for event in events:
        values = list(_strings(dataclasses.asdict(event)))
        leaked_marks = [v for v in values if v in marks]
        assert not leaked_marks, (event, leaked_marks)
        serialized = json.dumps(dataclasses.asdict(event), ensure_ascii=False)
        assert not [s for s in secrets_ if s in serialized], event
    for line in lines:
        payload = json.loads(line)["audit"]
        assert not [v for v in _strings(payload) if v in marks], line
        assert not [s for s in secrets_ if s in line], line


# -- the legal representative reads the trail ---------------------------------------------


ACCESS_LOG = """query AuditAccessLog{tag}($id: ID!) {{
  student(id: $id) {{
    accessLog(first: 5) {{ nodes {{ occurredAt viewer role relation fields isAllowed }} }}
  }}
}}"""


@pytest.mark.parametrize("region", REGIONS)
def test_the_legal_representative_sees_the_teachers_read(
    region: str, demo: DemoGateway, worlds: dict[str, World]
) -> None:
    student_id = _canonical(worlds, region)
    teacher = f"teacher@{region}"
    body, events = _read(demo, RECORDS, {"id": student_id, **_week()}, demo.token(teacher))
    assert "errors" not in body
    assert len(events) == 1
    log = ACCESS_LOG.format(tag=secrets.token_hex(4))  # a query nobody has asked before
    body, added = _read(demo, log, {"id": student_id}, demo.token("parent"))
    assert "errors" not in body, body["errors"]
    assert added == [], "reading the trail is not itself a read of the child's records"
    newest = body["data"]["student"]["accessLog"]["nodes"][0]
    assert newest == {
        "occurredAt": newest["occurredAt"],
        "viewer": _pseudonym(demo, f"p:{_nid(teacher)}"),
        "role": "TEACHER",
        "relation": "GROUP_TEACHER",
        "fields": ["diary", "progress"],
        "isAllowed": True,
    }
    # Nobody else reads the trail: not the teacher, not the other parent, not the student.
    for other in (teacher, "parent-not-representative", f"class-teacher@{region}"):
        refused = demo.query(log, {"id": student_id}, persona=other)
        assert refused["data"]["student"]["accessLog"] is None
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_the_access_log_is_never_served_stale(demo: DemoGateway, worlds: dict[str, World]) -> None:
    """A read made after the parent last looked shows up the next time they look."""
    student_id = _canonical(worlds, "74")
    log = ACCESS_LOG.format(tag=secrets.token_hex(4))
    first = demo.query(log, {"id": student_id}, persona="parent")
    assert "errors" not in first, first["errors"]
    query = """query AuditAbsences($id: ID!, $from: Date!, $to: Date!) {
      student(id: $id) { absences(from: $from, to: $to) { date } }
    }"""
    body, events = _read(demo, query, {"id": student_id, **_week()}, demo.token("teacher@74"))
    assert "errors" not in body
    assert [e.fields for e in events] == [("absences",)]
    again = demo.query(log, {"id": student_id}, persona="parent")
    newest = again["data"]["student"]["accessLog"]["nodes"][0]
    assert (newest["viewer"], newest["fields"]) == (
        _pseudonym(demo, "p:esia-teacher-74"),
        ["absences"],
    ), "the parent was answered with the access log as it was before the teacher's read"


def _pseudonym(demo: DemoGateway, viewer: str) -> str:
    """The reader as a family sees them: an HMAC of the audit trail's viewer, never the id."""
    name = _audit(demo).pseudonym(viewer)
    assert name.startswith("reader-")
    assert viewer.split(":", 1)[1] not in name
    assert name != "reader-" + hashlib.sha256(viewer.encode()).hexdigest()[:16]
    return name


async def test_a_replay_writes_what_a_record_at_the_same_time_writes() -> None:
    """``replay`` (a response-cache hit, rows prepared once per stored tuple) keeps what
    ``record(..., at=…)`` keeps: the events re-dated, the history rows, the counts."""
    from gateway.keyring import Keyring

    keyring = Keyring.generate()
    student = encode_id("Student", "74", "1001")
    events = (
        AuditEvent("2026-11-20T10:00:00+00:00", "esia-1", "parent", "legal_representative",
                   "74", student, ("marks",), True, "r1"),
        AuditEvent("2026-11-20T10:00:00+00:00", "esia-2", "teacher", "none",
                   "74", student, ("diary",), False, "r1"),
        AuditEvent("2026-11-20T10:00:00+00:00", "esia-1", "parent", "legal_representative",
                   "74", "not-a-student-id", ("marks",), True, "r1"),
    )  # fmt: skip
    recorded, replayed = AuditLog(keyring=keyring), AuditLog(keyring=keyring)
    for at in (
        "2026-11-29T10:00:00+00:00",
        "2026-11-29T10:00:00+00:00",
        "2026-11-29T10:00:01+00:00",
    ):
        await recorded.record(list(events), at=at)
        await replayed.replay(events, at=at)
    assert replayed.all_events() == recorded.all_events()
    assert [e.at for e in replayed.all_events()][-1] == "2026-11-29T10:00:01+00:00"
    assert (replayed.written, replayed.counts) == (recorded.written, recorded.counts)
    assert replayed.counts["non_canonical"] == 3
    history = await replayed.history("74", student, 100)
    assert history == await recorded.history("74", student, 100)
    assert len(history) == 6


async def test_replays_reach_the_history_within_the_loop_turn_and_in_time_order() -> None:
    """Hits' replays are written once per loop turn: the store holds them after the turn
    without anyone reading, and an event recorded in the same turn comes after them."""
    student = encode_id("Student", "74", "1001")
    seen = AuditEvent("2026-11-20T10:00:00+00:00", "esia-1", "parent",
                      "legal_representative", "74", student, ("marks",), True, "r1")  # fmt: skip
    audit = AuditLog()
    reader = AuditLog(store=audit.store)  # reads the same store, flushes nothing of audit's
    await audit.replay((seen,), at="2026-11-29T10:00:00+00:00")
    await audit.replay((seen,), at="2026-11-29T10:00:00+00:00")
    assert await reader.history("74", student, 10) == []  # pending until the turn ends
    await asyncio.sleep(0)
    assert len(await reader.history("74", student, 10)) == 2
    await audit.replay((seen,), at="2026-11-29T10:00:01+00:00")
    later = dataclasses.replace(seen, fields=("diary",), at="2026-11-29T10:00:01+00:00")
    await audit.record([later])  # same second, same turn: written after the replay
    history = await reader.history("74", student, 10)
    assert [e.fields for e in history] == [("diary",), ("marks",), ("marks",), ("marks",)]
    assert await audit.history("74", student, 10) == history
    assert audit.written == 4
