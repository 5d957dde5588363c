"""The event stream's two backends keep the same promises: dedup by key, order, bounds,
resume after an id, blocking reads, baseline markers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import redis.asyncio

from adapters import Change, ChangeKind
from gateway.live import EventStream, LiveEvent, MemoryStream, RedisStream, position
from tests.redis import REDIS_URL, require_redis, sub_prefix


def _event(change_id: str, student: str = "s1") -> LiveEvent:
    change = Change(
        id=change_id,
        student_id=student,
        kind=ChangeKind.MARK_CREATED,
        at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        subject_name="Математика",
        mark_value="5",
    )
    return LiveEvent("77", change, 0.0)


@pytest.fixture(params=["memory", "redis"])
async def stream(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[EventStream]:
    if request.param == "memory":
        yield MemoryStream(max_len=5, seen_ttl=60)
        return
    require_redis()
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    yield RedisStream(client, prefix=sub_prefix(redis_prefix, "stream"), max_len=5, seen_ttl=60)
    await client.aclose()


async def test_a_change_published_twice_is_one_event(stream: EventStream) -> None:
    first = await stream.publish(_event("c1"))
    again = await stream.publish(_event("c1"))
    assert first is not None
    assert again is None
    assert [e.id for e in await stream.after("0-0")] == [first]


async def test_events_come_back_in_order_after_an_id(stream: EventStream) -> None:
    ids = [await stream.publish(_event(f"c{n}")) for n in range(3)]
    assert all(ids)
    after_first = await stream.after(str(ids[0]))
    assert [e.change.id for e in after_first] == ["c1", "c2"]
    assert [position(e.id) for e in after_first] == sorted(position(e.id) for e in after_first)
    assert await stream.last_id() == ids[-1]


async def test_the_stream_keeps_about_max_len_events(stream: EventStream) -> None:
    for n in range(300):
        await stream.publish(_event(f"b{n}"))
    kept = await stream.after("0-0")
    assert len(kept) < 300  # trimmed (Redis trims approximately, in whole nodes)
    assert kept[-1].change.id == "b299"


async def test_a_blocking_read_wakes_on_a_publish(stream: EventStream) -> None:
    start = await stream.last_id()

    async def publish_later() -> None:
        await asyncio.sleep(0.2)
        await stream.publish(_event("late"))

    task = asyncio.create_task(publish_later())
    found = await stream.read(start, block_seconds=30)
    await task
    assert [e.change.id for e in found] == ["late"]
    assert found[0].change == _event("late").change  # the whole change survives the trip


async def test_a_remembered_key_is_not_published_and_the_marker_is_set(
    stream: EventStream,
) -> None:
    assert not await stream.marked("baseline:x")
    await stream.remember(["77/s1/old"], "baseline:x")
    assert await stream.marked("baseline:x")
    assert await stream.publish(_event("old")) is None
