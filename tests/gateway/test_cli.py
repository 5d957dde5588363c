"""The command line: personas, tokens the running demo accepts, config errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway.personas import PERSONAS

from .conftest import DemoGateway


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_personas_lists_one_name_per_line() -> None:
    result = _cli("personas")
    assert result.returncode == 0
    names = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert names == [p.name for p in PERSONAS]
    assert {"parent", "parent-not-representative", "student@77", "school-admin@11"} <= set(names)


def test_token_prints_a_token_the_running_demo_accepts(demo: DemoGateway) -> None:
    result = _cli(
        "token", "--persona", "teacher@74", env={"DIARY_GATEWAY_DEV_KEY": str(demo.key_path)}
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.count(".") == 2
    assert "\n" not in token
    body = demo.query("{ me { roles { role region { code } } } }", token=token)
    assert "errors" not in body, body.get("errors")
    assert {"role": "TEACHER", "region": {"code": "74"}} in body["data"]["me"]["roles"]


def test_unknown_persona_is_an_error() -> None:
    result = _cli("token", "--persona", "nobody")
    assert result.returncode == 2
    assert "unknown persona" in result.stderr
    assert "parent" in result.stderr


def test_serve_refuses_a_bad_config_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text('[server]\nport = "eighty"\n', encoding="utf-8")
    result = _cli("serve", "--config", str(config))
    assert result.returncode == 2
    assert "server.port" in result.stderr
    assert "an integer" in result.stderr
