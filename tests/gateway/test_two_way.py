"""The diary's two-way half through the running gateway: messages and class notices
(region 11, ЭлЖур), parent meetings (11), advance absence notices and teachers' marks (77,
Moscow-style), each for the roles that may and may not use it, replays with the same
idempotency key, and NOT_SUPPORTED where a region's system lacks the capability (74 lacks
all of them). Writes change the emulators' state: every test writes its own records and
compares before and after."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters import SYSTEM_CLOCK
from diary_gateway_demo.seed import World
from schema import decode_id, encode_id
from tests.gateway.conftest import DemoGateway, make_demo

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoGateway]:
    """A gateway of its own: these tests write to the emulators."""
    with make_demo(Path(tmp_path_factory.mktemp("two-way")) / "key.json") as gateway:
        yield gateway


def _key() -> str:
    return str(uuid.uuid4())


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def _error(body: dict[str, Any]) -> dict[str, Any]:
    (error,) = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


def _child(demo: DemoGateway, region: str, persona: str = "parent") -> str:
    body = demo.query("{ me { children { id } } }", persona=persona)
    return str(
        next(c["id"] for c in body["data"]["me"]["children"] if decode_id(c["id"]).region == region)
    )


# -- messages (11) ----------------------------------------------------------------------

SEND = """mutation ($to: ID, $thread: ID, $subject: String, $text: String!, $key: String!) {
  sendMessage(to: $to, threadId: $thread, subject: $subject, text: $text, idempotencyKey: $key) {
    threadId message { id text isOwn isRead readAt readByCount author { name role } }
  }
}"""
THREADS = """{ me { messageThreads(region: "11", first: 20) { totalCount nodes {
  id subject unreadCount
  messages { totalCount nodes { id text isOwn isRead readAt readByCount } }
} } } }"""
READ = """mutation ($ids: [ID!]!, $key: String!) {
  markMessagesRead(messageIds: $ids, idempotencyKey: $key) { messageIds }
}"""


def _correspondent(demo: DemoGateway, persona: str, role: str) -> dict[str, Any]:
    body = demo.query('{ me { correspondents(region: "11") { id name role } } }', persona=persona)
    return next(c for c in body["data"]["me"]["correspondents"] if c["role"] == role)


def _thread(demo: DemoGateway, persona: str, thread_id: str) -> dict[str, Any]:
    body = demo.query(THREADS, persona=persona)
    return next(t for t in body["data"]["me"]["messageThreads"]["nodes"] if t["id"] == thread_id)


def test_a_parent_and_the_class_teacher_write_read_and_reply(demo: DemoGateway) -> None:
    teacher = _correspondent(demo, "parent", "CLASS_TEACHER")
    subject = f"Справка {uuid.uuid4().hex[:6]}"
    sent = demo.query(
        SEND,
        {"to": teacher["id"], "subject": subject, "text": "Илья пропустит пятницу.", "key": _key()},
        persona="parent",
    )
    assert "errors" not in sent, sent
    payload = sent["data"]["sendMessage"]
    assert payload["message"]["isOwn"] is True
    assert payload["message"]["readAt"] is None  # nobody has read it yet
    thread_id = payload["threadId"]
    # the class teacher finds it unread in their threads
    theirs = _thread(demo, "class-teacher@11", thread_id)
    assert theirs["subject"] == subject
    assert theirs["unreadCount"] == 1
    (received,) = theirs["messages"]["nodes"]
    assert (received["isOwn"], received["isRead"]) == (False, False)
    read = demo.query(READ, {"ids": [received["id"]], "key": _key()}, persona="class-teacher@11")
    assert read["data"]["markMessagesRead"]["messageIds"] == [received["id"]], read
    assert _thread(demo, "class-teacher@11", thread_id)["unreadCount"] == 0
    # the parent sees the read receipt
    (own,) = _thread(demo, "parent", thread_id)["messages"]["nodes"]
    assert own["readByCount"] == 1
    assert own["readAt"] is not None
    # a reply in the thread
    reply = demo.query(
        SEND,
        {"thread": thread_id, "text": "Спасибо, отмечу.", "key": _key()},
        persona="class-teacher@11",
    )
    assert reply["data"]["sendMessage"]["threadId"] == thread_id, reply
    mine = _thread(demo, "parent", thread_id)
    assert [m["text"] for m in mine["messages"]["nodes"]] == [
        "Илья пропустит пятницу.",
        "Спасибо, отмечу.",
    ]
    assert mine["unreadCount"] == 1


def test_attachments_are_links_the_recipient_sees(demo: DemoGateway) -> None:
    teacher = _correspondent(demo, "parent", "CLASS_TEACHER")
    send = """mutation ($to: ID!, $key: String!, $files: [AttachmentLinkInput!]) {
      sendMessage(to: $to, subject: "Справка", text: "Во вложении.", attachments: $files,
                  idempotencyKey: $key) { threadId }
    }"""
    link = {"name": "справка.pdf", "url": "https://files.example/spravka.pdf"}
    sent = demo.query(send, {"to": teacher["id"], "key": _key(), "files": [link]}, persona="parent")
    assert "errors" not in sent, sent
    read = """{ me { messageThreads(region: "11", first: 20) { nodes {
      id messages { nodes { text attachments { name url } } } } } } }"""
    threads = demo.query(read, persona="class-teacher@11")["data"]["me"]["messageThreads"]
    (thread,) = [t for t in threads["nodes"] if t["id"] == sent["data"]["sendMessage"]["threadId"]]
    assert thread["messages"]["nodes"] == [{"text": "Во вложении.", "attachments": [link]}]
    plain = demo.query(
        send,
        {"to": teacher["id"], "key": _key(), "files": [{"name": "x", "url": "http://plain"}]},
        persona="parent",
    )
    assert _error(plain)["code"] == "BAD_USER_INPUT"  # https links only, never sent


def test_a_parent_writes_only_to_their_childrens_teachers(demo: DemoGateway) -> None:
    world = World.build("11", clock=SYSTEM_CLOCK)
    child = world.canonical_student_id
    class_id = world.students[child].class_id
    theirs = {g.teacher_id for g in world.groups_of_class(class_id)}
    theirs.add(world.classes[class_id].class_teacher_id)
    listed = {
        decode_id(c["id"]).native
        for c in demo.query('{ me { correspondents(region: "11") { id } } }', persona="parent")[
            "data"
        ]["me"]["correspondents"]
    }
    stranger = next(
        t for t in world.teachers.values() if t.id not in theirs and str(t.id) not in listed
    )
    refused = demo.query(
        SEND,
        {
            "to": encode_id("Correspondent", "11", str(stranger.id)),
            "subject": "Вопрос",
            "text": "Здравствуйте!",
            "key": _key(),
        },
        persona="parent",
    )
    assert refused["data"]["sendMessage"] is None
    extensions = _error(refused)
    assert extensions["code"] == "FORBIDDEN"
    assert extensions["writeOutcome"] == "NOT_APPLIED"
    # and an empty text never reaches the region
    empty = demo.query(
        SEND,
        {"to": _correspondent(demo, "parent", "TEACHER")["id"], "text": "  ", "key": _key()},
        persona="parent",
    )
    assert _codes(empty) == ["BAD_USER_INPUT"]


def test_replaying_a_message_with_its_key_sends_it_once(demo: DemoGateway) -> None:
    teacher = _correspondent(demo, "parent", "TEACHER")
    key = _key()
    variables = {"to": teacher["id"], "subject": f"Тема {key[:6]}", "text": "Один раз.", "key": key}
    first = demo.query(SEND, variables, persona="parent")
    again = demo.query(SEND, variables, persona="parent")
    assert again == first
    thread = _thread(demo, "parent", first["data"]["sendMessage"]["threadId"])
    assert thread["messages"]["totalCount"] == 1
    other = demo.query(SEND, {**variables, "text": "Другой текст."}, persona="parent")
    assert _error(other)["code"] == "BAD_USER_INPUT"
    assert _thread(demo, "parent", thread["id"])["messages"]["totalCount"] == 1


# -- class notices and meetings (11) ----------------------------------------------------

STUDENT_11 = """query ($id: ID!) { student(id: $id) {
  classNotices { title text author { name } }
  meetings { id title startsAt myAnswer }
} }"""
RSVP = """mutation ($id: ID!, $answer: RsvpAnswer!, $key: String!) {
  rsvpMeeting(meetingId: $id, answer: $answer, idempotencyKey: $key) { meeting { id myAnswer } }
}"""


def test_class_notices_and_meetings_by_role(demo: DemoGateway) -> None:
    child = _child(demo, "11")
    family = demo.query(STUDENT_11, {"id": child}, persona="parent")
    assert "errors" not in family, family
    assert family["data"]["student"]["classNotices"]
    assert family["data"]["student"]["meetings"]
    staff = demo.query(STUDENT_11, {"id": child}, persona="class-teacher@11")
    assert "errors" not in staff, staff
    subject_teacher = demo.query(STUDENT_11, {"id": child}, persona="teacher@11")
    assert sorted(_codes(subject_teacher)) == ["FORBIDDEN", "FORBIDDEN"]
    assert subject_teacher["data"]["student"] == {"classNotices": None, "meetings": None}


def test_a_legal_representative_answers_a_meeting(demo: DemoGateway) -> None:
    child = _child(demo, "11")
    now = SYSTEM_CLOCK.now()
    meetings = demo.query(STUDENT_11, {"id": child}, persona="parent")["data"]["student"][
        "meetings"
    ]
    coming = next(m for m in meetings if m["startsAt"] > now.isoformat())
    key = _key()
    answered = demo.query(
        RSVP, {"id": coming["id"], "answer": "ATTENDING", "key": key}, persona="parent"
    )
    assert answered["data"]["rsvpMeeting"]["meeting"] == {
        "id": coming["id"],
        "myAnswer": "ATTENDING",
    }
    again = demo.query(
        RSVP, {"id": coming["id"], "answer": "ATTENDING", "key": key}, persona="parent"
    )
    assert again == answered
    changed = demo.query(
        RSVP, {"id": coming["id"], "answer": "MAYBE", "key": _key()}, persona="parent"
    )
    assert changed["data"]["rsvpMeeting"]["meeting"]["myAnswer"] == "MAYBE"
    listed = demo.query(STUDENT_11, {"id": child}, persona="parent")["data"]["student"]["meetings"]
    assert next(m for m in listed if m["id"] == coming["id"])["myAnswer"] == "MAYBE"
    for persona in ("parent-not-representative", "class-teacher@11", "teacher@11"):
        refused = demo.query(
            RSVP, {"id": coming["id"], "answer": "NOT_ATTENDING", "key": _key()}, persona=persona
        )
        assert _codes(refused) == ["FORBIDDEN"], (persona, refused)


# -- absence notices (77) ---------------------------------------------------------------

NOTIFY = """mutation ($student: ID!, $from: Date!, $to: Date!, $reason: ID!, $key: String!) {
  notifyAbsence(studentId: $student, from: $from, to: $to, reasonId: $reason,
                comment: "К врачу", idempotencyKey: $key) {
    notice { id startsOn endsOn reason { name } comment }
  }
}"""
NOTICES = """query ($id: ID!) { student(id: $id) {
  absenceNotices { id startsOn endsOn reason { name } }
} }"""


def _reason(demo: DemoGateway, child: str) -> str:
    body = demo.query(
        "query ($id: ID!) { student(id: $id) { absenceReasons { id name } } }",
        {"id": child},
        persona="parent",
    )
    reasons = body["data"]["student"]["absenceReasons"]
    assert reasons, body
    return str(reasons[0]["id"])


ZONES = {"77": MOSCOW, "74": ZoneInfo("Asia/Yekaterinburg"), "11": MOSCOW}


@pytest.mark.parametrize("region", ["77", "74", "11"])
def test_an_advance_absence_notice_reaches_the_class_teacher(
    demo: DemoGateway, region: str
) -> None:
    """In 77 the region's system keeps it; in 74 and 11, whose systems take none, the
    gateway does (its own reasons), and the class teacher reads it the same way."""
    child = _child(demo, region)
    tomorrow = SYSTEM_CLOCK.today(ZONES[region]) + timedelta(days=1)
    variables = {
        "student": child,
        "from": tomorrow.isoformat(),
        "to": (tomorrow + timedelta(days=1)).isoformat(),
        "reason": _reason(demo, child),
        "key": _key(),
    }
    sent = demo.query(NOTIFY, variables, persona="parent")
    assert "errors" not in sent, sent
    notice = sent["data"]["notifyAbsence"]["notice"]
    assert (notice["startsOn"], notice["endsOn"]) == (variables["from"], variables["to"])
    assert demo.query(NOTIFY, variables, persona="parent") == sent  # a replay: the same
    for persona in ("parent", f"class-teacher@{region}"):
        listed = demo.query(NOTICES, {"id": child}, persona=persona)
        assert "errors" not in listed, (persona, listed)
        found = [n for n in listed["data"]["student"]["absenceNotices"] if n["id"] == notice["id"]]
        assert found == [
            {
                "id": notice["id"],
                "startsOn": variables["from"],
                "endsOn": variables["to"],
                "reason": notice["reason"],
            }
        ], (persona, found)
    for persona in (f"teacher@{region}", f"school-admin@{region}", "parent-not-representative"):
        assert _codes(demo.query(NOTICES, {"id": child}, persona=persona)) == ["FORBIDDEN"]


@pytest.mark.parametrize("region", ["77", "74"])
def test_absence_notices_only_ahead_and_only_from_the_representative(
    demo: DemoGateway, region: str
) -> None:
    child = _child(demo, region)
    today = SYSTEM_CLOCK.today(ZONES[region])
    base = {"student": child, "reason": _reason(demo, child)}
    past = demo.query(
        NOTIFY,
        {
            **base,
            "from": (today - timedelta(days=1)).isoformat(),
            "to": today.isoformat(),
            "key": _key(),
        },
        persona="parent",
    )
    assert _error(past)["code"] == "BAD_USER_INPUT"
    ahead = {**base, "from": today.isoformat(), "to": today.isoformat(), "key": _key()}
    for persona in ("parent-not-representative", f"class-teacher@{region}", f"teacher@{region}"):
        assert _codes(demo.query(NOTIFY, ahead, persona=persona)) == ["FORBIDDEN"], persona
    foreign = encode_id("AbsenceReason", region, "no-such-reason")
    unknown = demo.query(NOTIFY, {**ahead, "reason": foreign}, persona="parent")
    assert _error(unknown)["code"] == "BAD_USER_INPUT"


# -- teachers' marks (77) ---------------------------------------------------------------

JOURNAL = """query ($group: ID!, $from: Date!, $to: Date!) {
  journal(groupId: $group, from: $from, to: $to) {
    lessons { id date }
    rows { student { id } cells { lessonId marks { id value } } }
  }
}"""
ENTER = """mutation ($lesson: ID!, $student: ID!, $value: String!, $key: String!) {
  enterMark(lessonId: $lesson, studentId: $student, idempotencyKey: $key,
            mark: {value: $value, comment: "Хорошо"}) { mark { id value comment } }
}"""
CORRECT = """mutation ($mark: ID!, $value: String!, $key: String!) {
  correctMark(markId: $mark, idempotencyKey: $key, mark: {value: $value}) {
    mark { id value }
  }
}"""


def _algebra_cell(demo: DemoGateway) -> tuple[str, str, str, str, str]:
    """(group id, lesson id, student id, from, to): the latest past Алгебра lesson of the
    parent's child within four weeks, taught by teacher@77 (skipped in the holidays)."""
    today = SYSTEM_CLOCK.today(MOSCOW)
    dates = {
        "from": (today - timedelta(days=28)).isoformat(),
        "to": (today - timedelta(days=1)).isoformat(),
    }
    roles = demo.query("{ me { roles { groups { id name } } } }", persona="teacher@77")
    group = next(
        g["id"] for r in roles["data"]["me"]["roles"] for g in r["groups"] if g["name"] == "Алгебра"
    )
    child = _child(demo, "77")
    journal = demo.query(JOURNAL, {"group": group, **dates}, persona="teacher@77")
    assert "errors" not in journal, journal
    lessons = journal["data"]["journal"]["lessons"]
    if not lessons:
        pytest.skip(f"no Алгебра lesson in the four weeks before {today} (holidays)")
    assert any(r["student"]["id"] == child for r in journal["data"]["journal"]["rows"])
    return group, lessons[-1]["id"], child, dates["from"], dates["to"]


def _marks_in(
    demo: DemoGateway, group: str, lesson: str, child: str, start: str, end: str
) -> list[dict[str, Any]]:
    journal = demo.query(JOURNAL, {"group": group, "from": start, "to": end}, persona="teacher@77")
    row = next(r for r in journal["data"]["journal"]["rows"] if r["student"]["id"] == child)
    marks: list[dict[str, Any]] = next(c for c in row["cells"] if c["lessonId"] == lesson)["marks"]
    return marks


def test_a_teacher_enters_and_corrects_a_mark_once_per_key(demo: DemoGateway) -> None:
    group, lesson, child, start, end = _algebra_cell(demo)
    before = _marks_in(demo, group, lesson, child, start, end)
    key = _key()
    variables = {"lesson": lesson, "student": child, "value": "4", "key": key}
    entered = demo.query(ENTER, variables, persona="teacher@77")
    assert "errors" not in entered, entered
    mark = entered["data"]["enterMark"]["mark"]
    assert (mark["value"], mark["comment"]) == ("4", "Хорошо")
    assert demo.query(ENTER, variables, persona="teacher@77") == entered  # replayed
    after = _marks_in(demo, group, lesson, child, start, end)
    assert len(after) == len(before) + 1
    assert mark["id"] in {m["id"] for m in after}
    other = demo.query(ENTER, {**variables, "value": "3"}, persona="teacher@77")
    assert _error(other)["code"] == "BAD_USER_INPUT"
    # the family sees it, then the correction
    marks = """query ($id: ID!, $from: Date!, $to: Date!) {
      student(id: $id) { marks(from: $from, to: $to) { id value } } }"""
    seen = demo.query(marks, {"id": child, "from": start, "to": end}, persona="parent")
    assert {"id": mark["id"], "value": "4"} in seen["data"]["student"]["marks"]
    corrected = demo.query(
        CORRECT, {"mark": mark["id"], "value": "5", "key": _key()}, persona="teacher@77"
    )
    assert corrected["data"]["correctMark"]["mark"] == {"id": mark["id"], "value": "5"}, corrected
    seen = demo.query(marks, {"id": child, "from": start, "to": end}, persona="parent")
    assert {"id": mark["id"], "value": "5"} in seen["data"]["student"]["marks"]


def test_marks_are_entered_only_by_the_groups_teacher_and_on_its_scale(demo: DemoGateway) -> None:
    group, lesson, child, start, end = _algebra_cell(demo)
    before = _marks_in(demo, group, lesson, child, start, end)
    for persona in ("parent", "class-teacher@77", "school-admin@77", "student@77"):
        refused = demo.query(
            ENTER,
            {"lesson": lesson, "student": child, "value": "5", "key": _key()},
            persona=persona,
        )
        assert _codes(refused) == ["FORBIDDEN"], (persona, refused)
    off_scale = demo.query(
        ENTER,
        {"lesson": lesson, "student": child, "value": "7", "key": _key()},
        persona="teacher@77",
    )
    extensions = _error(off_scale)
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions["writeOutcome"] == "NOT_APPLIED"
    assert _marks_in(demo, group, lesson, child, start, end) == before


# -- NOT_SUPPORTED ------------------------------------------------------------------------


def test_regions_without_a_capability_say_not_supported(demo: DemoGateway) -> None:
    checks: list[tuple[str, str, dict[str, Any]]] = [
        ('{ me { messageThreads(region: "77") { totalCount } } }', "parent", {}),
        ('{ me { correspondents(region: "74") { id } } }', "parent", {}),
        (SEND, "parent", {"to": encode_id("Correspondent", "77", "1"), "text": "x", "key": _key()}),
        (READ, "parent", {"ids": [encode_id("Message", "74", "1/2")], "key": _key()}),
        (
            RSVP,
            "parent",
            {"id": encode_id("Meeting", "77", "770001001/1"), "answer": "MAYBE", "key": _key()},
        ),
        (STUDENT_11, "parent", {"id": _child(demo, "74")}),
    ]
    for query, persona, variables in checks:
        body = demo.query(query, variables, persona=persona)
        assert _codes(body), (query, body)
        assert set(_codes(body)) == {"NOT_SUPPORTED"}, (query, body)
    netcity_group = next(
        g["id"]
        for r in demo.query("{ me { roles { groups { id } } } }", persona="teacher@74")["data"][
            "me"
        ]["roles"]
        for g in r["groups"]
    )
    lesson = encode_id("JournalLesson", "74", f"{decode_id(netcity_group).native}/2025-10-13/1")
    body = demo.query(
        ENTER,
        {"lesson": lesson, "student": _child(demo, "74"), "value": "5", "key": _key()},
        persona="teacher@74",
    )
    assert _codes(body) == ["NOT_SUPPORTED"], body


def test_a_key_is_checked_before_any_write(demo: DemoGateway) -> None:
    teacher = _correspondent(demo, "parent", "TEACHER")

    def threads() -> int:
        count: int = demo.query(THREADS, persona="parent")["data"]["me"]["messageThreads"][
            "totalCount"
        ]
        return count

    before = threads()
    for key in ("", "x" * 129, "ключ"):
        body = demo.query(SEND, {"to": teacher["id"], "text": "x", "key": key}, persona="parent")
        assert _error(body)["code"] == "BAD_USER_INPUT", key
    assert threads() == before  # nothing was sent
