"""Onboarding through the running gateway: a school admin's invitation redeemed by a parent
signed in through the national SSO (the region's system binds the identity: «Сетевой город»,
74), access requests approved or refused with a reason the parent sees, every role that may
and may not, and ``NOT_SUPPORTED`` where the region's system cannot bind (МЭШ 77, ЭлЖур 11)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from adapters import Clock
from gateway.dev_issuer import DEV_AUDIENCE
from gateway.onboarding import Onboarding
from tests.database import postgres_database

from .conftest import DemoGateway, make_demo

CREATE = """mutation Invite($id: ID!, $days: Int) {
  createInvitation(studentId: $id, validDays: $days) { id studentId code link status expiresAt }
}"""
REDEEM = """mutation Redeem($code: String!) {
  redeemInvitation(code: $code) { id studentId status redeemedAt code }
}"""
REQUEST = """mutation Ask($school: ID!, $child: String!, $message: String!) {
  requestAccess(schoolId: $school, childName: $child, message: $message) {
    id status reason childName regionCode schoolId invitation { code }
  }
}"""
DECIDE = """mutation Decide($id: ID!, $approve: Boolean!, $student: ID, $reason: String) {
  decideAccessRequest(requestId: $id, approve: $approve, studentId: $student, reason: $reason) {
    id status reason invitation { id code status studentId }
  }
}"""
MINE = "{ accessRequests { id status reason childName invitation { code status } } }"
AT_SCHOOL = """query AtSchool($school: ID!) {
  accessRequests(schoolId: $school) { id status childName }
}"""
CHILDREN = "{ me { children { id fullName school { id region { code } } } } }"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoGateway]:
    folder = tmp_path_factory.mktemp("onboarding")
    database = {"url": f"sqlite:///{folder / 'gateway.sqlite3'}"}
    with make_demo(folder / "key.json", database=database) as served:
        yield served


def _newcomer(gateway: DemoGateway) -> str:
    """A token of a person no region knows (a national id of their own)."""
    return gateway.issuer.mint(f"esia-newcomer-{secrets.token_hex(4)}", audience=DEV_AUDIENCE)


def _child(gateway: DemoGateway, region: str) -> dict[str, Any]:
    body = gateway.query(CHILDREN, persona="parent")
    return dict(
        next(c for c in body["data"]["me"]["children"] if c["school"]["region"]["code"] == region)
    )


def _code(body: dict[str, Any]) -> str | None:
    errors = body.get("errors")
    return errors[0]["extensions"]["code"] if errors else None


def _invite(gateway: DemoGateway, region: str = "74") -> dict[str, Any]:
    body = gateway.query(
        CREATE, {"id": _child(gateway, region)["id"]}, persona=f"school-admin@{region}"
    )
    assert "errors" not in body, body
    return dict(body["data"]["createInvitation"])


def test_an_invited_parent_redeems_and_sees_the_child(gateway: DemoGateway) -> None:
    child = _child(gateway, "74")
    invitation = _invite(gateway)
    assert invitation["status"] == "PENDING"
    assert invitation["studentId"] == child["id"]
    assert invitation["code"]
    assert invitation["link"].endswith(invitation["code"])
    newcomer = _newcomer(gateway)
    before = gateway.query(CHILDREN, token=newcomer)
    assert before["data"]["me"]["children"] == []
    redeemed = gateway.query(REDEEM, {"code": invitation["code"]}, token=newcomer)
    assert "errors" not in redeemed, redeemed
    assert redeemed["data"]["redeemInvitation"]["status"] == "REDEEMED"
    assert redeemed["data"]["redeemInvitation"]["code"] is None  # never shown again
    after = gateway.query(CHILDREN, token=newcomer)
    assert [c["fullName"] for c in after["data"]["me"]["children"]] == [child["fullName"]]
    # the region's system now has them as the child's legal representative: the diary opens
    diary = gateway.query(
        "query D($id: ID!) { student(id: $id) { fullName parentContacts } }",
        {"id": child["id"]},
        token=newcomer,
    )
    assert "errors" not in diary, diary
    # single use: nobody redeems it again, not even the same parent
    for token in (newcomer, _newcomer(gateway)):
        again = gateway.query(REDEEM, {"code": invitation["code"]}, token=token)
        assert again["data"]["redeemInvitation"] is None
        assert _code(again) == "BAD_USER_INPUT"


def test_an_expired_invitation_is_refused(gateway: DemoGateway) -> None:
    """Valid one day: two days on (the desk's clock moved), redeeming it is refused."""
    body = gateway.query(
        CREATE, {"id": _child(gateway, "74")["id"], "days": 1}, persona="school-admin@74"
    )
    code = body["data"]["createInvitation"]["code"]
    desk: Onboarding = gateway.app.state.onboarding
    real = desk.clock
    desk.clock = Clock.shifted(real.now() + timedelta(days=2))
    try:
        late = gateway.query(REDEEM, {"code": code}, token=_newcomer(gateway))
    finally:
        desk.clock = real
    assert _code(late) == "BAD_USER_INPUT"
    in_time = gateway.query(REDEEM, {"code": code}, token=_newcomer(gateway))
    assert "errors" not in in_time, in_time
    too_long = gateway.query(
        CREATE, {"id": _child(gateway, "74")["id"], "days": 61}, persona="school-admin@74"
    )
    assert _code(too_long) == "BAD_USER_INPUT"


def test_unknown_codes_and_callers_are_refused(gateway: DemoGateway) -> None:
    unknown = gateway.query(REDEEM, {"code": "NOSUCHCODE12"}, token=_newcomer(gateway))
    assert _code(unknown) == "BAD_USER_INPUT"
    anonymous = gateway.query(REDEEM, {"code": _invite(gateway)["code"]})
    assert _code(anonymous) == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("parent", "FORBIDDEN"),
        ("teacher@74", "FORBIDDEN"),
        ("class-teacher@74", "FORBIDDEN"),
        ("student@74", "FORBIDDEN"),
        ("parent-not-representative", "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ],
)
def test_only_the_schools_admin_invites(
    gateway: DemoGateway, persona: str | None, code: str
) -> None:
    body = gateway.query(CREATE, {"id": _child(gateway, "74")["id"]}, persona=persona)
    assert body["data"]["createInvitation"] is None
    assert _code(body) == code


@pytest.mark.parametrize("region", ["77", "11"])
def test_regions_that_cannot_bind_identities_answer_not_supported(
    gateway: DemoGateway, region: str
) -> None:
    body = gateway.query(
        CREATE, {"id": _child(gateway, region)["id"]}, persona=f"school-admin@{region}"
    )
    assert body["data"]["createInvitation"] is None
    assert _code(body) == "NOT_SUPPORTED"
    school = _child(gateway, region)["school"]["id"]
    asked = gateway.query(
        REQUEST, {"school": school, "child": "Иванов Иван", "message": ""}, token=_newcomer(gateway)
    )
    assert _code(asked) == "NOT_SUPPORTED"


def test_an_access_request_refused_with_a_reason_the_parent_sees(gateway: DemoGateway) -> None:
    school = _child(gateway, "74")["school"]["id"]
    newcomer = _newcomer(gateway)
    asked = gateway.query(
        REQUEST,
        {"school": school, "child": "Петров Пётр", "message": "5-Б, я его мать"},
        token=newcomer,
    )
    assert "errors" not in asked, asked
    request = asked["data"]["requestAccess"]
    assert request["status"] == "PENDING"
    assert request["regionCode"] == "74"
    # the school's admin sees it; other staff and other parents do not
    listed = gateway.query(AT_SCHOOL, {"school": school}, persona="school-admin@74")
    assert request["id"] in {r["id"] for r in listed["data"]["accessRequests"]}
    for persona in ("teacher@74", "class-teacher@74", "parent", "school-admin@11"):
        refused = gateway.query(AT_SCHOOL, {"school": school}, persona=persona)
        assert _code(refused) == "FORBIDDEN", persona
    for persona in ("teacher@74", "parent"):
        refused = gateway.query(
            DECIDE, {"id": request["id"], "approve": False, "reason": "нет"}, persona=persona
        )
        assert _code(refused) == "FORBIDDEN", persona
    no_reason = gateway.query(
        DECIDE, {"id": request["id"], "approve": False}, persona="school-admin@74"
    )
    assert _code(no_reason) == "BAD_USER_INPUT"
    reason = "В школе нет такого ученика: проверьте класс"
    decided = gateway.query(
        DECIDE, {"id": request["id"], "approve": False, "reason": reason}, persona="school-admin@74"
    )
    assert decided["data"]["decideAccessRequest"]["status"] == "REFUSED"
    mine = gateway.query(MINE, token=newcomer)["data"]["accessRequests"]
    assert [(r["id"], r["status"], r["reason"]) for r in mine] == [
        (request["id"], "REFUSED", reason)
    ]
    twice = gateway.query(
        DECIDE, {"id": request["id"], "approve": False, "reason": "x"}, persona="school-admin@74"
    )
    assert _code(twice) == "BAD_USER_INPUT"
    # nobody else sees another person's requests
    assert gateway.query(MINE, token=_newcomer(gateway))["data"]["accessRequests"] == []
    assert _code(gateway.query(MINE)) == "UNAUTHENTICATED"


def test_an_approved_request_issues_an_invitation_only_the_requester_redeems(
    gateway: DemoGateway,
) -> None:
    child = _child(gateway, "74")
    newcomer = _newcomer(gateway)
    asked = gateway.query(
        REQUEST,
        {"school": child["school"]["id"], "child": child["fullName"], "message": "отец"},
        token=newcomer,
    )
    request = asked["data"]["requestAccess"]
    no_child = gateway.query(
        DECIDE, {"id": request["id"], "approve": True}, persona="school-admin@74"
    )
    assert _code(no_child) == "BAD_USER_INPUT"
    decided = gateway.query(
        DECIDE,
        {"id": request["id"], "approve": True, "student": child["id"]},
        persona="school-admin@74",
    )
    assert "errors" not in decided, decided
    assert decided["data"]["decideAccessRequest"]["status"] == "APPROVED"
    (mine,) = gateway.query(MINE, token=newcomer)["data"]["accessRequests"]
    code = mine["invitation"]["code"]
    assert mine["status"] == "APPROVED"
    assert code
    stranger = gateway.query(REDEEM, {"code": code}, token=_newcomer(gateway))
    assert _code(stranger) == "BAD_USER_INPUT"  # reserved for the parent who asked
    redeemed = gateway.query(REDEEM, {"code": code}, token=newcomer)
    assert "errors" not in redeemed, redeemed
    after = gateway.query(CHILDREN, token=newcomer)
    assert [c["id"] for c in after["data"]["me"]["children"]] == [child["id"]]


def test_a_parent_the_region_knows_gets_an_invitation_instead(gateway: DemoGateway) -> None:
    school = _child(gateway, "74")["school"]["id"]
    body = gateway.query(
        REQUEST, {"school": school, "child": "Соколова Мария", "message": ""}, persona="parent"
    )
    assert _code(body) == "BAD_USER_INPUT"


def test_two_gateways_on_one_postgresql_share_invitations(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """An invitation made through one instance is redeemed through the other, once."""
    folder = tmp_path_factory.mktemp("onboarding-pg")
    key = folder / "key.json"
    with postgres_database() as url, make_demo(key, database={"url": url}) as first:
        with make_demo(key, database={"url": url}) as second:
            child = _child(first, "74")
            invitation = _invite(first)
            newcomer = _newcomer(first)
            redeemed = second.query(REDEEM, {"code": invitation["code"]}, token=newcomer)
            assert "errors" not in redeemed, redeemed
            assert redeemed["data"]["redeemInvitation"]["id"] == invitation["id"]
            again = first.query(REDEEM, {"code": invitation["code"]}, token=_newcomer(first))
            assert _code(again) == "BAD_USER_INPUT"
            # a request filed through one is decided through the other
            asked = first.query(
                REQUEST,
                {"school": child["school"]["id"], "child": "Петров Пётр", "message": ""},
                token=_newcomer(first),
            )
            request = asked["data"]["requestAccess"]
            decided = second.query(
                DECIDE,
                {"id": request["id"], "approve": False, "reason": "нет такого ученика"},
                persona="school-admin@74",
            )
            assert decided["data"]["decideAccessRequest"]["status"] == "REFUSED"
