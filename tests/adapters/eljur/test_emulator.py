"""The ЭлЖур emulator's native answers over HTTP, and the adapter over it."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from joserfc.jwk import ECKey

from adapters import (
    PASS_FAIL,
    TEN_POINT,
    AccessDeniedError,
    AuthenticationError,
    Caller,
    Capability,
    DateRange,
    Fault,
    Grade,
    NotFoundError,
    NotSupportedError,
    Role,
    SettingsError,
    get_adapter_class,
    load_settings,
)
from adapters.eljur import ElJurAdapter
from adapters.eljur.config import ElJurConfig
from diary_gateway_demo.eljur import create_emulator
from diary_gateway_demo.eljur.render import ten_point_value
from diary_gateway_demo.seed import World, national_id
from gateway.dev_issuer import DevIssuer
from tests.adapters.harnesses.eljur import Harness
from tests.clock import pinned
from tests.servers import serve_app

TODAY = date(2025, 10, 17)  # the Friday of the canonical week
MONDAY = date(2025, 10, 13)
WEEK = DateRange(MONDAY, MONDAY + timedelta(days=6))
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = Harness()
    await h.start(pinned(TODAY))
    yield h
    await h.stop()


class _Api:
    """ЭлЖур's methods on the emulator over HTTP, called like ``await api.getdiary(…)``:
    each answers the body (``auth`` is posted as a form, the rest are ``GET /apiv3/…``)."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self._http = harness.admin

    def __getattr__(self, method: str) -> Callable[..., Awaitable[bytes]]:
        async def call(**params: str) -> bytes:
            if method in ("auth", "getusersvendors"):
                response = self._http.post(f"/apiv3/{method}", data=params)
            else:
                response = self._http.get(f"/apiv3/{method}", params=params)
            # the HTTP status is the envelope's state
            assert response.status_code == json.loads(response.content)["response"]["state"]
            return response.content

        return call


def _decode(body: bytes) -> dict[str, Any]:
    response: dict[str, Any] = json.loads(body)["response"]
    return response


async def _parent_diary(harness: Harness, days: str, rings: str) -> tuple[str, dict[str, Any]]:
    """The canonical student's id and ``getdiary`` answer over ``days``, read as the parent."""
    backend = _Api(harness)
    vendor, token = await _token(backend, "parent")
    sid = harness.canonical_student_id()
    body = await backend.getdiary(
        devkey="demo-devkey", vendor=vendor, auth_token=token, student=sid, days=days, rings=rings
    )
    return sid, _decode(body)


async def _token(backend: _Api, persona: str) -> tuple[str, str]:
    """(vendor, token) of a persona through the ЕСИА exchange."""
    sso_token = backend.harness.caller(persona).sso_token
    assert sso_token is not None
    answer = _decode(
        await backend.getusersvendors(devkey="demo-devkey", vendor="demo", v_token=sso_token)
    )
    vendor = answer["result"]["vendors"][0]
    return vendor["vendor"], vendor["token"]


# -- native shapes ---------------------------------------------------------------------


async def test_getdiary_native_shape_of_canonical_monday(harness: Harness) -> None:
    sid, answer = await _parent_diary(harness, "20251013-20251013", rings="yes")
    assert answer["state"] == 200
    assert answer["error"] is None
    day = answer["result"]["students"][sid]["days"]["20251013"]
    assert (day["name"], day["title"]) == ("20251013", "Понедельник")
    algebra = day["items"]["1"]
    assert algebra["name"] == "Алгебра"
    assert (algebra["starttime"], algebra["endtime"]) == ("08:30:00", "09:15:00")
    assert isinstance(algebra["lesson_id"], str)
    assert algebra["lesson_id"].isdigit()
    (mark,) = algebra["assessments"]
    assert mark["value"] == "10"
    assert (mark["weight"], mark["convert"], mark["count"]) == (2, 10, True)
    assert mark["control_type"] == "Контрольная работа"
    assert mark["comment"] == "Отличная работа"
    assert mark["date"] == "2025-10-13"
    (homework,) = algebra["homework"].values()
    assert homework["value"] == "№ 245, 247"
    assert homework["deadline"] == "2025-10-14"  # the next Алгебра: Tuesday's 3rd lesson
    assert isinstance(homework["id"], int)
    pe = day["items"]["4"]
    assert pe["name"] == "Физическая культура"
    assert [(a["value"], a["count"], a["convert"]) for a in pe["assessments"]] == [("зч", False, 0)]
    assert day["items"]["3"]["is_cancelled"] is True


async def test_absences_are_assessments(harness: Harness) -> None:
    sid, answer = await _parent_diary(harness, "20251013-20251017", rings="no")
    days = answer["result"]["students"][sid]["days"]
    physics = days["20251014"]["items"]["2"]
    assert "starttime" not in physics  # rings=no
    assert physics["assessments"] == [
        {
            "value": "Н",
            "comment": "Болезнь",
            "convert": 0,
            "count": False,
            "countas": 0,
            "date": "2025-10-14",
            "nm": "1",
            "lesson_id": physics["lesson_id"],
            "color_hex": None,
        }
    ]
    history = days["20251017"]["items"]["2"]
    assert [(a["value"], a["comment"]) for a in history["assessments"]] == [("н", "Без причины")]


def test_ten_point_rendering_is_twice_five_in_the_canonical_week_and_spread_elsewhere() -> None:
    world = World.build("11", clock=pinned(TODAY))
    canonical = world.students[world.canonical_student_id]
    seen: dict[int, set[int]] = {}
    day = date(2025, 9, 1)
    while day <= TODAY:
        for mark in world.marks(canonical.class_id, day):
            ten = ten_point_value(world, mark)
            if mark.five is None:
                assert ten is None
                continue
            assert ten is not None
            in_week = MONDAY <= mark.day <= MONDAY + timedelta(days=4)
            if mark.student_id == canonical.id and in_week:
                assert ten == 2 * mark.five
            else:
                assert ten in (2 * mark.five - 1, 2 * mark.five)
                seen.setdefault(mark.five, set()).add(ten)
        day += timedelta(days=1)
    assert seen[5] == {9, 10}
    assert seen[4] == {7, 8}
    assert seen[3] == {5, 6}
    other = World.build("11", clock=pinned(TODAY))
    sample = world.marks(canonical.class_id, date(2025, 10, 1))
    again = other.marks(canonical.class_id, date(2025, 10, 1))
    assert [ten_point_value(world, m) for m in sample] == [ten_point_value(other, m) for m in again]


async def test_getmarks_and_gethomework_shapes(harness: Harness) -> None:
    backend = _Api(harness)
    vendor, token = await _token(backend, "parent")
    sid = harness.canonical_student_id()
    marks = _decode(
        await backend.getmarks(
            devkey="demo-devkey",
            vendor=vendor,
            auth_token=token,
            student=sid,
            days="20251013-20251017",
        )
    )["result"]["students"][sid]["lessons"]
    algebra = next(s for s in marks if s["name"] == "Алгебра")
    assert [m["value"] for m in algebra["marks"]] == ["10", "8", "4"]
    # weighted: (10×2 + 8 + 4) / 4 = 8
    assert (algebra["average"], algebra["averageConvert"]) == ("8.00", 8.0)
    assert algebra["marks"][0]["mtype"]["type"] == "Контрольная работа"
    assert algebra["marks"][0]["max_mark"] == 10
    homework = _decode(
        await backend.gethomework(
            devkey="demo-devkey",
            vendor=vendor,
            auth_token=token,
            student=sid,
            days="20251014-20251016",
        )
    )["result"]["students"][sid]["days"]
    # keyed by the day the homework is due: Monday's Алгебра is due at Tuesday's Алгебра,
    # Tuesday's Литература at Thursday's; nothing is due on Wednesday (no homework is set in
    # the canonical week but these two, and none set the week before falls due then)
    world = harness.world
    class_id = world.students[world.canonical_student_id].class_id
    due = {
        h.due_on
        for day in world.days(date(2025, 9, 1), date(2025, 10, 16))
        for h in world.homework(class_id, day)
        if date(2025, 10, 14) <= h.due_on <= date(2025, 10, 16)
    }
    assert due == {date(2025, 10, 14), date(2025, 10, 16)}
    assert sorted(homework) == ["20251014", "20251016"]
    assert [h["value"] for h in homework["20251014"]["items"]["Алгебра"]["homework"].values()] == [
        "№ 245, 247"
    ]
    assert homework["20251016"]["items"]["Литература"]["files"][0]["filename"] == "plan.pdf"


async def test_getperiods_has_four_quarters(harness: Harness) -> None:
    backend = _Api(harness)
    vendor, token = await _token(backend, "student")
    sid = str(harness.world.persona_student("student").id)
    periods = _decode(
        await backend.getperiods(
            devkey="demo-devkey", vendor=vendor, auth_token=token, student=sid, weeks="yes"
        )
    )["result"]["students"][sid]["periods"]
    assert [p["start"] for p in periods] == ["20250901", "20251103", "20260112", "20260330"]
    assert periods[0]["weeks"][0] == {
        "start": "20250901",
        "end": "20250907",
        "title": "01.09 — 07.09",
    }


# -- the envelope's errors -------------------------------------------------------------


async def test_auth_wrong_login_or_password_same_envelope(harness: Harness) -> None:
    backend = _Api(harness)
    school, login, password = harness.student_login()
    good = _decode(
        await backend.auth(
            login=login, password=password, vendor=school or "demo", devkey="demo-devkey"
        )
    )
    assert good["state"] == 200
    assert len(good["result"]["token"]) > 20
    assert datetime.strptime(good["result"]["expires"], "%Y-%m-%d %H:%M:%S") > datetime(2025, 12, 1)
    wrong_password = _decode(
        await backend.auth(
            login=login, password="nope", vendor=school or "demo", devkey="demo-devkey"
        )
    )
    wrong_login = _decode(
        await backend.auth(
            login="nobody", password=password, vendor=school or "demo", devkey="demo-devkey"
        )
    )
    other_school = _decode(
        await backend.auth(login=login, password=password, vendor="gym3", devkey="demo-devkey")
    )
    for answer in (wrong_password, wrong_login, other_school):
        assert answer == {"state": 403, "error": "Неверный логин или пароль", "result": {}}


async def test_envelope_states(harness: Harness) -> None:
    backend = _Api(harness)
    vendor, token = await _token(backend, "parent")
    sid = harness.canonical_student_id()

    async def diary(**params: str) -> tuple[int, str]:
        args = {
            "devkey": "demo-devkey",
            "vendor": vendor,
            "auth_token": token,
            "student": sid,
            "days": "20251013-20251017",
        }
        args.update(params)
        answer = _decode(await backend.getdiary(**args))
        return answer["state"], answer["error"]

    assert (await diary(devkey="x"))[0] == 400
    assert (await diary(auth_token="x"))[0] == 401
    assert (await diary(vendor="gym3"))[0] == 403  # the region's other school
    assert (await diary(student="1"))[0] == 404
    other = str(harness.world.persona_student("student").id)
    assert await diary(student=other) == (403, "Нет доступа к данным ученика")
    assert (await diary(days="2025-10-13"))[0] == 400
    assert (await diary(days="20250101-20261231"))[0] == 400
    harness.expire_tokens()
    assert (await diary())[0] == 401


async def test_getschools_native_cards(harness: Harness) -> None:
    answer = _decode(await _Api(harness).getschools(devkey="demo-devkey", vendor="demo"))
    assert [(s["vendor"], s["vendor_id"], s["number"]) for s in answer["result"]["schools"]] == [
        ("sosh25", 1100001, "25"),
        ("gym3", 1100002, "3"),
    ]
    found = _decode(
        await _Api(harness).getschools(devkey="demo-devkey", vendor="demo", value="гимназия")
    )
    assert [s["vendor"] for s in found["result"]["schools"]] == ["gym3"]


async def test_every_call_goes_through_the_fault_switch(harness: Harness) -> None:
    backend = _Api(harness)
    before = harness.upstream_calls()
    await backend.getschools(devkey="demo-devkey", vendor="demo")
    await backend.getrings(devkey="demo-devkey", vendor="sosh25")
    assert harness.upstream_calls() == before + 2
    assert harness.method_calls("getschools") == 1


# -- over HTTP ------------------------------------------------------------------------


def test_both_api_paths_answer_the_envelope_with_its_state_as_status(harness: Harness) -> None:
    for path in ("/apiv3/getschools", "/api/getschools", "/apiv3/GETSCHOOLS"):
        response = harness.admin.get(path, params={"devkey": "demo-devkey", "vendor": "demo"})
        assert response.status_code == 200
        assert response.json()["response"]["state"] == 200
    refused = harness.admin.get("/apiv3/getschools", params={"devkey": "x", "vendor": "demo"})
    assert refused.status_code == 400
    assert refused.json() == {
        "response": {"state": 400, "error": "не удалось авторизовать разработчика", "result": {}}
    }


def test_unknown_method_missing_parameter_and_other_formats_are_refused(
    harness: Harness,
) -> None:
    unknown = harness.admin.get("/apiv3/getnothing", params={"devkey": "demo-devkey"})
    assert unknown.status_code == 404
    assert unknown.json()["response"]["error"] == "Метод getnothing не найден"
    missing = harness.admin.get("/apiv3/getrings", params={"devkey": "demo-devkey"})
    assert missing.json()["response"] == {
        "state": 400,
        "error": "Не передан параметр vendor",
        "result": {},
    }
    xml = harness.admin.get(
        "/apiv3/getschools", params={"devkey": "demo-devkey", "vendor": "demo", "out_format": "xml"}
    )
    assert xml.status_code == 400
    assert harness.admin.get("/elsewhere").json()["response"]["state"] == 404


def test_auth_takes_its_password_from_a_form(harness: Harness) -> None:
    school, login, password = harness.student_login()
    params = {"devkey": "demo-devkey", "vendor": school or "demo"}
    posted = harness.admin.post(
        "/apiv3/auth", params=params, data={"login": login, "password": password}
    )
    assert posted.json()["response"]["state"] == 200
    asked = harness.admin.get("/apiv3/auth", params={**params, "login": login})
    assert asked.json()["response"]["error"] == "Не передан параметр password"


def test_the_esia_exchange_takes_only_the_trusted_issuer_s_tokens(harness: Harness) -> None:
    params = {"devkey": "demo-devkey", "vendor": "demo"}
    subject = national_id("parent", "11")
    forged = DevIssuer(ECKey.generate_key("P-256", private=True), issuer="urn:test:eljur-sso")
    for token in (subject, forged.mint(subject, audience="diary-gateway")):
        response = harness.admin.post(
            "/apiv3/getusersvendors", params=params, data={"v_token": token}
        )
        assert response.status_code == 401
        assert response.json()["response"]["error"] == "Недействительный токен ЕСИА"
    good = harness.caller("parent").sso_token
    assert good is not None
    response = harness.admin.post("/apiv3/getusersvendors", params=params, data={"v_token": good})
    assert [v["vendor"] for v in response.json()["response"]["result"]["vendors"]] == ["sosh25"]
    unconfigured = create_emulator(world=harness.world)
    with serve_app(unconfigured) as url:
        refused = httpx.post(f"{url}/apiv3/getusersvendors", params=params, data={"v_token": good})
    assert refused.json()["response"]["error"] == "Вход через ЕСИА не настроен"


def test_injected_faults_keep_the_envelope(harness: Harness) -> None:
    harness.set_fault(Fault.SERVER_ERROR)
    response = harness.admin.get("/apiv3/getschools", params={"devkey": "demo-devkey"})
    harness.set_fault(Fault.UNAUTHORIZED)
    expired = harness.admin.get("/apiv3/getrules", params={"devkey": "demo-devkey"})
    harness.set_fault(None)
    assert response.status_code in (500, 502, 503)
    assert response.json()["response"]["state"] == 500
    assert expired.status_code == 401
    assert expired.json()["response"]["state"] == 401


# -- the adapter: canonical week -------------------------------------------------------


async def test_canonical_week_through_the_adapter(harness: Harness) -> None:
    adapter = harness.adapter
    sid = harness.canonical_student_id()
    (lessons,) = await adapter.get_diaries(harness.caller("parent"), [sid], WEEK)
    assert not isinstance(lessons, Exception)
    by_key = {(le.date.weekday(), le.number): le for le in lessons}
    assert len(lessons) == 32  # 7 + 6 + 7 + 6 + 6
    assert [sum(1 for le in lessons if le.date.weekday() == d) for d in range(5)] == [7, 6, 7, 6, 6]
    algebra = by_key[(0, 1)]
    assert algebra.subject.name == "Алгебра"
    assert algebra.topic == "Квадратные уравнения"
    assert algebra.starts_at == datetime(2025, 10, 13, 8, 30, tzinfo=MSK)
    assert algebra.starts_at.utcoffset() == timedelta(hours=3)
    (mark,) = algebra.marks
    assert mark.value == "10"
    assert mark.scale == TEN_POINT
    assert mark.grade == Grade(five=5.0, ten=10.0, hundred=100.0)
    assert mark.normalized == 1.0
    assert mark.weight == 2.0
    assert mark.control_form == "Контрольная работа"
    assert mark.comment == "Отличная работа"
    assert mark.lesson_date == MONDAY
    assert mark.lesson_id == algebra.id
    assert mark.created_at is not None
    assert mark.created_at.tzinfo is not None
    (homework,) = algebra.homework
    assert (homework.text, homework.due_on, homework.done) == (
        "№ 245, 247",
        date(2025, 10, 14),
        None,
    )
    (pe,) = by_key[(0, 4)].marks
    assert (pe.value, pe.scale, pe.normalized, pe.grade.five) == ("зч", PASS_FAIL, None, None)
    assert by_key[(0, 3)].cancelled
    literature = by_key[(1, 1)]
    assert [(m.value, m.grade.five) for m in literature.marks] == [("8", 4.0)]
    assert [a.name for a in literature.homework[0].attachments] == ["plan.pdf"]
    physics = by_key[(1, 2)].absence
    assert physics is not None
    assert (physics.excused, physics.reason) == (True, "Болезнь")
    geometry = by_key[(2, 1)].marks[0]
    assert (geometry.value, geometry.grade.five, geometry.comment) == (
        "6",
        3.0,
        "Повторить доказательство",
    )
    assert by_key[(2, 2)].remote
    assert by_key[(2, 2)].room is None
    assert by_key[(2, 3)].replaced
    assert [(m.value, m.grade.five, m.control_form) for m in by_key[(3, 1)].marks] == [
        ("8", 4.0, "Ответ на уроке"),
        ("4", 2.0, "Самостоятельная работа"),
    ]
    history = by_key[(4, 2)].absence
    assert history is not None
    assert (history.excused, history.reason) == (False, "Без причины")
    assert [h.text for h in by_key[(4, 1)].homework] == ["Упр. 112"]


async def test_marks_and_progress(harness: Harness) -> None:
    adapter = harness.adapter
    sid = harness.canonical_student_id()
    (marks,) = await adapter.get_marks(harness.caller("parent"), [sid], WEEK)
    assert not isinstance(marks, Exception)
    assert sorted(m.value for m in marks) == ["10", "4", "6", "8", "8", "зч"]
    (progress,) = await adapter.get_progress(harness.caller("parent"), [sid], WEEK)
    assert not isinstance(progress, Exception)
    algebra = next(p for p in progress if p.subject.name == "Алгебра")
    # five: (5×2 + 4 + 2) / 4 = 4.0; ten: (10×2 + 8 + 4) / 4 = 8.0;
    # hundred: (100×2 + 80 + 30) / 4 = 77.5 (the «4», a two, is 30)
    assert (algebra.count, algebra.average_five, algebra.average_ten) == (3, 4.0, 8.0)
    assert algebra.average_hundred == 77.5


async def test_one_getdiary_per_student_per_range(harness: Harness) -> None:
    adapter = harness.adapter
    caller = harness.caller("teacher")
    ids = [harness.canonical_student_id(), str(harness.world.persona_student("student").id)]
    await adapter.get_profile(caller)
    before = harness.method_calls("getdiary")
    calls = harness.upstream_calls()
    result = await adapter.get_diaries(caller, ids, DateRange(date(2025, 9, 1), TODAY))
    assert all(isinstance(slot, list) and slot for slot in result)
    assert harness.method_calls("getdiary") == before + 2
    assert harness.upstream_calls() == calls + 2  # the exchanged token is reused


async def test_students_slots(harness: Harness) -> None:
    sid = harness.canonical_student_id()
    other = str(harness.world.persona_student("student").id)
    own, missing, foreign = await harness.adapter.get_students(
        harness.caller("parent"), [sid, "424242", other]
    )
    assert not isinstance(own, Exception)
    assert own.person.full_name == "Соколов Илья Андреевич"
    assert (own.class_name, own.school_id) == ("8-А", "1100001")
    # the canonical week's 15 subjects, one group each
    assert len(own.group_ids) == 15
    parent = harness.world.parents["parent"]
    assert own.parent_contacts == (parent.phone, parent.email)
    assert isinstance(missing, NotFoundError)
    assert isinstance(foreign, AccessDeniedError)


async def test_profiles(harness: Harness) -> None:
    adapter = harness.adapter
    parent = await adapter.get_profile(harness.caller("parent"))
    assert parent is not None
    assert [r.role for r in parent.roles] == [Role.PARENT]
    assert [(c.student.id, c.is_legal_representative) for c in parent.children] == [
        (harness.canonical_student_id(), True)
    ]
    relative = await adapter.get_profile(harness.caller("parent-not-representative"))
    assert relative is not None
    assert [c.is_legal_representative for c in relative.children] == [False]
    student = await adapter.get_profile(harness.caller("student"))
    assert student is not None
    (grant,) = student.roles
    assert (grant.role, grant.student_id) == (
        Role.STUDENT,
        str(harness.world.persona_student("student").id),
    )
    teacher = await adapter.get_profile(harness.caller("teacher"))
    assert teacher is not None
    (grant,) = teacher.roles
    assert grant.role == Role.TEACHER
    assert harness.teacher_group_id() in grant.group_ids
    algebra = next(g for g in teacher.groups if g.id == harness.teacher_group_id())
    assert algebra.subject.name == "Алгебра"
    assert len(algebra.student_ids) == 25
    leader = await adapter.get_profile(harness.caller("class-teacher"))
    assert leader is not None
    assert [r.role for r in leader.roles] == [Role.TEACHER, Role.CLASS_TEACHER]
    canonical_class = str(harness.world.students[harness.world.canonical_student_id].class_id)
    assert leader.roles[1].class_unit_ids == (canonical_class,)
    admin = await adapter.get_profile(harness.caller("school-admin"))
    assert admin is not None
    assert [(r.role, r.school_id) for r in admin.roles] == [(Role.SCHOOL_ADMIN, "1100001")]
    assert await adapter.get_profile(harness.caller_of("esia-stranger")) is None


async def test_journal_access(harness: Harness) -> None:
    adapter = harness.adapter
    group = harness.teacher_group_id()
    days = DateRange(MONDAY, TODAY)
    journal = await adapter.get_journal(harness.caller("teacher"), group, days)
    assert journal.group.id == group
    assert len(journal.students) == 25
    assert [(le.date, le.number) for le in journal.lessons] == [
        (MONDAY, 1),
        (date(2025, 10, 14), 3),
        (date(2025, 10, 16), 1),
    ]
    sid = harness.canonical_student_id()
    assert sorted(m.value for m in journal.marks if m.student_id == sid) == ["10", "4", "8"]
    for persona in ("class-teacher", "school-admin"):
        assert (await adapter.get_journal(harness.caller(persona), group, days)).group.id == group
    for persona in ("parent", "student"):
        with pytest.raises(AccessDeniedError):
            await adapter.get_journal(harness.caller(persona), group, days)
    foreign = str(next(g.id for g in harness.world.groups.values() if g.school_id != 1100001))
    with pytest.raises(NotFoundError):
        await adapter.get_journal(harness.caller("teacher"), foreign, days)
    not_taught = str(next(g.id for g in harness.world.groups.values() if g.subject == "Химия"))
    with pytest.raises(AccessDeniedError):
        await adapter.get_journal(harness.caller("teacher"), not_taught, days)


async def test_changes_since(harness: Harness) -> None:
    sid = harness.canonical_student_id()
    since = datetime(2025, 10, 15, 0, 0, tzinfo=MSK)
    (changes,) = await harness.adapter.get_changes(harness.caller("parent"), [sid], since)
    assert not isinstance(changes, Exception)
    assert [(c.subject_name, c.mark_value, c.homework_text) for c in changes] == [
        ("Русский язык", None, "Упр. 112"),
        ("Алгебра", "4", None),
        ("Алгебра", "8", None),
        ("Геометрия", "6", None),
    ]
    assert all(c.at > since for c in changes)


async def test_bells_and_schools(harness: Harness) -> None:
    bells = await harness.adapter.get_bell_schedule(None, "1100001")
    assert [(b.number, b.starts.isoformat(), b.ends.isoformat()) for b in bells.bells][:2] == [
        (1, "08:30:00", "09:15:00"),
        (2, "09:25:00", "10:10:00"),
    ]
    with pytest.raises(NotFoundError):
        await harness.adapter.get_bell_schedule(None, "999")
    schools = await harness.adapter.list_schools()
    assert [(s.id, s.name, s.short_name) for s in schools] == [
        (
            "1100001",
            "Муниципальное автономное общеобразовательное учреждение «Средняя "
            "общеобразовательная школа № 25» г. Сыктывкара",
            "МАОУ «СОШ № 25» г. Сыктывкара",
        ),
        (
            "1100002",
            "Муниципальное автономное общеобразовательное учреждение «Гимназия № 3» г. Сыктывкара",
            "МАОУ «Гимназия № 3» г. Сыктывкара",
        ),
    ]
    gymnasium = await harness.adapter.get_bell_schedule(None, "1100002")
    assert [(b.number, b.starts.isoformat(), b.ends.isoformat()) for b in gymnasium.bells][:2] == [
        (1, "08:00:00", "08:40:00"),
        (2, "08:50:00", "09:30:00"),
    ]


# -- school login ----------------------------------------------------------------------


async def test_school_login_and_its_session(harness: Harness) -> None:
    adapter = harness.adapter
    school, login, password = harness.student_login()
    expected = str(harness.world.persona_student("student").id)
    for where in (school, None, "1100001"):
        session = await adapter.login(school=where, login=login, password=password)
        assert session.student_id == expected
    caller = Caller(person_id=None, session=session)
    (lessons,) = await adapter.get_diaries(caller, [expected], WEEK)
    assert isinstance(lessons, list)
    assert lessons
    (foreign,) = await adapter.get_diaries(caller, [harness.canonical_student_id()], WEEK)
    assert isinstance(foreign, AccessDeniedError)
    harness.expire_tokens()
    with pytest.raises(AuthenticationError):
        await adapter.get_diaries(caller, [expected], WEEK)


async def test_wrong_login_and_wrong_password_read_the_same(harness: Harness) -> None:
    school, login, password = harness.student_login()
    with pytest.raises(AuthenticationError) as wrong_password:
        await harness.adapter.login(school=school, login=login, password="x")
    with pytest.raises(AuthenticationError) as wrong_login:
        await harness.adapter.login(school=school, login="x", password=password)
    with pytest.raises(AuthenticationError) as unknown_school:
        await harness.adapter.login(school="nowhere", login=login, password=password)
    assert str(wrong_password.value) == str(wrong_login.value) == str(unknown_school.value)


# -- capabilities, faults, sessions ----------------------------------------------------


async def test_homework_done_is_not_supported(harness: Harness) -> None:
    assert not harness.adapter.supports(Capability.HOMEWORK_DONE)
    calls = harness.upstream_calls()
    with pytest.raises(NotSupportedError):
        await harness.adapter.set_homework_done(
            harness.caller("parent"), harness.canonical_student_id(), "1", True
        )
    assert harness.upstream_calls() == calls


# Faults and their errors (and hangs) are the contract's (tests/adapters/test_contract.py);
# that they keep ЭлЖур's envelope is test_injected_faults_keep_the_envelope.


async def test_session_reused_then_dropped_on_401(harness: Harness) -> None:
    adapter = harness.adapter
    caller = harness.caller("parent")
    sid = harness.canonical_student_id()
    await adapter.get_diaries(caller, [sid], WEEK)
    await adapter.get_diaries(caller, [sid], WEEK)
    assert harness.method_calls("getusersvendors") == 1
    harness.expire_tokens()
    with pytest.raises(AuthenticationError):
        await adapter.get_diaries(caller, [sid], WEEK)
    (lessons,) = await adapter.get_diaries(caller, [sid], WEEK)
    assert isinstance(lessons, list)
    assert harness.method_calls("getusersvendors") == 2


async def test_stranger_is_refused_data(harness: Harness) -> None:
    with pytest.raises(AccessDeniedError):
        await harness.adapter.get_diaries(
            harness.caller_of("esia-stranger"), [harness.canonical_student_id()], WEEK
        )


async def test_latency_fault_is_applied(harness: Harness) -> None:
    harness.admin.post("/__admin/faults", json={"latency_ms": 30}).raise_for_status()
    started = time.perf_counter()  # an interval, not the time of day
    await harness.adapter.list_schools()
    assert time.perf_counter() - started >= 0.030


# -- registration and settings ---------------------------------------------------------


def test_registry_and_settings() -> None:
    assert get_adapter_class("eljur") is ElJurAdapter
    assert ElJurAdapter.login_methods[0].value == "national_sso"
    table = {"base_url": "https://edu.example", "vendor": "komi", "devkey": "k"}
    config = load_settings(ElJurConfig, table, where="regions.11")
    assert config == ElJurConfig(base_url="https://edu.example", vendor="komi", devkey="k")
    with pytest.raises(SettingsError, match=r"base_url: expected an http\(s\) URL"):
        load_settings(ElJurConfig, {"base_url": "x"}, where="regions.11")
    with pytest.raises(SettingsError, match=r"regions\.11\.base_url"):
        load_settings(ElJurConfig, {"vendor": "komi"}, where="regions.11")
    with pytest.raises(SettingsError, match=r"regions\.11\.latency_ms"):
        load_settings(ElJurConfig, {"base_url": "http://x", "latency_ms": 5}, where="regions.11")
