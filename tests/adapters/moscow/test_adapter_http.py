"""The Moscow adapter against the emulator over real HTTP (uvicorn on a loopback port).

Token renewal, the cost of a diary in provider calls, non-numeric marks, a «foreign»
server that follows the protocol page but not our emulator's habits, school logins, staff
views and the mapping of faults onto the adapter error tree.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters import (
    AccessDeniedError,
    AdapterError,
    AuthenticationError,
    Caller,
    ChangeKind,
    DateRange,
    Lesson,
    NotFoundError,
    ProviderResponseError,
    ProviderUnavailableError,
    Role,
)
from adapters.errors import CredentialsRefusedError
from adapters.moscow import MoscowAdapter
from adapters.scales import NO_GRADE, PASS_FAIL
from tests.adapters.harnesses.moscow import Harness
from tests.adapters.moscow.oracle import HUNDRED_BANDS, TEN_TO_FIVE, scales_of
from tests.clock import pinned

TODAY = date(2025, 10, 18)
MONDAY = date(2025, 10, 13)
WEEK = DateRange(MONDAY, MONDAY + timedelta(days=6))
PERIOD = DateRange(date(2025, 9, 1), TODAY)
MSK = ZoneInfo("Europe/Moscow")


async def started(harness: Harness) -> tuple[Harness, MoscowAdapter]:
    adapter = await harness.start(pinned(TODAY))
    assert isinstance(adapter, MoscowAdapter)
    return harness, adapter


@pytest.fixture
async def mes() -> AsyncIterator[tuple[Harness, MoscowAdapter]]:
    harness, adapter = await started(Harness())
    try:
        yield harness, adapter
    finally:
        await harness.stop()


async def week(adapter: MoscowAdapter, caller: Caller, student: str) -> list[Lesson]:
    (slot,) = await adapter.get_diaries(caller, [student], WEEK)
    assert isinstance(slot, list), slot
    return slot


def per_day(lessons: list[Lesson]) -> list[int]:
    return [sum(1 for le in lessons if le.date == MONDAY + timedelta(days=d)) for d in range(7)]


def lesson(lessons: list[Lesson], weekday: int, number: int) -> Lesson:
    (found,) = [
        le for le in lessons if le.date == MONDAY + timedelta(days=weekday) and le.number == number
    ]
    return found


def rewriting(rewrite: Callable[[str, Any], Any]) -> Callable[[ASGIApp], ASGIApp]:
    """A middleware that passes every JSON answer of ``app`` through ``rewrite(path, doc)``."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or scope["path"].startswith("/__admin"):
                await app(scope, receive, send)
                return
            start: dict[str, Any] = {}
            chunks: list[bytes] = []

            async def capture(message: Message) -> None:
                if message["type"] == "http.response.start":
                    start.update(message)
                    return
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                payload = b"".join(chunks)
                headers = dict(start["headers"])
                if headers.get(b"content-type", b"").startswith(b"application/json"):
                    document = rewrite(scope["path"], json.loads(payload))
                    payload = json.dumps(document, ensure_ascii=False).encode()
                headers[b"content-length"] = str(len(payload)).encode()
                await send({**start, "headers": list(headers.items())})
                await send({"type": "http.response.body", "body": payload})

            await app(scope, receive, capture)

        return middleware

    return wrap


OPTIONAL = {"weight", "comment", "comment_exists", "point_date", "room_number", "teacher"}


def foreign(path: str, node: Any) -> Any:
    """Another server's habits: optional fields missing, unknown fields everywhere."""
    if isinstance(node, list):
        return [foreign(path, item) for item in node]
    if isinstance(node, dict):
        rewritten = {k: foreign(path, v) for k, v in node.items() if k not in OPTIONAL}
        if rewritten.get("values", ...) is None:
            del rewritten["values"]
        rewritten["vendor_extension"] = {"build": "2.7.1", "flags": [None, True]}
        return rewritten
    return node


# -- tokens and cost ---------------------------------------------------------------------


async def test_token_is_renewed_once_on_a_mid_session_401() -> None:
    harness, adapter = await started(Harness(token_ttl_calls=3))
    try:
        caller = harness.caller("parent")
        student = harness.canonical_student_id()
        lessons = await week(adapter, caller, student)
        assert per_day(lessons) == [7, 6, 7, 6, 6, 0, 0]
        (test,) = lesson(lessons, 0, 1).marks
        assert test.weight == 2.0
        # 3 calls per token; the week takes six (reasons, profile, events, homework,
        # attendance, marks): at least two tokens, and the calls that met a 401 together
        # shared their renewal (which of them did depends on scheduling, the bound does not)
        renewed = harness.stats()["/v3/auth/sudir/auth"]
        assert 2 <= renewed <= 3
        (marks,) = await adapter.get_marks(caller, [student], WEEK)
        assert isinstance(marks, list)
        assert len(marks) == 6
        (changes,) = await adapter.get_changes(caller, [student], datetime(2025, 10, 1, tzinfo=MSK))
        assert isinstance(changes, list)
        assert changes
        assert renewed <= harness.stats()["/v3/auth/sudir/auth"] <= renewed + 1
    finally:
        await harness.stop()


async def test_a_week_costs_one_call_of_each_kind(mes: tuple[Harness, MoscowAdapter]) -> None:
    harness, adapter = mes
    caller = harness.caller("parent")
    await week(adapter, caller, harness.canonical_student_id())
    stats = harness.stats()
    for path in ("profile", "marks", "homeworks/short", "attendance"):
        assert stats.get(f"/api/family/mobile/v1/{path}", 0) <= 1, path
    assert stats["/api/eventcalendar/v1/api/events"] == 1
    assert stats["/v3/auth/sudir/auth"] == 1
    # token, profile, events, homework, attendance, marks (what the events do not carry)
    assert harness.upstream_calls() == 7  # + the absence reasons
    await week(adapter, caller, harness.canonical_student_id())
    again = harness.stats()
    assert again["/api/family/mobile/v1/profile"] == 1  # cached for the person
    assert again["/api/ej/core/family/v1/nonattendance_reasons"] == 1
    assert again["/api/eventcalendar/v1/api/events"] == 2


async def test_a_teachers_batch_costs_one_events_call_per_student(
    mes: tuple[Harness, MoscowAdapter],
) -> None:
    harness, adapter = mes
    world = harness.world
    classmates = [str(s.id) for s in world.class_students(world.canonical_student_id // 100)][:3]
    slots = await adapter.get_diaries(harness.caller("teacher"), classmates, WEEK)
    assert all(isinstance(s, list) and per_day(s)[:5] == [7, 6, 7, 6, 6] for s in slots)
    stats = harness.stats()
    assert stats["/api/eventcalendar/v1/api/events"] == 3
    assert stats["/acl/api/users/profile_info"] == 1  # the staff profile, once
    assert stats["/core/api/profiles"] == 2  # one class list per class taught


# -- marks -------------------------------------------------------------------------------


async def test_non_numeric_marks_survive(mes: tuple[Harness, MoscowAdapter]) -> None:
    harness, adapter = mes
    lessons = await week(adapter, harness.caller("parent"), harness.canonical_student_id())
    (passed,) = lesson(lessons, 0, 4).marks
    assert (passed.value, passed.scale, passed.grade) == ("зачёт", PASS_FAIL, NO_GRADE)
    school, login, password = harness.student_login()
    session = await adapter.login(school=school, login=login, password=password)
    me = Caller(person_id=None, session=session)
    (marks,) = await adapter.get_marks(me, [session.student_id], PERIOD)
    assert isinstance(marks, list)
    texts = {m.value for m in marks if m.scale is PASS_FAIL}
    assert texts == {"зачёт", "н/а"}
    # the demo's Информатика teachers grade on the ten-point scale, Химия's on the hundred-
    # point one: which scales this student sees depends on the marks the world gave them
    student = harness.world.students[int(session.student_id)]
    assert {m.scale.name for m in marks} == scales_of(
        harness.world, student.id, PERIOD.start, PERIOD.end
    )
    for mark in marks:
        if mark.scale.name == "hundred":
            low, high = HUNDRED_BANDS[int(mark.grade.five or 0)]
            assert low <= int(mark.value) <= high
    # a classmate with ten-point marks in the period, signed in with their own login
    classmate = next(
        s
        for s in harness.world.class_students(student.class_id)
        if "ten" in scales_of(harness.world, s.id, PERIOD.start, PERIOD.end)
    )
    session = await adapter.login(school=None, login=classmate.login, password=classmate.password)
    (marks,) = await adapter.get_marks(
        Caller(person_id=None, session=session), [str(classmate.id)], PERIOD
    )
    assert isinstance(marks, list)
    assert {m.scale.name for m in marks} == scales_of(
        harness.world, classmate.id, PERIOD.start, PERIOD.end
    )
    ten = [m for m in marks if m.scale.name == "ten"]
    assert ten
    assert all(m.grade.ten == float(m.value) for m in ten)
    assert all(m.grade.five == TEN_TO_FIVE[int(m.value)] for m in ten)


async def test_progress_shows_the_providers_average_beside_the_computed_one() -> None:
    def doctored(path: str, document: Any) -> Any:
        if path.endswith("/subject_marks/short"):
            for item in document["payload"]:
                if item["subject_name"] == "Алгебра":
                    item["average"] = item["avg_five"] = "4.44"
                    del item["avg_hundred"]
        return document

    harness, adapter = await started(Harness(wrap=rewriting(doctored)))
    try:
        caller = harness.caller("parent")
        student = harness.canonical_student_id()
        (whole,) = await adapter.get_progress(caller, [student], PERIOD)
        assert isinstance(whole, list)
        algebra = next(p for p in whole if p.subject.name == "Алгебра")
        official = algebra.official_average
        assert official is not None
        assert official.value == 4.44
        assert official.period_name == "1 полугодие"
        assert official.starts == date(2025, 9, 1)
        # computed from the marks: the world's five-point Алгебра marks in the period, on the
        # common table (5 → 100, 4 → 80, 3 → 60, 2 → 30), weighted
        world = harness.world
        canonical_class = world.students[world.canonical_student_id].class_id
        seeded = [
            m
            for day in world.days(PERIOD.start, PERIOD.end)
            for m in world.marks(canonical_class, day)
            if m.student_id == world.canonical_student_id and m.subject == "Алгебра"
        ]
        hundred = {5: 100, 4: 80, 3: 60, 2: 30}
        expected = sum(hundred[m.five or 0] * m.weight for m in seeded) / sum(
            m.weight for m in seeded
        )
        assert algebra.count == len(seeded)
        assert algebra.average_hundred == round(expected, 2)
        five = {5: 5, 4: 4, 3: 3, 2: 2}
        computed = sum(five[m.five or 0] * m.weight for m in seeded) / sum(m.weight for m in seeded)
        assert algebra.average_five == round(computed + 1e-9, 2)  # ours, never the provider's
        (weekly,) = await adapter.get_progress(caller, [student], WEEK)
        assert isinstance(weekly, list)
        algebra = next(p for p in weekly if p.subject.name == "Алгебра")
        assert (algebra.average_five, algebra.average_hundred) == (4.0, 77.5)
        assert algebra.official_average == official
    finally:
        await harness.stop()


async def test_a_foreign_server_that_follows_the_page() -> None:
    harness, adapter = await started(Harness(wrap=rewriting(foreign)))
    try:
        caller = harness.caller("parent")
        profile = await adapter.get_profile(caller)
        assert profile is not None
        # the twins of region 77, both in 11-Б
        assert [c.student.person.full_name for c in profile.children] == [
            "Соколова Анна Андреевна",
            "Соколов Михаил Андреевич",
        ]
        lessons = await week(adapter, caller, harness.canonical_student_id())
        assert per_day(lessons) == [7, 6, 7, 6, 6, 0, 0]
        algebra = lesson(lessons, 0, 1)
        assert algebra.teacher is None
        assert algebra.room is None
        (test,) = algebra.marks
        assert test.weight == 1.0  # no weight: 1
        assert (test.grade.five, test.grade.ten, test.grade.hundred) == (5.0, 10.0, 100.0)
        assert test.comment is None
        assert test.control_form == "Контрольная работа"
        (passed,) = lesson(lessons, 0, 4).marks
        assert passed.scale is PASS_FAIL
        assert [h.text for h in algebra.homework] == ["№ 245, 247"]
        ill = lesson(lessons, 1, 2).absence
        assert ill is not None
        assert ill.excused is True
        (progress,) = await adapter.get_progress(caller, [harness.canonical_student_id()], WEEK)
        assert isinstance(progress, list)
        maths = next(p for p in progress if p.subject.name == "Алгебра")
        assert maths.average_five == round((5 + 4 + 2) / 3, 2)  # every weight is 1 now
        journal = await adapter.get_journal(
            harness.caller("teacher"), harness.teacher_group_id(), WEEK
        )
        assert len(journal.students) == 25
        assert len(journal.lessons) == 3
    finally:
        await harness.stop()


# -- people ------------------------------------------------------------------------------


async def test_school_login_session(mes: tuple[Harness, MoscowAdapter]) -> None:
    harness, adapter = mes
    school, login, password = harness.student_login()
    session = await adapter.login(school=school, login=login, password=password)
    me = Caller(person_id=None, session=session)
    profile = await adapter.get_profile(me)
    assert profile is not None
    (grant,) = profile.roles
    assert grant.role is Role.STUDENT
    assert grant.student_id == session.student_id
    lessons = await week(adapter, me, session.student_id)
    (homework,) = lesson(lessons, 0, 1).homework
    done = await adapter.set_homework_done(me, session.student_id, homework.id, True)
    assert done.done is True
    assert done.text == "№ 245, 247"
    assert "/v3/auth/sudir/auth" not in harness.stats()


async def test_an_ended_school_session_is_not_renewed() -> None:
    harness, adapter = await started(Harness(token_ttl_calls=1))
    try:
        school, login, password = harness.student_login()
        session = await adapter.login(school=school, login=login, password=password)
        me = Caller(person_id=None, session=session)
        assert await adapter.get_profile(me) is not None  # the token's only call
        with pytest.raises(AuthenticationError):
            await adapter.get_marks(me, [session.student_id], WEEK)
    finally:
        await harness.stop()


async def test_unknown_person_has_no_profile_here(mes: tuple[Harness, MoscowAdapter]) -> None:
    harness, adapter = mes
    stranger = Caller(person_id="esia-nobody", sso_token=harness.issuer.mint("esia-nobody"))
    assert await adapter.get_profile(stranger) is None
    with pytest.raises(AuthenticationError):
        await adapter.get_marks(stranger, [harness.canonical_student_id()], WEEK)


async def test_homework_done_refused_to_a_parent_who_is_not_the_representative(
    mes: tuple[Harness, MoscowAdapter],
) -> None:
    harness, adapter = mes
    other = harness.caller("parent-not-representative")
    student = harness.canonical_student_id()
    (homework,) = lesson(await week(adapter, other, student), 0, 1).homework
    with pytest.raises(AccessDeniedError):
        await adapter.set_homework_done(other, student, homework.id, True)


async def test_staff_views(mes: tuple[Harness, MoscowAdapter]) -> None:
    harness, adapter = mes
    group = harness.teacher_group_id()  # algebra of 9-А
    journal = await adapter.get_journal(harness.caller("class-teacher"), group, WEEK)
    assert journal.group.subject.name == "Алгебра"
    assert len(journal.students) == 25
    assert [le.number for le in journal.lessons] == [1, 3, 1]
    canonical = harness.canonical_student_id()
    assert sorted(m.value for m in journal.marks if m.student_id == canonical) == ["2", "4", "5"]
    admin = await adapter.get_journal(harness.caller("school-admin"), group, WEEK)
    assert admin.group.id == group
    world = harness.world
    elsewhere = next(g for g in world.groups.values() if g.school_id != world.schools[0].id)
    with pytest.raises(AccessDeniedError):
        await adapter.get_journal(harness.caller("teacher"), str(elsewhere.id), WEEK)
    (student,) = await adapter.get_students(harness.caller("teacher"), [canonical])
    assert not isinstance(student, Exception)
    assert group in student.group_ids
    assert student.class_name == "11-Б"


async def test_changes_since(mes: tuple[Harness, MoscowAdapter]) -> None:
    harness, adapter = mes
    since = datetime(2025, 10, 16, tzinfo=MSK)
    (changes,) = await adapter.get_changes(
        harness.caller("parent"), [harness.canonical_student_id()], since
    )
    assert isinstance(changes, list)
    assert changes == sorted(changes, key=lambda c: c.at, reverse=True)
    assert all(c.at > since for c in changes)
    assert changes[0].kind is ChangeKind.HOMEWORK_CREATED
    assert changes[0].homework_text == "Упр. 112"
    marks = sorted(c.mark_value or "" for c in changes if c.kind is ChangeKind.MARK_CREATED)
    assert marks == ["2", "4"]  # Алгебра, Thursday


async def test_school_directory(mes: tuple[Harness, MoscowAdapter]) -> None:
    harness, adapter = mes
    schools = await adapter.list_schools()
    assert [(s.id, s.name) for s in schools] == [
        (
            "7700001",
            "Государственное бюджетное общеобразовательное учреждение города Москвы «Школа № 1583»",
        ),
        (
            "7700002",
            "Государственное бюджетное общеобразовательное учреждение города Москвы «Школа № 2098»",
        ),
    ]
    assert harness.stats() == {"/core/api/schools": 1}  # public: no token needed


async def test_without_a_school_directory_the_schools_seen_so_far() -> None:
    def no_directory(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope["path"] == "/core/api/schools":
                await JSONResponse({"type": "not_found"}, status_code=404)(scope, receive, send)
            else:
                await app(scope, receive, send)

        return wrapped

    harness, adapter = await started(Harness(wrap=no_directory))
    try:
        assert await adapter.list_schools() == []
        await adapter.get_profile(harness.caller("parent"))
        assert [s.id for s in await adapter.list_schools()] == ["7700001"]
    finally:
        await harness.stop()


# -- faults ------------------------------------------------------------------------------


FAULTS: list[tuple[dict[str, Any], type[AdapterError]]] = [
    ({"error_rate": 1.0}, ProviderUnavailableError),
    ({"rate_limit_rate": 1.0}, ProviderUnavailableError),
    ({"html_rate": 1.0}, ProviderUnavailableError),  # a gateway's HTML 403 is not a refusal
    ({"malformed_rate": 1.0}, ProviderResponseError),
    ({"unauthorized_rate": 1.0}, CredentialsRefusedError),  # fresh tokens refused: gave up
    ({"not_found_rate": 1.0}, NotFoundError),
    ({"timeout_rate": 1.0}, ProviderUnavailableError),
]


async def test_each_fault_maps_onto_the_error_tree(mes: tuple[Harness, MoscowAdapter]) -> None:
    harness, adapter = mes
    caller = harness.caller("parent")
    student = harness.canonical_student_id()
    await adapter.get_profile(caller)
    for faults, error in FAULTS:
        harness.set_faults(faults)
        with pytest.raises(AdapterError) as info:
            (slot,) = await adapter.get_marks(caller, [student], WEEK)
            if isinstance(slot, AdapterError):
                raise slot  # a 404 fails only the student's slot
        assert type(info.value) is error, (faults, info.value)
        assert info.value.provider == "moscow"
        if "rate_limit_rate" in faults:
            assert isinstance(info.value, ProviderUnavailableError)
            assert info.value.retry_after == 2.0
        harness.set_fault(None)
        (marks,) = await adapter.get_marks(caller, [student], WEEK)
        assert isinstance(marks, list) and len(marks) == 6, faults


async def test_slow_answers_hit_the_deadline(mes: tuple[Harness, MoscowAdapter]) -> None:
    harness, adapter = mes
    caller = harness.caller("parent")
    await adapter.get_profile(caller)
    harness.set_faults({"latency_ms": 1500})
    with pytest.raises(ProviderUnavailableError) as info:
        await adapter.get_marks(caller, [harness.canonical_student_id()], WEEK)
    assert "timed out" in str(info.value)
    harness.set_faults({"latency_ms": 100})
    (marks,) = await adapter.get_marks(caller, [harness.canonical_student_id()], WEEK)
    assert isinstance(marks, list)
    assert len(marks) == 6
