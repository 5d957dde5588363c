"""The public directory for the national portal, data windows, and region-specific gaps."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from adapters import SYSTEM_CLOCK
from diary_gateway_demo.seed import World
from gateway.dev_issuer import DEV_JWKS_PATH
from tests.clock import school_week

from .conftest import DemoGateway, make_demo


def test_go_redirects_to_the_regions_own_diary(demo: DemoGateway) -> None:
    response = httpx.get(f"{demo.url}/go/77", follow_redirects=False, timeout=10)
    assert response.status_code == 302
    assert response.headers["location"] == demo.registry["77"].region.diary_url


def test_go_with_a_school_and_unknown_places(demo: DemoGateway) -> None:
    schools = demo.query('{ region(code: "74") { schools { nodes { id name } } } }')
    assert "errors" not in schools
    body = demo.query("{ regions { code } }")
    assert {r["code"] for r in body["data"]["regions"]} == {"11", "74", "77"}
    native = World.build("74").schools[0].id  # the emulator serves the same world
    ok = httpx.get(f"{demo.url}/go/74/{native}", follow_redirects=False, timeout=10)
    assert ok.status_code == 302
    assert f"school={native}" in ok.headers["location"]
    missing = httpx.get(f"{demo.url}/go/99", timeout=10)
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    for code in ("74", "11", "77"):
        assert f'href="/go/{code}"' in missing.text  # the page lists the known regions
    no_school = httpx.get(f"{demo.url}/go/74/no-such-school", timeout=10)
    assert no_school.status_code == 404


def test_only_the_directory_is_public(demo: DemoGateway) -> None:
    body = demo.query(
        "{ regions { code diarySystem diaryUrl loginMethods schools { nodes { name } } } }"
    )
    assert "errors" not in body
    for query in ("{ me { person { fullName } } }", '{ student(id: "U3R1ZGVudDo3NDox") { id } }'):
        refused = demo.query(query)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_regional_data_window_limits_parents_only(tmp_path: Path) -> None:
    with make_demo(tmp_path / "key.json", region_overrides={"74": {"history_days": 30}}) as demo:
        children = demo.query(
            "{ me { children { id school { region { code } } } } }", persona="parent"
        )
        child = next(
            c["id"]
            for c in children["data"]["me"]["children"]
            if c["school"]["region"]["code"] == "74"
        )
        today = SYSTEM_CLOCK.today(ZoneInfo("Asia/Yekaterinburg"))
        old = {"from": (today - timedelta(days=60)).isoformat()}
        old["to"] = (date.fromisoformat(old["from"]) + timedelta(days=6)).isoformat()
        query = (
            "query ($id: ID!, $from: Date!, $to: Date!) { diary(studentId: $id, from: $from, "
            "to: $to) { days { date } } }"
        )
        parent = demo.query(query, {"id": child, **old}, persona="parent")
        assert parent["data"]["diary"] is None
        assert parent["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        recent = {
            "from": (today - timedelta(days=6)).isoformat(),
            "to": today.isoformat(),
        }
        assert "errors" not in demo.query(query, {"id": child, **recent}, persona="parent")
        # staff are not limited by the parents' window
        teacher = demo.query(query, {"id": child, **old}, persona="class-teacher@74")
        assert "errors" not in teacher, teacher.get("errors")


def test_a_region_that_cannot_mark_homework_done_says_not_supported(demo: DemoGateway) -> None:
    week = school_week()
    body = demo.query(
        "query ($from: Date!, $to: Date!) { me { children { school { region { code } } "
        "diary(from: $from, to: $to) { days { lessons { homework { id } } } } } } }",
        week,
        persona="parent",
    )
    child = next(c for c in body["data"]["me"]["children"] if c["school"]["region"]["code"] == "11")
    homework = next(
        h for d in child["diary"]["days"] for le in d["lessons"] for h in le["homework"]
    )
    result = demo.query(
        "mutation ($id: ID!) { setHomeworkDone(homeworkId: $id, done: true) "
        "{ homework { isDone } } }",
        {"id": homework["id"]},
        persona="parent",
    )
    assert result["data"]["setHomeworkDone"] is None
    (error,) = result["errors"]
    assert error["extensions"]["code"] == "NOT_SUPPORTED"
    assert error["extensions"]["provider"] == "eljur"


def test_standalone_emulator_serves_the_same_diaries_as_the_demo(
    demo: DemoGateway, tmp_path: Path
) -> None:
    """`diary-gateway emulate moscow --port P` behind a config's region gives the demo's data."""
    from tests.servers import free_port

    port = free_port()
    gateway_port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway",
            "emulate",
            "moscow",
            "--port",
            str(port),
            "--sso-jwks",
            f"http://127.0.0.1:{gateway_port}{DEV_JWKS_PATH}",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/__admin/stats", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                assert process.poll() is None
                time.sleep(0.1)
        with make_demo(
            demo_key(demo), moscow_url=f"http://127.0.0.1:{port}", port=gateway_port
        ) as external:
            query = (
                "query ($from: Date!, $to: Date!) { me { children { fullName school { name region "
                "{ code } } diary(from: $from, to: $to) { days { lessons { subject { name } marks "
                "{ value fivePoint } homework { text } } } } } } }"
            )
            week = school_week()
            theirs = external.query(query, week, persona="parent")
            ours = demo.query(query, week, persona="parent")
            assert "errors" not in theirs, theirs.get("errors")
            assert theirs["data"] == ours["data"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def demo_key(demo: DemoGateway) -> Path:
    """The key file of the shared demo's issuer (tokens then work on both gateways)."""
    return Path(demo.key_path)
