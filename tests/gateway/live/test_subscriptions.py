"""Subscriptions through a running gateway (Redis stream, the npm clients and raw sockets):
permissions, resume, bounds, expiry, the transports' refusals.

Events are put into the gateway's Redis stream directly here (what the poller would
publish); the path from the Moscow emulator's feed through the poller is
``test_instances.py``'s.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio
import websockets
from websockets.typing import Subprotocol

from adapters import SYSTEM_CLOCK, Change, ChangeKind
from diary_gateway_demo.personas import find_persona
from gateway.dev_issuer import DEV_AUDIENCE
from gateway.live import LiveEvent, RedisStream
from tests.gateway.conftest import DemoGateway, make_demo
from tests.gateway.live.clients import (
    EVENTS,
    WAIT,
    NodeSubscriber,
    install_clients,
    metric,
    wait_until,
)
from tests.redis import REDIS_URL, require_redis, sub_prefix

PROTOCOL = Subprotocol("graphql-transport-ws")
LIVE = {
    "poll_interval_seconds": 0.5,
    "lease_seconds": 3,
    "off_hours_factor": 1,
    "max_subscriptions_per_person": 3,
    "max_queued_events": 4,
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, redis_prefix: str) -> Iterator[DemoGateway]:
    require_redis()
    install_clients()
    prefix = sub_prefix(redis_prefix, "live")
    with make_demo(
        Path(tmp_path_factory.mktemp("live")) / "key.json",
        cache={"url": REDIS_URL, "key_prefix": prefix},
        server={"metrics": "open"},
        live=LIVE,
    ) as demo:
        yield demo


def _prefix(demo: DemoGateway) -> str:
    return str(demo.app.state.settings.cache.key_prefix)


def _native(global_id: str) -> tuple[str, str]:
    padded = global_id + "=" * (-len(global_id) % 4)
    _, region, native = base64.urlsafe_b64decode(padded).decode().split(":", 2)
    return region, native


def _children(demo: DemoGateway, persona: str = "parent") -> list[str]:
    answer = demo.query("{ me { children { id } } }", persona=persona)
    return [c["id"] for c in answer["data"]["me"]["children"]]


def _moscow_child(demo: DemoGateway) -> str:
    return next(c for c in _children(demo) if _native(c)[0] == "77")


def _change(student: str, change_id: str, subject: str = "Математика") -> Change:
    return Change(
        id=change_id,
        student_id=student,
        kind=ChangeKind.MARK_CREATED,
        at=SYSTEM_CLOCK.now(),
        subject_name=subject,
        mark_value="5",
    )


def publish(demo: DemoGateway, *changes: tuple[str, Change], atomic: bool = False) -> list[str]:
    """Put events into the gateway's stream as the poller would; their ids."""

    async def run() -> list[str]:
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        stream = RedisStream(client, prefix=_prefix(demo), max_len=1000, seen_ttl=600)
        try:
            if atomic:  # one transaction: the gateway's reader sees them in one read
                async with client.pipeline(transaction=True) as pipe:
                    for region, change in changes:
                        event = LiveEvent(region, change, 0.0)
                        pipe.xadd(stream.key, {"e": event.encode()})
                    return [i.decode() for i in await pipe.execute()]
            ids = []
            for region, change in changes:
                found = await stream.publish(LiveEvent(region, change, 0.0))
                assert found is not None
                ids.append(found)
            return ids
        finally:
            await client.aclose()

    return asyncio.run(run())


def _open(demo: DemoGateway) -> float:
    return metric(demo.url, "diary_gateway_live_subscriptions")


def _subscribe(demo: DemoGateway, mode: str, token: str, **variables: Any) -> NodeSubscriber:
    before = _open(demo)
    subscriber = NodeSubscriber(mode, demo.url, token, variables)
    wait_until("the subscription opened", lambda: _open(demo) > before)
    return subscriber


def test_a_parent_hears_a_new_mark_over_both_transports(live: DemoGateway) -> None:
    child = _moscow_child(live)
    region, native = _native(child)
    token = live.token("parent")
    with (
        _subscribe(live, "ws", token, ids=[child]) as ws,
        _subscribe(live, "sse", token, ids=[child]) as sse,
    ):
        (event_id,) = publish(live, (region, _change(native, "both-1")))
        for subscriber in (ws, sse):
            line = subscriber.wait_for("next")
            event = line["payload"]["data"]["studentEvents"]
            assert event["id"] == event_id
            assert event["kind"] == "MARK_CREATED"
            assert event["student"]["id"] == child


def test_a_subject_teacher_hears_only_their_subjects(live: DemoGateway) -> None:
    roles = live.query(
        "{ me { roles { role region { code } groups { subject { name } } } } }",
        persona="teacher@77",
    )["data"]["me"]["roles"]
    mine = {g["subject"]["name"] for r in roles if r["role"] == "TEACHER" for g in r["groups"]}
    assert mine
    child = _moscow_child(live)
    region, native = _native(child)
    other = "Физическая культура (не моя)"
    assert other not in mine
    with (
        _subscribe(live, "ws", live.token("teacher@77"), ids=[child]) as teacher,
        _subscribe(live, "ws", live.token("parent"), ids=[child]) as parent,
    ):
        theirs = sorted(mine)[0]
        ids = publish(
            live,
            (region, _change(native, "teach-other", other)),
            (region, _change(native, "teach-mine", theirs)),
        )
        assert parent.wait_for("next")["payload"]["data"]["studentEvents"]["id"] == ids[0]
        assert parent.wait_for("next")["payload"]["data"]["studentEvents"]["id"] == ids[1]
        heard = teacher.wait_for("next")["payload"]["data"]["studentEvents"]
        assert heard["id"] == ids[1]  # the other subject's event never came first
        assert [e["id"] for e in teacher.events()] == [ids[1]]


def test_a_parent_who_is_not_the_representative_gets_no_marks(live: DemoGateway) -> None:
    child = _moscow_child(live)
    token = live.token("parent-not-representative")
    with NodeSubscriber("ws", live.url, token, {"ids": [child]}) as subscriber:
        line = subscriber.wait_for("error")  # graphql-transport-ws: the operation's error
        (error,) = line["error"]
        assert error["extensions"]["code"] == "FORBIDDEN"
    assert not subscriber.events()
    assert _open(live) == 0  # nothing was opened for them


def test_a_reconnecting_client_resumes_after_its_last_event_once_each(live: DemoGateway) -> None:
    child = _moscow_child(live)
    region, native = _native(child)
    token = live.token("parent")
    with _subscribe(live, "ws", token, ids=[child]) as first:
        (id1,) = publish(live, (region, _change(native, "resume-1")))
        assert first.wait_for("next")["payload"]["data"]["studentEvents"]["id"] == id1
    wait_until("the first client went away", lambda: _open(live) == 0)
    missed = publish(
        live, (region, _change(native, "resume-2")), (region, _change(native, "resume-3"))
    )
    with _subscribe(live, "sse", token, ids=[child], after=id1) as again:
        got = [again.wait_for("next")["payload"]["data"]["studentEvents"]["id"] for _ in missed]
        assert got == missed
        (id4,) = publish(live, (region, _change(native, "resume-4")))
        assert again.wait_for("next")["payload"]["data"]["studentEvents"]["id"] == id4
        assert [e["id"] for e in again.events()] == [*missed, id4]


def test_a_person_has_at_most_the_configured_subscriptions(live: DemoGateway) -> None:
    child = _moscow_child(live)
    token = live.token("parent")
    allowed = LIVE["max_subscriptions_per_person"]
    assert isinstance(allowed, int)
    subscribers = [_subscribe(live, "ws", token, ids=[child]) for _ in range(allowed)]
    try:
        with NodeSubscriber("ws", live.url, token, {"ids": [child]}) as refused:
            line = refused.wait_for("error")
            (error,) = line["error"]
            assert error["extensions"]["code"] == "RATE_LIMITED"
            assert error["extensions"]["maximum"] == allowed
        # another person is not limited by the parent's count (and, without studentIds,
        # hears their own diary: a student's is their own)
        with _subscribe(live, "ws", live.token("student@77")) as other:
            assert not other.events()
    finally:
        for subscriber in subscribers:
            subscriber.close()


async def _read_until_closed(socket: Any) -> Any:
    """Read until the server closes; its close frame."""
    while True:
        try:
            await asyncio.wait_for(socket.recv(), WAIT)
        except websockets.ConnectionClosed as closed:
            frame = closed.rcvd
            break
    assert frame is not None, "closed without a close frame"
    return frame


def _raw_init(token: str) -> str:
    return json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})


def test_a_slow_subscriber_is_dropped_with_the_protocols_close(live: DemoGateway) -> None:
    child = _moscow_child(live)
    region, native = _native(child)
    token = live.token("parent")
    url = live.url.replace("http://", "ws://") + "/graphql"
    burst = int(str(LIVE["max_queued_events"])) * 3

    async def run() -> tuple[int, str]:
        async with websockets.connect(url, subprotocols=[PROTOCOL]) as socket:
            await socket.send(_raw_init(token))
            assert json.loads(await socket.recv())["type"] == "connection_ack"
            payload = {"query": EVENTS, "variables": {"ids": [child]}}
            await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            await asyncio.to_thread(wait_until, "the subscription opened", lambda: _open(live) >= 1)
            changes = [(region, _change(native, f"burst-{n}")) for n in range(burst)]
            await asyncio.to_thread(publish, live, *changes, atomic=True)
            closed = await _read_until_closed(socket)  # as fast as it can: the bound decides
            return closed.code, closed.reason

    code, reason = asyncio.run(run())
    assert code == 1013
    assert "slow subscriber" in reason
    wait_until("the slow subscription was forgotten", lambda: _open(live) == 0)
    assert metric(live.url, "diary_gateway_live_closed_total", reason="slow") >= 1


def test_an_expired_token_closes_the_websocket_with_4403(live: DemoGateway) -> None:
    child = _moscow_child(live)
    token = live.issuer.mint(find_persona("parent").subject, audience=DEV_AUDIENCE, ttl_seconds=3)
    with NodeSubscriber("ws", live.url, token, {"ids": [child]}) as subscriber:
        closed = subscriber.wait_for("closed")
        assert closed["code"] == 4403


def test_an_expired_token_ends_the_event_stream_with_unauthenticated(live: DemoGateway) -> None:
    child = _moscow_child(live)
    token = live.issuer.mint(find_persona("parent").subject, audience=DEV_AUDIENCE, ttl_seconds=3)
    with NodeSubscriber("sse", live.url, token, {"ids": [child]}) as subscriber:
        line = subscriber.wait_for("next")
        (error,) = line["payload"]["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        subscriber.wait_for("complete")


def test_websocket_refusals_use_the_protocols_codes(live: DemoGateway) -> None:
    url = live.url.replace("http://", "ws://") + "/graphql"

    async def close_code(subprotocols: list[str], *messages: str) -> int:
        offered = [Subprotocol(p) for p in subprotocols] or None
        async with websockets.connect(url, subprotocols=offered) as socket:
            for message in messages:
                await socket.send(message)
            code: int = (await _read_until_closed(socket)).code
            return code

    subscribe = json.dumps({"id": "1", "type": "subscribe", "payload": {"query": EVENTS}})
    token = live.token("parent")
    assert asyncio.run(close_code([])) == 4406
    assert asyncio.run(close_code(["graphql-transport-ws"], "not json")) == 4400
    assert asyncio.run(close_code(["graphql-transport-ws"], subscribe)) == 4401
    assert asyncio.run(close_code(["graphql-transport-ws"], _raw_init("not-a-token"))) == 4403
    twice = (_raw_init(token), _raw_init(token))
    assert asyncio.run(close_code(["graphql-transport-ws"], *twice)) == 4429


def test_plain_requests_with_a_subscription_name_the_transports(live: DemoGateway) -> None:
    token = live.token("parent")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    posted = httpx.post(f"{live.url}/graphql", json={"query": EVENTS}, headers=headers)
    got = httpx.get(f"{live.url}/graphql", params={"query": EVENTS}, headers=headers)
    for answer in (posted, got):
        assert answer.status_code == 400
        message = answer.json()["errors"][0]["message"]
        assert "WebSocket" in message
        assert "text/event-stream" in message


def test_the_event_stream_refuses_anonymous_and_invalid_requests(live: DemoGateway) -> None:
    stream = {"Accept": "text/event-stream", "Content-Type": "application/json"}
    anonymous = httpx.post(f"{live.url}/graphql", json={"query": EVENTS}, headers=stream)
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    signed = {**stream, "Authorization": f"Bearer {live.token('parent')}"}
    invalid = httpx.post(
        f"{live.url}/graphql", json={"query": "subscription { nope }"}, headers=signed
    )
    assert invalid.status_code == 400
    assert invalid.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
