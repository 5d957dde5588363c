"""Leases: one holder at a time, renewals, expiry, release — both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio

from gateway.live import Lease, MemoryLease, RedisLease
from tests.redis import REDIS_URL, require_redis, sub_prefix


@pytest.fixture(params=["memory", "redis"])
async def lease(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[Lease]:
    if request.param == "memory":
        yield MemoryLease()
        return
    require_redis()
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    yield RedisLease(client, prefix=sub_prefix(redis_prefix, "lease"))
    await client.aclose()


async def test_one_holder_at_a_time_and_the_holder_renews(lease: Lease) -> None:
    assert await lease.acquire("poll:a", "A", 30)
    assert not await lease.acquire("poll:a", "B", 30)
    assert await lease.acquire("poll:a", "A", 30)  # a renewal
    assert await lease.acquire("poll:b", "B", 30)  # another student: another lease


async def test_a_lease_not_renewed_passes_to_another(lease: Lease) -> None:
    assert await lease.acquire("poll:a", "A", 0.2)
    await asyncio.sleep(0.4)
    assert await lease.acquire("poll:a", "B", 30)
    assert not await lease.acquire("poll:a", "A", 30)


async def test_only_the_holder_releases(lease: Lease) -> None:
    assert await lease.acquire("poll:a", "A", 30)
    await lease.release("poll:a", "B")
    assert not await lease.acquire("poll:a", "B", 30)
    await lease.release("poll:a", "A")
    assert await lease.acquire("poll:a", "B", 30)
