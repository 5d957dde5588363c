"""Honest codes for provider sessions, through the running gateway and the Moscow emulator.

``UNAUTHENTICATED`` is only about the gateway's own credential. Provider tokens that die
every few calls are renewed (once for all concurrent calls) and never surface; a region's
system refusing our credentials is ``REAUTHENTICATION_REQUIRED`` on that region's fields
only, with what the user can do (``RETRY_LATER``, ``SIGN_IN_AGAIN``); a school-login session
whose provider session ended cannot be refreshed.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from diary_gateway_demo.moscow import create_emulator
from diary_gateway_demo.moscow.app import Emulator
from diary_gateway_demo.seed import World
from gateway.dev_issuer import DEV_JWKS_PATH
from schema.ids import encode_id
from tests.clock import school_week
from tests.servers import free_port, serve_app

from .conftest import DemoGateway, make_demo

WEEK = """
query ($from: Date!, $to: Date!) {
  me { children { school { region { code } } diary(from: $from, to: $to) {
    days { date lessons {
      subject { name } marks { value } homework { text } absence { reason }
    } }
  } } }
}
"""
LOGIN = """mutation ($login: String!, $password: String!) {
  login(region: "77", login: $login, password: $password) { token refreshToken }
}"""
REFRESH = """mutation ($token: String!) {
  refreshSession(refreshToken: $token) { token refreshToken }
}"""
OWN_DIARY = """query ($id: ID!, $from: Date!, $to: Date!) {
  student(id: $id) { diary(from: $from, to: $to) { days { date lessons { number } } } }
}"""


@contextmanager
def moscow_demo(
    tmp_path: Path, *, token_ttl_calls: int | None
) -> Iterator[tuple[DemoGateway, Emulator]]:
    """A demo gateway whose region 77 is an emulator of its own (tokens dying as told).

    Responses are not cached, so every query reaches the adapter.
    """
    port = free_port()
    app = create_emulator(
        sso_jwks_url=f"http://127.0.0.1:{port}{DEV_JWKS_PATH}",
        token_ttl_calls=token_ttl_calls,
    )
    with (
        serve_app(app) as emulator_url,
        make_demo(
            tmp_path / "key.json", moscow_url=emulator_url, port=port, cache={"responses": False}
        ) as demo,
    ):
        yield demo, app.state.emulator


def _patient(demo: DemoGateway, seconds: float = 60.0) -> None:
    """Let region 77's calls take longer than a user would wait: fifty concurrent weeks need
    about a hundred renewals in a row (each token serves three calls), and this test is about
    what they answer, not how fast."""
    runner = demo.runner.inner
    runner.settings = dataclasses.replace(runner.settings, call_budget=seconds)


def _ranges(count: int) -> list[dict[str, str]]:
    """``count`` different seven-day ranges ending in the latest school week."""
    monday = date.fromisoformat(school_week()["from"])
    return [
        {
            "from": (monday - timedelta(days=i)).isoformat(),
            "to": (monday - timedelta(days=i) + timedelta(days=6)).isoformat(),
        }
        for i in range(count)
    ]


def _by_region(body: dict[str, Any]) -> dict[str, Any]:
    return {
        child["school"]["region"]["code"]: child
        for child in body["data"]["me"]["children"]
        if child is not None
    }


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or ()]


async def _concurrently(demo: DemoGateway, token: str, ranges: list[dict[str, str]]) -> list[Any]:
    async with httpx.AsyncClient(timeout=60) as http:

        async def one(variables: dict[str, str]) -> Any:
            response = await http.post(
                f"{demo.url}/graphql",
                json={"query": WEEK, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            return response.json()

        return await asyncio.gather(*(one(v) for v in ranges))


@pytest.mark.slow
def test_fifty_concurrent_weeks_with_provider_tokens_dying_every_three_calls(
    tmp_path: Path,
) -> None:
    ranges = _ranges(50)
    with moscow_demo(tmp_path / "oracle", token_ttl_calls=None) as (demo, _):
        expected = [demo.query(WEEK, v, persona="parent") for v in ranges]
    assert all("errors" not in body for body in expected)
    assert sum(
        len(day["lessons"]) for body in expected for day in _by_region(body)["77"]["diary"]["days"]
    ), "the oracle has Moscow lessons"

    with moscow_demo(tmp_path / "churn", token_ttl_calls=3) as (demo, emulator):
        _patient(demo)
        answers = asyncio.run(_concurrently(demo, demo.token("parent"), ranges))
        issued = emulator.controls.counts["/v3/auth/sudir/auth"]
    for variables, answer, oracle in zip(ranges, answers, expected, strict=True):
        assert "UNAUTHENTICATED" not in _codes(answer), variables
        assert "errors" not in answer, (variables, answer.get("errors"))
        assert answer["data"] == oracle["data"], variables  # nothing lost
    # tokens were renewed many times (each serves three calls), not once per call
    calls = sum(emulator.controls.counts.values())
    assert 10 < issued < calls / 2


def test_a_provider_refusing_the_sso_exchange_is_retry_later_on_its_fields_only(
    tmp_path: Path,
) -> None:
    first, second = _ranges(2)
    with moscow_demo(tmp_path, token_ttl_calls=None) as (demo, emulator):
        token = demo.token("parent")
        before = demo.query(WEEK, first, token=token)
        assert "errors" not in before
        assert "77" in _by_region(before)
        # The provider forgets every token and stops accepting the national SSO exchange.
        emulator.sso = None
        emulator.tokens.clear()
        body = demo.query(WEEK, second, token=token)
        # the parent's own token is still good: `me` answers
        assert body["data"]["me"] is not None
    codes = _codes(body)
    assert codes, body
    assert set(codes) == {"REAUTHENTICATION_REQUIRED"}, body["errors"]
    for error in body["errors"]:
        assert error["extensions"]["region"] == "77"
        assert error["extensions"]["action"] == "RETRY_LATER"
        assert error["extensions"]["provider"] == "moscow"
    children = _by_region(body)
    for region in ("74", "11"):
        assert children[region]["diary"] is not None, region  # other regions answer
    assert children.get("77") is None or children["77"]["diary"] is None


def _settled(emulator: Emulator) -> int:
    """The emulator's call count once it has not moved for 0.3 s (at most 5 s)."""
    import time

    count, quiet_since, deadline = -1, 0.0, time.monotonic() + 5
    while time.monotonic() < deadline:
        now = sum(emulator.controls.counts.values())
        if now != count:
            count, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= 0.3:
            break
        time.sleep(0.02)
    return count


def test_a_school_login_whose_provider_session_ended_must_sign_in_again(
    tmp_path: Path,
) -> None:
    world = World.build("77")
    student = world.persona_student("student")
    sid = encode_id("Student", "77", str(student.id))
    first, second, third = _ranges(3)
    with moscow_demo(tmp_path, token_ttl_calls=None) as (demo, emulator):
        signed_in = demo.query(LOGIN, {"login": student.login, "password": student.password})
        assert "errors" not in signed_in, signed_in["errors"]
        session = signed_in["data"]["login"]
        own = demo.query(OWN_DIARY, {"id": sid, **first}, token=session["token"])
        assert "errors" not in own, own["errors"]

        emulator.tokens.clear()  # the provider ended the school-login session
        ended = demo.query(OWN_DIARY, {"id": sid, **second}, token=session["token"])
        assert _codes(ended), ended
        assert set(_codes(ended)) == {"REAUTHENTICATION_REQUIRED"}, ended
        for error in ended["errors"]:
            assert error["extensions"]["action"] == "SIGN_IN_AGAIN"
            assert error["extensions"]["region"] == "77"
        calls = _settled(emulator)  # calls of that operation still in flight are counted
        again = demo.query(OWN_DIARY, {"id": sid, **third}, token=session["token"])
        assert set(_codes(again)) == {"REAUTHENTICATION_REQUIRED"}, again
        assert sum(emulator.controls.counts.values()) == calls, "not asked again"

        refreshed = demo.query(REFRESH, {"token": session["refreshToken"]})
        assert refreshed["data"] is None
        (error,) = refreshed["errors"]
        assert error["extensions"]["code"] == "REAUTHENTICATION_REQUIRED"
        assert error["extensions"]["action"] == "SIGN_IN_AGAIN"
        assert error["extensions"]["region"] == "77"

        # signing in again with the school login works
        back = demo.query(LOGIN, {"login": student.login, "password": student.password})
        assert "errors" not in back, back["errors"]
        fresh = demo.query(OWN_DIARY, {"id": sid, **second}, token=back["data"]["login"]["token"])
        assert "errors" not in fresh, fresh["errors"]
