"""The deployable pieces, checked statically: Dockerfile, .dockerignore, compose and its config.

Images cannot be pulled or built here (no registry for images), so nothing is built: the
Dockerfile's rules are read from its text, the compose file is validated by Debian's
`docker-compose config` when it is installed (skipped with the reason otherwise), and the
gateway config it mounts is loaded by the gateway's own settings loader.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from gateway.settings import check_complete, load_settings_file

ROOT = Path(__file__).resolve().parents[1]


def _stages() -> dict[str, list[tuple[str, str]]]:
    """The Dockerfile's instructions by stage name (``FROM … AS name``)."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    stages: dict[str, list[tuple[str, str]]] = {}
    steps: list[tuple[str, str]] = []
    for line in (line.strip() for line in text.splitlines()):
        if not line or line.startswith("#"):
            continue
        kind, _, arg = line.partition(" ")
        if kind.upper() == "FROM":
            steps = stages.setdefault(arg.split()[-1], [])
        steps.append((kind.upper(), arg.strip()))
    return stages


def _check_unprivileged(steps: list[tuple[str, str]]) -> None:
    users = [arg for kind, arg in steps if kind == "USER"]
    assert users, "the container must not run as root"
    assert users[-1] not in ("root", "0")
    kinds = [kind for kind, _ in steps]
    last_user = len(kinds) - 1 - kinds[::-1].index("USER")
    assert all(i < last_user for i, kind in enumerate(kinds) if kind in ("RUN", "COPY"))


def test_dockerfile_installs_from_the_lock_and_runs_unprivileged_with_a_healthcheck() -> None:
    stages = _stages()
    assert list(stages) == ["gateway", "demo"], "production first; the demo is the default"
    steps = stages["gateway"]
    runs = [arg for kind, arg in steps if kind == "RUN"]
    assert any("--require-hashes -r requirements.lock" in run for run in runs), runs
    assert any("--no-deps" in run for run in runs), "the project installs nothing unlocked"
    _check_unprivileged(steps)
    kinds = [kind for kind, _ in steps]
    assert kinds.index("ENTRYPOINT") > len(kinds) - 1 - kinds[::-1].index("USER")
    (health,) = [arg for kind, arg in steps if kind == "HEALTHCHECK"]
    assert "/healthz" in health


def test_the_production_image_holds_no_simulators_and_the_demo_image_adds_them() -> None:
    stages = _stages()
    production = " ".join(arg for _, arg in stages["gateway"])
    assert "emulators" not in production
    demo = stages["demo"]
    assert demo[0] == ("FROM", "gateway AS demo")
    runs = [arg for kind, arg in demo if kind == "RUN"]
    assert any("--no-deps ./emulators" in run for run in runs), "nothing unlocked"
    _check_unprivileged(demo)
    services = _compose()["services"]
    for name, service in services.items():
        if "build" not in service:
            continue
        target = service["build"]["target"]
        assert target == ("gateway" if service["command"][0] == "serve" else "demo"), name


def test_dockerignore_keeps_secrets_and_the_venv_out_of_the_build_context() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".dev-issuer", ".secrets", ".sessions", "*.key"} <= ignored
    assert "**/node_modules" in ignored


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    return loaded


def test_compose_runs_serve_twice_behind_a_proxy_with_healthchecks() -> None:
    services = _compose()["services"]
    gateways = {name: s for name, s in services.items() if s.get("command", [None])[0] == "serve"}
    assert len(gateways) == 2, "two gateway replicas"
    for service in gateways.values():
        config = service["command"][service["command"].index("--config") + 1]
        mounts = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
        assert config in mounts, "the config is mounted"
        assert (ROOT / mounts[config]).is_file()
    assert {"redis", "moscow", "proxy"} <= set(services)
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_the_mounted_config_is_one_serve_accepts() -> None:
    settings = load_settings_file(ROOT / "deploy" / "gateway.toml")
    check_complete(settings)
    assert settings.cache.url.startswith("redis://")
    assert settings.regions["77"].adapter == "moscow"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    services = _compose()["services"]
    for code, region in settings.regions.items():  # each region at an emulator of compose's
        url = httpx.URL(region.adapter_config.base_url)
        assert url.host in services, f"region {code} calls {url} outside the deployment"
        emulated = services[url.host]["command"]
        assert emulated[:2] == ["emulate", region.adapter]
        assert emulated[emulated.index("--port") + 1] == str(url.port)
        assert "--sso-jwks" in emulated  # it checks the national SSO token, not an id
    for name, service in services.items():
        if service.get("command", [None])[0] == "serve":
            assert f"server {name}:{settings.server.port}" in nginx


def test_docker_compose_config_validates_the_file() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (apt-get install docker-compose)")
    result = subprocess.run(
        [tool, "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
