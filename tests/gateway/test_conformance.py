"""``diary-gateway conformance`` against the Moscow emulator: checks, a redacted cassette, replay.

The emulator runs on uvicorn on loopback with a development SSO issuer's JWKS beside it; the
personas' credentials reach the command through ``CONFORMANCE_*`` variables, as an operator
would give them. ``python -m tests.gateway.test_conformance DIR`` re-records the shipped
cassette (``tests/adapters/cassettes/77-moscow.json``) from the contract's world.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from joserfc.jwk import ECKey

from adapters import Clock
from adapters.contract.cassette import Cassette
from adapters.contract.live import LIVE_CHECKS
from adapters.contract.replay import replay_context, replay_until
from diary_gateway_demo.moscow import create_emulator
from diary_gateway_demo.seed import World, national_id
from gateway.cli import main
from gateway.dev_issuer import DevIssuer
from tests.adapters.harnesses.emulated import JWKS_PATH, with_jwks
from tests.servers import free_port, serve_app

CLOCK = Clock.fixed(datetime(2025, 10, 18, 12, 0, tzinfo=UTC))
WEEK = "2025-10-13"
AUDIENCE = "diary-gateway"
PERSONAS = ("parent", "teacher", "student")

PLANTED = {
    "last_name": "Засекречиваемая",
    "first_name": "Плантелина",
    "middle_name": "Тестировановна",
}
PLANTED_BIRTH = date(2010, 2, 3)
CANONICAL_COMMENTS = ("Отличная работа", "Повторить доказательство")


def planted_world() -> World:
    """The contract's world, its canonical student and the parent renamed to known names."""
    world = World.build("77", clock=CLOCK)
    student = world.students[world.canonical_student_id]
    person = dataclasses.replace(student.person, **PLANTED, birth_date=PLANTED_BIRTH)
    world.students[world.canonical_student_id] = dataclasses.replace(student, person=person)
    parent = world.parents["parent"]
    world.parents["parent"] = dataclasses.replace(
        parent, last_name="Родителеваяфамилия", first_name="Родителиана"
    )
    return world


@contextmanager
def emulator(world: World) -> Iterator[tuple[str, DevIssuer]]:
    issuer = DevIssuer(ECKey.generate_key("P-256", private=True), issuer="urn:test:conformance")
    port = free_port()
    app = create_emulator(
        world=world, clock=CLOCK, sso_jwks_url=f"http://127.0.0.1:{port}{JWKS_PATH}"
    )
    with serve_app(with_jwks(app, issuer), port=port) as base_url:
        yield base_url, issuer


def write_config(path: Path, base_url: str) -> Path:
    path.write_text(
        "[regions.77]\n"
        'adapter = "moscow"\n'
        'name = "Москва"\n'
        'timezone = "Europe/Moscow"\n'
        'diary_url = "https://school.mos.ru"\n'
        f'base_url = "{base_url}"\n',
        encoding="utf-8",
    )
    return path


def credentials(issuer: DevIssuer) -> dict[str, str]:
    env = {}
    for persona in PERSONAS:
        subject = national_id(persona, "77")
        name = persona.upper().replace("-", "_")
        env[f"CONFORMANCE_{name}_SUBJECT"] = subject
        env[f"CONFORMANCE_{name}_SSO_TOKEN"] = issuer.mint(subject, audience=AUDIENCE)
    return env


def record(
    directory: Path, world: World, monkeypatch: pytest.MonkeyPatch, out: Path | None = None
) -> tuple[int, str]:
    """``conformance --record`` against ``world`` (config in ``directory``, the cassette in
    ``out``, default ``directory/cassettes``): its exit code and every secret it was given."""
    with emulator(world) as (base_url, issuer):
        env = credentials(issuer)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        config = write_config(directory / "gateway.toml", base_url)
        code = main(
            [
                "conformance",
                "--config",
                str(config),
                "--region",
                "77",
                "--week",
                WEEK,
                "--record",
                str(out or directory / "cassettes"),
            ]
        )
    return code, json.dumps(env)


def test_conformance_records_a_cassette_the_contract_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = record(tmp_path, World.build("77", clock=CLOCK), monkeypatch)
    out = capsys.readouterr().out
    assert code == 0, out
    for name in LIVE_CHECKS:
        assert f"{name}: " in out
    assert "profile: passed" in out
    assert "diary: passed" in out
    assert "journal: passed" in out
    (path,) = (tmp_path / "cassettes").glob("*.json")
    assert path.name == "77-moscow.json"
    cassette = Cassette.load(path)
    assert cassette.results["marks"] == "passed"
    assert cassette.interactions
    assert all(i.status < 500 for i in cassette.interactions)

    # the contract suite's replay: every check that passed live passes from the recording
    result = pytest.main(
        [
            *("-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-k", "TestReplay"),
            *("tests/adapters/test_contract.py", "--replay", str(tmp_path / "cassettes")),
        ]
    )
    assert result == pytest.ExitCode.OK


async def test_replay_is_exact_and_misses_fail(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[1] / "adapters" / "cassettes" / "77-moscow.json"
    cassette = Cassette.load(shipped)
    passed = [n for n, status in cassette.results.items() if status == "passed"]
    assert {"profile", "diary", "marks", "unknown_student", "staff", "journal"} <= set(passed)
    for name in passed:
        async with replay_context(cassette) as (ctx, transport):
            outcome = await replay_until(name, ctx)
        assert outcome.status == "passed", outcome.line()
        assert transport.misses == []
    cassette.interactions = [i for i in cassette.interactions if "marks" not in i.path]
    async with replay_context(cassette) as (ctx, transport):
        outcome = await replay_until("marks", ctx)
    assert outcome.status == "failed"
    assert transport.misses


def test_planted_names_never_reach_the_cassette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    world = planted_world()
    code, secrets = record(tmp_path, world, monkeypatch)
    assert code == 0, capsys.readouterr().out
    (path,) = (tmp_path / "cassettes").glob("*.json")
    text = path.read_text(encoding="utf-8")
    planted = [
        *PLANTED.values(),
        PLANTED_BIRTH.isoformat(),
        "Родителеваяфамилия",
        "Родителиана",
        *CANONICAL_COMMENTS,
    ]
    for value in planted:
        assert value not in text, value
    # every token and national id the operator gave, and any JWT at all
    for value in json.loads(secrets).values():
        assert value not in text
    assert "eyJ" not in text
    # no real name of anyone in the world, no birth date, phone or e-mail either
    people = [s.person for s in world.students.values()] + list(world.parents.values())
    for person in people:
        assert person.last_name not in text, person.last_name
        assert person.birth_date.isoformat() not in text
        assert person.phone not in text
        assert person.email not in text
    # placeholders keep the shapes: names are strings, the birth date is still a date
    assert "Name-1" in text
    data = json.loads(text)
    assert data["personas"]["parent"]["person_id"].startswith("national-id-")
    assert data["personas"]["parent"]["sso_token"].startswith("token-")


if __name__ == "__main__":  # re-record the shipped cassette
    import tempfile

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/adapters/cassettes").resolve()
    patch = pytest.MonkeyPatch()
    with tempfile.TemporaryDirectory() as work:
        try:
            status, _ = record(Path(work), World.build("77", clock=CLOCK), patch, out)
        finally:
            patch.undo()
    sys.exit(status)
