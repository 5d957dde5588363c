"""Pure parsing of ЭлЖур's native JSON (hand-written payloads, no provider)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters import (
    NO_GRADE,
    PASS_FAIL,
    TEN_POINT,
    Absence,
    ChangeKind,
    Grade,
    Mark,
    Role,
    RoleGrant,
    Subject,
)
from adapters.eljur import parsing

MSK = ZoneInfo("Europe/Moscow")


# -- the conversion table --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "five", "hundred", "normalized"),
    [
        ("10", 5.0, 100.0, 1.0),
        ("9", 5.0, 90.0, 0.9),
        ("8", 4.0, 80.0, 0.8),
        ("7", 4.0, 70.0, 0.7),
        ("6", 3.0, 60.0, 0.6),
        ("5", 3.0, 50.0, 0.5),
        ("4", 2.0, 30.0, 0.3),  # a «2»: 30 on the hundred scale, as everywhere
        ("3", 2.0, 20.0, 0.2),
        ("2", 1.0, 10.0, 0.1),
        ("1", 1.0, 0.0, 0.0),
    ],
)
def test_ten_point_table(value: str, five: float, hundred: float, normalized: float) -> None:
    scale, grade, norm = parsing.parse_grade(value)
    assert scale == TEN_POINT
    assert grade == Grade(five=five, ten=float(value), hundred=hundred)
    assert norm == normalized


@pytest.mark.parametrize("value", ["зч", "ЗЧ", "зачёт", "нзч"])
def test_pass_marks_have_no_numeric_meaning(value: str) -> None:
    assert parsing.parse_grade(value) == (PASS_FAIL, NO_GRADE, None)


def test_double_mark_counts_as_its_mean() -> None:
    scale, grade, norm = parsing.parse_grade("3/5")
    assert scale == TEN_POINT
    assert grade == Grade(five=2.0, ten=4.0, hundred=30.0)
    assert norm == 0.3


def test_fractional_values_interpolate_the_hundred_column() -> None:
    _, grade, _ = parsing.parse_grade("4/5")  # 4.5: halfway between 30 and 50
    assert grade == Grade(five=3.0, ten=4.5, hundred=40.0)


@pytest.mark.parametrize("value", ["abc", "11", "0", ""])
def test_unreadable_values_keep_no_grade(value: str) -> None:
    assert parsing.parse_grade(value) == (TEN_POINT, NO_GRADE, None)


# -- envelope and formats --------------------------------------------------------------


def test_envelope_ok_and_error() -> None:
    ok = {"response": {"state": 200, "error": None, "result": {"x": 1}}}
    assert parsing.parse_envelope(ok) == (200, None, {"x": 1})
    bad = {"response": {"state": 403, "error": "Неверный логин или пароль", "result": {}}}
    assert parsing.parse_envelope(bad) == (403, "Неверный логин или пароль", {})


def test_envelope_without_response_is_a_shape_error() -> None:
    with pytest.raises(KeyError):
        parsing.parse_envelope({"state": 200})


def test_day_keys_and_local_times() -> None:
    assert parsing.parse_day_key("20251016") == date(2025, 10, 16)
    starts = parsing.parse_local_time(date(2025, 10, 16), "08:30:00", MSK)
    assert starts == datetime(2025, 10, 16, 5, 30, tzinfo=ZoneInfo("UTC"))
    assert starts.utcoffset() == timedelta(hours=3)
    created = parsing.parse_datetime("2025-10-16 13:41:00", MSK)
    assert (created.hour, created.minute, created.utcoffset()) == (13, 41, timedelta(hours=3))


@pytest.mark.parametrize(
    ("name", "last", "first", "middle"),
    [
        ("Петров Пётр Петрович", "Петров", "Пётр", "Петрович"),
        ("Петров П.П.", "Петров", "П.", "П."),
        ("Петров", "Петров", "", None),
    ],
)
def test_teacher_names(name: str, last: str, first: str, middle: str | None) -> None:
    teacher = parsing.parse_teacher(name, "42")
    assert teacher is not None
    assert teacher.id == "42"
    assert (teacher.person.last_name, teacher.person.first_name) == (last, first)
    assert teacher.person.middle_name == middle


def test_empty_teacher_is_none() -> None:
    assert parsing.parse_teacher("", None) is None
    assert parsing.parse_teacher(None) is None


# -- the diary -------------------------------------------------------------------------


def _item(num: str, name: str, **extra: Any) -> dict[str, Any]:
    starts = {"1": "08:30:00", "2": "09:25:00", "3": "10:30:00"}[num]
    ends = {"1": "09:15:00", "2": "10:10:00", "3": "11:15:00"}[num]
    return {
        "num": num,
        "name": name,
        "subject_id": f"s-{name}",
        "room": "201",
        "teacher": "Петров Пётр Петрович",
        "teacher_id": "77",
        "topic": "Тема",
        "sort": int(num) * 100,
        "lesson_id": f"L{num}",
        "starttime": starts,
        "endtime": ends,
        "homework": [],
        "files": [],
        **extra,
    }


DIARY: dict[str, Any] = {
    "students": {
        "12345": {
            "name": "12345",
            "title": "Тестов Иван",
            "days": {
                # out of order on purpose: the parser sorts
                "20251017": {
                    "name": "20251017",
                    "title": "Пятница",
                    "items": {"1": _item("1", "История", room="", is_distant=True)},
                },
                "20251016": {
                    "name": "20251016",
                    "title": "Четверг",
                    "items": {
                        "2": _item(
                            "2",
                            "Физика",
                            assessments=[
                                {
                                    "value": "Н",
                                    "comment": "Болезнь",
                                    "convert": 0,
                                    "count": False,
                                    "countas": 0,
                                    "date": "2025-10-16",
                                    "nm": "1",
                                    "lesson_id": "L2",
                                }
                            ],
                        ),
                        "1": _item(
                            "1",
                            "Алгебра",
                            homework={
                                "9001": {
                                    "id": 9001,
                                    "value": "№ 12-15",
                                    "individual": False,
                                    "deadline": "2025-10-18",
                                }
                            },
                            files=[
                                {
                                    "filename": "plan.pdf",
                                    "link": "https://x/plan.pdf",
                                    "toid": 9001,
                                },
                                {"filename": "other.pdf", "link": "https://x/o.pdf", "toid": 1},
                            ],
                            assessments=[
                                {
                                    "id": "m1",
                                    "value": "9",
                                    "weight": 2,
                                    "weight_float": 2.0,
                                    "convert": 9,
                                    "count": True,
                                    "countas": "9",
                                    "date": "2025-10-16",
                                    "comment": "",
                                    "nm": "1",
                                    "lesson_id": "L1",
                                    "control_type": "Контрольная работа",
                                    "control_type_short": "КР",
                                    "created": "2025-10-16 13:41:00",
                                },
                                {
                                    "value": "оп",
                                    "comment": "",
                                    "convert": 0,
                                    "count": False,
                                    "countas": 0,
                                    "date": "2025-10-16",
                                    "nm": "2",
                                    "lesson_id": "L1",
                                },
                                {
                                    "value": "зч",
                                    "weight": 1,
                                    "convert": 0,
                                    "count": False,
                                    "countas": "0",
                                    "date": "2025-10-16",
                                    "comment": "Молодец",
                                    "nm": "3",
                                    "lesson_id": "L1",
                                    "control_type": "Ответ на уроке",
                                },
                            ],
                        ),
                        "3": _item("3", "Химия", is_cancelled=True, is_replaced=True),
                    },
                },
                "20251018": {"name": "20251018", "title": "Суббота", "items": []},
            },
        }
    }
}


def test_diary_lessons_sorted_with_times_in_the_region_zone() -> None:
    lessons = parsing.parse_diary(DIARY, "12345", MSK)
    assert [(le.date.day, le.number, le.subject.name) for le in lessons] == [
        (16, 1, "Алгебра"),
        (16, 2, "Физика"),
        (16, 3, "Химия"),
        (17, 1, "История"),
    ]
    first = lessons[0]
    assert first.id == "L1"
    assert first.starts_at == datetime(2025, 10, 16, 8, 30, tzinfo=MSK)
    assert first.ends_at.time() == time(9, 15)
    assert first.starts_at.tzinfo is MSK
    assert first.teacher is not None
    assert first.teacher.person.full_name == "Петров Пётр Петрович"
    assert first.subject == Subject("s-Алгебра", "Алгебра")


def test_diary_marks_skip_lates_and_keep_pass_marks() -> None:
    algebra = parsing.parse_diary(DIARY, "12345", MSK)[0]
    assert [m.value for m in algebra.marks] == ["9", "зч"]
    nine, passed = algebra.marks
    assert nine.id == "m1"
    assert nine.grade == Grade(5.0, 9.0, 90.0)
    assert nine.weight == 2.0
    assert nine.control_form == "Контрольная работа"
    assert nine.comment is None  # "" means no comment
    assert nine.created_at == datetime(2025, 10, 16, 13, 41, tzinfo=MSK)
    assert nine.lesson_id == "L1"
    assert passed.scale == PASS_FAIL
    assert passed.normalized is None
    assert passed.comment == "Молодец"
    assert passed.id == "L1:12345:3"  # derived from lesson, student and nm
    assert algebra.absence is None  # «оп» is a late arrival, not an absence


def test_diary_absence_homework_and_flags() -> None:
    algebra, physics, chemistry, history = parsing.parse_diary(DIARY, "12345", MSK)
    assert physics.absence == Absence(
        student_id="12345",
        date=date(2025, 10, 16),
        reason="Болезнь",
        excused=True,
        lesson_id="L2",
    )
    (homework,) = algebra.homework
    assert homework.id == "9001"
    assert homework.text == "№ 12-15"
    assert homework.due_on == date(2025, 10, 18)
    assert homework.assigned_on == date(2025, 10, 16)
    assert homework.done is None
    assert [a.name for a in homework.attachments] == ["plan.pdf"]
    assert (chemistry.cancelled, chemistry.replaced, chemistry.remote) == (True, True, False)
    assert history.remote
    assert history.room is None


def test_homework_without_deadline_is_due_on_its_lesson() -> None:
    payload = {
        "students": {
            "1": {
                "days": {
                    "20251016": {
                        "items": [
                            _item(
                                "1",
                                "Алгебра",
                                homework={"5": {"id": 5, "value": "§1", "individual": False}},
                            )
                        ]
                    }
                }
            }
        }
    }
    (lesson,) = parsing.parse_diary(payload, "1", MSK)
    assert lesson.homework[0].due_on == date(2025, 10, 16)
    assert lesson.homework[0].assigned_on is None


def test_unexcused_absence_value() -> None:
    parsed = parsing.parse_assessment(
        {"value": "н", "comment": "Без причины", "date": "2025-10-17", "lesson_id": "L9"},
        student_id="1",
        subject=Subject("h", "История"),
        lesson_date=date(2025, 10, 17),
        lesson_id="L9",
        tz=MSK,
    )
    assert parsed == Absence("1", date(2025, 10, 17), "Без причины", False, "L9")


def test_missing_student_gives_empty_diary() -> None:
    assert parsing.parse_diary({"students": []}, "1", MSK) == []


def test_lesson_without_rings_is_a_shape_error() -> None:
    item = _item("1", "Алгебра")
    del item["starttime"]
    payload = {"students": {"1": {"days": {"20251016": {"items": {"1": item}}}}}}
    with pytest.raises(KeyError):
        parsing.parse_diary(payload, "1", MSK)


# -- getmarks --------------------------------------------------------------------------


def test_getmarks_subjects_and_mtype() -> None:
    payload = {
        "students": {
            "7": {
                "name": "7",
                "title": "Т",
                "lessons": [
                    {
                        "name": "Физика",
                        "lesson_id": "300",
                        "average": "7.00",
                        "averageConvert": 7,
                        "marks": [
                            {
                                "id": "a",
                                "value": "7",
                                "weight": 1,
                                "date": "2025-10-02",
                                "lesson_id": "L5",
                                "comment": "",
                                "mtype": {"id": 2, "short": "СР", "type": "Самостоятельная работа"},
                            },
                            {"value": "н", "date": "2025-10-01", "comment": "Болезнь"},
                        ],
                    }
                ],
            }
        }
    }
    (mark,) = parsing.parse_marks(payload, "7", MSK)
    assert isinstance(mark, Mark)
    assert mark.subject == Subject("300", "Физика")
    assert mark.lesson_date == date(2025, 10, 2)
    assert mark.control_form == "Самостоятельная работа"
    assert mark.grade.five == 4.0
    assert mark.lesson_id == "L5"
    assert mark.weight == 1.0


# -- rules and profile -----------------------------------------------------------------


def _rules_teacher() -> dict[str, Any]:
    return {
        "id": 501,
        "name": "501",
        "lastname": "Новикова",
        "firstname": "Анна",
        "middlename": "Игоревна",
        "roles": ["teacher", "hometeacher"],
        "vendor": "school1",
        "vendor_id": 10,
        "relations": {
            "students": [],
            "groups": {
                "9-А": {
                    "name": "9-А",
                    "id": "900",
                    "rel": "hometeacher",
                    "vendor_id": 10,
                    "subjects": [
                        {
                            "id": "g1",
                            "name": "Физика",
                            "subject_id": "300",
                            "teacher_id": "501",
                            "students": ["1", "2"],
                        }
                    ],
                },
                "5-Б": {
                    "name": "5-Б",
                    "id": "500",
                    "rel": "teacher",
                    "subjects": [
                        {
                            "id": "g2",
                            "name": "История",
                            "subject_id": "301",
                            "teacher_id": "501",
                            "students": ["3"],
                        }
                    ],
                },
            },
            "schools": [],
        },
    }


def test_teacher_rules_and_profile() -> None:
    rules = parsing.parse_rules(_rules_teacher())
    assert rules.user_id == "501"
    assert rules.school_id == "10"
    assert rules.led_class_ids == ("900",)
    assert rules.student_ids == frozenset({"1", "2", "3"})
    profile = parsing.parse_profile([rules], {})
    assert profile.person.full_name == "Новикова Анна Игоревна"
    assert profile.roles == (
        RoleGrant(Role.TEACHER, school_id="10", group_ids=("g1", "g2")),
        RoleGrant(Role.CLASS_TEACHER, school_id="10", class_unit_ids=("900",)),
    )
    physics = next(g for g in profile.groups if g.id == "g1")
    assert physics.subject == Subject("300", "Физика")
    assert physics.class_unit_id == "900"
    assert physics.school_id == "10"
    assert physics.teacher_ids == ("501",)
    assert physics.student_ids == ("1", "2")
    history = next(g for g in profile.groups if g.id == "g2")
    assert history.school_id == "10"  # falls back to the rules' vendor_id


def test_parent_rules_and_children() -> None:
    payload = {
        "name": "900",
        "lastname": "Орлова",
        "firstname": "Алиса",
        "roles": ["parent"],
        "vendor_id": 10,
        "relations": {
            "students": {
                "1": {"name": "1", "rel": "child"},
                "2": {"name": "2", "rel": "relative"},
            },
            "groups": [],
        },
    }
    rules = parsing.parse_rules(payload)
    assert rules.children == (("1", True), ("2", False))
    card = {
        "name": "1",
        "lastname": "Соколова",
        "firstname": "Мария",
        "middlename": "Андреевна",
        "class": "9-А",
        "class_id": "900",
        "vendor_id": 10,
        "birthday": "2010-09-14",
        "groups": [{"id": "g1"}, "g2"],
        "parents": [
            {"rel": "parent", "phone": "+7 900 000-00-00", "email": "p@example.test"},
            {"rel": "relative", "phone": "+7 911 111-11-11", "email": ""},
        ],
    }
    child = parsing.parse_student(card)
    assert child.group_ids == ("g1", "g2")
    assert child.birth_date == date(2010, 9, 14)
    assert child.parent_contacts == ("+7 900 000-00-00", "p@example.test")
    profile = parsing.parse_profile([rules], {"1": child})
    assert profile.roles == (RoleGrant(Role.PARENT),)
    assert [(c.student.id, c.is_legal_representative) for c in profile.children] == [("1", True)]


def test_profile_needs_rules() -> None:
    with pytest.raises(ValueError):
        parsing.parse_profile([], {})


# -- feed, directory, sign-in ----------------------------------------------------------


def test_updates_kinds_and_order() -> None:
    payload = {
        "updates": [
            {
                "id": "h1",
                "type": "homework",
                "action": "new",
                "date": "2025-10-14 09:15:00",
                "lesson": "Литература",
                "lesson_date": "2025-10-14",
                "text": "Читать",
            },
            {
                "id": "m2",
                "type": "mark",
                "action": "edit",
                "date": "2025-10-15 10:00:00",
                "lesson": "Алгебра",
                "value": "9",
                "old_value": "7",
            },
            {"id": "x", "type": "message", "action": "new", "date": "2025-10-16 10:00:00"},
        ],
        "has_more": True,
    }
    changes, more = parsing.parse_updates(payload, "5", MSK)
    assert more is True
    assert [(c.id, c.kind) for c in changes] == [
        ("m2", ChangeKind.MARK_UPDATED),
        ("h1", ChangeKind.HOMEWORK_CREATED),
    ]
    assert changes[0].previous_mark_value == "7"
    assert changes[0].student_id == "5"
    assert changes[1].homework_text == "Читать"
    assert changes[1].at == datetime(2025, 10, 14, 9, 15, tzinfo=MSK)


def test_bells_schools_vendors_auth() -> None:
    bells = parsing.parse_bells(
        {
            "rings": [
                {"num": "2", "starttime": "09:25:00", "endtime": "10:10:00"},
                {"num": "1", "starttime": "08:30:00", "endtime": "09:15:00"},
            ]
        },
        "10",
    )
    assert [(b.number, b.starts) for b in bells.bells] == [(1, time(8, 30)), (2, time(9, 25))]
    (school,) = parsing.parse_schools(
        {"schools": [{"vendor_id": 10, "title": "Школа № 1", "title_full": "МБОУ СОШ № 1"}]}
    )
    assert (school.id, school.name, school.short_name, school.address) == (
        "10",
        "Школа № 1",
        "МБОУ СОШ № 1",
        None,
    )
    (vendor,) = parsing.parse_vendors(
        {"vendors": [{"vendor": "school1", "vendor_id": "10", "token": "t", "expires": "x"}]}
    )
    assert (vendor.vendor, vendor.vendor_id, vendor.token) == ("school1", "10", "t")
    assert parsing.parse_auth({"token": "abc", "expires": "2026-01-14 03:00:00"}) == (
        "abc",
        "2026-01-14 03:00:00",
    )
