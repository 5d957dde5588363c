"""Acknowledgement receipts through the running gateway: who may acknowledge, the content
hash a client computes from the documented week query, BAD_USER_INPUT when the week changed,
verification (``Query.verifyReceipt`` and npm ``jose`` against ``/.well-known/jwks.json``),
staff seeing acknowledgements in the journal, and two instances on one PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.receipts import ReceiptIssuer
from schema.receipts import WEEK_QUERY, content_hash
from tests.clock import school_week
from tests.database import postgres_database
from tests.node import install_or_skip, skip_or_fail

from .conftest import DemoGateway, make_demo

ROOT = Path(__file__).resolve().parents[2]
CHECK = ROOT / "scripts" / "receipt-check"

ACKNOWLEDGE = """mutation Acknowledge($id: ID!, $week: Date!, $hash: String) {
  acknowledgeDiary(studentId: $id, weekOf: $week, contentHash: $hash) {
    id jws studentId weekOf contentHash acknowledgedAt keyId
  }
}"""
VERIFY = """query Verify($receipt: String!) {
  verifyReceipt(receipt: $receipt) {
    isValid reason receipt { id studentId weekOf contentHash keyId }
  }
}"""
CHILDREN = "{ me { children { id school { region { code } } } } }"
GROUPS = "{ me { roles { region { code } groups { id } } } }"
JOURNAL = """query Journal($group: ID!, $from: Date!, $to: Date!) {
  journal(groupId: $group, from: $from, to: $to) {
    rows { student { id } }
    acknowledgements { id studentId weekOf contentHash }
  }
}"""


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoGateway]:
    """A demo gateway with its own SQLite database."""
    folder = tmp_path_factory.mktemp("receipts")
    database = {"url": f"sqlite:///{folder / 'gateway.sqlite3'}"}
    with make_demo(folder / "key.json", database=database) as served:
        yield served


def _child(gateway: DemoGateway, region: str) -> str:
    body = gateway.query(CHILDREN, persona="parent")
    return str(
        next(
            c["id"]
            for c in body["data"]["me"]["children"]
            if c["school"]["region"]["code"] == region
        )
    )


def _client_hash(gateway: DemoGateway, student: str, week: dict[str, str], persona: str) -> str:
    """What a client computes: the documented query, its days' canonical JSON, SHA-256."""
    body = gateway.query(
        WEEK_QUERY, {"studentId": student, "from": week["from"], "to": week["to"]}, persona=persona
    )
    assert "errors" not in body, body
    return content_hash(body["data"]["diary"]["days"])


def _acknowledge(
    gateway: DemoGateway,
    student: str,
    week: str,
    *,
    persona: str | None = "parent",
    content: str | None = None,
) -> dict[str, Any]:
    variables: dict[str, Any] = {"id": student, "week": week, "hash": content}
    return gateway.query(ACKNOWLEDGE, variables, persona=persona)


def _payload(jws: str) -> dict[str, Any]:
    body = jws.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return data


@pytest.mark.parametrize("region", ["74", "11", "77"])
def test_the_legal_representative_acknowledges_the_week_they_saw(
    gateway: DemoGateway, region: str
) -> None:
    student = _child(gateway, region)
    week = school_week()
    shown = _client_hash(gateway, student, week, "parent")
    body = _acknowledge(gateway, student, week["to"], content=shown)  # any day of the week
    assert "errors" not in body, body
    receipt = body["data"]["acknowledgeDiary"]
    assert receipt["studentId"] == student
    assert receipt["weekOf"] == week["from"]  # its Monday
    assert receipt["contentHash"] == shown
    claims = _payload(receipt["jws"])
    assert (claims["student"], claims["region"]) == (student, region)
    assert (claims["weekOf"], claims["contentHash"]) == (week["from"], shown)
    assert claims["jti"] == receipt["id"]
    # the region's own id of the parent, never the national id
    assert claims["parent"]
    assert "esia" not in claims["parent"]
    assert "esia-parent" not in receipt["jws"]
    checked = gateway.query(VERIFY, {"receipt": receipt["jws"]})  # anyone: not signed in
    assert checked["data"]["verifyReceipt"] == {
        "isValid": True,
        "reason": None,
        "receipt": {k: receipt[k] for k in ("id", "studentId", "weekOf", "contentHash", "keyId")},
    }


@pytest.mark.parametrize(("region", "recorded"), [("77", True), ("74", None), ("11", None)])
def test_the_regions_system_is_told_where_it_takes_acknowledgements(
    gateway: DemoGateway, region: str, recorded: bool | None
) -> None:
    """МЭШ (77) records the parent's acknowledgement (the emulator's diary_acknowledgements);
    the others take none, and the receipt alone stands."""
    student = _child(gateway, region)
    body = gateway.query(
        """mutation Told($id: ID!, $week: Date!) {
          acknowledgeDiary(studentId: $id, weekOf: $week) { id isRecordedByRegion }
        }""",
        {"id": student, "week": school_week()["from"]},
        persona="parent",
    )
    assert "errors" not in body, body
    assert body["data"]["acknowledgeDiary"]["isRecordedByRegion"] is recorded


def test_without_a_hash_the_receipt_covers_the_week_as_served(gateway: DemoGateway) -> None:
    student = _child(gateway, "74")
    week = school_week()
    body = _acknowledge(gateway, student, week["from"])
    assert "errors" not in body, body
    assert body["data"]["acknowledgeDiary"]["contentHash"] == _client_hash(
        gateway, student, week, "parent"
    )


def test_a_week_that_changed_since_it_was_shown_is_bad_user_input(gateway: DemoGateway) -> None:
    student = _child(gateway, "74")
    week = school_week()
    shown = _client_hash(gateway, student, week, "parent")
    other = ("0" if shown[0] != "0" else "1") + shown[1:]
    body = _acknowledge(gateway, student, week["from"], content=other)
    assert body["data"]["acknowledgeDiary"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # another week's hash is not this week's either
    earlier = school_week(weeks_back=1)
    stale = _client_hash(gateway, student, earlier, "parent")
    assert stale != shown
    body = _acknowledge(gateway, student, week["from"], content=stale)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize(
    ("persona", "code"),
    [
        ("parent-not-representative", "FORBIDDEN"),
        ("other-parent", "FORBIDDEN"),
        ("student@74", "FORBIDDEN"),
        ("teacher@74", "FORBIDDEN"),
        ("class-teacher@74", "FORBIDDEN"),
        ("school-admin@74", "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ],
)
def test_nobody_but_the_legal_representative_acknowledges(
    gateway: DemoGateway, persona: str | None, code: str
) -> None:
    student = _child(gateway, "74")
    body = _acknowledge(gateway, student, school_week()["from"], persona=persona)
    assert body["data"]["acknowledgeDiary"] is None
    assert body["errors"][0]["extensions"]["code"] == code


def test_a_changed_receipt_does_not_verify(gateway: DemoGateway) -> None:
    student = _child(gateway, "11")
    jws = _acknowledge(gateway, student, school_week()["from"])["data"]["acknowledgeDiary"]["jws"]
    header, _, signature = jws.split(".")
    claims = _payload(jws)
    claims["weekOf"] = "2020-01-06"
    forged_body = (
        base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode())
        .rstrip(b"=")
        .decode()
    )
    for forged in (f"{header}.{forged_body}.{signature}", jws[:-2] + "AA", "not.a.receipt"):
        checked = gateway.query(VERIFY, {"receipt": forged})
        assert checked["data"]["verifyReceipt"]["isValid"] is False, forged
        assert checked["data"]["verifyReceipt"]["receipt"] is None
    too_long = gateway.query(VERIFY, {"receipt": "a" * 5000})
    assert too_long["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def _journal_with(
    gateway: DemoGateway, persona: str, student: str, week: dict[str, str]
) -> dict[str, Any] | None:
    roles = gateway.query(GROUPS, persona=persona)["data"]["me"]["roles"]
    groups = [g["id"] for r in roles if r["region"]["code"] == "74" for g in r["groups"] or []]
    for group in groups:
        body = gateway.query(JOURNAL, {"group": group, **week}, persona=persona)
        journal = body["data"]["journal"]
        if journal and any(row["student"]["id"] == student for row in journal["rows"]):
            return dict(journal)
    return None


def test_staff_see_the_acknowledgement_in_the_journal(gateway: DemoGateway) -> None:
    student = _child(gateway, "74")
    week = school_week()
    receipt = _acknowledge(gateway, student, week["from"])["data"]["acknowledgeDiary"]
    journal = _journal_with(gateway, "teacher@74", student, week)
    assert journal is not None, "the teacher's groups hold the parent's child"
    assert {
        "id": receipt["id"],
        "studentId": student,
        "weekOf": week["from"],
        "contentHash": receipt["contentHash"],
    } in journal["acknowledgements"]
    # a teacher of another region's groups sees none of them; families get no journal at all
    assert all(a["studentId"] != student for a in _all_acknowledgements(gateway, "teacher@11"))
    refused = gateway.query(JOURNAL, {"group": "R3JvdXA6NzQ6MQ", **week}, persona="parent")
    assert refused["data"]["journal"] is None
    assert refused["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "BAD_USER_INPUT")


def _all_acknowledgements(gateway: DemoGateway, persona: str) -> list[dict[str, Any]]:
    roles = gateway.query(GROUPS, persona=persona)["data"]["me"]["roles"]
    found: list[dict[str, Any]] = []
    for group in [g["id"] for r in roles for g in r["groups"] or []]:
        body = gateway.query(JOURNAL, {"group": group, **school_week()}, persona=persona)
        if body["data"]["journal"]:
            found.extend(body["data"]["journal"]["acknowledgements"])
    return found


def test_a_receipt_verifies_with_npm_jose_and_not_once_a_byte_changes(
    gateway: DemoGateway,
) -> None:
    install_or_skip(CHECK, "the jose receipt check", timeout=200)
    student = _child(gateway, "77")
    receipt = _acknowledge(gateway, student, school_week()["from"])["data"]["acknowledgeDiary"]
    run = subprocess.run(
        [str(CHECK), f"{gateway.url}/.well-known/jwks.json", receipt["jws"]],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    if run.returncode in (2, 3):
        skip_or_fail(run.stderr.strip())
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["verified"] is True, result
    assert result["kid"] == receipt["keyId"]
    assert result["kidPublished"] is True
    assert result["payload"]["contentHash"] == receipt["contentHash"]
    assert result["tampered"] == len(base64.urlsafe_b64decode(_padded(receipt["jws"])))
    assert result["tampered"] > 100
    assert result["tamperedAccepted"] == 0


def _padded(jws: str) -> str:
    body = jws.split(".")[1]
    return body + "=" * (-len(body) % 4)


def test_the_published_key_set_holds_the_receipt_keys_after_a_rotation(
    gateway: DemoGateway,
) -> None:
    student = _child(gateway, "74")
    before = _acknowledge(gateway, student, school_week()["from"])["data"]["acknowledgeDiary"]
    issuer: ReceiptIssuer = gateway.app.state.receipts
    new_kid = asyncio.run(_rotate(issuer))
    after = _acknowledge(gateway, student, school_week()["from"])["data"]["acknowledgeDiary"]
    assert after["keyId"] == new_kid != before["keyId"]
    kids = {k["kid"] for k in httpx.get(f"{gateway.url}/.well-known/jwks.json").json()["keys"]}
    assert {before["keyId"], new_kid} <= kids  # the retired key stays published
    for receipt in (before, after):
        checked = gateway.query(VERIFY, {"receipt": receipt["jws"]})
        assert checked["data"]["verifyReceipt"]["isValid"] is True


async def _rotate(issuer: ReceiptIssuer) -> str:
    # another event loop than the gateway's: a fresh engine pool for this call
    kid = await issuer.rotate()
    await issuer.keys.database.engine.dispose()
    return kid


def test_two_gateways_on_one_postgresql_share_receipts(tmp_path: Path) -> None:
    """A receipt signed by one instance verifies on the other, and its staff see it."""
    key = tmp_path / "key.json"
    with postgres_database() as url, make_demo(key, database={"url": url}) as first:
        with make_demo(key, database={"url": url}) as second:
            student = _child(first, "74")
            week = school_week()
            body = _acknowledge(first, student, week["from"])
            assert "errors" not in body, body
            receipt = body["data"]["acknowledgeDiary"]
            checked = second.query(VERIFY, {"receipt": receipt["jws"]})
            assert checked["data"]["verifyReceipt"]["isValid"] is True
            journal = _journal_with(second, "class-teacher@74", student, week)
            if journal is None:  # the class teacher reads their class through a group
                journal = _journal_with(second, "teacher@74", student, week)
            assert journal is not None
            assert receipt["id"] in {a["id"] for a in journal["acknowledgements"]}
            assert date.fromisoformat(receipt["weekOf"]).weekday() == 0


def test_rotate_receipt_key_publishes_a_new_key_and_keeps_the_old(tmp_path: Path) -> None:
    """``diary-gateway rotate-receipt-key --config`` on the gateway's database: the key set
    served at once holds both keys; receipts signed before still verify."""
    from gateway.dev_issuer import dev_key_path

    url = f"sqlite:///{tmp_path / 'gateway.sqlite3'}"
    with make_demo(tmp_path / "key.json", database={"url": url}) as served:
        student = _child(served, "74")
        before = _acknowledge(served, student, school_week()["from"])["data"]["acknowledgeDiary"]
        config = tmp_path / "gateway.toml"
        config.write_text(
            f"""[server]
dev_issuer = true
secret_key_file = "{dev_key_path().parent / "secret.key"}"

[regions.74]
adapter = "netcity"
name = "Челябинская область (демо)"
timezone = "Asia/Yekaterinburg"
diary_url = "https://sgo.edu-74.ru"
base_url = "http://127.0.0.1:9"

[database]
url = "{url}"
""",
            encoding="utf-8",
        )
        run = subprocess.run(
            [sys.executable, "-m", "gateway", "rotate-receipt-key", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        new_kid = run.stdout.split()[-1]
        keys = httpx.get(f"{served.url}/.well-known/jwks.json").json()["keys"]
        assert {k["kid"] for k in keys} == {before["keyId"], new_kid}
        checked = served.query(VERIFY, {"receipt": before["jws"]})
        assert checked["data"]["verifyReceipt"]["isValid"] is True
