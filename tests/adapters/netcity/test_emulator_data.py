"""The «Сетевой город» emulator's data: native shapes, sign-in and access rules.

(Over HTTP, with the login form and faults: ``test_emulator.py``.)
"""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime
from typing import Any

import pytest

from diary_gateway_demo.netcity.data import NetCityData, NetCityError
from diary_gateway_demo.seed import World, national_id
from tests.clock import pinned

TODAY = date(2025, 10, 18)
CANONICAL = 740001001
CLASSMATE = 740001002  # the "student" persona, same class
OTHER_SCHOOL_STUDENT = 740002001  # 10-А of the lyceum
# group id = class id × 100 + the subject's position in SUBJECTS
ALGEBRA_9A = 740001004  # taught by the "teacher" persona
GEOMETRY_9A = 740001005  # the "teacher" persona's too
STATISTICS_9A = 740001006  # and this one
HISTORY_9A = 740001008  # not taught by the "teacher" persona
MATHS_5B = 740001103  # 5-Б has Математика, no Алгебра; the "class-teacher" does not teach it
ALGEBRA_10A = 740002004  # the lyceum's


@pytest.fixture
def backend() -> NetCityData:
    return NetCityData(World.build("74", clock=pinned(TODAY)))


async def token(backend: NetCityData, persona: str) -> str:
    answer = json.loads(await backend.esia_login(national_id(persona, "74")))
    assert answer["timeOut"] > 0
    return str(answer["at"])


async def refused(call: Any) -> tuple[int, str]:
    with pytest.raises(NetCityError) as info:
        await call
    return info.value.status, info.value.message


def password(given: str) -> Any:
    return lambda real: secrets.compare_digest(real.encode(), given.encode())


async def week(backend: NetCityData, at: str, student: int = CANONICAL) -> Any:
    return json.loads(await backend.student_diary(at, student, "2025-10-13", "2025-10-19"))


def lesson(diary: Any, day: str, number: int) -> Any:
    (found,) = [
        le
        for d in diary["weekDays"]
        if d["date"] == f"{day}T00:00:00"
        for le in d["lessons"]
        if le["number"] == number
    ]
    return found


async def test_canonical_monday_algebra_in_native_shape(backend: NetCityData) -> None:
    diary = await week(backend, await token(backend, "parent"))
    assert diary["weekStart"] == "2025-10-13T00:00:00"
    assert diary["weekEnd"] == "2025-10-19T00:00:00"
    assert diary["className"] == "9-А"
    assert diary["termName"] == "1 четверть"
    assert [d["date"][:10] for d in diary["weekDays"]] == [
        "2025-10-13",
        "2025-10-14",
        "2025-10-15",
        "2025-10-16",
        "2025-10-17",
    ]
    algebra = lesson(diary, "2025-10-13", 1)
    assert (algebra["subjectName"], algebra["startTime"], algebra["endTime"]) == (
        "Алгебра",
        "08:30",
        "09:15",
    )
    assert algebra["day"] == "2025-10-13T00:00:00"
    assert algebra["theme"] == "Квадратные уравнения"
    homework, test = algebra["assignments"]
    assert (homework["typeId"], homework["assignmentName"], homework["dueDate"]) == (
        3,
        "№ 245, 247",
        "2025-10-14T00:00:00",  # the next Алгебра: Tuesday's 3rd lesson
    )
    assert homework["mark"] is None
    assert homework["isDone"] is False
    assert test["typeId"] == 4
    assert test["weight"] == 2
    # when the teacher entered it is generated: some minutes after the lesson ended at 9:15
    (seed,) = [
        m
        for m in backend.world.marks(7400010, date(2025, 10, 13))
        if m.student_id == CANONICAL and m.subject == "Алгебра"
    ]
    assert datetime(2025, 10, 13, 9, 15) < seed.created_at < datetime(2025, 10, 13, 14, 0)
    assert test["mark"] == {
        "assignmentId": test["id"],
        "studentId": CANONICAL,
        "mark": 5,
        "markText": None,
        "dutyMark": False,
        "markDate": seed.created_at.isoformat(),
    }
    assert test["markComment"]["name"] == "Отличная работа"
    types = {t["id"]: t["name"] for t in json.loads(await backend.assignment_types())}
    assert types[3] == "Домашнее задание"
    assert types[4] == "Контрольная работа"


async def test_canonical_flags_in_native_fields(backend: NetCityData) -> None:
    diary = await week(backend, await token(backend, "parent"))
    assert lesson(diary, "2025-10-13", 3)["isCanceled"] is True
    physical = lesson(diary, "2025-10-13", 4)["assignments"]
    assert [(a["mark"]["mark"], a["mark"]["markText"]) for a in physical] == [(None, "зачёт")]
    assert lesson(diary, "2025-10-14", 2)["attendance"] == "Б"
    assert lesson(diary, "2025-10-17", 2)["attendance"] == "Н"
    english = lesson(diary, "2025-10-15", 2)
    assert english["isDistanceLesson"] is True
    assert english["room"] is None
    chemistry = lesson(diary, "2025-10-15", 3)
    assert chemistry["replacement"]["teacher"]["id"] != chemistry["teacher"]["id"]
    assert lesson(diary, "2025-10-15", 1)["replacement"] is None
    (attachment,) = lesson(diary, "2025-10-14", 1)["assignments"][0]["attachments"]
    assert attachment["originalFileName"] == "plan.pdf"


async def test_school_login_and_its_single_409(backend: NetCityData) -> None:
    student = backend.world.students[CLASSMATE]
    answer = json.loads(await backend.login("sosh104", student.login, password(student.password)))
    init = json.loads(await backend.diary_init(answer["at"]))
    assert init["currentStudentId"] == CLASSMATE
    assert json.loads(await backend.login(None, student.login, password(student.password)))["at"]
    assert json.loads(
        await backend.login(str(student.school_id), student.login, password(student.password))
    )
    wrong_password = await refused(backend.login("sosh104", student.login, password("nope")))
    wrong_login = await refused(backend.login("sosh104", "nobody@74", password(student.password)))
    wrong_school = await refused(
        backend.login("lyceum77", student.login, password(student.password))
    )
    assert wrong_password == wrong_login == wrong_school
    assert wrong_password[0] == 409


async def test_tokens(backend: NetCityData) -> None:
    assert (await refused(backend.esia_login("esia-nobody")))[0] == 409
    assert (await refused(backend.context("not-a-token")))[0] == 401
    first, second = await token(backend, "teacher"), await token(backend, "teacher")
    assert first != second  # one token per sign-in, both valid
    assert json.loads(await backend.context(first))["userId"] == 7401001
    context = json.loads(await backend.context(second))
    teacher = backend.world.teachers[7401001]  # the first teacher of the first school
    assert teacher.person.national_id == national_id("teacher", "74")
    assert context["roles"] == ["Teacher"]
    assert context["user"]["lastName"] == teacher.person.last_name


async def test_diary_access(backend: NetCityData) -> None:
    parent = await token(backend, "parent")
    assert (await refused(week(backend, parent, CLASSMATE)))[0] == 403
    assert (await refused(week(backend, parent, 987654321)))[0] == 404
    other = await token(backend, "parent-not-representative")
    assert (await week(backend, other))["studentId"] == CANONICAL
    student = await token(backend, "student")
    assert (await week(backend, student, CLASSMATE))["studentId"] == CLASSMATE
    assert (await refused(week(backend, student)))[0] == 403
    teacher = await token(backend, "teacher")
    assert (await week(backend, teacher))["studentId"] == CANONICAL
    assert (await refused(week(backend, teacher, OTHER_SCHOOL_STUDENT)))[0] == 403
    admin = await token(backend, "school-admin")
    assert (await refused(week(backend, admin, OTHER_SCHOOL_STUDENT)))[0] == 403


async def test_diary_ranges(backend: NetCityData) -> None:
    parent = await token(backend, "parent")
    one_day = json.loads(await backend.student_diary(parent, CANONICAL, "2025-10-15", "2025-10-15"))
    assert [le["subjectName"] for le in one_day["weekDays"][0]["lessons"]] == [
        "Геометрия",
        "Английский язык",
        "Химия",
        "Русский язык",
        "Физика",
        "ОБЗР",
        "Физическая культура",
    ]
    weekend = json.loads(await backend.student_diary(parent, CANONICAL, "2025-10-18", "2025-10-19"))
    assert weekend["weekDays"] == []
    # four full school weeks; the autumn break starts on Saturday 25 October
    month = json.loads(await backend.student_diary(parent, CANONICAL, "2025-09-29", "2025-10-26"))
    assert len(month["weekDays"]) == 20
    autumn = json.loads(await backend.student_diary(parent, CANONICAL, "2025-10-27", "2025-11-09"))
    # 3 November is the first school day after the break, 4 November a public holiday
    assert [d["date"][:10] for d in autumn["weekDays"]] == [
        "2025-11-03",
        "2025-11-05",
        "2025-11-06",
        "2025-11-07",
    ]
    for start, end in [
        ("2025-10-19", "2025-10-13"),
        ("2024-01-01", "2025-10-13"),
        ("13.10.2025", "2025-10-19"),
    ]:
        assert (await refused(backend.student_diary(parent, CANONICAL, start, end)))[0] == 400


async def test_student_cards(backend: NetCityData) -> None:
    parent = await token(backend, "parent")
    answer = json.loads(await backend.student_cards(parent, [CANONICAL, CLASSMATE, 5]))
    (card,) = answer["students"]
    assert (answer["forbidden"], answer["notFound"]) == ([CLASSMATE], [5])
    assert card["className"] == "9-А"
    assert card["birthDate"].endswith("T00:00:00")
    # parent accounts are numbered in the order of the persona keys: other-parent 7490001,
    # parent 7490002, parent-not-representative 7490003
    assert [(p["userId"], p["isLegalRepresentative"]) for p in card["parents"]] == [
        (7490002, True),
        (7490003, False),
    ]
    admin = await token(backend, "school-admin")
    staff = json.loads(await backend.student_cards(admin, [CANONICAL, OTHER_SCHOOL_STUDENT]))
    assert [c["studentId"] for c in staff["students"]] == [CANONICAL]
    assert staff["forbidden"] == [OTHER_SCHOOL_STUDENT]


async def test_homework_done_for_student_and_legal_representative(
    backend: NetCityData,
) -> None:
    homework_id = 740001000953711  # Monday algebra
    parent = await token(backend, "parent")
    answer = json.loads(await backend.set_assignment_done(parent, CANONICAL, homework_id, True))
    assert (answer["isDone"], answer["subjectName"], answer["studentId"]) == (
        True,
        "Алгебра",
        CANONICAL,
    )
    assert (CANONICAL, homework_id) in backend.world.homework_done
    assert lesson(await week(backend, parent), "2025-10-13", 1)["assignments"][0]["isDone"]
    other = await token(backend, "parent-not-representative")
    status, _ = await refused(backend.set_assignment_done(other, CANONICAL, homework_id, False))
    assert status == 403
    teacher = await token(backend, "teacher")
    assert (await refused(backend.set_assignment_done(teacher, CANONICAL, homework_id, False)))[
        0
    ] == 403
    missing = await refused(backend.set_assignment_done(parent, CANONICAL, 123, True))
    assert missing[0] == 404
    (foreign, *_) = backend.world.homework(7400011, date(2025, 10, 13))  # 5-Б's homework
    status, _ = await refused(backend.set_assignment_done(parent, CANONICAL, foreign.id, True))
    assert status == 404
    await backend.set_assignment_done(parent, CANONICAL, homework_id, False)
    assert (CANONICAL, homework_id) not in backend.world.homework_done


async def test_journal_access(backend: NetCityData) -> None:
    teacher = await token(backend, "teacher")
    journal = json.loads(await backend.journal(teacher, ALGEBRA_9A, "2025-10-13", "2025-10-19"))
    assert journal["subjectGroup"]["subjectName"] == "Алгебра"
    assert len(journal["students"]) == 25
    assert "parents" not in journal["students"][0]
    assert [m["day"][:10] for m in journal["classMeetings"]] == [
        "2025-10-13",
        "2025-10-14",
        "2025-10-16",
    ]
    assert (await refused(backend.journal(teacher, HISTORY_9A, "2025-10-13", "2025-10-19")))[
        0
    ] == 403
    lead = await token(backend, "class-teacher")
    # leads 9-А: any group of it; does not teach 5-Б's Математика
    assert json.loads(await backend.journal(lead, ALGEBRA_9A, "2025-10-13", "2025-10-13"))
    assert (await refused(backend.journal(lead, MATHS_5B, "2025-10-13", "2025-10-13")))[0] == 403
    admin = await token(backend, "school-admin")
    assert json.loads(await backend.journal(admin, MATHS_5B, "2025-10-13", "2025-10-13"))
    assert (await refused(backend.journal(admin, ALGEBRA_10A, "2025-10-13", "2025-10-13")))[
        0
    ] == 403
    parent = await token(backend, "parent")
    assert (await refused(backend.journal(parent, ALGEBRA_9A, "2025-10-13", "2025-10-13")))[
        0
    ] == 403
    assert (await refused(backend.journal(teacher, 1, "2025-10-13", "2025-10-13")))[0] == 404
    assert (await refused(backend.teacher_groups(parent)))[0] == 403
    groups = json.loads(await backend.teacher_groups(teacher))
    ids = [g["id"] for g in groups]
    assert ids == [g.id for g in backend.world.groups_of_teacher(7401001)]
    assert {ALGEBRA_9A, GEOMETRY_9A, STATISTICS_9A} <= set(ids)


async def test_directories(backend: NetCityData) -> None:
    assert (await refused(backend.schools_search(None)))[0] == 403
    assert (await refused(backend.schools_search("  ")))[0] == 403
    found = json.loads(await backend.schools_search("лицей"))
    assert [(s["id"], s["shortName"], s["addressString"]) for s in found] == [
        (7400002, "МБОУ «Лицей № 77 г. Челябинска»", "454048, г. Челябинск, ул. Энгельса, д. 46")
    ]
    assert found[0]["name"] == (
        "Муниципальное бюджетное общеобразовательное учреждение «Лицей № 77 г. Челябинска»"
    )
    assert [s["id"] for s in json.loads(await backend.schools_search("маоу"))] == [7400001]
    assert json.loads(await backend.schools_search("гбоу")) == []  # a Moscow word
    listed = json.loads(await backend.login_form_schools())["items"]
    assert [s["id"] for s in listed] == [7400001, 7400002]
    # each school rings its own bells: 8:30 at СОШ № 104, forty-minute lessons from 8:00
    # at the lyceum, eight lessons a day at both
    school = json.loads(await backend.bell_schedule(7400001))["bells"]
    assert school[2] == {"number": 3, "startTime": "10:30", "endTime": "11:15"}
    assert school[7] == {"number": 8, "startTime": "15:15", "endTime": "16:00"}
    lyceum = json.loads(await backend.bell_schedule(7400002))["bells"]
    assert lyceum[0] == {"number": 1, "startTime": "08:00", "endTime": "08:40"}
    assert lyceum[2] == {"number": 3, "startTime": "09:45", "endTime": "10:25"}
    assert len(school) == len(lyceum) == 8
    assert (await refused(backend.bell_schedule(1)))[0] == 404
