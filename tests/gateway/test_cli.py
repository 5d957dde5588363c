"""The command line: personas, tokens the running demo accepts, config errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from diary_gateway_demo.personas import PERSONAS

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


# Runs the CLI as if diary-gateway-demo were not installed: a finder first on the meta path
# refuses the simulators' package the way a missing distribution does.
_WITHOUT_DEMO = """
import sys
from importlib.abc import MetaPathFinder

class WithoutDemo(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "diary_gateway_demo":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, WithoutDemo())
from gateway.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _cli_without_demo(*args: str, key: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_DEMO, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DIARY_GATEWAY_DEV_KEY": str(key)},
    )


@pytest.mark.parametrize(
    "command",
    [
        ["demo", "--port", "9"],
        ["emulate", "moscow", "--port", "9"],
        ["personas"],
        ["token", "--persona", "parent"],
    ],
    ids=lambda c: c[0],
)
def test_demo_commands_without_the_simulators_say_how_to_install_them(
    tmp_path: Path, command: list[str]
) -> None:
    result = _cli_without_demo(*command, key=tmp_path / "key.json")
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"diary-gateway {command[0]}")
    assert "not installed" in line
    assert "diary-gateway-demo" in line
    assert "pip install ./emulators" in line
    assert "scripts/bootstrap" in line
    assert result.stdout == ""


@pytest.mark.slow  # a process of its own: CI runs it with -m slow
def test_production_commands_need_no_simulators(tmp_path: Path) -> None:
    made = _cli_without_demo("token", "--subject", "esia-1", key=tmp_path / "key.json")
    assert made.returncode == 0, made.stderr
    assert made.stdout.count(".") == 2
    schema = _cli_without_demo("schema", key=tmp_path / "key.json")
    assert schema.returncode == 0, schema.stderr
    assert "type Query" in schema.stdout


def test_serve_refuses_a_bad_config_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "gateway.toml"
    config.write_text('[server]\nport = "eighty"\n', encoding="utf-8")
    result = _cli("serve", "--config", str(config))
    assert result.returncode == 2
    assert "server.port" in result.stderr
    assert "an integer" in result.stderr


def _dev_issuer_config(
    tmp_path: Path, port: int, *, dev_issuer: bool = True, netcity_url: str = "http://127.0.0.1:9"
) -> Path:
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""[server]
port = {port}
dev_issuer = {"true" if dev_issuer else "false"}
dev_issuer_key_file = "{tmp_path / "dev-issuer.json"}"
secret_key_file = "{tmp_path / "secret.key"}"

[[issuers]]
issuer = "https://esia.example.test"
audience = "diary-gateway"
jwks_url = "http://127.0.0.1:9/.well-known/jwks.json"

[regions.74]
adapter = "netcity"
name = "Челябинская область (демо)"
timezone = "Asia/Yekaterinburg"
diary_url = "https://sgo.edu-74.ru"
demo = true
base_url = "{netcity_url}"
""",
        encoding="utf-8",
    )
    return config


@pytest.mark.slow  # a process of its own: CI runs it with -m slow
def test_token_for_a_serve_config_with_the_dev_issuer(tmp_path: Path) -> None:
    from diary_gateway_demo.netcity import create_emulator
    from diary_gateway_demo.personas import find_persona
    from gateway.app import with_dev_issuer
    from gateway.settings import load_settings_file
    from tests.servers import free_port, serve_app

    port = free_port()
    jwks = f"http://127.0.0.1:{port}/.well-known/dev-sso/jwks.json"
    with serve_app(create_emulator(sso_jwks_url=jwks)) as netcity_url:
        config = _dev_issuer_config(tmp_path, port, netcity_url=netcity_url)
        settings, issuer = with_dev_issuer(load_settings_file(config))
        parent = find_persona("parent").subject
        _read_as_parent(tmp_path, config, settings, issuer, port, parent)


def _read_as_parent(
    tmp_path: Path, config: Path, settings: Any, issuer: Any, port: int, parent: str
) -> None:
    from gateway.app import create_app
    from tests.servers import serve_app

    with serve_app(create_app(settings, dev_issuer=issuer), port=port) as url:
        by_subject = _cli("token", "--config", str(config), "--subject", parent)
        by_persona = _cli("token", "--config", str(config), "--persona", "parent")
        other_key = _cli("token", "--persona", "parent", "--key-file", str(tmp_path / "o.json"))
        for result in (by_subject, by_persona, other_key):
            assert result.returncode == 0, result.stderr
        query = {"query": "{ me { children { region { code } } } }"}
        for result in (by_subject, by_persona):
            token = result.stdout.strip()
            body = httpx.post(
                f"{url}/graphql", json=query, headers={"Authorization": f"Bearer {token}"}
            ).json()
            assert "errors" not in body, body
            assert {c["region"]["code"] for c in body["data"]["me"]["children"]} == {"74"}
        # a token signed by another development key is not this gateway's
        refused = httpx.post(
            f"{url}/graphql",
            json=query,
            headers={"Authorization": f"Bearer {other_key.stdout.strip()}"},
        ).json()
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.slow  # a process of its own: CI runs it with -m slow
def test_token_refuses_a_config_without_the_dev_issuer(tmp_path: Path) -> None:
    config = _dev_issuer_config(tmp_path, 8000, dev_issuer=False)
    result = _cli("token", "--config", str(config), "--subject", "123")
    assert result.returncode == 2
    assert "[server] dev_issuer" in result.stderr


def test_demo_cors_origins_answer_preflights(tmp_path: Path) -> None:
    from diary_gateway_demo.demo import build_demo_app
    from tests.servers import free_port, serve_app

    port = free_port()
    app = build_demo_app(
        port=port, key_path=tmp_path / "key.json", cors_origins=["http://localhost:5173"]
    )
    with serve_app(app, port=port) as url:
        asked = {"Access-Control-Request-Method": "POST"}
        allowed = httpx.options(
            f"{url}/graphql", headers={"Origin": "http://localhost:5173", **asked}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
        other = httpx.options(f"{url}/graphql", headers={"Origin": "http://evil.test", **asked})
        assert "access-control-allow-origin" not in other.headers


def test_the_demo_s_printed_curl_line_works_when_pasted(tmp_path: Path) -> None:
    import shutil

    from tests.servers import free_port

    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "gateway", "demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,  # pasted anywhere: not in the project directory
        env={**os.environ, "DIARY_GATEWAY_DEV_KEY": str(tmp_path / "key.json")},
    )
    try:
        assert demo.stdout is not None
        line = next(line for line in demo.stdout if line.startswith("Or: curl"))
        command = line.removeprefix("Or: ").strip()
        for _ in range(100):  # until the server listens
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        pasted = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, timeout=30, cwd=tmp_path
        )
        body = json.loads(pasted.stdout)
        assert "errors" not in body, body
        assert len(body["data"]["me"]["children"]) == 4
    finally:
        demo.terminate()
        demo.wait(timeout=10)
        if demo.stdout is not None:
            demo.stdout.close()
