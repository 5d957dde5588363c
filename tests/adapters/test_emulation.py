"""The emulator base: persona tokens, and that production adapter code never imports it."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from adapters import Clock
from diary_gateway_demo.emulation import (
    EmulatorFaults,
    FaultControls,
    PersonaTokens,
    build_emulator_app,
)

ROOT = Path(__file__).resolve().parents[2]
SIMULATORS = ("emulation", "emulator", "seed")


def _simulator(path: Path) -> bool:
    parts = path.relative_to(ROOT / "adapters").parts
    return parts[0] in SIMULATORS or "emulator" in parts or path.name == "backend.py"


def test_production_adapter_code_never_imports_the_emulator_base() -> None:
    offenders: list[str] = []
    for path in sorted((ROOT / "adapters").rglob("*.py")):
        if _simulator(path):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            offenders += [
                f"{path.relative_to(ROOT)}: {n}" for n in names if "emulation" in n.split(".")
            ]
    assert offenders == []


def test_tokens_stand_for_personas_until_they_expire_or_their_calls_run_out() -> None:
    noon = datetime(2025, 10, 18, 12, 0, tzinfo=UTC)
    tokens: PersonaTokens[str] = PersonaTokens(
        lifetime=60, calls_per_token=2, clock=Clock.fixed(noon)
    )
    token = tokens.issue("parent")
    assert tokens.resolve(token) == "parent"
    assert tokens.resolve(token) == "parent"
    assert tokens.resolve(token) is None  # its two calls are spent
    other = tokens.issue("teacher")
    tokens.clock = Clock.fixed(noon + timedelta(seconds=61))
    assert tokens.resolve(other) is None  # expired
    assert tokens.resolve("unknown") is None
    with pytest.raises(ValueError, match="at least 1"):
        PersonaTokens[str](lifetime=1, calls_per_token=0)


def test_a_full_token_table_forgets_the_dead_then_the_oldest() -> None:
    tokens: PersonaTokens[int] = PersonaTokens(lifetime=3600, capacity=2)
    first, second = tokens.issue(1), tokens.issue(2)
    third = tokens.issue(3)
    assert len(tokens) == 2
    assert tokens.resolve(first) is None
    assert (tokens.resolve(second), tokens.resolve(third)) == (2, 3)


async def test_the_admin_api_sets_faults_and_counts_requests() -> None:
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request: object) -> PlainTextResponse:
        return PlainTextResponse('{"ok": true}')

    controls = FaultControls(initial=EmulatorFaults())
    app = build_emulator_app([Route("/hello", hello)], controls=controls)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        assert (await http.get("/hello")).status_code == 200
        bad = await http.post("/__admin/faults", json={"error_rate": 3})
        assert bad.status_code == 400
        answer = await http.post("/__admin/faults", json={"not_found_rate": 1.0})
        assert answer.json()["not_found_rate"] == 1.0
        refused = await http.get("/hello")
        assert refused.status_code == 404
        assert refused.json() == {"error": "not_found", "message": "Объект не найден"}
        stats = (await http.get("/__admin/stats")).json()
        assert stats == {"total": 2, "paths": {"/hello": 2}}
        await http.post("/__admin/reset")
        assert (await http.get("/__admin/stats")).json()["total"] == 0
        assert (await http.get("/hello")).status_code == 200
