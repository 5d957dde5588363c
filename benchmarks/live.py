"""(f) and (g): live updates — memory per idle subscription, delivery lag under fan-out.

Both run one gateway in its own process (``python -m benchmarks.live serve``: the demo's
regions, the Moscow emulator mounted, Redis for the stream) with a configuration of their
own, said in the report: ``[live]`` caps raised (``max_subscriptions_per_person`` and
``max_subscriptions`` 20,000, ``max_queued_events`` 1,000), rate limits off. Every
subscriber is the parent persona on its own WebSocket (graphql-transport-ws) subscribed to
one Moscow child.

* (f) **memory per idle subscription**: the server's resident memory (``VmRSS``) with 100
  subscriptions open, then with ``idle`` (5,000) open; the difference divided by the
  added subscriptions (connection, protocol state, GraphQL execution, queue).
* (g) **delivery lag**: ``subscribers`` (1,000) listen to one student; ``events`` (20)
  events are put into the Redis stream one at a time (as the poller would), the next once
  every subscriber has the last; each subscriber's receipt time minus the publish time,
  p50 and p99 over every delivery. The clients run in the bench's process (one event
  loop), so their own reading is included; so is the poll interval not (see the lag
  metric for provider time to delivery).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
BENCH_LIVE: dict[str, Any] = {
    "max_subscriptions_per_person": 20_000,
    "max_subscriptions": 20_000,
    "max_queued_events": 1_000,
}
"""The bench's [live] caps (the defaults would refuse one person's 5,000 subscriptions)."""
EVENTS_QUERY = "subscription($ids: [ID!]) { studentEvents(studentIds: $ids) { id kind at } }"


def _app(port: int, key: Path, prefix: str) -> Any:
    from starlette.routing import Mount

    from diary_gateway_demo.demo import EMULATOR_PATH, demo_settings
    from diary_gateway_demo.moscow import create_emulator
    from gateway import create_app
    from gateway.dev_issuer import DEV_JWKS_PATH, load_dev_issuer

    settings = demo_settings(port=port)
    settings = dataclasses.replace(
        settings,
        server=dataclasses.replace(settings.server, rate_limits=False, metrics="open"),
        cache=dataclasses.replace(settings.cache, url=REDIS_URL, key_prefix=prefix),
        live=dataclasses.replace(settings.live, **BENCH_LIVE),
    )
    emulator = create_emulator(sso_jwks_url=f"http://127.0.0.1:{port}{DEV_JWKS_PATH}")
    return create_app(
        settings, dev_issuer=load_dev_issuer(key), routes=[Mount(EMULATOR_PATH, app=emulator)]
    )


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    uvicorn.run(
        _app(args.port, Path(args.key), args.prefix),
        host="127.0.0.1",
        port=args.port,
        http="httptools",
        loop="uvloop",
        ws="websockets-sansio",
        ws_per_message_deflate=False,  # as diary-gateway serve
        log_level="error",
        access_log=False,
    )


@contextmanager
def _gateway(key: Path, prefix: str) -> Iterator[tuple[str, int]]:
    from benchmarks.run import _free_port, wait_started

    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.live",
            "serve",
            "--port",
            str(port),
            "--key",
            str(key),
            "--prefix",
            prefix,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_started(url, process, "live bench gateway", timeout=60)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _open_subscriptions(url: str) -> int:
    for line in httpx.get(f"{url}/metrics", timeout=30).text.splitlines():
        if line.startswith("diary_gateway_live_subscriptions "):
            return int(float(line.split()[1]))
    return 0


class _Subscriber:
    def __init__(self) -> None:
        self.socket: Any = None
        self.received: dict[str, float] = {}


async def _subscribe(ws_url: str, token: str, child: str, subscriber: _Subscriber) -> None:
    import websockets
    from websockets.typing import Subprotocol

    socket = await websockets.connect(
        ws_url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        open_timeout=120,
        ping_interval=None,
    )
    subscriber.socket = socket
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await socket.recv())
    if ack["type"] != "connection_ack":
        raise RuntimeError(f"not acknowledged: {ack}")
    payload = {"query": EVENTS_QUERY, "variables": {"ids": [child]}}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


async def _listen(subscriber: _Subscriber) -> None:
    from adapters import SYSTEM_CLOCK

    async for raw in subscriber.socket:
        message = json.loads(raw)
        if message["type"] == "next":
            event = message["payload"]["data"]["studentEvents"]
            subscriber.received[event["id"]] = SYSTEM_CLOCK.timestamp()


async def _open_many(url: str, token: str, child: str, count: int) -> list[_Subscriber]:
    ws_url = url.replace("http://", "ws://") + "/graphql"
    subscribers = [_Subscriber() for _ in range(count)]
    limit = asyncio.Semaphore(50)

    async def one(subscriber: _Subscriber) -> None:
        async with limit:
            await _subscribe(ws_url, token, child, subscriber)

    await asyncio.gather(*(one(s) for s in subscribers))
    deadline = time.monotonic() + 300
    while await asyncio.to_thread(_open_subscriptions, url) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} subscriptions did not open")
        await asyncio.sleep(0.5)
    return subscribers


async def _close_all(subscribers: list[_Subscriber]) -> None:
    await asyncio.gather(*(s.socket.close() for s in subscribers if s.socket is not None))


def _child(url: str, token: str) -> tuple[str, str]:
    import base64

    answer = httpx.post(
        f"{url}/graphql",
        json={"query": "{ me { children { id } } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    ).json()
    for child in answer["data"]["me"]["children"]:
        if child is None:  # regions 74 and 11: their emulators are not served here
            continue
        padded = child["id"] + "=" * (-len(child["id"]) % 4)
        _, region, native = base64.urlsafe_b64decode(padded).decode().split(":", 2)
        if region == "77":
            return child["id"], native
    raise RuntimeError("the parent has no child in region 77")


def idle_memory(key: Path, token: str, idle: int = 5_000, warm: int = 100) -> dict[str, Any]:
    """(f): bytes of server memory per idle subscription with ``idle`` open."""
    prefix = f"bench-live-{os.getpid()}:"
    with _gateway(key, prefix) as (url, pid):
        child, _ = _child(url, token)

        async def run() -> tuple[int, int]:
            first = await _open_many(url, token, child, warm)
            await asyncio.sleep(2)
            before = _rss(pid)
            rest = await _open_many(url, token, child, idle - warm)
            await asyncio.sleep(2)
            after = _rss(pid)
            await _close_all(first + rest)
            return before, after

        before, after = asyncio.run(run())
    _clean(prefix)
    per = (after - before) / (idle - warm)
    return {
        "subscriptions": idle,
        "rss_mib_at_warm": round(before / 2**20, 1),
        "rss_mib_at_idle": round(after / 2**20, 1),
        "bytes_per_subscription": round(per),
        "config": f"[live] {BENCH_LIVE}, rate limits off",
    }


def delivery_lag(
    key: Path, token: str, subscribers: int = 1_000, events: int = 20
) -> dict[str, Any]:
    """(g): p50/p99 from publish to receipt with ``subscribers`` on one student."""
    import redis.asyncio

    from adapters import SYSTEM_CLOCK, Change, ChangeKind
    from gateway.live import LiveEvent, RedisStream

    prefix = f"bench-live-{os.getpid()}:"
    with _gateway(key, prefix) as (url, _):
        child, native = _child(url, token)

        async def run() -> list[float]:
            listening = await _open_many(url, token, child, subscribers)
            readers = [asyncio.create_task(_listen(s)) for s in listening]
            client = redis.asyncio.Redis.from_url(REDIS_URL)
            stream = RedisStream(client, prefix=prefix, max_len=1000, seen_ttl=3600)
            published: dict[str, float] = {}
            for n in range(events):  # one at a time: how long one event takes to reach all
                change = Change(
                    id=f"bench-{n}",
                    student_id=native,
                    kind=ChangeKind.MARK_CREATED,
                    at=SYSTEM_CLOCK.now(),
                    subject_name="Математика",
                    mark_value="5",
                )
                at = SYSTEM_CLOCK.timestamp()
                event_id = await stream.publish(LiveEvent("77", change, at))
                assert event_id is not None
                published[event_id] = at
                deadline = time.monotonic() + 60
                while any(event_id not in s.received for s in listening):
                    if time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.2)
            for reader in readers:
                reader.cancel()
            await _close_all(listening)
            await client.aclose()
            return [
                s.received[i] - at
                for s in listening
                for i, at in published.items()
                if i in s.received
            ]

        lags = asyncio.run(run())
    _clean(prefix)
    expected = subscribers * events
    ordered = sorted(lags)
    return {
        "subscribers": subscribers,
        "events": events,
        "delivered": len(lags),
        "expected": expected,
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "config": f"[live] {BENCH_LIVE}, rate limits off",
    }


def _clean(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="the live-updates bench's gateway")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--port", type=int, required=True)
    serve.add_argument("--key", required=True)
    serve.add_argument("--prefix", required=True)
    args = parser.parse_args()
    _serve(args)


if __name__ == "__main__":
    main()
