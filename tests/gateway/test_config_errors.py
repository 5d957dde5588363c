"""Bad config and a missing Redis are clear errors (issue 11, item 8).

* ``diary-gateway serve`` with a bad file exits 2 with ``key: expected …`` on stderr, never
  a traceback; with no issuer (unless ``[server] dev_issuer = true``) or no region too.
* A configured Redis that cannot be reached stops start-up (exit 1, a clear message).
* When Redis goes away later, ``/readyz`` says so (503) and school sign-in fails closed:
  ``RATE_LIMITED`` with ``retryAfter``, not a free-for-all and not a masked 500.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from diary_gateway_demo.netcity import create_emulator as create_netcity_emulator
from diary_gateway_demo.seed import World
from tests.redis import REDIS_URL, require_redis, sub_prefix
from tests.servers import free_port, serve_app

from .conftest import make_demo

REGION = """
[regions.74]
adapter = "netcity"
name = "Челябинская область (демо)"
timezone = "Asia/Yekaterinburg"
diary_url = "https://sgo.edu-74.ru"
demo = true
"""
ISSUER = """
[[issuers]]
issuer = "https://esia.example.test"
audience = "diary-gateway"
jwks_url = "http://127.0.0.1:9/.well-known/jwks.json"
"""


def _serve(config: Path, *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ),
    )


def _server_table(tmp_path: Path, extra: str = "") -> str:
    return f'[server]\nsecret_key_file = "{tmp_path / "secret.key"}"\n{extra}'


BAD_FILES = [
    ("", "regions: expected at least one region"),
    (REGION, "issuers: expected at least one [[issuers]] table"),
    (ISSUER, "regions: expected at least one region"),
    (
        REGION + ISSUER + '[server]\nrate_limit_person = "lots"\n',
        'server.rate_limit_person: expected a rate such as "120/minute"',
    ),
    (
        REGION + ISSUER + '[server]\ncost_limit_address = "5 per fortnight"\n',
        "server.cost_limit_address: expected a rate such as",
    ),
    (
        REGION + ISSUER + "leeway_seconds = 900\n",
        "issuers[0].leeway_seconds: expected 0–300 seconds, got 900",
    ),
    (
        REGION + ISSUER + "[cache]\nttl = { diary = 60, dairy = 5 }\n",
        "cache.ttl.dairy: expected one of the resources",
    ),
    (
        REGION + ISSUER + '[cache]\nttl = { diary = "long" }\n',
        "cache.ttl.diary: expected an integer",
    ),
    (REGION + ISSUER + "[cache]\nttl = { diary = -5 }\n", "cache.ttl.diary: expected"),
    (REGION + "shoe_size = 42\n" + ISSUER, "regions.74.shoe_size: expected one of the known keys"),
    (REGION + ISSUER + "[server]\nport = 70000\n", "server.port: expected a port"),
    ('server = "fast"\n' + REGION + ISSUER, "server: expected a table"),
    (
        REGION + '[issuers]\nissuer = "x"\n',
        "issuers: expected an array of tables",
    ),
    (
        REGION + ISSUER.replace("http://127.0.0.1:9", "ftp://x") + "\n",
        "issuers[0].jwks_url: expected a URL",
    ),
    (REGION + ISSUER + "[cache]\nmax_entries = 0\n", "cache.max_entries: expected a positive"),
    (
        REGION + ISSUER + '[server]\npersisted_operations = "/nonexistent/manifest.json"\n'
        'secret_key_file = "{tmp}/secret.key"\n',
        "server.persisted_operations: expected a readable file",
    ),
]


@pytest.mark.parametrize(("toml", "message"), BAD_FILES)
def test_serve_refuses_a_bad_config_with_key_and_expectation(
    tmp_path: Path,
    toml: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``serve`` in this process (uvicorn never starts): exit 2, one line, no traceback."""
    import uvicorn

    from gateway.cli import main

    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("serve started a server with a bad config")

    monkeypatch.setattr(uvicorn, "run", never)
    config = tmp_path / "gateway.toml"
    config.write_text(toml.replace("{tmp}", str(tmp_path)), encoding="utf-8")
    code = main(["serve", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2, (code, err)
    assert "Traceback" not in err, err
    assert err.startswith("diary-gateway: bad config: "), err
    assert message in err, err
    assert err.count("\n") == 1, err  # one line, nothing else


@pytest.mark.slow  # a process of its own: CI runs it with -m slow
def test_the_serve_process_refuses_a_bad_config_in_one_line(tmp_path: Path) -> None:
    """The same through a real ``diary-gateway serve`` process, for one of the files."""
    toml, message = BAD_FILES[3]
    config = tmp_path / "gateway.toml"
    config.write_text(toml.replace("{tmp}", str(tmp_path)), encoding="utf-8")
    result = _serve(config)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("diary-gateway: bad config: "), result.stderr
    assert message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


@pytest.mark.slow  # a process of its own: CI runs it with -m slow
def test_serve_refuses_an_unreachable_redis(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    config = tmp_path / "gateway.toml"
    config.write_text(
        _server_table(tmp_path)
        + REGION
        + ISSUER
        + f'[cache]\nurl = "redis://:hunter2@127.0.0.1:{port}/0"\n',
        encoding="utf-8",
    )
    result = _serve(config)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert "diary-gateway: cannot start: cache.url: Redis at" in result.stderr
    assert "is unreachable" in result.stderr
    assert "hunter2" not in result.stderr  # the password is not printed


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 30) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _out, err = process.communicate()
            pytest.fail(f"serve exited {process.returncode}: {err}")
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"{url} did not answer")


@pytest.mark.slow  # a process of its own: CI runs it with -m slow
def test_dev_issuer_is_an_explicit_opt_in(tmp_path: Path) -> None:
    """No [[issuers]] but ``dev_issuer = true``: serve runs, and the dev tokens work."""
    port = free_port()
    key = tmp_path / "dev-issuer.json"
    config = tmp_path / "gateway.toml"
    jwks = f"http://127.0.0.1:{port}/.well-known/dev-sso/jwks.json"  # the dev issuer's, on serve
    with serve_app(create_netcity_emulator(sso_jwks_url=jwks)) as netcity:
        config.write_text(
            _server_table(
                tmp_path,
                f'port = {port}\ndev_issuer = true\ndev_issuer_key_file = "{key}"\n'
                "rate_limits = false\n",
            )
            + REGION
            + f'base_url = "{netcity}"\n',
            encoding="utf-8",
        )
        _serve_and_read_as_parent(config, port, key)


def _serve_and_read_as_parent(config: Path, port: int, key: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz", process)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        token = subprocess.run(
            [sys.executable, "-m", "gateway", "token", "--persona", "parent"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "DIARY_GATEWAY_DEV_KEY": str(key)},
            check=True,
        ).stdout.strip()
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ me { children { region { code } } } }"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        body = response.json()
        assert "errors" not in body, body
        assert {"region": {"code": "74"}} in body["data"]["me"]["children"]
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "development SSO issuer is on" in err


class TcpProxy:
    """A loopback TCP proxy to Redis that a test can cut (Redis "goes away")."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.open = True
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        self.open = False
        self.listener.close()
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@pytest.fixture
def redis_proxy() -> Iterator[TcpProxy]:
    require_redis()
    url = httpx.URL(REDIS_URL.replace("redis://", "http://", 1))
    proxy = TcpProxy((url.host, url.port or 6379))
    yield proxy
    proxy.cut()


LOGIN = """mutation ($region: String!, $school: String, $login: String!, $password: String!) {
  login(region: $region, school: $school, login: $login, password: $password) { token }
}"""


def _credentials() -> dict[str, Any]:
    world = World.build("74")
    student = world.persona_student("student")
    school = next(s for s in world.schools if s.id == student.school_id)
    return {
        "region": "74",
        "school": school.login_code,
        "login": student.login,
        "password": student.password,
    }


def test_redis_going_away_fails_health_and_closes_sign_in(
    tmp_path: Path, redis_proxy: TcpProxy, redis_prefix: str
) -> None:
    url = f"redis://127.0.0.1:{redis_proxy.port}/0"
    prefix = sub_prefix(redis_prefix, "cfg")
    with make_demo(tmp_path / "key.json", cache={"url": url, "key_prefix": prefix}) as demo:
        health = httpx.get(f"{demo.url}/readyz", timeout=10)
        assert health.status_code == 200, health.text
        assert health.json()["redis"] == "ok"
        # Sign-in works while Redis is there (the throttle counts in it).
        body = demo.query(LOGIN, _credentials())
        assert "errors" not in body, body

        redis_proxy.cut()

        health = httpx.get(f"{demo.url}/readyz", timeout=10)
        assert health.status_code == 503, health.text
        assert health.json()["status"] == "unready"
        # Wrong passwords cannot be tried freely: every sign-in is refused, with a code.
        for password in ("guess-1", secrets.token_hex(4)):
            body = demo.query(LOGIN, {**_credentials(), "password": password})
            (error,) = body["errors"]
            assert error["extensions"]["code"] == "RATE_LIMITED", error
            assert error["extensions"]["retryAfter"] > 0
            assert body["data"] is None or body["data"].get("login") is None
