"""Cassette redaction, one rule at a time, on hand-built exchanges (the per-region proof that
recorded emulators leak nothing is ``tests/gateway/test_conformance.py``)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx

from adapters.contract.cassette import Cassette, Interaction, ReplayTransport


def _cassette(body: object, *, auth: str = "", query: str = "") -> Cassette:
    return Cassette.redacted(
        region={"code": "99", "name": "Test", "timezone": "UTC", "diary_url": "https://x"},
        adapter="test",
        config={"base_url": "http://127.0.0.1:9", "devkey": "integrator-devkey-1"},
        personas={"parent": {"person_id": "esia-parent", "sso_token": "sso-secret"}},
        student_id="1",
        week=date(2025, 10, 13),
        interactions=[
            Interaction(
                method="GET",
                path="/api/x",
                query=query,
                request_body=None,
                status=200,
                headers={"content-type": "application/json"},
                body={"json": body},
                auth=auth,
            )
        ],
        results={},
    )


def _text(cassette: Cassette, tmp_path: Path) -> str:
    return cassette.save(tmp_path).read_text(encoding="utf-8")


def test_keys_that_end_in_a_name_or_comment_key_are_redacted(tmp_path: Path) -> None:
    cassette = _cassette(
        {
            "hometeacher_firstname": "Егорий",
            "markComment": {"id": 7, "name": "Молодец, Вася"},
            "mobilePhone": "+7 900 000-00-00",
            "parent_email": "mama@example.test",
        }
    )
    body = cassette.interactions[0].body["json"]
    assert body["hometeacher_firstname"].startswith("Name-")
    assert body["markComment"]["id"] == 7
    assert body["markComment"]["name"].startswith("comment-")
    assert body["mobilePhone"].startswith("contact-")
    assert body["parent_email"].startswith("contact-")
    text = _text(cassette, tmp_path)
    for value in ("Егорий", "Молодец", "+7 900", "mama@"):
        assert value not in text, value


def test_every_word_of_a_full_name_goes_once_one_word_is_known(tmp_path: Path) -> None:
    cassette = _cassette(
        {
            "lessons": [{"subject": "Русский язык", "teacher": "Лебедева Мария Игоревна"}],
            "teachers": [{"lastname": "Лебедева", "id": 1}],
        }
    )
    text = _text(cassette, tmp_path)
    for word in ("Лебедева", "Мария", "Игоревна"):
        assert word not in text, word
    assert "Русский язык" in text  # two words, one not capitalised, none a known name


def test_an_integrator_key_and_the_at_header_are_secrets_replayed_consistently() -> None:
    cassette = _cassette(
        {"at": "session-abc", "timeOut": 3600},
        auth="at=session-abc",
        query="devkey=integrator-devkey-1&vendor=demo",
    )
    (item,) = cassette.interactions
    assert "integrator-devkey-1" not in item.query
    assert "session-abc" not in item.auth
    assert cassette.config["devkey"] in item.query  # the replayed adapter sends the placeholder
    assert cassette.config["base_url"] == "https://provider.invalid"
    token = item.auth.partition("=")[2]
    assert item.body["json"]["at"] == token


async def test_answers_keep_the_order_they_came_in(tmp_path: Path) -> None:
    ordered = {"8-А": {"id": 2}, "5-А": {"id": 1}}
    cassette = Cassette.load(_cassette({"groups": ordered}).save(tmp_path))
    transport = ReplayTransport(cassette.interactions)
    async with httpx.AsyncClient(transport=transport) as http:
        answer = await http.get("http://anywhere/api/x")
    assert list(json.loads(answer.text)["groups"]) == ["8-А", "5-А"]
    assert transport.answered == 1
