"""The pure «Сетевой город» parsers, on recorded canonical-week payloads and hand-made edge cases.

The fixtures were recorded from the in-memory provider for 13–19 October 2025 (the
canonical student of region 74). The expectations below are written out by hand.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters import (
    FIVE_POINT,
    NO_GRADE,
    PASS_FAIL,
    Change,
    ChangeKind,
    Grade,
    Lesson,
    Role,
    Subject,
)
from adapters.netcity import parsing

FIXTURES = Path(__file__).parent / "fixtures"
TZ = ZoneInfo("Asia/Yekaterinburg")
STUDENT = "740001001"
BASE = "https://sgo.edu-74.ru"
MONDAY = date(2025, 10, 13)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def types() -> parsing.AssignmentTypes:
    return parsing.parse_assignment_types(load("assignment_types_GET.json"))


@pytest.fixture
def week(types: parsing.AssignmentTypes) -> list[Lesson]:
    return parsing.parse_diary(
        load("student_diary_GET.json"), student_id=STUDENT, types=types, tz=TZ, base_url=BASE
    )


def lesson(lessons: list[Lesson], weekday: int, number: int) -> Lesson:
    (found,) = [
        le for le in lessons if le.date == MONDAY + timedelta(days=weekday) and le.number == number
    ]
    return found


def test_assignment_types_find_homework_by_name(types: parsing.AssignmentTypes) -> None:
    assert types.homework == frozenset({3})
    assert types.names[4] == "Контрольная работа"
    assert types.names[1] == "Ответ на уроке"


def test_week_lessons_sorted_with_local_times(week: list[Lesson]) -> None:
    per_day = [sum(1 for le in week if le.date == MONDAY + timedelta(days=d)) for d in range(5)]
    assert per_day == [4, 3, 3, 2, 3]
    assert week == sorted(week, key=lambda le: (le.date, le.number))
    algebra = lesson(week, 0, 1)
    assert algebra.id == "74000100095371"
    assert algebra.subject == Subject(id="7400100", name="Алгебра")
    assert algebra.starts_at == datetime(2025, 10, 13, 8, 30, tzinfo=TZ)
    assert algebra.starts_at.utcoffset() == timedelta(hours=5)
    assert algebra.ends_at == datetime(2025, 10, 13, 9, 15, tzinfo=TZ)
    assert algebra.topic == "Квадратные уравнения"
    assert algebra.room == "109"
    assert algebra.group_id == "740001000"
    assert algebra.teacher is not None
    assert algebra.teacher.id == "7401001"
    assert algebra.teacher.person.full_name == "Макарова Полина Викторовна"


def test_monday_algebra_test_mark(week: list[Lesson]) -> None:
    (mark,) = lesson(week, 0, 1).marks
    assert mark.id == "74000100095371000:740001001"
    assert mark.student_id == STUDENT
    assert mark.value == "5"
    assert mark.scale == FIVE_POINT
    assert mark.grade == Grade(five=5.0, ten=10.0, hundred=100.0)
    assert mark.normalized == 1.0
    assert mark.weight == 2.0
    assert mark.control_form == "Контрольная работа"
    assert mark.comment == "Отличная работа"
    assert mark.lesson_date == MONDAY
    assert mark.lesson_id == "74000100095371"
    assert mark.created_at == datetime(2025, 10, 13, 11, 30, tzinfo=TZ)
    assert mark.is_exam is False


def test_pass_mark_has_no_numeric_meaning(week: list[Lesson]) -> None:
    (mark,) = lesson(week, 0, 4).marks
    assert mark.subject.name == "Физическая культура"
    assert mark.value == "зачёт"
    assert mark.scale == PASS_FAIL
    assert mark.grade == NO_GRADE
    assert mark.normalized is None
    assert mark.weight == 1.0


def test_thursday_two_is_thirty_on_the_hundred_scale(week: list[Lesson]) -> None:
    four, two = sorted(lesson(week, 3, 1).marks, key=lambda m: m.value, reverse=True)
    assert (four.value, four.grade, four.normalized) == ("4", Grade(4.0, 8.0, 80.0), 0.8)
    assert (two.value, two.grade, two.normalized) == ("2", Grade(2.0, 4.0, 30.0), 0.3)
    assert two.control_form == "Самостоятельная работа"
    assert four.control_form == "Ответ на уроке"


def test_cancelled_remote_and_replaced_lessons(week: list[Lesson]) -> None:
    history = lesson(week, 0, 3)
    assert history.cancelled
    assert not history.replaced
    assert not history.remote
    english = lesson(week, 2, 2)
    assert english.remote
    assert english.room is None
    assert not english.cancelled
    chemistry = lesson(week, 2, 3)
    assert chemistry.replaced
    assert not chemistry.cancelled
    # the substitute, not the group's own chemistry teacher (7401004)
    assert chemistry.teacher is not None
    assert chemistry.teacher.id == "7401005"
    assert chemistry.teacher.person.last_name == "Николаева"
    flagged = {(le.date.weekday(), le.number) for le in week if le.cancelled or le.replaced}
    assert flagged == {(0, 3), (2, 3)}


def test_homework_with_attachment_url_and_done_state(week: list[Lesson]) -> None:
    (algebra,) = lesson(week, 0, 1).homework
    assert algebra.id == "740001000953711"
    assert algebra.text == "№ 245, 247"
    assert algebra.due_on == date(2025, 10, 15)
    assert algebra.assigned_on == MONDAY
    assert algebra.done is False
    assert algebra.attachments == ()
    (reading,) = lesson(week, 1, 1).homework
    (plan,) = reading.attachments
    assert plan.name == "plan.pdf"
    assert plan.url == "https://sgo.edu-74.ru/webapi/attachments/7400010009538111"
    assert sum(len(le.homework) for le in week) == 3
    # homework is not a mark
    assert [m.value for m in lesson(week, 1, 1).marks] == ["4"]


def test_absences_from_attendance_codes(week: list[Lesson]) -> None:
    ill = lesson(week, 1, 2).absence
    assert ill is not None
    assert (ill.reason, ill.excused, ill.date, ill.lesson_id) == (
        "Болезнь",
        True,
        date(2025, 10, 14),
        "74000100095382",
    )
    truant = lesson(week, 4, 2).absence
    assert truant is not None
    assert (truant.reason, truant.excused) == ("Без причины", False)
    assert sum(1 for le in week if le.absence) == 2


def _assignment(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 10,
        "typeId": 1,
        "assignmentName": "Тема",
        "dueDate": "2025-10-13T00:00:00",
        "classMeetingId": 7,
        "weight": 3,
        "mark": {"assignmentId": 10, "studentId": 5, "mark": 1, "dutyMark": False},
        "markComment": None,
    }
    base.update(overrides)
    return base


def test_edge_marks(types: parsing.AssignmentTypes) -> None:
    subject = Subject("1", "Алгебра")

    def parse(assignment: dict[str, Any]) -> Any:
        return parsing.parse_mark(
            assignment, subject=subject, lesson_date=MONDAY, types=types, tz=TZ
        )

    one = parse(_assignment())
    assert (one.grade, one.normalized, one.weight, one.created_at) == (
        Grade(1.0, 2.0, 10.0),
        0.1,
        3.0,
        None,
    )
    assert parse(_assignment(weight=None)).weight == 1.0
    assert parse(_assignment(mark=None)) is None
    dot = {"assignmentId": 10, "studentId": 5, "mark": None, "dutyMark": True}
    assert parse(_assignment(mark=dot)) is None
    fail = {"assignmentId": 10, "studentId": 5, "mark": None, "markText": "незачёт"}
    assert parse(_assignment(mark=fail)).value == "незачёт"
    with pytest.raises(ValueError, match="off the five-point scale"):
        parse(_assignment(mark={"assignmentId": 10, "studentId": 5, "mark": 6}))


def test_unknown_attendance_code_keeps_the_code(types: parsing.AssignmentTypes) -> None:
    native = load("student_diary_GET.json")["weekDays"][0]["lessons"][1]
    parsed = parsing.parse_lesson(
        {**native, "attendance": "ОП"}, student_id=STUDENT, types=types, tz=TZ
    )
    assert parsed.absence is not None
    assert (parsed.absence.reason, parsed.absence.excused) == ("ОП", None)


def _changes(types: parsing.AssignmentTypes, since: datetime, *, until: datetime) -> list[Change]:
    return parsing.parse_changes(
        load("student_diary_GET.json"),
        student_id=STUDENT,
        types=types,
        tz=TZ,
        since=since,
        until=until,
    )


def test_changes_after_since_newest_first(types: parsing.AssignmentTypes) -> None:
    since = datetime(2025, 10, 14, 10, 0, tzinfo=TZ)
    changes = _changes(types, since, until=datetime(2025, 10, 18, 12, 0, tzinfo=TZ))
    summary = [(c.kind, c.at, c.subject_name, c.mark_value or c.homework_text) for c in changes]
    assert summary == [
        (ChangeKind.HOMEWORK_CREATED, datetime(2025, 10, 17, 9, 15, tzinfo=TZ), "Русский язык",
         "Упр. 112"),
        # two marks at the same minute: the later assignment id first
        (ChangeKind.MARK_CREATED, datetime(2025, 10, 16, 11, 59, tzinfo=TZ), "Алгебра", "2"),
        (ChangeKind.MARK_CREATED, datetime(2025, 10, 16, 11, 59, tzinfo=TZ), "Алгебра", "4"),
        (ChangeKind.MARK_CREATED, datetime(2025, 10, 15, 9, 47, tzinfo=TZ), "Геометрия", "3"),
        (ChangeKind.MARK_CREATED, datetime(2025, 10, 14, 12, 58, tzinfo=TZ), "Литература", "4"),
    ]  # fmt: skip
    assert changes[0].id == "homework:740001000954111"
    assert len({c.id for c in changes}) == len(changes)


def test_changes_never_report_what_has_not_happened_yet(types: parsing.AssignmentTypes) -> None:
    """Homework set for a lesson later today is in the diary, not yet in the news."""
    since = datetime(2025, 10, 14, 10, 0, tzinfo=TZ)
    until = datetime(2025, 10, 16, 12, 0, tzinfo=TZ)
    changes = _changes(types, since, until=until)
    assert changes
    assert all(since < c.at <= until for c in changes)
    assert "homework:740001000954111" not in {c.id for c in changes}  # set on Friday 17th


def test_student_card_keeps_only_legal_representatives_contacts() -> None:
    (card,) = load("student_cards_GET.json")["students"]
    student = parsing.parse_student(card)
    assert student.id == STUDENT
    assert student.person.full_name == "Соколова Мария Андреевна"
    assert (student.school_id, student.class_unit_id, student.class_name) == (
        "7400001",
        "7400010",
        "9-А",
    )
    assert student.birth_date == date(2010, 8, 2)
    assert len(student.group_ids) == 12
    assert "740001000" in student.group_ids
    assert student.parent_contacts == ("+7 970 189-30-35", "parent@example.test")


def test_parent_profile() -> None:
    profile = parsing.parse_profile(
        load("context_parent_GET.json"), cards=load("student_cards_GET.json")["students"], groups=[]
    )
    assert profile.person.full_name == "Орлова Алиса Сергеевна"
    assert profile.person.id == "7490001"
    assert [(g.role, g.school_id) for g in profile.roles] == [(Role.PARENT, None)]
    (child,) = profile.children
    assert child.student.id == STUDENT
    assert child.is_legal_representative is True
    # the same card read by the other parent (userId 7490002) is not legal representation
    other = {**load("context_parent_GET.json"), "userId": 7490002}
    (same,) = parsing.parse_profile(
        other, cards=load("student_cards_GET.json")["students"], groups=[]
    ).children
    assert same.is_legal_representative is False


def test_class_teacher_profile_teaches_too() -> None:
    profile = parsing.parse_profile(
        load("context_class_teacher_GET.json"),
        cards=[],
        groups=load("teacher_groups_GET.json"),
    )
    teacher, lead = profile.roles
    assert teacher.role is Role.TEACHER
    assert teacher.school_id == "7400001"
    assert teacher.group_ids == ("740001004", "740001005", "740001104", "740001105")
    assert lead.role is Role.CLASS_TEACHER
    assert lead.class_unit_ids == ("7400010",)
    history = profile.groups[0]
    assert (history.name, history.subject.name, history.class_unit_id) == (
        "История",
        "История",
        "7400010",
    )
    assert history.teacher_ids == ("7401003",)
    assert len(history.student_ids) == 25
    assert STUDENT in history.student_ids


def test_journal_grid(types: parsing.AssignmentTypes) -> None:
    journal = parsing.parse_journal(load("journal_GET.json"), types=types, tz=TZ)
    assert journal.group.id == "740001000"
    assert journal.group.subject.name == "Алгебра"
    assert len(journal.students) == 25
    assert journal.students[0].parent_contacts == ()
    assert [(le.date, le.number, le.topic) for le in journal.lessons] == [
        (date(2025, 10, 13), 1, "Квадратные уравнения"),
        (date(2025, 10, 14), 3, "Теорема Виета"),
        (date(2025, 10, 16), 1, "Решение задач"),
    ]
    assert journal.lessons[1].starts_at == datetime(2025, 10, 14, 10, 30, tzinfo=TZ)
    assert len(journal.marks) == 15
    mine = sorted(m.value for m in journal.marks if m.student_id == STUDENT)
    assert mine == ["2", "4", "5"]
    assert all(m.subject.name == "Алгебра" for m in journal.marks)
    assert {(a.student_id, a.reason, a.date) for a in journal.absences} == {
        ("740001021", "Без причины", date(2025, 10, 14)),
        ("740001025", "Болезнь", date(2025, 10, 14)),
        ("740001009", "Болезнь", date(2025, 10, 16)),
    }


def test_bells_schools_and_small_payloads() -> None:
    bells = parsing.parse_bells(load("bell_schedule_GET.json"))
    assert bells.school_id == "7400001"
    assert [b.number for b in bells.bells] == [1, 2, 3, 4, 5, 6]
    assert (bells.bells[0].starts, bells.bells[0].ends) == (time(8, 30), time(9, 15))
    first, second = parsing.parse_schools(load("login_form_schools_GET.json"))
    assert (first.id, first.name, first.short_name, first.address) == (
        "7400001",
        "Школа № 34",
        "ГБОУ Школа № 34",
        "ул. Школьная, д. 34",
    )
    assert second.id == "7400002"
    assert parsing.parse_error_message('{"message": "Доступ запрещён"}') == "Доступ запрещён"
    assert parsing.parse_error_message("<html>") == ""
    assert parsing.parse_error_message('["x"]') == ""
    assert parsing.parse_token({"at": "abc", "timeOut": 1}) == "abc"
    with pytest.raises(ValueError):
        parsing.parse_token({"at": ""})
    assert parsing.parse_current_student({"currentStudentId": 42}) == "42"
    assert parsing.parse_current_student({"students": [], "currentStudentId": None}) is None


def test_local_datetimes() -> None:
    assert parsing.parse_day("2025-10-13T00:00:00") == MONDAY
    naive = parsing.parse_local_datetime("2025-10-13T11:30:00", TZ)
    assert naive == datetime(2025, 10, 13, 6, 30, tzinfo=UTC)
    aware = parsing.parse_local_datetime("2025-10-13T06:30:00+00:00", TZ)
    assert aware.tzinfo == TZ
    assert aware.hour == 11
