"""The МЭШ emulator as any client sees it: a real uvicorn server on a loopback port.

Checks what the real system checks (headers, tokens, whose student, whose group), the
native shapes of ``moscow-protocol.md`` and every fault the emulator can inject.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from adapters import SYSTEM_CLOCK
from diary_gateway_demo.moscow import EmulatorFaults, create_emulator
from diary_gateway_demo.moscow.render import average_text, grade_of
from diary_gateway_demo.seed import SeedStudent, World, national_id
from gateway.dev_issuer import DevIssuer
from tests.adapters.moscow.oracle import TEN_TO_FIVE, scales_of
from tests.clock import pinned
from tests.servers import free_port, serve_app

TODAY = date(2025, 10, 18)
EXPIRED = "Предыдущая сессия работы в ЭЖД завершена. Войдите в ЭЖД заново"
FAMILY = "/api/family/mobile/v1"
TEACHER = "/api/ej/core/teacher/v1"
EVENTS = "/api/eventcalendar/v1/api/events"
Params = dict[str, str | int]
WEEK = {"from": "2025-10-13", "to": "2025-10-19"}


class Issuers:
    """The trusted SSO issuer (ES256 and RS256 keys) and an untrusted one."""

    def __init__(self) -> None:
        self.dev = DevIssuer(ECKey.generate_key("P-256", private=True), issuer="urn:test:sso")
        self.rsa = RSAKey.generate_key(2048, private=True)
        self.stranger = DevIssuer(ECKey.generate_key("P-256", private=True), issuer="urn:x")

    def jwks(self) -> dict[str, Any]:
        rsa = self.rsa.as_dict(private=False, kid="rsa-1", alg="RS256", use="sig")
        return {"keys": [*self.dev.jwks()["keys"], dict(rsa), {"kty": "oct", "k": "c2VjcmV0"}]}

    def rs256(self, subject: str, *, ttl: int = 600) -> str:
        now = int(SYSTEM_CLOCK.timestamp())
        claims = {"sub": subject, "iat": now, "exp": now + ttl, "iss": "urn:test:sso"}
        return jwt.encode({"alg": "RS256", "kid": "rsa-1"}, claims, self.rsa, algorithms=["RS256"])


def serve(issuers: Issuers, **options: Any) -> Any:
    """Serve the emulator plus the JWKS on one loopback server."""
    port = free_port()
    emulator = create_emulator(
        world=World.build("77", clock=pinned(TODAY)),
        sso_jwks_url=f"http://127.0.0.1:{port}/jwks",
        **options,
    )
    jwks = JSONResponse(issuers.jwks())

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        target: ASGIApp = jwks if scope.get("path") == "/jwks" else emulator
        await target(scope, receive, send)

    return serve_app(app, port=port)


@pytest.fixture(scope="module")
def issuers() -> Issuers:
    return Issuers()


@pytest.fixture(scope="module")
def server(issuers: Issuers) -> Iterator[str]:
    with serve(issuers) as url:
        yield url


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=10.0) as client:
        client.post("/__admin/reset").raise_for_status()
        yield client
        client.post("/__admin/reset").raise_for_status()


@pytest.fixture(scope="module")
def world() -> World:
    return World.build("77", clock=pinned(TODAY))


def sign_in(http: httpx.Client, issuers: Issuers, persona: str) -> dict[str, str]:
    token = issuers.dev.mint(national_id(persona, "77"))
    response = http.post("/v3/auth/sudir/auth", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    grant = response.json()
    return {
        "Auth-Token": grant["token"],
        "X-Mes-Subsystem": "familymp",
        "Profile-Id": str(grant["profile_id"]),
        "X-Mes-Role": grant["profile_type"],
    }


def school_session(http: httpx.Client, student: SeedStudent) -> dict[str, str]:
    """Family API headers of a student signed in with their school login."""
    session = http.post(
        "/lms/api/sessions", json={"login": student.login, "password_plain": student.password}
    )
    assert session.status_code == 200, session.text
    return {
        "Auth-Token": session.json()["authentication_token"],
        "X-Mes-Subsystem": "familymp",
        "Profile-Id": str(student.id),
    }


def error_of(response: httpx.Response) -> dict[str, Any]:
    document: dict[str, Any] = response.json()
    assert set(document) == {"type", "description", "details"}
    return document


# -- identity and headers ----------------------------------------------------------------


def test_tokens_and_subsystem_are_required(
    http: httpx.Client, issuers: Issuers, world: World
) -> None:
    headers = sign_in(http, issuers, "parent")
    params: Params = {"student_id": world.canonical_student_id, **WEEK}
    assert http.get(f"{FAMILY}/marks", params=params, headers=headers).status_code == 200
    no_token = {k: v for k, v in headers.items() if k != "Auth-Token"}
    assert http.get(f"{FAMILY}/marks", params=params, headers=no_token).status_code == 401
    unknown = http.get(f"{FAMILY}/marks", params=params, headers={**headers, "Auth-Token": "x"})
    assert unknown.status_code == 401
    assert error_of(unknown)["description"] == EXPIRED
    bearer = {**no_token, "Authorization": f"Bearer {headers['Auth-Token']}"}
    assert http.get(f"{FAMILY}/marks", params=params, headers=bearer).status_code == 200
    no_subsystem = {k: v for k, v in headers.items() if k != "X-Mes-Subsystem"}
    answer = http.get(f"{FAMILY}/marks", params=params, headers=no_subsystem)
    assert answer.status_code == 400
    assert "X-Mes-Subsystem" in error_of(answer)["description"]


def test_profile_id_on_family_calls(http: httpx.Client, issuers: Issuers) -> None:
    headers = sign_in(http, issuers, "parent")
    missing = {k: v for k, v in headers.items() if k != "Profile-Id"}
    assert http.get(f"{FAMILY}/profile", headers=missing).status_code == 400
    foreign = {**headers, "Profile-Id": "770001001"}
    assert http.get(f"{FAMILY}/profile", headers=foreign).status_code == 403
    profile = http.get(f"{FAMILY}/profile", headers=headers).json()
    assert profile["profile"]["type"] == "parent"
    # the twins of region 77
    assert [c["id"] for c in profile["children"]] == [770001001, 770001002]
    for child in profile["children"]:
        assert isinstance(child["id"], int)
        assert len(child["contingent_guid"]) == 36
    # the reasons dictionary is not under /api/family: no Profile-Id needed
    reasons = http.get("/api/ej/core/family/v1/nonattendance_reasons", headers=missing)
    assert [r["id"] for r in reasons.json()] == [1, 2, 6]


def test_event_calendar_takes_the_guid_and_a_role(
    http: httpx.Client, issuers: Issuers, world: World
) -> None:
    headers = sign_in(http, issuers, "parent")
    student = world.students[world.canonical_student_id]
    params: Params = {
        "person_ids": student.guid,
        "begin_date": "2025-10-13",
        "end_date": "2025-10-17",
    }
    no_role = {k: v for k, v in headers.items() if k != "X-Mes-Role"}
    assert http.get(EVENTS, params=params, headers=no_role).status_code == 400
    wrong_role = {**headers, "X-Mes-Role": "student"}
    assert http.get(EVENTS, params=params, headers=wrong_role).status_code == 403
    by_integer = {**params, "person_ids": str(student.id)}
    assert http.get(EVENTS, params=by_integer, headers=headers).status_code == 404
    answer = http.get(EVENTS, params=params, headers=headers).json()
    plan = [e for e in answer["response"] if e["source"] == "PLAN"]
    assert answer["total_count"] == len(answer["response"]) == len(plan) + 1  # a class hour
    assert plan[0]["start_at"] == "2025-10-13T08:30:00+03:00"
    # expand decides what comes along
    assert "marks" not in plan[0]
    assert "homework" not in plan[0]
    expanded = http.get(EVENTS, params={**params, "expand": "marks"}, headers=headers).json()
    assert expanded["response"][0]["marks"][0]["value"] == "5"


def test_a_profile_sees_only_its_students(
    http: httpx.Client, issuers: Issuers, world: World
) -> None:
    parent = sign_in(http, issuers, "parent")
    other = world.persona_student("student")
    assert (
        http.get(f"{FAMILY}/marks", params={"student_id": other.id, **WEEK}, headers=parent)
    ).status_code == 403
    assert (
        http.get(f"{FAMILY}/marks", params={"student_id": 1, **WEEK}, headers=parent)
    ).status_code == 404
    student = sign_in(http, issuers, "student")
    canonical: Params = {"student_id": world.canonical_student_id, **WEEK}
    assert http.get(f"{FAMILY}/marks", params=canonical, headers=student).status_code == 403
    own: Params = {"student_id": other.id, **WEEK}
    assert http.get(f"{FAMILY}/marks", params=own, headers=student).status_code == 200


def test_sso_exchange(http: httpx.Client, issuers: Issuers) -> None:
    def exchange(token: str) -> httpx.Response:
        return http.post("/v3/auth/sudir/auth", headers={"Authorization": f"Bearer {token}"})

    good = exchange(issuers.dev.mint("esia-parent"))
    assert good.status_code == 200
    assert set(good.json()) == {"token", "expires_in", "profile_id", "profile_type"}
    assert good.json()["profile_type"] == "parent"
    teacher = exchange(issuers.rs256(national_id("teacher", "77")))  # RS256 is accepted too
    assert teacher.status_code == 200
    assert teacher.json()["profile_type"] == "teacher"
    stale = issuers.dev.mint("esia-parent", ttl_seconds=1, now=int(SYSTEM_CLOCK.timestamp()) - 3600)
    assert exchange(stale).status_code == 401
    assert exchange(issuers.stranger.mint("esia-parent")).status_code == 401
    assert exchange(issuers.dev.mint("esia-nobody")).status_code == 401
    assert exchange("not-a-jwt").status_code == 401
    assert http.post("/v3/auth/sudir/auth").status_code == 401


def test_school_login(http: httpx.Client, world: World) -> None:
    student = world.persona_student("student")
    good = http.post(
        "/lms/api/sessions", json={"login": student.login, "password_plain": student.password}
    )
    session = good.json()
    assert session["profiles"][0] == {
        **session["profiles"][0],
        "id": student.id,
        "type": "student",
        "school_id": student.school_id,
    }
    assert session["person_id"] == student.guid
    wrong_password = http.post(
        "/lms/api/sessions", json={"login": student.login, "password_plain": "nope"}
    )
    wrong_login = http.post(
        "/lms/api/sessions", json={"login": "nobody@77", "password_plain": student.password}
    )
    assert wrong_password.status_code == wrong_login.status_code == 401
    assert wrong_password.json() == wrong_login.json()
    headers = {
        "Auth-Token": session["authentication_token"],
        "X-Mes-Subsystem": "familymp",
        "Profile-Id": str(student.id),
    }
    assert http.get(f"{FAMILY}/profile", headers=headers).json()["children"][0]["id"] == student.id


def test_tokens_expire_after_n_calls(issuers: Issuers, world: World) -> None:
    with serve(issuers, token_ttl_calls=3) as url, httpx.Client(base_url=url) as http:
        headers = sign_in(http, issuers, "parent")
        statuses = [http.get(f"{FAMILY}/profile", headers=headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 401]
        expired = http.get(f"{FAMILY}/profile", headers=headers)
        assert error_of(expired) == {
            "type": "authentication_error",
            "description": EXPIRED,
            "details": None,
        }
        renewed = sign_in(http, issuers, "parent")
        assert http.get(f"{FAMILY}/profile", headers=renewed).status_code == 200


# -- native shapes -----------------------------------------------------------------------


def test_marks_native_shape(http: httpx.Client, issuers: Issuers, world: World) -> None:
    student = world.persona_student("student")
    headers = sign_in(http, issuers, "student")
    params: Params = {"student_id": student.id, "from": "2025-09-01", "to": "2025-10-18"}
    marks = http.get(f"{FAMILY}/marks", params=params, headers=headers).json()["payload"]
    assert marks
    assert all(len(m["created_at"]) == 19 for m in marks)
    assert all("2025-09-01" <= m["date"] <= "2025-10-18" for m in marks)
    scales = {m["values"][0]["grade_system_type"] for m in marks if m.get("values")}
    assert scales == scales_of(world, student.id, date(2025, 9, 1), TODAY) - {"pass"}
    assert "hundred" in scales
    five = [
        m["values"][0]["grade"] for m in marks if m.get("values") and m["subject_name"] != "Химия"
    ]
    table = {"5": (10.0, 100.0), "4": (8.0, 80.0), "3": (6.0, 60.0), "2": (4.0, 30.0)}
    for grade in five:
        if grade["origin"] in table and grade["five"] == float(grade["origin"]):
            assert (grade["ten"], grade["hundred"]) == table[grade["origin"]]
    non_numeric = [m for m in marks if not m["value"].isdigit()]
    assert {m["value"] for m in non_numeric} == {"зачёт", "н/а"}
    assert all(m.get("values") is None for m in non_numeric)  # null, or absent
    # both forms occur: over the whole class, each student signed in with their own login
    forms: set[bool] = set()
    for classmate in world.class_students(student.class_id):
        answer = http.get(
            f"{FAMILY}/marks",
            params={**params, "student_id": classmate.id},
            headers=school_session(http, classmate),
        )
        forms |= {"values" in m for m in answer.json()["payload"] if not m["value"].isdigit()}
    assert forms == {True, False}


TEN_TO_HUNDRED = {10: 100.0, 9: 90.0, 8: 80.0, 7: 70.0, 6: 60.0, 5: 50.0, 4: 30.0, 3: 20.0}
"""adapters/scales.py's COMMON_TABLE, by hand."""


def test_ten_point_hundreds_follow_the_common_table() -> None:
    assert grade_of("ten", 4) == (2.0, 4.0, 30.0)
    assert grade_of("five", 2) == (2.0, 4.0, 30.0)
    assert grade_of("ten", 9) == (5.0, 9.0, 90.0)
    assert grade_of("ten", 3) == (2.0, 3.0, 20.0)
    assert grade_of("hundred", 45) == (2.0, 4.0, 45.0)  # reaches ten-point 4 (30), not 5 (50)
    assert grade_of("hundred", 84) == (4.0, 8.0, 84.0)


def test_ten_point_marks_native_shape(http: httpx.Client, world: World) -> None:
    """A classmate whose Информатика marks (ten-point in the demo) fall in the period."""
    period = (date(2025, 9, 1), TODAY)
    classmate = next(
        s
        for s in world.class_students(world.persona_student("student").class_id)
        if "ten" in scales_of(world, s.id, *period)
    )
    headers = school_session(http, classmate)
    params: Params = {"student_id": classmate.id, "from": "2025-09-01", "to": "2025-10-18"}
    marks = http.get(f"{FAMILY}/marks", params=params, headers=headers).json()["payload"]
    scales = {m["values"][0]["grade_system_type"] for m in marks if m.get("values")}
    assert scales == scales_of(world, classmate.id, *period) - {"pass"}
    ten = [m for m in marks if m.get("values") and m["original_grade_system_type"] == "ten"]
    assert ten
    assert {m["subject_name"] for m in ten} == {"Информатика"}
    for mark in ten:
        (value,) = mark["values"]
        assert (value["name"], value["nmax"]) == ("10-балльная", 10.0)
        grade = value["grade"]
        assert grade["origin"] == mark["value"]
        assert grade["ten"] == float(mark["value"])
        assert grade["five"] == TEN_TO_FIVE[int(mark["value"])]
        # the common table, as МЭШ's five-point lookup: ten-point 4 is 30 (five-point 2), not 40
        assert grade["hundred"] == TEN_TO_HUNDRED[int(mark["value"])]
    assert {int(m["value"]) for m in ten} & {3, 4, 5, 6, 7, 8, 9, 10}


def test_subject_averages_are_weighted_per_scale(
    http: httpx.Client, issuers: Issuers, world: World
) -> None:
    student = world.persona_student("student")
    headers = sign_in(http, issuers, "student")
    params: Params = {"student_id": student.id, "from": "2025-09-01", "to": "2025-10-18"}
    marks = http.get(f"{FAMILY}/marks", params=params, headers=headers).json()["payload"]
    short = http.get(
        f"{FAMILY}/subject_marks/short", params={"student_id": student.id}, headers=headers
    ).json()["payload"]
    assert short
    for subject in short:
        graded = [
            (m["values"][0]["grade"], m["weight"])
            for m in marks
            if m["subject_id"] == subject["subject_id"] and m.get("values")
        ]
        for scale, key in (("five", "average"), ("ten", "avg_ten"), ("hundred", "avg_hundred")):
            if not graded:
                assert subject[key] is None
                continue
            total = sum(Decimal(str(g[scale])) * w for g, w in graded)
            mean = total / sum(w for _, w in graded)
            assert subject[key] == str(mean.quantize(Decimal("0.01"), ROUND_HALF_UP))
        assert subject["count"] == sum(1 for m in marks if m["subject_id"] == subject["subject_id"])


def test_average_text_matches_the_protocol_examples() -> None:
    assert average_text([(3, 1), (4, 1), (4, 1), (3, 1), (2, 1)]) == "3.20"
    assert average_text([(60, 1), (80, 1), (80, 1), (60, 1), (30, 1)]) == "62.00"
    assert average_text([(4, 1), (4, 1), (4, 1), (5, 1), (4, 2), (5, 1)]) == "4.29"
    assert average_text([]) is None


# -- writes and the teacher side ---------------------------------------------------------


def test_homework_done_by_the_legal_representative_only(
    http: httpx.Client, issuers: Issuers, world: World
) -> None:
    parent = sign_in(http, issuers, "parent")
    other = sign_in(http, issuers, "parent-not-representative")
    params: Params = {"student_id": world.canonical_student_id, **WEEK}
    (entry,) = [
        h
        for h in http.get(f"{FAMILY}/homeworks/short", params=params, headers=parent).json()[
            "payload"
        ]
        if h["description"] == "№ 245, 247"
    ]
    path = f"{FAMILY}/homeworks/{entry['homework_entry_student_id']}/done"
    assert http.post(path, headers=other).status_code == 403
    assert http.post(path, headers=parent).json() == {"success": True}
    again = http.get(f"{FAMILY}/homeworks/short", params=params, headers=other).json()["payload"]
    assert next(h for h in again if h["description"] == "№ 245, 247")["is_done"] is True
    assert http.delete(path, headers=parent).status_code == 200
    again = http.get(f"{FAMILY}/homeworks/short", params=params, headers=parent).json()["payload"]
    assert next(h for h in again if h["description"] == "№ 245, 247")["is_done"] is False
    assert http.post(f"{FAMILY}/homeworks/99999999/done", headers=parent).status_code == 404


def test_journal_access(http: httpx.Client, issuers: Issuers, world: World) -> None:
    teacher_id = next(
        t.id
        for t in world.teachers.values()
        if t.person.national_id == national_id("teacher", "77")
    )
    canonical_class = world.students[world.canonical_student_id].class_id
    group = next(g for g in world.groups_of_teacher(teacher_id) if g.class_id == canonical_class)
    elsewhere = next(g for g in world.groups.values() if g.school_id != group.school_id)
    params: Params = {"group_id": group.id, **WEEK}
    for persona in ("teacher", "class-teacher", "school-admin"):
        headers = sign_in(http, issuers, persona)
        items = http.get(f"{TEACHER}/schedule_items", params=params, headers=headers)
        assert items.status_code == 200, persona
        assert [i["date"] for i in items.json()] == ["2025-10-13", "2025-10-14", "2025-10-16"]
    teacher = sign_in(http, issuers, "teacher")
    assert [g["id"] for g in http.get(f"{TEACHER}/groups", headers=teacher).json()] == [
        g.id for g in world.groups_of_teacher(teacher_id)
    ]
    foreign: Params = {"group_id": elsewhere.id, **WEEK}
    assert http.get(f"{TEACHER}/marks", params=foreign, headers=teacher).status_code == 403
    parent = sign_in(http, issuers, "parent")
    assert http.get(f"{TEACHER}/marks", params=params, headers=parent).status_code == 403
    assert http.get(f"{TEACHER}/groups", headers=parent).status_code == 403
    admin = sign_in(http, issuers, "school-admin")
    school = http.get(f"{TEACHER}/groups", params={"school_id": group.school_id}, headers=admin)
    # 11-Б: the canonical week's fifteen subjects; 6-А: the 6th form's twelve
    assert len(school.json()) == 27


def test_teacher_creates_a_mark(http: httpx.Client, issuers: Issuers, world: World) -> None:
    teacher_id = next(
        t.id
        for t in world.teachers.values()
        if t.person.national_id == national_id("teacher", "77")
    )
    canonical_class = world.students[world.canonical_student_id].class_id
    group = next(g for g in world.groups_of_teacher(teacher_id) if g.class_id == canonical_class)
    lesson = next(
        le for le in world.lessons(canonical_class, date(2025, 10, 14)) if le.group_id == group.id
    )
    mark = {
        "student_profile_id": world.canonical_student_id,
        "schedule_item_id": lesson.id,
        "grade_origins": [{"grade_origin": "3", "grade_system_id": 4140000}],
        "control_form_id": 4600006,
        "weight": 2,
        "is_exam": False,
        "comment": "Пересдача",
    }
    class_teacher = sign_in(http, issuers, "class-teacher")  # leads the class, teaches no algebra
    assert http.post(f"{TEACHER}/marks", json=mark, headers=class_teacher).status_code == 403
    teacher = sign_in(http, issuers, "teacher")
    created = http.post(f"{TEACHER}/marks", json=mark, headers=teacher)
    assert created.status_code == 201
    assert created.json()["values"][0]["grade"] == {
        "origin": "3",
        "five": 3.0,
        "ten": 6.0,
        "hundred": 60.0,
    }
    bad = {**mark, "grade_origins": [{"grade_origin": "7", "grade_system_id": 4140000}]}
    assert http.post(f"{TEACHER}/marks", json=bad, headers=teacher).status_code == 400
    parent = sign_in(http, issuers, "parent")
    params: Params = {
        "student_id": world.canonical_student_id,
        "from": "2025-10-14",
        "to": "2025-10-14",
    }
    family = http.get(f"{FAMILY}/marks", params=params, headers=parent).json()["payload"]
    assert [(m["value"], m["comment"]) for m in family if m["subject_name"] == "Алгебра"] == [
        ("3", "Пересдача")
    ]


# -- faults ------------------------------------------------------------------------------


def set_faults(http: httpx.Client, **faults: Any) -> None:
    answer = http.post("/__admin/faults", json=faults)
    assert answer.status_code == 200, answer.text
    assert {k: answer.json()[k] for k in faults} == faults


def test_server_error_rate_limit_html_not_found(http: httpx.Client) -> None:
    set_faults(http, error_rate=1.0)
    answer = http.get("/acl/api/users/profile_info")
    assert answer.status_code in (500, 502, 503)
    assert error_of(answer)["type"] == "internal_error"
    set_faults(http, rate_limit_rate=1.0, retry_after=7)
    answer = http.get("/acl/api/users/profile_info")
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "7"
    set_faults(http, html_rate=1.0)
    answer = http.get("/acl/api/users/profile_info")
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.text.startswith("<!DOCTYPE html>")
    set_faults(http, not_found_rate=1.0)
    assert http.get("/acl/api/users/profile_info").status_code == 404


def test_malformed_answers_are_truncated_json(http: httpx.Client, issuers: Issuers) -> None:
    headers = sign_in(http, issuers, "parent")
    set_faults(http, malformed_rate=1.0)
    answer = http.get(f"{FAMILY}/profile", headers=headers)
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()
    set_faults(http)
    assert http.get(f"{FAMILY}/profile", headers=headers).json()["profile"]["type"] == "parent"


def test_unauthorized_spares_the_token_exchange(http: httpx.Client, issuers: Issuers) -> None:
    set_faults(http, unauthorized_rate=1.0)
    headers = sign_in(http, issuers, "parent")  # issuing still works
    answer = http.get(f"{FAMILY}/profile", headers=headers)
    assert answer.status_code == 401
    assert error_of(answer)["description"] == EXPIRED


def test_latency_and_hanging_requests(http: httpx.Client, issuers: Issuers) -> None:
    headers = sign_in(http, issuers, "parent")
    set_faults(http, latency_ms=150)
    started = time.perf_counter()
    assert http.get(f"{FAMILY}/profile", headers=headers).status_code == 200
    assert time.perf_counter() - started >= 0.15
    set_faults(http, timeout_rate=1.0, timeout_seconds=0.4)
    started = time.perf_counter()
    assert http.get(f"{FAMILY}/profile", headers=headers).status_code == 200  # late, but whole
    assert time.perf_counter() - started >= 0.4
    set_faults(http, timeout_rate=1.0, timeout_seconds=30.0)
    with pytest.raises(httpx.ReadTimeout):
        http.get(f"{FAMILY}/profile", headers=headers, timeout=0.2)
    set_faults(http)  # the hanging request ended with the client's disconnect
    assert http.get(f"{FAMILY}/profile", headers=headers).status_code == 200


def test_faults_are_deterministic_with_a_seed(http: httpx.Client) -> None:
    def statuses() -> list[int]:
        set_faults(http, error_rate=0.5, seed=7)
        return [http.get("/acl/api/users/profile_info").status_code for _ in range(12)]

    first, second = statuses(), statuses()
    assert first == second
    assert 401 in first
    assert any(s >= 500 for s in first)


def test_bad_fault_settings_are_refused(http: httpx.Client) -> None:
    assert http.post("/__admin/faults", json={"error_rate": 2}).status_code == 400
    assert http.post("/__admin/faults", json={"typo_rate": 0.1}).status_code == 400
    assert http.post("/__admin/faults", json={"latency_ms": "fast"}).status_code == 400
    assert http.get("/__admin/faults").json() == EmulatorFaults().as_json()


def test_stats_count_provider_calls_per_path(http: httpx.Client, issuers: Issuers) -> None:
    headers = sign_in(http, issuers, "parent")
    http.get(f"{FAMILY}/profile", headers=headers)
    http.get(f"{FAMILY}/profile", headers=headers)
    http.get("/__admin/faults")
    stats = http.get("/__admin/stats").json()
    assert stats == {
        "total": 3,
        "paths": {"/api/family/mobile/v1/profile": 2, "/v3/auth/sudir/auth": 1},
    }
    http.post("/__admin/reset")
    assert http.get("/__admin/stats").json() == {"total": 0, "paths": {}}


def test_unknown_paths_answer_json(http: httpx.Client) -> None:
    answer = http.get("/api/family/mobile/v1/nothing")
    assert answer.status_code == 404
    assert error_of(answer)["type"] == "not_found"
    assert http.get("/lms/api/sessions").status_code == 405


def test_mounted_under_a_prefix(issuers: Issuers) -> None:
    """The demo mounts the emulator inside the gateway app; paths are relative to the mount."""
    app = Starlette(
        routes=[
            Mount(
                "/__emulators/moscow",
                app=create_emulator(world=World.build("77", clock=pinned(TODAY))),
            )
        ]
    )
    with serve_app(app) as url, httpx.Client(base_url=f"{url}/__emulators/moscow") as http:
        assert http.get("/acl/api/users/profile_info").status_code == 401
        http.post("/__admin/faults", json={"not_found_rate": 1.0}).raise_for_status()
        assert http.get("/acl/api/users/profile_info").status_code == 404
        assert http.get("/__admin/stats").json() == {
            "total": 2,
            "paths": {"/acl/api/users/profile_info": 2},
        }


# -- the admin API of the live-update tests (ours) -----------------------------------------


def test_admin_absences_lessons_and_families_change_what_clients_see(
    http: httpx.Client, issuers: Issuers, world: World
) -> None:
    headers = sign_in(http, issuers, "parent")
    student = world.students[world.canonical_student_id]
    params: Params = {
        "person_ids": student.guid,
        "begin_date": "2025-10-20",
        "end_date": "2025-10-20",
        "expand": "absence_reason_id",
    }

    def plan() -> list[dict[str, Any]]:
        answer = http.get(EVENTS, params=params, headers=headers).json()
        return [e for e in answer["response"] if e["source"] == "PLAN"]

    assert not any(e["is_missed_lesson"] for e in plan())  # Monday has not begun
    # no day on a Saturday: the next school day's first lesson
    absence = http.post("/__admin/absences", json={"student_id": student.id, "reason_id": 2})
    assert absence.status_code == 201, absence.text
    assert absence.json()["day"] == "2025-10-20"
    missed = [e for e in plan() if e["is_missed_lesson"]]
    assert [(e["id"], e["absence_reason_id"]) for e in missed] == [(absence.json()["lesson_id"], 2)]
    lesson = http.post(
        "/__admin/lessons",
        json={"lesson_id": missed[0]["id"], "room": "999", "cancelled": True, "starts": "08:40"},
    )
    assert lesson.status_code == 200, lesson.text
    changed = next(e for e in plan() if e["id"] == missed[0]["id"])
    assert (changed["room_number"], changed["cancelled"]) == ("999", True)
    assert changed["start_at"] == "2025-10-20T08:40:00+03:00"
    profile = f"{FAMILY}/profile"
    children = {c["id"] for c in http.get(profile, headers=headers).json()["children"]}
    assert student.id in children
    ended = http.post("/__admin/families", json={"student_id": student.id, "linked": False})
    assert ended.json() == {"student_id": student.id, "linked": False}
    assert student.id not in {
        c["id"] for c in http.get(profile, headers=headers).json()["children"]
    }
    http.post("/__admin/reset").raise_for_status()  # all three undone
    assert not any(e["is_missed_lesson"] or e["room_number"] == "999" for e in plan())
    assert student.id in {c["id"] for c in http.get(profile, headers=headers).json()["children"]}


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/__admin/absences", {"student_id": "x"}, 400),
        ("/__admin/absences", {"student_id": 1}, 404),
        ("/__admin/absences", {"lesson_id": 1}, 404),
        ("/__admin/absences", {"student_id": None, "reason_id": 1}, 400),
        ("/__admin/lessons", {"student_id": 1}, 404),
        ("/__admin/families", {}, 400),
    ],
)
def test_admin_refusals(http: httpx.Client, path: str, body: dict[str, Any], status: int) -> None:
    assert http.post(path, json=body).status_code == status
