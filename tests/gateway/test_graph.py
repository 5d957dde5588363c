"""The unified graph end to end: a real gateway over the three demo regions."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx

from diary_gateway_demo.demo import ELJUR_EMULATOR_PATH
from tests.clock import canonical_week, school_week

from .conftest import DemoGateway

PARENT_WEEK = """
query ($from: Date!, $to: Date!) {
  me {
    children {
      id fullName
      school { name region { code } }
      diary(from: $from, to: $to) {
        days { date lessons {
          number startsAt subject { name } isCancelled isReplaced isRemote
          marks { value scale { kind } fivePoint tenPoint hundredPoint normalized weight comment }
          homework { text }
          absence { reason isExcused }
        } }
      }
    }
  }
}
"""


CHILDREN = {
    "74": ["Соколова Мария Андреевна"],
    "11": ["Соколов Илья Андреевич"],
    "77": ["Соколова Анна Андреевна", "Соколов Михаил Андреевич"],
}
"""The ``parent`` persona's children: siblings in three regions, twins in one class in 77."""
CANONICAL = {"74": "Соколова Мария Андреевна", "11": "Соколов Илья Андреевич"}
CANONICAL["77"] = "Соколова Анна Андреевна"


def _week() -> dict[str, str]:
    return canonical_week()


def _canonical_children(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        child["school"]["region"]["code"]: child
        for child in body["data"]["me"]["children"]
        if child["fullName"] == CANONICAL[child["school"]["region"]["code"]]
    }


def _lessons(child: dict[str, Any]) -> list[dict[str, Any]]:
    return [lesson for day in child["diary"]["days"] for lesson in day["lessons"]]


def _monday_algebra(child: dict[str, Any]) -> dict[str, Any]:
    monday = child["diary"]["days"][0]
    return next(le for le in monday["lessons"] if le["subject"]["name"] == "Алгебра")


def test_parent_sees_a_child_in_every_region_with_native_and_five_point_marks(
    demo: DemoGateway,
) -> None:
    body = demo.query(PARENT_WEEK, _week(), persona="parent")
    assert "errors" not in body, body.get("errors")
    children = body["data"]["me"]["children"]
    names: dict[str, list[str]] = {}
    for child in children:
        names.setdefault(child["school"]["region"]["code"], []).append(child["fullName"])
        days = child["diary"]["days"]
        assert len(days) == 7
        assert days[0]["date"] == _week()["from"]
        assert len(_lessons(child)) == 32, "the canonical week: 7 + 6 + 7 + 6 + 6 lessons"
    assert {code: sorted(found) for code, found in names.items()} == {
        code: sorted(expected) for code, expected in CHILDREN.items()
    }
    by_region = _canonical_children(body)
    twins = [c for c in children if c["school"]["region"]["code"] == "77"]
    assert twins[0]["school"]["name"] == twins[1]["school"]["name"]
    # Monday's algebra test: 5 on the five-point scale in 74 and 77, 10 of 10 in 11.
    native = {
        code: [(m["value"], m["scale"]["kind"]) for m in _monday_algebra(c)["marks"]]
        for code, c in by_region.items()
    }
    assert native["74"] == [("5", "FIVE_POINT")]
    assert native["77"] == [("5", "FIVE_POINT")]
    assert native["11"] == [("10", "TEN_POINT")]
    for child in by_region.values():
        (mark,) = _monday_algebra(child)["marks"]
        assert mark["fivePoint"] == 5.0
        assert mark["hundredPoint"] == 100.0
        assert mark["weight"] == 2.0
        assert mark["comment"] == "Отличная работа"
        assert _monday_algebra(child)["homework"][0]["text"] == "№ 245, 247"
    # Local lesson times carry each region's own offset.
    offsets = {code: _monday_algebra(c)["startsAt"][-6:] for code, c in by_region.items()}
    assert offsets == {"74": "+05:00", "11": "+03:00", "77": "+03:00"}


def test_pass_fail_marks_have_no_numeric_equivalents(demo: DemoGateway) -> None:
    body = demo.query(PARENT_WEEK, _week(), persona="parent")
    for child in _canonical_children(body).values():
        monday = child["diary"]["days"][0]["lessons"]
        pe = next(le for le in monday if le["subject"]["name"] == "Физическая культура")
        (mark,) = pe["marks"]
        assert mark["scale"]["kind"] == "PASS_FAIL"
        assert mark["fivePoint"] is None
        assert mark["normalized"] is None


def test_a_weeks_diary_costs_one_provider_call_per_region(demo: DemoGateway) -> None:
    demo.runner.calls.clear()
    week = _week()
    earlier = {
        "from": (date.fromisoformat(week["from"]) - timedelta(days=14)).isoformat(),
        "to": (date.fromisoformat(week["to"]) - timedelta(days=14)).isoformat(),
    }  # a week nobody has read yet: the cache is cold for it
    body = demo.query(PARENT_WEEK, earlier, persona="parent")
    lessons = sum(len(_lessons(c)) for c in body["data"]["me"]["children"])
    assert lessons > 40
    for region in ("74", "11", "77"):
        assert demo.runner.calls[(region, "diary")] == 1
        assert demo.runner.calls[(region, "profile")] <= 1
    assert sum(demo.runner.calls.values()) <= 3 * 3  # profile, diary, schools per region
    # the same query again is served from the entity cache: no provider call at all
    demo.runner.calls.clear()
    again = demo.query(PARENT_WEEK, earlier, persona="parent")
    assert again["data"] == body["data"]
    assert sum(demo.runner.calls.values()) == 0


def test_missing_or_bad_token_is_unauthenticated(demo: DemoGateway) -> None:
    for token in (None, "not-a-jwt", demo.token("parent")[:-4] + "AAAA"):
        body = demo.query("{ me { children { fullName } } }", token=token)
        assert body["data"] is None or body["data"].get("me") is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_public_directory_answers_without_a_token(demo: DemoGateway) -> None:
    body = demo.query(
        "{ regions { code name diarySystem diaryUrl loginMethods isDemo "
        "schools { nodes { name } } } }"
    )
    assert "errors" not in body
    regions = {r["code"]: r for r in body["data"]["regions"]}
    assert set(regions) == {"74", "11", "77"}
    assert regions["11"]["diarySystem"] != regions["74"]["diarySystem"]
    assert all(len(r["schools"]["nodes"]) >= 2 for r in regions.values())
    assert all(r["isDemo"] for r in regions.values())


def test_a_failing_provider_nulls_only_its_own_child(fresh_demo: DemoGateway) -> None:
    admin = f"{fresh_demo.url}{ELJUR_EMULATOR_PATH}/__admin/faults"
    httpx.post(admin, json={"error_rate": 1.0}, timeout=10).raise_for_status()
    try:
        body = fresh_demo.query(
            "{ me { children { fullName school { region { code } } } } }", persona="parent"
        )
    finally:
        httpx.post(admin, json={}, timeout=10).raise_for_status()
    children = body["data"]["me"]["children"]
    assert sorted(c["school"]["region"]["code"] for c in children if c) == ["74", "77", "77"]
    assert sum(1 for c in children if c is None) == 1
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "PROVIDER_UNAVAILABLE"
    assert error["extensions"]["provider"] == "eljur"
    assert error["path"][:2] == ["me", "children"]


def test_diary_by_student_id_and_node_refetch(demo: DemoGateway) -> None:
    body = demo.query("{ me { children { id } } }", persona="parent")
    ids = [c["id"] for c in body["data"]["me"]["children"]]
    query = """query ($id: ID!, $from: Date!, $to: Date!) {
      node(id: $id) { id ... on Student { fullName } }
      diary(studentId: $id, from: $from, to: $to) { days { lessons { subject { name } } } }
    }"""
    for student_id in ids:
        result = demo.query(query, {"id": student_id, **school_week()}, persona="parent")
        assert "errors" not in result, result["errors"]
        assert result["data"]["node"]["id"] == student_id
        assert any(day["lessons"] for day in result["data"]["diary"]["days"])


def test_too_long_a_range_is_bad_user_input(demo: DemoGateway) -> None:
    body = demo.query("{ me { children { id } } }", persona="parent")
    student_id = body["data"]["me"]["children"][0]["id"]
    result = demo.query(
        'query ($id: ID!) { diary(studentId: $id, from: "2025-01-01", to: "2025-12-31") '
        "{ days { date } } }",
        {"id": student_id},
        persona="parent",
    )
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_graphiql_is_served_to_browsers_in_the_demo(demo: DemoGateway) -> None:
    import httpx

    response = httpx.get(f"{demo.url}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
