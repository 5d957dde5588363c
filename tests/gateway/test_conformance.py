"""``diary-gateway conformance`` against each demo region's emulator: checks, a redacted
cassette, replay.

Each region's emulator (77 МЭШ-style, 74 «Сетевой город»-style, 11 ЭлЖур-style) runs on
uvicorn on loopback with a development SSO issuer's JWKS beside it; the personas'
credentials reach the command through ``CONFORMANCE_*`` variables, as an operator would give
them. ``python -m tests.gateway.test_conformance [DIR [CODE …]]`` re-records the shipped
cassettes (``tests/adapters/cassettes/<code>-<adapter>.json``) from the contract's world.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from joserfc.jwk import ECKey
from starlette.types import ASGIApp

from adapters import Clock
from adapters.contract.cassette import Cassette
from adapters.contract.live import LIVE_CHECKS
from adapters.contract.replay import replay_context, replay_until
from diary_gateway_demo import eljur, moscow, netcity
from diary_gateway_demo.seed import World, national_id
from gateway.cli import main
from gateway.dev_issuer import DevIssuer
from tests.adapters.harnesses.emulated import JWKS_PATH, with_jwks
from tests.servers import free_port, serve_app

CLOCK = Clock.fixed(datetime(2025, 10, 18, 12, 0, tzinfo=UTC))
WEEK = "2025-10-13"
AUDIENCE = "diary-gateway"
PERSONAS = ("parent", "teacher", "student")
CASSETTES = Path(__file__).parents[1] / "adapters" / "cassettes"


@dataclasses.dataclass(frozen=True)
class DemoRegion:
    """A demo region as an operator would point ``conformance`` at it: its emulator, and
    the ``[regions.CODE]`` keys (the emulator's URL added)."""

    code: str
    adapter: str
    keys: dict[str, str]
    create_emulator: Callable[..., ASGIApp]

    @property
    def cassette(self) -> str:
        return f"{self.code}-{self.adapter}.json"

    def config(self, base_url: str) -> str:
        keys = {"adapter": self.adapter, **self.keys, "base_url": base_url}
        return f"[regions.{self.code}]\n" + "".join(f'{k} = "{v}"\n' for k, v in keys.items())


REGIONS = {
    "77": DemoRegion(
        "77",
        "moscow",
        {"name": "Москва", "timezone": "Europe/Moscow", "diary_url": "https://school.mos.ru"},
        moscow.create_emulator,
    ),
    "74": DemoRegion(
        "74",
        "netcity",
        {
            "name": "Челябинская область",
            "timezone": "Asia/Yekaterinburg",
            "diary_url": "https://sgo.edu-74.ru",
        },
        netcity.create_emulator,
    ),
    "11": DemoRegion(
        "11",
        "eljur",
        {
            "name": "Республика Коми",
            "timezone": "Europe/Moscow",
            "diary_url": "https://eljur.ru",
            "vendor": "demo",
            "devkey": "devkey-of-the-operator",
        },
        lambda **options: eljur.create_emulator(devkey="devkey-of-the-operator", **options),
    ),
}
ALL_REGIONS = pytest.mark.parametrize("region", list(REGIONS.values()), ids=list(REGIONS))

PLANTED = {
    "last_name": "Засекречиваемая",
    "first_name": "Плантелина",
    "middle_name": "Тестировановна",
}
PLANTED_BIRTH = date(2010, 2, 3)
PLANTED_PARENT = ("Родителеваяфамилия", "Родителиана")
CANONICAL_COMMENTS = ("Отличная работа", "Повторить доказательство")


def planted_world(code: str) -> World:
    """The contract's world of region ``code``, its canonical student and the parent renamed
    to known names."""
    world = World.build(code, clock=CLOCK)
    student = world.students[world.canonical_student_id]
    person = dataclasses.replace(student.person, **PLANTED, birth_date=PLANTED_BIRTH)
    world.students[world.canonical_student_id] = dataclasses.replace(student, person=person)
    parent = world.parents["parent"]
    last_name, first_name = PLANTED_PARENT
    world.parents["parent"] = dataclasses.replace(
        parent, last_name=last_name, first_name=first_name
    )
    return world


@contextmanager
def emulator(region: DemoRegion, world: World) -> Iterator[tuple[str, DevIssuer]]:
    issuer = DevIssuer(ECKey.generate_key("P-256", private=True), issuer="urn:test:conformance")
    port = free_port()
    app = region.create_emulator(
        world=world, clock=CLOCK, sso_jwks_url=f"http://127.0.0.1:{port}{JWKS_PATH}"
    )
    with serve_app(with_jwks(app, issuer), port=port) as base_url:
        yield base_url, issuer


def credentials(region: DemoRegion, issuer: DevIssuer) -> dict[str, str]:
    env = {}
    for persona in PERSONAS:
        subject = national_id(persona, region.code)
        name = persona.upper().replace("-", "_")
        env[f"CONFORMANCE_{name}_SUBJECT"] = subject
        env[f"CONFORMANCE_{name}_SSO_TOKEN"] = issuer.mint(subject, audience=AUDIENCE)
    return env


def record(
    region: DemoRegion,
    directory: Path,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    out: Path | None = None,
) -> tuple[int, dict[str, str]]:
    """``conformance --record`` against ``world`` served by ``region``'s emulator (config in
    ``directory``, the cassette in ``out``, default ``directory/cassettes``): its exit code
    and every secret it was given (the credentials, and the config's keys)."""
    # the operator's day is the contract's: the changes feed looks back from it, the cassette's
    # instant is it (a replay runs there)
    with time_machine.travel(CLOCK.now(), tick=True), emulator(region, world) as (base_url, issuer):
        env = credentials(region, issuer)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        config = directory / "gateway.toml"
        config.write_text(region.config(base_url), encoding="utf-8")
        code = main(
            [
                *("conformance", "--config", str(config), "--region", region.code),
                *("--week", WEEK, "--record", str(out or directory / "cassettes")),
            ]
        )
    secrets: dict[str, Any] = dict(env)
    if "devkey" in region.keys:
        secrets["devkey"] = region.keys["devkey"]
    return code, secrets


@ALL_REGIONS
def test_conformance_records_a_cassette_the_contract_replays(
    region: DemoRegion,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _ = record(region, tmp_path, World.build(region.code, clock=CLOCK), monkeypatch)
    out = capsys.readouterr().out
    assert code == 0, out
    for name in LIVE_CHECKS:
        assert f"{name}: " in out
    for name in ("profile", "diary", "marks", "unknown_student", "staff"):
        assert f"{name}: passed" in out, out
    (path,) = (tmp_path / "cassettes").glob("*.json")
    assert path.name == region.cassette
    cassette = Cassette.load(path)
    assert cassette.results["marks"] == "passed"
    assert cassette.interactions
    assert all(i.status < 500 for i in cassette.interactions)

    # the contract suite's replay: every check that passed live passes from the recording
    result = pytest.main(
        [
            *(
                "-q",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:xdist",
                "-k",
                f"TestReplay and {path.stem}",
            ),
            *("tests/adapters/test_contract.py", "--replay", str(tmp_path / "cassettes")),
        ]
    )
    assert result == pytest.ExitCode.OK


@ALL_REGIONS
async def test_replay_is_exact_and_misses_fail(region: DemoRegion) -> None:
    cassette = Cassette.load(CASSETTES / region.cassette)
    passed = [n for n, status in cassette.results.items() if status == "passed"]
    assert {"profile", "diary", "marks", "unknown_student", "staff"} <= set(passed)
    for name in passed:
        async with replay_context(cassette) as (ctx, transport):
            outcome = await replay_until(name, ctx)
        assert outcome.status == "passed", outcome.line()
        assert transport.misses == []
    # with only the exchanges the profile needed, the diary cannot be read: a miss fails
    async with replay_context(cassette) as (ctx, transport):
        await replay_until("profile", ctx)
        asked = transport.answered
    cassette.interactions = cassette.interactions[:asked]
    async with replay_context(cassette) as (ctx, transport):
        outcome = await replay_until("diary", ctx)
    assert outcome.status == "failed"
    assert transport.misses


def test_the_shipped_cassettes_are_every_demo_region_s() -> None:
    assert sorted(p.name for p in CASSETTES.glob("*.json")) == sorted(
        r.cassette for r in REGIONS.values()
    )


@ALL_REGIONS
def test_planted_names_never_reach_the_cassette(
    region: DemoRegion,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = planted_world(region.code)
    code, secrets = record(region, tmp_path, world, monkeypatch)
    assert code == 0, capsys.readouterr().out
    (path,) = (tmp_path / "cassettes").glob("*.json")
    text = path.read_text(encoding="utf-8")
    planted = [
        *PLANTED.values(),
        PLANTED_BIRTH.isoformat(),
        *PLANTED_PARENT,
        *CANONICAL_COMMENTS,
    ]
    # the planted names were served (the emulator's answers held them) and never written
    for value in planted:
        assert value not in text, value
    # every token and national id the operator gave, the config's secrets, any JWT at all
    for value in secrets.values():
        assert value not in text
    assert "eyJ" not in text
    # no name of anyone in the world (students, parents, teachers, admins), no birth date,
    # phone or e-mail either
    people = [
        *(s.person for s in world.students.values()),
        *world.parents.values(),
        *(t.person for t in world.teachers.values()),
        *world.admins.values(),
    ]
    for person in people:
        for name in (person.last_name, person.first_name, person.middle_name):
            assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) is None, name
        assert person.birth_date.isoformat() not in text
        assert person.phone not in text
        assert person.email not in text
    # placeholders keep the shapes: names are strings, the birth date is still a date
    assert "Name-1" in text
    data = json.loads(text)
    assert data["personas"]["parent"]["person_id"].startswith("national-id-")
    assert data["personas"]["parent"]["sso_token"].startswith("token-")


if __name__ == "__main__":  # re-record the shipped cassettes: [DIR [CODE …]]
    import tempfile

    out = Path(sys.argv[1] if len(sys.argv) > 1 else CASSETTES).resolve()
    codes = sys.argv[2:] or list(REGIONS)
    patch = pytest.MonkeyPatch()
    status = 0
    for code in codes:
        with tempfile.TemporaryDirectory() as work:
            try:
                done, _ = record(
                    REGIONS[code], Path(work), World.build(code, clock=CLOCK), patch, out
                )
            finally:
                patch.undo()
        status = status or done
    sys.exit(status)
