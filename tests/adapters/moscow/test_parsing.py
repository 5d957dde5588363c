"""The МЭШ parsing functions on recorded answers (``fixtures/``), and every protocol quirk.

The fixtures were recorded from the emulator (``record.py``) on the contract's world
(today 2025-10-18, canonical week 13–17 October 2025); expectations are written out by hand
from the canonical week and the protocol page, not computed with the code under test.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from adapters import (
    AccessDeniedError,
    AuthenticationError,
    ChangeKind,
    DateRange,
    Mark,
    ProviderResponseError,
    ProviderUnavailableError,
    map_httpx_errors,
)
from adapters.moscow.client import Credentials, MoscowClient
from adapters.moscow.config import MoscowConfig
from adapters.moscow.parsing import (
    build_lessons,
    build_progress,
    lesson_numbers,
    parse_attendance,
    parse_class_member,
    parse_events,
    parse_family_profile,
    parse_groups,
    parse_homework_short,
    parse_journal_lessons,
    parse_mark,
    parse_marks,
    parse_notifications,
    parse_profile_info,
    parse_reasons,
    parse_school_info,
    parse_schools,
    parse_session_user,
    parse_subject_marks_short,
    parse_teacher_marks,
    parse_token_grant,
)
from adapters.scales import FIVE_POINT, HUNDRED_POINT, NO_GRADE, PASS_FAIL, TEN_POINT

FIXTURES = Path(__file__).parent / "fixtures"
MSK = ZoneInfo("Europe/Moscow")
MONDAY = date(2025, 10, 13)
WEEK = DateRange(MONDAY, MONDAY + timedelta(days=6))
CANONICAL = "770001001"
CANONICAL_GUID = "b5bcc1a1-8b34-5e30-5c6f-d12c07f7c22c"


def record(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def body(name: str) -> Any:
    return copy.deepcopy(record(name)["body"])


def replay(name: str, request: httpx.Request) -> httpx.Response:
    """The recorded answer, byte for byte as a server would send it."""
    rec = record(name)
    raw = rec["body"]
    content = raw.encode() if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False).encode()
    return httpx.Response(rec["status"], headers=rec["headers"], content=content, request=request)


def week_lessons(events: Any = None) -> list[Any]:
    return build_lessons(
        parse_events(events or body("events_GET"), student_id=CANONICAL, tz=MSK),
        student_id=CANONICAL,
        days=WEEK,
        homework=parse_homework_short(body("homeworks_short_GET"), student_id=CANONICAL),
        missed=parse_attendance(body("attendance_GET")),
        reasons=parse_reasons(body("nonattendance_reasons_GET")),
    )


def lesson(lessons: list[Any], weekday: int, number: int) -> Any:
    (found,) = [
        le for le in lessons if le.date == MONDAY + timedelta(days=weekday) and le.number == number
    ]
    return found


def a_mark(value: str = "4") -> dict[str, Any]:
    """A recorded five-point mark (Алгебра, 2025-09-25, weight 1), to mutate."""
    (item,) = [m for m in body("marks_GET")["payload"] if m["id"] == 93991020]
    assert item["value"] == "4"
    item["value"] = value
    return dict(item)


# -- identity ----------------------------------------------------------------------------


def test_family_profile_gives_both_student_ids() -> None:
    profile = parse_family_profile(body("profile_GET"))
    assert profile.type == "parent"
    assert profile.person.id == "7709000"
    (child,) = profile.children
    assert child.student.id == CANONICAL  # the integer id of the family API, as a string
    assert child.guid == CANONICAL_GUID  # the GUID the event calendar takes
    assert child.is_legal_representative is True
    assert child.student.person.full_name == "Соколова Мария Андреевна"
    assert (child.student.class_name, child.student.class_unit_id) == ("9-А", "7700010")
    assert child.student.school_id == "7700001"
    assert child.school is not None
    assert child.school.name == "Школа № 37"
    assert len(child.student.group_ids) == 12
    assert "770001000" in child.student.group_ids
    # contacts of legal representatives only
    assert "parent@example.test" in child.student.parent_contacts
    assert "parent-not-representative@example.test" not in child.student.parent_contacts


def test_family_profile_without_optional_fields() -> None:
    document = {
        "profile": {"id": 1, "type": "parent", "last_name": "Иванова", "extra": [1, 2]},
        "children": [{"id": 2, "school": None, "groups": None, "contingent_guid": None}],
    }
    profile = parse_family_profile(document)
    (child,) = profile.children
    assert profile.person.first_name == ""
    assert profile.person.middle_name is None
    assert child.student.id == "2"
    assert child.guid is None
    assert child.school is None
    assert child.student.group_ids == ()
    assert child.is_legal_representative is False


def test_session_user_and_token_grant() -> None:
    session = parse_session_user(body("sessions_POST"))
    assert session.student_id == "770001002"
    assert session.token == body("sessions_POST")["authentication_token"]
    grant = parse_token_grant(body("sudir_auth_POST"))
    assert (grant.profile_id, grant.profile_type, grant.expires_in) == ("7709000", "parent", 86400)


def test_profile_info_roles_of_a_class_teacher() -> None:
    (info,) = parse_profile_info(body("profile_info_GET"))
    assert info.type == "teacher"
    assert info.roles == {"teacher", "class_teacher"}
    assert info.class_unit_ids == ("7700010",)
    assert info.school_id == "7700001"
    assert info.person is not None
    assert info.person.last_name == "Орлова"
    # the protocol only promises {id, type, roles}
    (bare,) = parse_profile_info([{"id": 5, "type": "teacher", "roles": None}])
    assert bare.roles == frozenset()
    assert bare.person is None
    assert bare.school_id is None


# -- marks -------------------------------------------------------------------------------


def _by_value(marks: list[Mark], value: str) -> Mark:
    (found,) = [m for m in marks if m.value == value]
    return found


def test_marks_on_every_scale() -> None:
    marks = parse_marks(body("marks_GET"), student_id="770001002", tz=MSK)
    assert len(marks) == 18
    assert marks == sorted(marks, key=lambda m: m.lesson_date)
    hundred = _by_value(marks, "84")  # Химия, graded on the hundred-point scale
    assert hundred.scale is HUNDRED_POINT
    assert (hundred.grade.five, hundred.grade.ten, hundred.grade.hundred) == (4.0, 8.0, 84.0)
    assert hundred.normalized == 0.84
    assert hundred.weight == 2.0
    ten = _by_value(marks, "8")  # Информатика, ten-point
    assert ten.scale is TEN_POINT
    assert (ten.grade.five, ten.grade.ten, ten.grade.hundred) == (4.0, 8.0, 80.0)
    assert ten.normalized == 0.8  # hundredPoint / 100, not (8 − 1) / 9
    assert ten.comment == "Молодец!"
    not_graded = _by_value(marks, "н/а")  # "values" absent altogether
    assert not_graded.scale is PASS_FAIL
    assert not_graded.grade == NO_GRADE
    assert not_graded.normalized is None
    assert not_graded.weight == 2.0
    passed = _by_value(marks, "зачёт")  # "values": null
    assert passed.scale is PASS_FAIL
    assert passed.grade == NO_GRADE
    assert passed.normalized is None
    five = next(m for m in marks if m.id == "94181020")
    assert (five.value, five.scale, five.subject.name) == ("5", FIVE_POINT, "Литература")
    assert (five.grade.five, five.grade.ten, five.grade.hundred) == (5.0, 10.0, 100.0)
    assert five.lesson_date == date(2025, 10, 14)
    # created_at comes without a zone: Moscow wall-clock time
    assert five.created_at == datetime(2025, 10, 14, 10, 54, tzinfo=MSK)
    assert five.created_at.utcoffset() == timedelta(hours=3)


def test_five_point_table_is_a_lookup_not_a_formula() -> None:
    expected = {"5": (5, 10, 100), "4": (4, 8, 80), "3": (3, 6, 60), "2": (2, 4, 30)}
    for value, (five, ten, hundred) in expected.items():
        item = a_mark(value)
        item["values"] = None  # the server sent no conversion: the adapter's table
        mark = parse_mark(item, student_id="1", tz=MSK)
        assert (mark.grade.five, mark.grade.ten, mark.grade.hundred) == (five, ten, hundred)
        assert mark.scale is FIVE_POINT
    two = parse_mark({**a_mark("2"), "values": None}, student_id="1", tz=MSK)
    assert two.normalized == 0.3  # 30 / 100


def test_provider_grades_win_and_the_table_fills_gaps() -> None:
    item = a_mark("3")
    item["values"][0]["grade"] = {"origin": "3", "five": 3.0, "ten": None, "hundred": 61.0}
    mark = parse_mark(item, student_id="1", tz=MSK)
    assert (mark.grade.five, mark.grade.ten, mark.grade.hundred) == (3.0, 6.0, 61.0)
    assert mark.normalized == 0.61  # the provider's hundred / 100


def test_mark_quirks() -> None:
    base = parse_mark(a_mark(), student_id="1", tz=MSK)
    extra = a_mark()
    extra["unexpected"] = {"nested": [1, 2, 3]}
    extra["values"][0]["unknown_scale_field"] = "x"
    assert parse_mark(extra, student_id="1", tz=MSK) == base
    missing = a_mark()
    for key in ("weight", "comment", "comment_exists", "point_date", "control_form_name"):
        missing.pop(key, None)
    mark = parse_mark(missing, student_id="1", tz=MSK)
    assert mark.weight == 1.0
    assert mark.comment is None
    assert mark.control_form is None
    assert parse_mark({**a_mark(), "weight": None}, student_id="1", tz=MSK).weight == 1.0
    assert parse_mark({**a_mark(), "weight": "2"}, student_id="1", tz=MSK).weight == 2.0
    assert parse_mark({**a_mark(), "comment": ""}, student_id="1", tz=MSK).comment is None
    # no "value": the original comes from values[].grade.origin
    no_value = a_mark()
    del no_value["value"]
    assert parse_mark(no_value, student_id="1", tz=MSK).value == "4"
    # a zoned created_at is converted to Moscow time
    zoned = {**a_mark(), "created_at": "2025-09-25T08:59:00Z"}
    assert parse_mark(zoned, student_id="1", tz=MSK).created_at == datetime(
        2025, 9, 25, 11, 59, tzinfo=MSK
    )
    assert parse_mark({**a_mark(), "created_at": None}, student_id="1", tz=MSK).created_at is None
    # values without a scale type: guessed from the number
    guessed = {**a_mark("7"), "values": None, "original_grade_system_type": None}
    assert parse_mark(guessed, student_id="1", tz=MSK).scale is TEN_POINT
    with pytest.raises(ValueError):
        parse_mark({**a_mark(), "id": None}, student_id="1", tz=MSK)


# -- events, homework, attendance → the diary --------------------------------------------


def test_canonical_week_from_the_event_calendar() -> None:
    lessons = week_lessons()
    per_day = [sum(1 for le in lessons if le.date == MONDAY + timedelta(days=d)) for d in range(7)]
    assert per_day == [4, 3, 3, 2, 3, 0, 0]  # the Thursday class hour (ORGANIZER) is not a lesson
    algebra = lesson(lessons, 0, 1)
    assert (algebra.subject.name, algebra.topic, algebra.room) == (
        "Алгебра",
        "Квадратные уравнения",
        "109",
    )
    assert algebra.starts_at == datetime(2025, 10, 13, 8, 30, tzinfo=MSK)
    assert algebra.ends_at == datetime(2025, 10, 13, 9, 15, tzinfo=MSK)
    assert algebra.teacher is not None
    assert algebra.teacher.person.last_name == "Васильев"
    (test,) = algebra.marks
    assert (test.value, test.weight, test.control_form, test.comment) == (
        "5",
        2.0,
        "Контрольная работа",
        "Отличная работа",
    )
    assert test.lesson_id == algebra.id
    assert test.grade.hundred == 100.0
    (homework,) = algebra.homework
    assert homework.id == "9417101"  # homework_entry_student_id: what "done" takes
    assert (homework.text, homework.due_on, homework.done) == (
        "№ 245, 247",
        date(2025, 10, 15),
        False,
    )
    (reading,) = lesson(lessons, 1, 1).homework
    assert [a.name for a in reading.attachments] == ["plan.pdf"]
    (passed,) = lesson(lessons, 0, 4).marks
    assert passed.value == "зачёт"
    assert passed.scale is PASS_FAIL
    two = min(lesson(lessons, 3, 1).marks, key=lambda m: m.grade.five or 0)
    assert (two.grade.five, two.grade.ten, two.grade.hundred) == (2.0, 4.0, 30.0)
    assert lesson(lessons, 0, 3).cancelled
    assert lesson(lessons, 2, 2).remote
    assert lesson(lessons, 2, 2).room is None  # remote: room_number null
    assert lesson(lessons, 2, 3).replaced
    ill = lesson(lessons, 1, 2).absence
    assert ill is not None
    assert (ill.reason, ill.excused) == ("Болезнь", True)
    truant = lesson(lessons, 4, 2).absence
    assert truant is not None
    assert (truant.reason, truant.excused) == ("Без причины", False)
    assert sum(1 for le in lessons if le.absence) == 2


def test_event_quirks() -> None:
    events = body("events_GET")
    first = events["response"][0]
    first["teacher"] = None
    first["room_number"] = None
    first["homework"] = None
    first["brand_new_field"] = {"x": 1}
    del first["absence_reason_id"]
    second = events["response"][1]
    del second["teacher"]["id"]  # a teacher known only by name gets a stable id
    lessons = week_lessons(events)
    algebra = lesson(lessons, 0, 1)
    assert algebra.teacher is None
    assert algebra.room is None
    # homework still joined from homeworks/short (same subject, assigned that day)
    assert [h.text for h in algebra.homework] == ["№ 245, 247"]
    russian = lesson(lessons, 0, 2)
    assert russian.teacher is not None
    assert russian.teacher.id.startswith("name-")
    assert russian.teacher.id == lesson(week_lessons(events), 0, 2).teacher.id


def test_unzoned_event_times_are_moscow_time() -> None:
    events = body("events_GET")
    for item in events["response"]:
        item["start_at"] = item["start_at"][:19]
        item["finish_at"] = item["finish_at"][:19]
    algebra = lesson(week_lessons(events), 0, 1)
    assert algebra.starts_at == datetime(2025, 10, 13, 8, 30, tzinfo=MSK)


def test_absence_from_attendance_when_the_event_is_silent() -> None:
    events = body("events_GET")
    for item in events["response"]:
        item.pop("absence_reason_id", None)
        item["is_missed_lesson"] = False
    lessons = week_lessons(events)
    ill = lesson(lessons, 1, 2).absence
    assert ill is not None
    assert (ill.reason, ill.excused) == ("Болезнь", True)
    assert parse_attendance(body("attendance_GET")) == {"77000100095382": 1, "77000100095412": 6}


def test_attendance_without_any_schedule_item_id_is_still_an_absence() -> None:
    """Every lesson of ``attendance`` lacks its ``schedule_item_id`` (``null`` or left
    out), so the parsed mapping is empty: its records are still placed by day and subject."""
    events = body("events_GET")
    for item in events["response"]:
        item.pop("absence_reason_id", None)
        item["is_missed_lesson"] = False
    attendance = body("attendance_GET")
    for n, day in enumerate(attendance["attendance"]):
        for item in day["lessons"]:
            if n % 2:
                item.pop("schedule_item_id")
            else:
                item["schedule_item_id"] = None
    missed = parse_attendance(attendance)
    assert missed == {}
    assert len(missed.records) == 2
    lessons = build_lessons(
        parse_events(events, student_id=CANONICAL, tz=MSK),
        student_id=CANONICAL,
        days=WEEK,
        missed=missed,
        reasons=parse_reasons(body("nonattendance_reasons_GET")),
    )
    absent = [le for le in lessons if le.absence is not None]
    assert [(le.date, le.subject.name, le.unscheduled) for le in absent] == [
        (date(2025, 10, 14), "Физика", False),
        (date(2025, 10, 17), "История", False),
    ]
    assert absent[0].absence is not None
    assert absent[0].absence.reason == "Болезнь"


def test_marks_the_events_do_not_carry_come_from_the_marks_call() -> None:
    """A lesson the calendar lost keeps its marks (``marks`` call, placed by day and
    subject); a mark naming an event that came without it joins that event; a mark both
    calls give is shown once."""
    events = body("events_GET")
    # the marks call's view of the same week: the events' marks, with their lesson ids
    week = [m for e in parse_events(events, student_id=CANONICAL, tz=MSK) for m in e.marks]
    with_marks = [e for e in events["response"] if e.get("marks")]
    lost, stripped = with_marks[0], with_marks[1]
    lost_ids = {str(m["id"]) for m in lost["marks"]}
    called = [
        dataclasses.replace(m, lesson_id="9999000001") if m.id in lost_ids else m for m in week
    ]
    events["response"].remove(lost)
    stripped["marks"] = []
    lessons = build_lessons(
        parse_events(events, student_id=CANONICAL, tz=MSK),
        student_id=CANONICAL,
        days=WEEK,
        marks=[*called, *called[:2]],
    )
    shown = [(le, m) for le in lessons for m in le.marks]
    assert sorted(m.id for _, m in shown) == sorted(m.id for m in week)
    for le, m in shown:
        assert le.date == m.lesson_date
        assert le.subject.id == m.subject.id
        if m.id in lost_ids:
            assert le.unscheduled
            assert m.lesson_id is None
        else:
            assert m.lesson_id == le.id
    assert any(le.id == str(stripped["id"]) for le, _ in shown)


def test_lesson_numbers_follow_bells_or_order() -> None:
    day = date(2025, 10, 13)
    on_bells = [(day, time(10, 30)), (day, time(8, 30)), (day, time(11, 35))]
    assert lesson_numbers(on_bells) == [3, 1, 4]
    off_bells = [(day, time(9, 0)), (day, time(8, 0))]
    assert lesson_numbers(off_bells) == [2, 1]
    # the 7th and 8th lessons of a long day ring at 14:20 and 15:15: a day that starts with
    # the 2nd lesson keeps its numbers up to the 8th
    late = ["09:25", "10:30", "11:35", "12:30", "13:25", "14:20", "15:15"]
    assert lesson_numbers([(day, time.fromisoformat(t)) for t in late]) == [2, 3, 4, 5, 6, 7, 8]


def test_homework_short() -> None:
    items = parse_homework_short(body("homeworks_short_GET"), student_id=CANONICAL)
    algebra = next(i for i in items if i.homework.text == "№ 245, 247")
    hw = algebra.homework
    assert (hw.id, hw.subject.name, hw.assigned_on, hw.due_on, hw.done) == (
        "9417101",
        "Алгебра",
        MONDAY,
        date(2025, 10, 15),
        False,
    )
    assert algebra.entry_id == "770001000953711"
    bare = parse_homework_short(
        [{"homework_entry_student_id": 7, "date": "2025-10-20", "subject_id": 1}], student_id="1"
    )
    assert bare[0].homework.text == ""
    assert bare[0].homework.done is None


def test_reasons_excused_are_those_parents_may_give() -> None:
    assert parse_reasons(body("nonattendance_reasons_GET")) == {
        1: ("Болезнь", True),
        2: ("Семейные обстоятельства", True),
        6: ("Без причины", False),
    }


# -- progress ----------------------------------------------------------------------------


def _marks(values: list[tuple[str, int]]) -> list[Mark]:
    return [
        parse_mark(
            {
                "id": i,
                "value": v,
                "weight": w,
                "date": f"2025-10-{i + 1:02d}",
                "subject_id": 1,
                "subject_name": "Физика",
            },
            student_id="1",
            tz=MSK,
        )
        for i, (v, w) in enumerate(values)
    ]


def test_weighted_means_per_scale_match_the_protocol_examples() -> None:
    days = DateRange(date(2025, 10, 1), date(2025, 10, 31))
    (low,) = build_progress(
        "1", _marks([("3", 1), ("4", 1), ("4", 1), ("3", 1), ("2", 1)]), {}, days
    )
    assert (low.average_five, low.average_hundred) == (3.2, 62.0)  # not 3.20 × 20
    marks = _marks([("4", 1), ("4", 1), ("4", 1), ("5", 1), ("4", 2), ("5", 1)])
    (high,) = build_progress("1", marks, {}, days)
    assert high.average_five == 4.29  # 30 / 7


def test_provider_averages_are_official_and_never_replace_the_computed_ones() -> None:
    summaries = parse_subject_marks_short(body("subject_marks_short_GET"))
    algebra = summaries["7700100"].official
    assert algebra is not None
    assert (algebra.value, algebra.scale) == (4.0, FIVE_POINT)  # avg_five "4.00"
    assert algebra.period_name == "1 полугодие"
    assert (algebra.starts, algebra.ends) == (date(2025, 9, 1), date(2025, 12, 31))
    period = DateRange(date(2025, 9, 1), date(2025, 10, 18))
    marks = [
        parse_mark(
            {
                "id": i,
                "value": v,
                "weight": w,
                "date": d,
                "subject_id": 7700100,
                "subject_name": "Алгебра",
            },
            student_id=CANONICAL,
            tz=MSK,
        )
        for i, v, w, d in (
            (93973010, "4", 2, "2025-09-23"),
            (94171010, "5", 2, "2025-10-13"),
            (94201010, "4", 1, "2025-10-16"),
            (94201011, "2", 1, "2025-10-16"),
        )
    ]
    doctored = dataclasses.replace(algebra, value=4.44)  # only the provider can say this
    summaries["7700100"] = dataclasses.replace(summaries["7700100"], official=doctored)
    (progress,) = build_progress(CANONICAL, marks, summaries, period)
    assert progress.official_average == doctored
    # the computed figures stay ours: weighted means of these marks
    assert progress.average_five == round((4 * 2 + 5 * 2 + 4 + 2) / 6, 2)
    assert progress.average_hundred == round((80 * 2 + 100 * 2 + 80 + 30) / 6, 2)
    assert progress.count == 4
    # over the canonical week: the same official figure (its period meets the week)
    week_marks = [m for m in marks if m.lesson_date in WEEK]
    (weekly,) = build_progress(CANONICAL, week_marks, summaries, WEEK)
    assert weekly.average_five == 4.0
    assert weekly.average_hundred == 77.5
    assert weekly.official_average == doctored
    # a range outside the provider's period gets no official figure
    spring = DateRange(date(2026, 2, 1), date(2026, 2, 28))
    (later,) = build_progress(CANONICAL, marks, summaries, spring)
    assert later.official_average is None


def test_summary_without_marks_list_and_null_average() -> None:
    document = {
        "payload": [
            {
                "subject_id": 9,
                "average": None,
                "dynamic": "NONE",
                "start": "2025-10-01",
                "end": "2025-10-31",
            },
            {"subject_id": 10, "average": "8.50", "period": "2 четверть"},
            {"subject_id": 11, "avg_hundred": "61.00", "start_iso": "2025-11-01"},
        ]
    }
    summaries = parse_subject_marks_short(document)
    assert summaries["9"].official is None
    ten = summaries["10"].official
    assert ten is not None
    assert (ten.value, ten.scale, ten.period_name) == (
        8.5,
        TEN_POINT,
        "2 четверть",
    )
    assert (ten.starts, ten.ends) == (None, None)
    hundred = summaries["11"].official
    assert hundred is not None
    assert (hundred.value, hundred.scale) == (61.0, HUNDRED_POINT)
    assert hundred.starts == date(2025, 11, 1)
    days = DateRange(date(2025, 10, 1), date(2025, 10, 31))
    marks = [
        parse_mark(
            {"id": 1, "value": "4", "date": "2025-10-02", "subject_id": 9, "subject_name": "Химия"},
            student_id="1",
            tz=MSK,
        )
    ]
    (progress,) = build_progress("1", marks, summaries, days)
    assert progress.average_five == 4.0  # computed
    assert progress.official_average is None  # the provider gave none


# -- changes, staff side -----------------------------------------------------------------


def test_notifications_become_changes_newest_first() -> None:
    changes = parse_notifications(body("notifications_GET"), student_id=CANONICAL, tz=MSK)
    assert len(changes) == 50
    assert changes == sorted(changes, key=lambda c: c.at, reverse=True)
    newest = changes[0]
    assert newest.kind is ChangeKind.HOMEWORK_CREATED
    assert newest.homework_text == "Упр. 112"
    assert newest.at == datetime(2025, 10, 17, 9, 25, tzinfo=MSK)  # "2025-10-17 09:25:00.000"
    (update,) = [c for c in changes if c.kind is ChangeKind.MARK_UPDATED]
    assert (update.mark_value, update.previous_mark_value, update.subject_name) == (
        "4",
        "5",
        "Русский язык",
    )
    assert update.lesson_date == date(2025, 9, 29)
    assert len({c.id for c in changes}) == 50
    unknown = parse_notifications([{"event_type": "something_new"}], student_id="1", tz=MSK)
    assert unknown == []


def test_public_school_directory() -> None:
    schools = parse_schools(body("schools_GET"))
    assert [(s.id, s.name, s.short_name) for s in schools] == [
        ("7700001", "Школа № 37", "ГБОУ Школа № 37"),
        ("7700002", "Школа № 44", "ГБОУ Школа № 44"),
    ]
    assert parse_schools({"payload": [{"id": 1, "short_name": "Лицей"}]})[0].name == "Лицей"


def test_school_info_groups_and_class_list() -> None:
    school, teachers = parse_school_info(body("school_info_GET"))
    assert (school.id, school.name, school.address) == (
        "7700001",
        "Школа № 37",
        "ул. Школьная, д. 37",
    )
    assert len(teachers) == 6
    assert teachers[0].subject_names == ("Алгебра", "Геометрия")
    groups = parse_groups(body("groups_GET"), school_id=None, teacher_id="7701001")
    assert len(groups) == 4
    algebra = next(g for g in groups if g.id == "770001000")
    assert (algebra.subject.name, algebra.class_unit_id, algebra.school_id) == (
        "Алгебра",
        "7700010",
        "7700001",
    )
    assert len(algebra.student_ids) == 25
    assert CANONICAL in algebra.student_ids
    assert algebra.teacher_ids == ("7701001",)
    members = [parse_class_member(m) for m in body("profiles_GET")]
    assert len(members) == 5  # per_page=5
    assert members[0].student.id == CANONICAL
    assert members[0].guid == CANONICAL_GUID
    assert members[0].student.class_name == "9-А"
    bare = parse_class_member({"id": 3}, school_id="9", class_name="5-Б")
    assert (bare.student.school_id, bare.student.class_name, bare.guid) == ("9", "5-Б", None)


def test_teacher_marks_and_schedule_items() -> None:
    groups = parse_groups(body("groups_GET"), school_id=None)
    algebra = next(g for g in groups if g.id == "770001000")
    marks = parse_teacher_marks(body("teacher_marks_GET"), subject=algebra.subject, tz=MSK)
    canonical = sorted(
        (m for m in marks if m.student_id == CANONICAL), key=lambda m: (m.lesson_date, m.value)
    )
    assert [(m.lesson_date.day, m.value) for m in canonical] == [(13, "5"), (16, "2"), (16, "4")]
    assert all(m.subject.name == "Алгебра" and m.lesson_id for m in marks)
    recorded = body("schedule_items_GET")
    lessons, absences = parse_journal_lessons(
        recorded,
        student_ids=algebra.student_ids,
        tz=MSK,
        reasons=parse_reasons(body("nonattendance_reasons_GET")),
    )
    assert len(lessons) == len(recorded)
    monday = next(le for le in lessons if le.date == MONDAY)
    assert (monday.number, monday.topic) == (1, "Квадратные уравнения")
    assert monday.starts_at == datetime(2025, 10, 13, 8, 30, tzinfo=MSK)
    assert len(absences) == sum(len(item["absences"]) for item in recorded)
    assert all(a.reason in ("Болезнь", "Семейные обстоятельства", "Без причины") for a in absences)
    # a server that sends no absences list: no absences, no crash
    bare = [{k: v for k, v in item.items() if k != "absences"} for item in recorded]
    assert parse_journal_lessons(bare, student_ids=algebra.student_ids, tz=MSK)[1] == []


# -- errors on recorded answers ----------------------------------------------------------


def client_replaying(name: str, seen: list[httpx.Request] | None = None) -> MoscowClient:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return replay(name, request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return MoscowClient(http, MoscowConfig(base_url="http://mes.test"), provider="moscow")


CREDS = Credentials(token="t0ken", profile_id="7709000", role="parent")


async def test_expired_token_answer() -> None:
    client = client_replaying("marks_GET_401")
    with pytest.raises(AuthenticationError) as info:
        await client.marks(CREDS, CANONICAL, MONDAY, MONDAY)
    assert "Предыдущая сессия работы в ЭЖД завершена" in str(info.value)
    assert info.value.provider == "moscow"


async def test_rate_limit_carries_retry_after() -> None:
    with pytest.raises(ProviderUnavailableError) as info:
        await client_replaying("marks_GET_429").marks(CREDS, CANONICAL, MONDAY, MONDAY)
    assert info.value.retry_after == 2.0


async def test_json_403_is_access_denied_but_html_403_is_the_gateway() -> None:
    with pytest.raises(AccessDeniedError):
        await client_replaying("marks_GET_403").marks(CREDS, "770001002", MONDAY, MONDAY)
    with pytest.raises(ProviderUnavailableError) as info:
        await client_replaying("events_GET_403").events(CREDS, CANONICAL_GUID, MONDAY, MONDAY)
    assert "not JSON" in str(info.value)


async def test_server_errors_and_non_json_bodies() -> None:
    with pytest.raises(ProviderUnavailableError):
        await client_replaying("marks_GET_500").marks(CREDS, CANONICAL, MONDAY, MONDAY)

    def bad_gateway(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>", request=request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(bad_gateway))
    client = MoscowClient(http, MoscowConfig(base_url="http://mes.test"), provider="moscow")
    with pytest.raises(ProviderUnavailableError):
        await client.marks(CREDS, CANONICAL, MONDAY, MONDAY)


async def test_truncated_json_is_a_response_error() -> None:
    raw = json.dumps(body("marks_GET"), ensure_ascii=False).encode()

    def truncated(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=raw[: len(raw) // 2], request=request)

    http = httpx.AsyncClient(transport=httpx.MockTransport(truncated))
    client = MoscowClient(http, MoscowConfig(base_url="http://mes.test"), provider="moscow")
    with pytest.raises(ProviderResponseError), map_httpx_errors("moscow"):
        await client.marks(CREDS, CANONICAL, MONDAY, MONDAY)


async def test_client_sends_the_protocol_headers() -> None:
    seen: list[httpx.Request] = []
    await client_replaying("marks_GET", seen).marks(CREDS, CANONICAL, MONDAY, WEEK.end)
    await client_replaying("events_GET", seen).events(CREDS, CANONICAL_GUID, MONDAY, WEEK.end)
    marks, events = seen
    assert marks.headers["Auth-Token"] == "t0ken"
    assert marks.headers["X-Mes-Subsystem"] == "familymp"
    assert marks.headers["client-type"] == "diary-mobile"
    assert marks.headers["Profile-Id"] == "7709000"
    assert dict(marks.url.params) == {
        "student_id": CANONICAL,
        "from": "2025-10-13",
        "to": "2025-10-19",
    }
    assert events.headers["X-Mes-Role"] == "parent"
    assert events.url.params["person_ids"] == CANONICAL_GUID
    assert events.url.params["expand"] == "marks,homework,absence_reason_id"
    assert "Profile-Id" not in events.headers
