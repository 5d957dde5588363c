"""Redis for tests: every test run writes under a key prefix of its own and deletes it at the end.

The Redis server (``REDIS_URL``, default ``redis://127.0.0.1:6379/0``) is shared: by test runs
started at the same time on this machine, by a demo, by anything else. So a test never flushes
a database and never looks at keys outside its run's prefix:

* the session fixture ``redis_prefix`` (``tests/conftest.py``) gives the run's prefix,
  ``test-<pid>-<random>:``, and deletes every key under it (SCAN + DEL) when the run ends;
* a test that needs keys of its own within the run uses :func:`sub_prefix`;
* a gateway under test gets the prefix as ``[cache] key_prefix``; helpers (``aiocache``
  namespaces, ``limits`` storages) get it or a :func:`sub_prefix` of it;
* :func:`run_keys` lists keys under a prefix, for tests that inspect what was written.

:func:`require_redis` skips a test when Redis does not answer, or fails it when
``REQUIRE_REDIS=1`` (CI).
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

__all__ = [
    "REDIS_URL",
    "OwnRedis",
    "delete_keys",
    "own_redis_server",
    "require_redis",
    "run_keys",
    "run_prefix",
    "sub_prefix",
    "unreachable",
]

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def run_prefix() -> str:
    """A new prefix for one test run: ``test-<pid>-<8 hex digits>:``."""
    return f"test-{os.getpid()}-{secrets.token_hex(4)}:"


def sub_prefix(prefix: str, label: str = "t") -> str:
    """A prefix of its own inside ``prefix``: ``<prefix><label>-<8 hex digits>:``."""
    return f"{prefix}{label}-{secrets.token_hex(4)}:"


def _pattern(prefix: str) -> str:
    """A SCAN ``MATCH`` pattern for the keys that start with ``prefix`` (glob escaped)."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", prefix) + "*"


def unreachable(url: str = REDIS_URL) -> str | None:
    """Why Redis at ``url`` does not answer a PING, or ``None`` when it does."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
    return None


def require_redis(url: str = REDIS_URL) -> str:
    """``url`` when Redis answers; else skip the test (fail it when ``REQUIRE_REDIS=1``)."""
    problem = unreachable(url)
    if problem is None:
        return url
    message = f"Redis at {url} does not answer ({problem})"
    if os.environ.get("REQUIRE_REDIS") == "1":
        pytest.fail(f"REQUIRE_REDIS=1 but {message}")
    pytest.skip(message)


def run_keys(prefix: str, url: str = REDIS_URL) -> list[str]:
    """The keys that start with ``prefix``, sorted (never a ``KEYS`` over the whole server)."""
    if not prefix:
        raise ValueError("an empty prefix would list every key on the server")
    with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
        return sorted(
            key.decode() if isinstance(key, bytes) else str(key)
            for key in client.scan_iter(match=_pattern(prefix), count=1000)
        )


def delete_keys(prefix: str, url: str = REDIS_URL) -> int:
    """Delete every key that starts with ``prefix`` (SCAN + DEL, never FLUSHDB); how many."""
    if not prefix:
        raise ValueError("an empty prefix would delete every key on the server")
    deleted = 0
    with redis.Redis.from_url(url, socket_connect_timeout=1) as client:
        batch: list[bytes] = []
        for key in client.scan_iter(match=_pattern(prefix), count=1000):
            batch.append(key)
            if len(batch) >= 500:
                deleted += int(client.delete(*batch))
                batch = []
        if batch:
            deleted += int(client.delete(*batch))
    return deleted


@contextmanager
def own_redis_server(directory: Path, *extra: str) -> Iterator[OwnRedis]:
    """A ``redis-server`` of the test's own on a free loopback port (never the shared one),
    stopped at the end; ``extra`` arguments go to the server (``--requirepass``…). Skips
    the test when ``redis-server`` is not installed."""
    from tests.servers import free_port

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--daemonize", "no", "--dir", str(directory), *extra]
    environment = {  # outside libfaketime (scripts/test-at): Redis keeps the real clock
        name: value
        for name, value in os.environ.items()
        if name != "LD_PRELOAD" and not name.startswith("FAKETIME")
    }
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment
    )
    server = OwnRedis(port, process)
    try:
        deadline = time.monotonic() + 10
        while not server.answers():
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("the test's own redis-server did not start")
            time.sleep(0.05)
        yield server
    finally:
        server.stop()


class OwnRedis:
    """A test's own Redis server: its port, and a way to stop it mid-test."""

    def __init__(self, port: int, process: subprocess.Popen[bytes]) -> None:
        self.port = port
        self.process = process

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def answers(self, password: str | None = None) -> bool:
        try:
            with redis.Redis(port=self.port, password=password, socket_timeout=1) as client:
                client.ping()
        except redis.AuthenticationError:
            return True  # up, and wants its password
        except redis.RedisError:
            return False
        return True

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
