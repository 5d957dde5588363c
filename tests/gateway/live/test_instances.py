"""Several instances on one Redis: one poll stream per student, every subscriber served
once, a dead poller's students taken over. The mark changes in the Moscow emulator
(``POST /__admin/marks``) and travels the whole way: the emulator's change feed, the
poller holding the lease, the Redis stream, each instance's fan-out, the clients."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from diary_gateway_demo.demo import EMULATOR_PATH
from tests.gateway.conftest import DemoGateway, make_demo
from tests.gateway.live.clients import NodeSubscriber, install_clients, metric, wait_until
from tests.gateway.live.test_subscriptions import _moscow_child, _native
from tests.redis import REDIS_URL, require_redis, sub_prefix
from tests.servers import free_port

INTERVAL = 0.4
LIVE: dict[str, Any] = {
    "poll_interval_seconds": INTERVAL,
    "lease_seconds": 2.0,
    "off_hours_factor": 1,
}


def _polls(url: str) -> float:
    return metric(url, "diary_gateway_live_polls_total")


def _subscriptions(url: str) -> float:
    return metric(url, "diary_gateway_live_subscriptions")


def _feed_requests(emulator: str) -> int:
    stats = httpx.get(f"{emulator}/__admin/stats", timeout=10).json()
    return sum(n for path, n in stats["paths"].items() if "notifications" in path)


def _add_mark(emulator: str, student: str, value: str = "5") -> dict[str, Any]:
    answer = httpx.post(
        f"{emulator}/__admin/marks", json={"student_id": int(student), "value": value}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    added: dict[str, Any] = answer.json()
    return added


def _events(subscriber: NodeSubscriber, count: int) -> list[dict[str, Any]]:
    return [subscriber.wait_for("next")["payload"]["data"]["studentEvents"] for _ in range(count)]


@pytest.fixture
def settings(tmp_path: Path, redis_prefix: str) -> dict[str, Any]:
    require_redis()
    install_clients()
    return {
        "cache": {"url": REDIS_URL, "key_prefix": sub_prefix(redis_prefix, "instances")},
        "server": {"metrics": "open"},
        "live": LIVE,
    }


def test_two_instances_poll_once_and_deliver_once_each(
    tmp_path: Path, settings: dict[str, Any]
) -> None:
    key = tmp_path / "key.json"
    with make_demo(key, **settings) as a:
        emulator = f"{a.url}{EMULATOR_PATH}"
        with make_demo(key, moscow_url=emulator, **settings) as b:
            child = _moscow_child(a)
            _, native = _native(child)
            token = a.token("parent")
            with (
                NodeSubscriber("ws", a.url, token, {"ids": [child]}) as on_a,
                NodeSubscriber("sse", b.url, token, {"ids": [child]}) as on_b,
            ):
                wait_until("both subscribed", lambda: _subscriptions(a.url) == 1)
                wait_until("both subscribed", lambda: _subscriptions(b.url) == 1)
                # the first poll only learns what the feed already holds
                wait_until("a first poll", lambda: _polls(a.url) + _polls(b.url) >= 1)
                added = _add_mark(emulator, native)
                (via_a,) = _events(on_a, 1)
                (via_b,) = _events(on_b, 1)
                for event in (via_a, via_b):
                    assert event["kind"] == "MARK_CREATED"
                    assert event["student"]["id"] == child
                    assert event["node"]["__typename"] == "Mark"
                    assert event["node"]["value"] == "5"
                    assert event["node"]["subject"]["name"] == added["subject"]
                assert via_a["id"] == via_b["id"]  # one event, fanned out by each instance
                polled = _polls(a.url) + _polls(b.url)
                wait_until("three more polls", lambda: _polls(a.url) + _polls(b.url) >= polled + 3)
                assert len(on_a.events()) == 1  # exactly once each
                assert len(on_b.events()) == 1
            for instance in (a, b):  # each fanned the event out: its lag observed
                lag = "diary_gateway_live_event_lag_seconds_count"
                assert metric(instance.url, lag, region="77") == 1
            polls_a, polls_b = _polls(a.url), _polls(b.url)
            assert min(polls_a, polls_b) == 0  # one instance polled: one poll stream
            assert max(polls_a, polls_b) >= 4
            assert _feed_requests(emulator) == polls_a + polls_b


@contextmanager
def _gateway_process(
    tmp_path: Path, peer: DemoGateway, settings: dict[str, Any]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``diary-gateway serve`` in a child process (it can be killed), region 77 only, on
    the peer's emulator, Redis and issuer."""
    port = free_port()
    issuer = peer.app.state.settings.issuers[-1]
    server = peer.app.state.settings.server
    live = "\n".join(f"{k} = {v}" for k, v in LIVE.items())
    config = tmp_path / "gateway.toml"
    config.write_text(
        f"""
[server]
host = "127.0.0.1"
port = {port}
metrics = "open"
rate_limits = false
secret_key_file = "{server.secret_key_file}"

[[issuers]]
issuer = "{issuer.issuer}"
audience = "{issuer.audience}"
jwks_url = "{issuer.jwks_url}"

[regions.77]
adapter = "moscow"
name = "Москва"
timezone = "Europe/Moscow"
diary_url = "https://school.mos.ru"
base_url = "{peer.url}{EMULATOR_PATH}"

[cache]
url = "{settings["cache"]["url"]}"
key_prefix = "{settings["cache"]["key_prefix"]}"

[live]
{live}
""",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until("the gateway process started", lambda: _answers(url))
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.mark.slow  # a process of its own: CI runs it with -m slow
def test_a_dead_pollers_students_are_taken_over_without_losing_an_event(
    tmp_path: Path, settings: dict[str, Any]
) -> None:
    with make_demo(tmp_path / "key.json", **settings) as b:
        emulator = f"{b.url}{EMULATOR_PATH}"
        child = _moscow_child(b)
        _, native = _native(child)
        token = b.token("parent")
        with _gateway_process(tmp_path, b, settings) as (a_url, a_process):
            with NodeSubscriber("sse", a_url, token, {"ids": [child]}) as on_a:
                wait_until("A polls (it holds the lease)", lambda: _polls(a_url) >= 2)
                with NodeSubscriber("ws", b.url, token, {"ids": [child]}) as on_b:
                    wait_until("B subscribed", lambda: _subscriptions(b.url) == 1)
                    before = _polls(a_url)
                    wait_until("A polls on", lambda: _polls(a_url) >= before + 2)
                    assert _polls(b.url) == 0  # B waits: A holds the lease
                    first = _add_mark(emulator, native, "4")
                    (heard,) = _events(on_b, 1)  # published by A's poll
                    assert heard["node"]["value"] == first["value"]
                    assert _polls(b.url) == 0
                    a_process.send_signal(signal.SIGKILL)  # no goodbye, no lease released
                    a_process.wait(timeout=10)
                    # a mark A never saw: B must take the lease over and publish it
                    second = _add_mark(emulator, native, "3")
                    (taken_over,) = _events(on_b, 1)
                    assert taken_over["node"]["value"] == second["value"]
                    assert taken_over["id"] != heard["id"]
                    assert _polls(b.url) >= 1
                    polled = _polls(b.url)
                    wait_until("three more polls", lambda: _polls(b.url) >= polled + 3)
                    assert len(on_b.events()) == 2  # nothing lost, nothing twice
                assert on_a.events()  # A's own subscriber had heard the first one


def test_one_instance_without_redis_polls_and_delivers_in_process(tmp_path: Path) -> None:
    install_clients()
    with make_demo(tmp_path / "key.json", server={"metrics": "open"}, live=LIVE) as demo:
        assert demo.app.state.settings.cache.url == "memory://"
        emulator = f"{demo.url}{EMULATOR_PATH}"
        child = _moscow_child(demo)
        _, native = _native(child)
        with NodeSubscriber("ws", demo.url, demo.token("parent"), {"ids": [child]}) as ws:
            wait_until("a first poll", lambda: _polls(demo.url) >= 1)
            added = _add_mark(emulator, native, "2")
            (event,) = _events(ws, 1)
            assert event["node"]["value"] == added["value"]
            changed = httpx.post(
                f"{emulator}/__admin/marks",
                json={"mark_id": added["mark_id"], "value": "3"},
                timeout=10,
            )
            assert changed.status_code == 200, changed.text
            (update,) = _events(ws, 1)
            assert update["kind"] == "MARK_UPDATED"
            assert update["node"]["value"] == "3"


def test_a_mark_a_teacher_enters_reaches_the_parent_on_another_instance_once(
    tmp_path: Path, settings: dict[str, Any]
) -> None:
    """``enterMark`` on one instance; the parent subscribed on the other gets the mark once,
    through the emulator's change feed, the poller and the Redis stream; ``correctMark`` on
    the other instance reaches them once as ``MARK_UPDATED``."""
    from tests.gateway.test_two_way import CORRECT, ENTER, _algebra_cell

    key = tmp_path / "key.json"
    with make_demo(key, **settings) as a:
        emulator = f"{a.url}{EMULATOR_PATH}"
        with make_demo(key, moscow_url=emulator, **settings) as b:
            _group, lesson, child, _, _ = _algebra_cell(a)
            with NodeSubscriber("sse", b.url, b.token("parent"), {"ids": [child]}) as parent:
                wait_until("subscribed", lambda: _subscriptions(b.url) == 1)
                wait_until("a first poll", lambda: _polls(a.url) + _polls(b.url) >= 1)
                variables = {"lesson": lesson, "student": child, "value": "3", "key": "live-1"}
                entered = a.query(ENTER, variables, persona="teacher@77")
                assert "errors" not in entered, entered
                mark = entered["data"]["enterMark"]["mark"]
                (event,) = _events(parent, 1)
                assert event["kind"] == "MARK_CREATED"
                assert event["student"]["id"] == child
                assert event["node"]["__typename"] == "Mark"
                assert (event["node"]["id"], event["node"]["value"]) == (mark["id"], "3")
                assert a.query(ENTER, variables, persona="teacher@77") == entered  # a replay
                correct = {"mark": mark["id"], "value": "4", "key": "live-2"}
                corrected = b.query(CORRECT, correct, persona="teacher@77")  # the other instance
                assert "errors" not in corrected, corrected
                (update,) = _events(parent, 1)
                assert update["kind"] == "MARK_UPDATED"
                assert (update["node"]["id"], update["node"]["value"]) == (mark["id"], "4")
                polled = _polls(a.url) + _polls(b.url)
                wait_until("three more polls", lambda: _polls(a.url) + _polls(b.url) >= polled + 3)
                assert len(parent.events()) == 2  # each exactly once, the replay included
