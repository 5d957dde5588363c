"""Fast and dependable: stale-if-error, breakers, coalescing, shared Redis, invalidation.

Every test serves real gateways with uvicorn over the Moscow emulator (real HTTP on
loopback) and, where said, a real Redis.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from diary_gateway_demo.seed import World
from tests.clock import school_week
from tests.redis import delete_keys, require_redis, run_keys, sub_prefix

from .conftest import DemoGateway, make_demo

MOSCOW_WEEK = """
query ($from: Date!, $to: Date!) {
  me { children { school { region { code } } diary(from: $from, to: $to) {
    days { lessons { subject { name } marks { value } homework { id text isDone } } }
  } } }
}
"""


def _week(offset_weeks: int = 0) -> dict[str, str]:
    return school_week(weeks_back=offset_weeks)


def _moscow_child(body: dict[str, Any]) -> dict[str, Any] | None:
    for child in body["data"]["me"]["children"]:
        if child and child["school"]["region"]["code"] == "77":
            found: dict[str, Any] = child
            return found
    return None


def _emulator(gateway: DemoGateway) -> str:
    return f"{gateway.url}/__emulators/moscow"


def _set_faults(gateway: DemoGateway, **faults: Any) -> None:
    response = httpx.post(f"{_emulator(gateway)}/__admin/faults", json=faults, timeout=10)
    assert response.status_code == 200, response.text


def _emulator_requests(gateway: DemoGateway) -> int:
    stats = httpx.get(f"{_emulator(gateway)}/__admin/stats", timeout=10).json()
    return int(stats["total"])


@pytest.fixture
def short_ttl_demo(tmp_path: Path) -> Iterator[DemoGateway]:
    """Diary data fresh for one second, then stale (served only if the provider fails)."""
    ttl = {"diary": 1, "profile": 1, "schools": 1}
    with make_demo(tmp_path / "key.json", cache={"ttl": ttl, "responses": False}) as gateway:
        gateway.runner.inner.settings = _no_swr(gateway)
        yield gateway


def _no_swr(gateway: DemoGateway) -> Any:
    import dataclasses

    return dataclasses.replace(gateway.runner.inner.settings, swr=False)


def test_stale_diary_served_when_the_provider_fails_completely(
    short_ttl_demo: DemoGateway,
) -> None:
    demo = short_ttl_demo
    fresh = demo.query(MOSCOW_WEEK, _week(), persona="parent")
    assert "errors" not in fresh
    time.sleep(1.2)
    _set_faults(demo, error_rate=1.0)
    try:
        stale = demo.query(MOSCOW_WEEK, _week(), persona="parent")
    finally:
        _set_faults(demo)
    assert _moscow_child(stale) == _moscow_child(fresh)
    notices = stale["extensions"]["stale"]
    moscow = [n for n in notices if n["provider"] == "moscow"]
    assert moscow
    assert all(n["ageSeconds"] >= 1.0 for n in moscow)
    assert "errors" not in stale


def test_nothing_cached_and_provider_down_gives_coded_null(fresh_demo: DemoGateway) -> None:
    _set_faults(fresh_demo, error_rate=1.0)
    try:
        body = fresh_demo.query(MOSCOW_WEEK, _week(), persona="parent")
    finally:
        _set_faults(fresh_demo)
    assert _moscow_child(body) is None
    codes = {(e["extensions"]["code"], e["extensions"].get("provider")) for e in body["errors"]}
    assert codes == {("PROVIDER_UNAVAILABLE", "moscow")}
    regions = [c["school"]["region"]["code"] for c in body["data"]["me"]["children"] if c]
    assert sorted(regions) == ["11", "74"]


def test_breaker_opens_at_half_failures_and_bounds_upstream_traffic(
    fresh_demo: DemoGateway,
) -> None:
    demo = fresh_demo
    demo.query("{ me { children { id } } }", persona="parent")  # tokens and profile
    _set_faults(demo, error_rate=0.5, seed=7)
    before = _emulator_requests(demo)
    weeks = 40
    try:
        for offset in range(weeks):
            demo.query(MOSCOW_WEEK, _week(offset + 1), persona="parent")
    finally:
        _set_faults(demo)
    sent = _emulator_requests(demo) - before
    states = demo.runner.inner.breaker_states()
    assert states.get("77:moscow") in ("open", "half_open")
    # Without a breaker: 40 diaries × (events, marks, homework, absence) × up to 3 tries.
    assert sent < weeks * 4, sent


def test_identical_concurrent_cold_queries_call_upstream_once(fresh_demo: DemoGateway) -> None:
    demo = fresh_demo
    token = demo.token("parent")
    demo.query("{ me { children { id } } }", token=token)  # sign in to the emulator first
    before = httpx.get(f"{_emulator(demo)}/__admin/stats", timeout=10).json()["paths"]

    async def burst() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=60) as client:
            requests = [
                client.post(
                    f"{demo.url}/graphql",
                    json={"query": MOSCOW_WEEK, "variables": _week(3)},
                    headers={"Authorization": f"Bearer {token}"},
                )
                for _ in range(200)
            ]
            return [r.json() for r in await asyncio.gather(*requests)]

    bodies = asyncio.run(burst())
    assert all("errors" not in b for b in bodies)
    assert all(b == bodies[0] for b in bodies)
    after = httpx.get(f"{_emulator(demo)}/__admin/stats", timeout=10).json()["paths"]
    diary_paths = [p for p in after if "events" in p or "marks" in p or "homeworks" in p]
    assert diary_paths
    children = len(World.build("77").children_of("parent"))  # the twins: one call each
    assert children == 2
    for path in diary_paths:
        assert after[path] - before.get(path, 0) == children, path


@pytest.mark.redis
def test_two_instances_share_redis_entries_and_invalidations(
    tmp_path: Path, redis_prefix: str
) -> None:
    url = require_redis()
    prefix = sub_prefix(redis_prefix, "resilience")
    cache = {"url": url, "key_prefix": prefix}
    key = tmp_path / "key.json"
    with (
        make_demo(key, cache=cache) as a,
        make_demo(key, cache=cache, moscow_url=_emulator(a)) as b,
    ):
        week = _week(2)
        first = a.query(MOSCOW_WEEK, week, persona="parent")
        assert "errors" not in first
        b.runner.calls.clear()
        second = b.query(MOSCOW_WEEK, week, persona="parent")
        assert second["data"] == first["data"]
        assert b.runner.calls[("77", "diary")] == 0, "B must be served A's cached diary"
        # B marks a Moscow homework done: A sees it at once (the shared invalidation).
        child = _moscow_child(second)
        assert child is not None
        homework = next(
            h for d in child["diary"]["days"] for le in d["lessons"] for h in le["homework"]
        )
        done = b.query(
            "mutation ($id: ID!) { setHomeworkDone(homeworkId: $id, done: true) "
            "{ homework { isDone } } }",
            {"id": homework["id"]},
            persona="parent",
        )
        assert done["data"]["setHomeworkDone"]["homework"]["isDone"] is True
        a.runner.calls.clear()
        third = a.query(MOSCOW_WEEK, week, persona="parent")
        assert a.runner.calls[("77", "diary")] == 1
        child = _moscow_child(third)
        assert child is not None
        again = next(
            h
            for d in child["diary"]["days"]
            for le in d["lessons"]
            for h in le["homework"]
            if h["id"] == homework["id"]
        )
        assert again["isDone"] is True
        b.query(
            "mutation ($id: ID!) { setHomeworkDone(homeworkId: $id, done: false) "
            "{ homework { isDone } } }",
            {"id": homework["id"]},
            persona="parent",
        )
    keys = run_keys(prefix)  # entries, generation counters and responses: all under the prefix
    assert any(k.startswith(f"{prefix}gen:77:") for k in keys), keys
    assert any(k.startswith(f"{prefix}moscow:77:") for k in keys), keys
    delete_keys(prefix)


def test_operation_budget_bounds_a_slow_region(tmp_path: Path) -> None:
    """A region slower than the operation's budget is null with a code; the rest answers."""
    # the budget leaves the other regions (over loopback HTTP) ample time even on a loaded
    # machine, and the slow region's latency is far beyond it: the bound shows, not the noise
    with make_demo(tmp_path / "key.json", server={"operation_budget_seconds": 2.5}) as demo:
        # the directory cached: once the slow region has spent the budget, the children's
        # schools come from the cache (an HTTP region could not answer in no time left)
        demo.query("{ regions { code schools { nodes { id } } } }")
        _set_faults(demo, latency_ms=20_000)
        try:
            started = time.monotonic()
            body = demo.query(
                "{ me { children { fullName school { region { code } } } } }", persona="parent"
            )
            elapsed = time.monotonic() - started
        finally:
            _set_faults(demo)
    assert elapsed < 10, elapsed  # cut at the budget, long before the region's 20 s
    children = body["data"]["me"]["children"]
    assert sorted(c["school"]["region"]["code"] for c in children if c) == ["11", "74"]
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "PROVIDER_UNAVAILABLE"
    assert error["extensions"]["provider"] == "moscow"
