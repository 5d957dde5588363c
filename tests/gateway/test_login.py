"""School logins: a student signs in with the login their school issued, in every region.

The gateway keeps the provider's session on the server and hands out its own short-lived
token: it reads that student's diary and nothing else. Wrong credentials get one answer
whatever was wrong; repeated failures are throttled; refresh tokens rotate.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from starlette.routing import Route

from adapters.models import ProviderSession
from diary_gateway_demo.seed import SeedStudent, World
from gateway.graphql import GatewayGraphQL
from schema.ids import encode_id
from tests.clock import school_week

from .conftest import DemoGateway
from .matrix import REGIONS

LOGIN = """mutation Login($region: String!, $school: String, $login: String!, $password: String!) {
  login(region: $region, school: $school, login: $login, password: $password) {
    token expiresIn refreshToken student { id fullName }
  }
}"""
REFRESH = """mutation Refresh($token: String!) {
  refreshSession(refreshToken: $token) { token expiresIn refreshToken }
}"""
DIARY = """query LoginDiary($id: ID!, $from: Date!, $to: Date!) {
  student(id: $id) {
    id fullName
    diary(from: $from, to: $to) { days { date lessons { number marks { value } } } }
  }
}"""


def _week() -> dict[str, str]:
    return school_week()


def _world(region: str) -> World:
    return World.build(region)


def _credentials(world: World) -> dict[str, Any]:
    """The student persona's school login (the region's `school` argument where it needs one)."""
    student = world.persona_student("student")
    school = next(s for s in world.schools if s.id == student.school_id)
    return {
        "region": world.region,
        "school": None if world.region == "77" else school.login_code,
        "login": student.login,
        "password": student.password,
    }


def _full_name(student: SeedStudent) -> str:
    person = student.person
    return f"{person.last_name} {person.first_name} {person.middle_name}"


def _sid(world: World, student: SeedStudent) -> str:
    return encode_id("Student", world.region, str(student.id))


def _login(demo: DemoGateway, credentials: dict[str, Any]) -> dict[str, Any]:
    body = demo.query(LOGIN, credentials)
    assert "errors" not in body, body["errors"]
    session: dict[str, Any] = body["data"]["login"]
    return session


def _codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors") or ()}


def _gateway_view(demo: DemoGateway) -> GatewayGraphQL:
    route = next(r for r in demo.app.routes if isinstance(r, Route) and r.path == "/graphql")
    view = route.endpoint
    assert isinstance(view, GatewayGraphQL)
    return view


@pytest.mark.parametrize("region", REGIONS)
def test_a_school_login_reads_that_students_diary_and_nothing_else(
    region: str, demo: DemoGateway
) -> None:
    world = _world(region)
    me = world.persona_student("student")
    session = _login(demo, _credentials(world))
    assert session["student"] == {"id": _sid(world, me), "fullName": _full_name(me)}
    assert 0 < session["expiresIn"] <= 3600
    token = session["token"]

    audit = demo.app.state.audit
    before = Counter(audit.all_events())
    own = demo.query(DIARY, {"id": _sid(world, me), **_week()}, token=token)
    assert "errors" not in own, own["errors"]
    assert Counter(audit.all_events()) == before, "a student's own reads are not audited"
    lessons = [le for day in own["data"]["student"]["diary"]["days"] for le in day["lessons"]]
    assert lessons
    marks = sum(len(le["marks"]) for le in lessons)
    span = [date.fromisoformat(_week()["from"]) + timedelta(days=i) for i in range(7)]
    expected = sum(
        1 for day in span for m in world.marks(me.class_id, day) if m.student_id == me.id
    )
    assert marks == expected

    canonical = world.students[world.canonical_student_id]
    classmate = next(
        s for s in world.class_students(me.class_id) if s.id not in (me.id, canonical.id)
    )
    elsewhere = _world(next(r for r in REGIONS if r != region))
    strangers = [
        _sid(world, canonical),
        _sid(world, classmate),
        _sid(elsewhere, elsewhere.students[elsewhere.canonical_student_id]),
    ]
    for stranger in strangers:
        body = demo.query(DIARY, {"id": stranger, **_week()}, token=token)
        assert body["data"]["student"] is None, stranger
        assert _codes(body) == {"FORBIDDEN"}, (stranger, body["errors"])
        body = demo.query(
            "query ($id: ID!, $from: Date!, $to: Date!) "
            "{ diary(studentId: $id, from: $from, to: $to) { days { date } } }",
            {"id": stranger, **_week()},
            token=token,
        )
        assert body["data"]["diary"] is None, stranger
        assert _codes(body) == {"FORBIDDEN"}, stranger

    viewer = demo.query(
        "{ me { roles { role region { code } } children { id } } }",
        token=token,
    )
    assert "errors" not in viewer, viewer["errors"]
    assert viewer["data"]["me"]["children"] == []
    assert viewer["data"]["me"]["roles"] == [{"role": "STUDENT", "region": {"code": region}}]

    group = next(g for g in world.groups_of_class(me.class_id))
    journal = demo.query(
        "query ($g: ID!, $from: Date!, $to: Date!) "
        "{ journal(groupId: $g, from: $from, to: $to) { rows { student { id } } } }",
        {"g": encode_id("Group", region, str(group.id)), **_week()},
        token=token,
    )
    assert journal["data"]["journal"] is None
    assert _codes(journal) == {"FORBIDDEN"}

    log = demo.query(
        "query ($id: ID!) { student(id: $id) { accessLog { nodes { viewer } } } }",
        {"id": _sid(world, me)},
        token=token,
    )
    assert log["data"]["student"]["accessLog"] is None
    assert _codes(log) == {"FORBIDDEN"}


@pytest.mark.parametrize("region", REGIONS)
def test_the_provider_token_never_leaves_the_server(region: str, demo: DemoGateway) -> None:
    world = _world(region)
    body = demo.query(LOGIN, _credentials(world))
    session = body["data"]["login"]
    found = _gateway_view(demo).sessions
    assert found is not None
    resolved = asyncio.run(found.resolve(session["token"]))
    assert resolved is not None
    resolved_region, provider = resolved
    assert resolved_region == region
    assert isinstance(provider, ProviderSession)
    secrets_ = {provider.token, *(value for _, value in provider.data if len(value) >= 8)}
    assert provider.token
    me = world.persona_student("student")
    diary = demo.query(DIARY, {"id": _sid(world, me), **_week()}, token=session["token"])
    for answer in (body, diary):
        text = json.dumps(answer, ensure_ascii=False)
        assert not [s for s in secrets_ if s in text]
    # Opaque random tokens: nothing to decode, nothing of the provider's inside.
    for token in (session["token"], session["refreshToken"]):
        assert "." not in token
        assert len(token) >= 43
        assert not [s for s in secrets_ if s in token]


@pytest.mark.parametrize("region", REGIONS)
def test_a_wrong_password_and_a_wrong_login_get_the_same_answer(
    region: str, demo: DemoGateway
) -> None:
    credentials = _credentials(_world(region))
    wrong_password = demo.query(LOGIN, {**credentials, "password": "not-the-password"})
    wrong_login = demo.query(LOGIN, {**credentials, "login": f"nobody-{secrets.token_hex(4)}"})
    answers = []
    for body in (wrong_password, wrong_login):
        assert body["data"] is None or body["data"].get("login") is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        answers.append((error["message"], error["extensions"], error["path"]))
    assert answers[0] == answers[1]
    assert credentials["login"] not in json.dumps(wrong_password)
    # The real student can still sign in (one failure is no lock-out) — and that clears it.
    _login(demo, credentials)


def test_the_sixth_attempt_after_five_failures_is_rate_limited(fresh_demo: DemoGateway) -> None:
    credentials = _credentials(_world("74"))
    for _ in range(5):
        body = fresh_demo.query(LOGIN, {**credentials, "password": "guess"})
        assert _codes(body) == {"UNAUTHENTICATED"}
    # Even the right password is refused now: the throttle answers before the provider.
    body = fresh_demo.query(LOGIN, credentials)
    assert body["data"] is None or body["data"].get("login") is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    retry = error["extensions"]["retryAfter"]
    assert isinstance(retry, int | float)
    assert 0 < retry <= 15 * 60
    # Another student's login is not affected by this one's failures.
    other = _credentials(_world("11"))
    assert _login(fresh_demo, other)["token"]


@pytest.mark.parametrize("region", REGIONS)
def test_refresh_session_rotates_the_tokens(region: str, demo: DemoGateway) -> None:
    world = _world(region)
    me = world.persona_student("student")
    first = _login(demo, _credentials(world))
    body = demo.query(REFRESH, {"token": first["refreshToken"]})
    assert "errors" not in body, body["errors"]
    second = body["data"]["refreshSession"]
    assert second["refreshToken"] != first["refreshToken"]
    assert second["token"] != first["token"]
    assert second["expiresIn"] > 0
    own = demo.query(DIARY, {"id": _sid(world, me), **_week()}, token=second["token"])
    assert "errors" not in own
    assert own["data"]["student"]["id"] == _sid(world, me)
    # The access token it replaced is refused from now on.
    replaced = demo.query(DIARY, {"id": _sid(world, me), **_week()}, token=first["token"])
    assert replaced["data"] is None or replaced["data"]["student"] is None
    assert _codes(replaced) == {"UNAUTHENTICATED"}
    # The used refresh token is spent; the new one works once.
    reused = demo.query(REFRESH, {"token": first["refreshToken"]})
    assert _codes(reused) == {"UNAUTHENTICATED"}
    third = demo.query(REFRESH, {"token": second["refreshToken"]})
    assert "errors" not in third, third["errors"]
    bogus = demo.query(REFRESH, {"token": secrets.token_urlsafe(32)})
    assert _codes(bogus) == {"UNAUTHENTICATED"}
