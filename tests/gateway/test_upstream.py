"""The upstream runner: cache (memory and real Redis), single flight, retries, breaker."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest

from adapters.base import UpstreamCall
from adapters.errors import (
    AdapterError,
    AuthenticationError,
    NotFoundError,
    ProviderResponseError,
    ProviderUnavailableError,
    WriteOutcome,
)
from adapters.models import School
from gateway.keyring import Keyring
from gateway.upstream import (
    BoundedMemoryCache,
    StaleNotice,
    UpstreamRunner,
    UpstreamSettings,
    build_cache,
    collect_notices,
    fresh_reads,
)
from gateway.upstream.codec import entity_codec
from tests.redis import delete_keys, require_redis, run_keys, sub_prefix

CODEC = entity_codec(Keyring.generate().derive("cache-hmac"))
"""Seals this module's Redis entries (every runner of a test shares the secret)."""


class Clock:
    """A settable wall clock."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Upstream:
    """A fake provider: counts calls; answers from ``value`` or raises queued errors."""

    def __init__(self, value: Any = None) -> None:
        self.calls = 0
        self.value = value
        self.errors: list[BaseException] = []
        self.delay = 0.0

    async def fetch(self) -> Any:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.errors:
            raise self.errors.pop(0)
        return self.value

    def failing(self, exc: BaseException) -> Callable[[], Awaitable[Any]]:
        async def fetch() -> Any:
            self.calls += 1
            raise exc

        return fetch


def call(
    *,
    resource: str = "marks",
    scope: str = "p:1",
    key: str = "k",
    student_ids: tuple[str, ...] = ("s1",),
    idempotent: bool = True,
    provider: str = "moscow",
    region: str = "77",
) -> UpstreamCall:
    return UpstreamCall(
        provider=provider,
        region=region,
        resource=resource,
        scope=scope,
        key=key,
        idempotent=idempotent,
        student_ids=student_ids,
    )


@pytest.fixture(params=["memory", "redis"])
async def cache_url(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return "memory://"
    return require_redis()


@pytest.fixture
def key_prefix(redis_prefix: str) -> str:
    """This test's keys: inside the run's prefix (deleted after the test and after the run)."""
    return sub_prefix(redis_prefix, "upstream")


@pytest.fixture
async def make_cache(cache_url: str, key_prefix: str) -> AsyncIterator[Callable[[], Any]]:
    """Caches on ``cache_url``: new Redis connections, or the one shared memory cache."""
    made: list[Any] = []

    def make() -> Any:
        if cache_url.startswith("memory") and made:
            return made[0]
        cache = build_cache(cache_url, max_entries=10_000, codec=CODEC)
        made.append(cache)
        return cache

    yield make
    for cache in made:
        await cache.close()
    if cache_url.startswith("redis"):
        delete_keys(key_prefix, cache_url)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_runner(
    make_cache: Callable[[], Any], key_prefix: str, clock: Clock
) -> Callable[..., UpstreamRunner]:
    def make(**overrides: Any) -> UpstreamRunner:
        settings = UpstreamSettings(key_prefix=key_prefix, **{"swr": False, **overrides})
        return UpstreamRunner(make_cache(), settings, clock=clock)

    return make


# -- cache (memory and Redis) -------------------------------------------------------------


async def test_hit_after_miss(make_runner: Callable[..., UpstreamRunner]) -> None:
    runner = make_runner()
    upstream = Upstream([School("1", "School №1")])
    first = await runner.run(call(), upstream.fetch)
    second = await runner.run(call(), upstream.fetch)
    assert first == second == [School("1", "School №1")]
    assert upstream.calls == 1
    assert (runner.stats.misses, runner.stats.hits) == (1, 1)


async def test_fresh_reads_skip_the_cached_answer_and_store_the_new_one(
    make_runner: Callable[..., UpstreamRunner],
) -> None:
    runner = make_runner()
    upstream = Upstream([School("1", "School №1")])
    await runner.run(call(), upstream.fetch)
    upstream.value = [School("1", "School №1, renamed")]
    with fresh_reads():  # the live poller's diary diff: the provider's present
        fresh = await runner.run(call(), upstream.fetch)
    assert fresh == [School("1", "School №1, renamed")]
    assert upstream.calls == 2
    assert await runner.run(call(), upstream.fetch) == fresh  # stored for everyone else
    assert upstream.calls == 2


async def test_key_layout_uses_scope_and_hashed_args(
    make_runner: Callable[..., UpstreamRunner], key_prefix: str, cache_url: str
) -> None:
    runner = make_runner()
    await runner.run(call(resource="profile", student_ids=(), key="me"), Upstream("v").fetch)
    await runner.run(call(key="marks"), Upstream("v").fetch)
    await runner.invalidate("77", "s1")
    scope = hashlib.sha256(b"p:1").hexdigest()[:32]  # no person id in plain text
    key = f"{key_prefix}moscow:77:profile:{scope}:{hashlib.sha256(b'me').hexdigest()}"
    assert await runner.cache.get(key) is not None
    if cache_url.startswith("redis"):  # entries and generation counters, all under the prefix
        keys = run_keys(key_prefix, cache_url)
        assert key in keys
        assert f"{key_prefix}gen:77:s1" in keys
        assert len(keys) == 3, keys


async def test_ttl_expiry_refetches(
    make_runner: Callable[..., UpstreamRunner], clock: Clock
) -> None:
    runner = make_runner()
    upstream = Upstream("v1")
    await runner.run(call(), upstream.fetch)
    clock.now += 59
    assert await runner.run(call(), upstream.fetch) == "v1"
    assert upstream.calls == 1
    upstream.value = "v2"
    clock.now += 2  # marks live 60 s
    assert await runner.run(call(), upstream.fetch) == "v2"
    assert upstream.calls == 2


@pytest.mark.parametrize("error", [ProviderUnavailableError, ProviderResponseError])
async def test_stale_served_when_upstream_fails(
    make_runner: Callable[..., UpstreamRunner], clock: Clock, error: type[AdapterError]
) -> None:
    runner = make_runner(max_retries=0)
    upstream = Upstream("old")
    await runner.run(call(), upstream.fetch)
    clock.now += 3600
    upstream.errors.append(error("down", provider="moscow"))
    with collect_notices() as notices:
        assert await runner.run(call(), upstream.fetch) == "old"
    assert notices == [StaleNotice("moscow", "77", "marks", 3600.0)]
    assert runner.stats.stale_served == 1
    assert upstream.calls == 2


async def test_stale_not_served_for_client_errors(
    make_runner: Callable[..., UpstreamRunner], clock: Clock
) -> None:
    runner = make_runner()
    await runner.run(call(), Upstream("old").fetch)
    clock.now += 3600
    with pytest.raises(AuthenticationError):
        await runner.run(call(), Upstream().failing(AuthenticationError("expired")))


async def test_beyond_stale_max_age_raises(
    make_runner: Callable[..., UpstreamRunner], clock: Clock
) -> None:
    runner = make_runner(max_retries=0)
    await runner.run(call(), Upstream("old").fetch)
    clock.now += 86400 + 1
    with collect_notices() as notices, pytest.raises(ProviderUnavailableError):
        await runner.run(call(), Upstream().failing(ProviderUnavailableError("down")))
    assert notices == []


async def test_stale_while_revalidate(
    make_runner: Callable[..., UpstreamRunner], clock: Clock
) -> None:
    runner = make_runner(swr=True)
    upstream = Upstream("old")
    await runner.run(call(), upstream.fetch)
    clock.now += 100
    upstream.value = "new"
    with collect_notices() as notices:
        assert await runner.run(call(), upstream.fetch) == "old"
    assert notices == [StaleNotice("moscow", "77", "marks", 100.0)]
    await runner.drain()
    assert upstream.calls == 2
    assert await runner.run(call(), upstream.fetch) == "new"
    assert upstream.calls == 2
    # a failing background refresh is swallowed; the stale value keeps being served
    clock.now += 100
    assert await runner.run(call(), Upstream().failing(ProviderUnavailableError("x"))) == "new"
    await runner.drain()


async def test_scopes_never_share_entries(make_runner: Callable[..., UpstreamRunner]) -> None:
    runner = make_runner()
    scopes = [f"p:{n:011d}" for n in range(40)] + ["public", "t:1", "t:1:g", "p:1 "]
    calls_per_scope = dict.fromkeys(scopes, 0)

    def fetch_for(scope: str) -> Callable[[], Awaitable[str]]:
        async def fetch() -> str:
            calls_per_scope[scope] += 1
            return f"data of {scope}"

        return fetch

    order = scopes * 5
    random.Random(1234).shuffle(order)
    for scope in order:
        got = await runner.run(call(scope=scope, key="same-args"), fetch_for(scope))
        assert got == f"data of {scope}"
    assert all(count == 1 for count in calls_per_scope.values())
    assert runner.stats.misses == len(scopes)
    assert runner.stats.hits == len(order) - len(scopes)


async def test_instances_share_entries_and_invalidations(
    make_runner: Callable[..., UpstreamRunner],
) -> None:
    one, two = make_runner(), make_runner()
    upstream = Upstream([School("1", "A")])
    await one.run(call(), upstream.fetch)
    assert await two.run(call(), upstream.fetch) == [School("1", "A")]
    assert upstream.calls == 1
    assert two.stats.hits == 1
    await one.invalidate("77", "s1")
    await two.run(call(), upstream.fetch)
    assert upstream.calls == 2
    await one.run(call(), upstream.fetch)
    assert upstream.calls == 2


async def test_invalidate_drops_only_that_students_entries(
    make_runner: Callable[..., UpstreamRunner],
) -> None:
    runner = make_runner()
    upstream = Upstream("v")
    calls = [
        call(student_ids=("s1",), key="a"),
        call(student_ids=("s1", "s2"), key="b"),
        call(student_ids=("s2",), key="c"),
        call(resource="profile", student_ids=(), key="me"),
        call(student_ids=("s1",), key="a", region="66", provider="eljur"),
    ]
    for c in calls:
        await runner.run(c, upstream.fetch)
    assert upstream.calls == 5
    await runner.invalidate("77", "s1")
    refetched = []
    for c in calls:
        before = upstream.calls
        await runner.run(c, upstream.fetch)
        refetched.append(upstream.calls > before)
    assert refetched == [True, True, False, False, False]


async def test_concurrent_identical_calls_share_one_fetch(
    make_runner: Callable[..., UpstreamRunner],
) -> None:
    """200 callers, one fetch: the fetch is held until every caller has missed and joined it.

    Without the gate, how many callers find the stored entry instead of the flight (and, with
    Redis, whether a caller that read a miss just before the entry was stored comes back after
    the flight ended and fetches again) depends on scheduling; with it, each caller's cache
    read happens while the fetch is in flight and nothing can be stored yet, whatever the load.
    """
    runner = make_runner()
    release = asyncio.Event()
    fetches = 0

    async def fetch() -> str:
        nonlocal fetches
        fetches += 1
        await release.wait()
        return "v"

    callers = asyncio.gather(*(runner.run(call(), fetch) for _ in range(200)))
    try:
        async with asyncio.timeout(30):
            # a miss joins (or starts) the flight at once; no event signals the counter
            while runner.stats.misses < 200:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
    finally:
        release.set()
    results = await callers
    assert results == ["v"] * 200
    assert fetches == 1
    assert runner.stats.upstream_calls == 1
    assert (runner.stats.misses, runner.stats.coalesced, runner.stats.hits) == (200, 199, 0)
    assert await runner.run(call(), fetch) == "v"  # stored once the flight ended
    assert fetches == 1


async def test_errors_and_writes_are_never_cached(
    make_runner: Callable[..., UpstreamRunner],
) -> None:
    runner = make_runner()
    batch = Upstream([School("1", "A"), NotFoundError("no such student")])
    await runner.run(call(resource="students"), batch.fetch)
    await runner.run(call(resource="students"), batch.fetch)
    assert batch.calls == 2
    write = Upstream("done")
    for _ in range(2):
        await runner.run(call(resource="homework_done", idempotent=False), write.fetch)
    assert write.calls == 2
    assert runner.stats.hits == 0


# -- retries, budget, breaker, bulkhead (memory only) ------------------------------------


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def memory_runner(
    clock: Clock | None = None, sleep: Sleeps | None = None, **overrides: Any
) -> UpstreamRunner:
    settings = UpstreamSettings(**{"swr": False, **overrides})
    return UpstreamRunner(
        build_cache("memory://", max_entries=1000),
        settings,
        clock=clock or Clock(),
        sleep=sleep or Sleeps(),
        random=lambda: 0.5,
    )


async def test_retries_honour_retry_after_and_jitter() -> None:
    sleeps = Sleeps()
    runner = memory_runner(sleep=sleeps)
    upstream = Upstream("ok")
    upstream.errors = [
        ProviderUnavailableError("429", retry_after=1.5),
        ProviderUnavailableError("503"),
    ]
    assert await runner.run(call(), upstream.fetch) == "ok"
    assert upstream.calls == 3
    assert sleeps.delays == [1.5, pytest.approx(0.5 * 0.1 * 2)]


async def test_retries_are_bounded() -> None:
    sleeps = Sleeps()
    runner = memory_runner(sleep=sleeps)
    upstream = Upstream()
    with pytest.raises(ProviderUnavailableError):
        await runner.run(call(), upstream.failing(ProviderUnavailableError("503")))
    assert upstream.calls == 3
    assert sleeps.delays == [pytest.approx(0.05), pytest.approx(0.1)]


async def test_retry_after_beyond_budget_fails_at_once() -> None:
    sleeps = Sleeps()
    runner = memory_runner(sleep=sleeps)
    upstream = Upstream()
    with pytest.raises(ProviderUnavailableError) as info:
        await runner.run(call(), upstream.failing(ProviderUnavailableError("429", retry_after=60)))
    assert info.value.retry_after == 60
    assert upstream.calls == 1
    assert sleeps.delays == []


@pytest.mark.parametrize(
    "exc",
    [AuthenticationError("expired"), NotFoundError("nope"), ProviderResponseError("bad")],
)
async def test_no_retry_for_other_errors(exc: Exception) -> None:
    runner = memory_runner()
    upstream = Upstream()
    with pytest.raises(type(exc)):
        await runner.run(call(), upstream.failing(exc))
    assert upstream.calls == 1


async def test_writes_are_never_retried() -> None:
    sleeps = Sleeps()
    runner = memory_runner(sleep=sleeps)
    upstream = Upstream()
    with pytest.raises(ProviderUnavailableError):
        await runner.run(
            call(resource="homework_done", idempotent=False),
            upstream.failing(ProviderUnavailableError("503")),
        )
    assert upstream.calls == 1
    assert sleeps.delays == []


async def test_call_budget_bounds_a_hanging_provider() -> None:
    runner = memory_runner(call_budget=0.05)
    upstream = Upstream("never")
    upstream.delay = 5
    with pytest.raises(ProviderUnavailableError, match="budget"):
        await runner.run(call(), upstream.fetch)


async def test_breaker_opens_fails_fast_and_half_open_probe_closes() -> None:
    clock = Clock()
    runner = memory_runner(clock=clock, max_retries=0, breaker_open_seconds=120)
    upstream = Upstream("ok")
    # cache one entry to be served stale while the circuit is open
    await runner.run(call(key="cached"), upstream.fetch)
    for n in range(8):
        if n % 2 == 0:
            upstream.errors.append(ProviderUnavailableError("503"))
        try:
            await runner.run(call(key=f"k{n}"), upstream.fetch)
        except ProviderUnavailableError:
            pass
    assert runner.breaker_states() == {"77:moscow": "closed"}  # 4 of 9 outcomes failed
    upstream.errors.append(ProviderUnavailableError("503"))
    with pytest.raises(ProviderUnavailableError):
        await runner.run(call(key="k8"), upstream.fetch)  # 5 of 10: 50 % opens it
    assert runner.breaker_states() == {"77:moscow": "open"}
    calls = upstream.calls
    with pytest.raises(ProviderUnavailableError, match="circuit open") as info:
        await runner.run(call(key="other"), upstream.fetch)
    assert info.value.retry_after == pytest.approx(120)
    assert info.value.write_outcome is WriteOutcome.NOT_APPLIED  # refused before it was sent
    clock.now += 100  # the cached entry (60 s TTL) is stale now; still served while open
    assert await runner.run(call(key="cached"), upstream.fetch) == "ok"
    assert upstream.calls == calls
    assert runner.breaker_states() == {"77:moscow": "open"}
    clock.now += 20  # open time is over: half-open lets one probe through; failure re-opens
    assert runner.breaker_states() == {"77:moscow": "half_open"}
    upstream.errors.append(ProviderUnavailableError("503"))
    with pytest.raises(ProviderUnavailableError):
        await runner.run(call(key="probe1"), upstream.fetch)
    assert runner.breaker_states() == {"77:moscow": "open"}
    clock.now += 120
    # a concurrent call during the probe fails fast; the probe's success closes
    upstream.delay = 0.02
    probe = asyncio.create_task(runner.run(call(key="probe2"), upstream.fetch))
    await asyncio.sleep(0)
    with pytest.raises(ProviderUnavailableError, match="circuit open"):
        await runner.run(call(key="during-probe"), upstream.fetch)
    assert await probe == "ok"
    assert runner.breaker_states() == {"77:moscow": "closed"}


async def test_client_errors_do_not_open_the_breaker() -> None:
    runner = memory_runner()
    for n in range(20):
        with pytest.raises(NotFoundError):
            await runner.run(call(key=str(n)), Upstream().failing(NotFoundError("x")))
    assert runner.breaker_states() == {"77:moscow": "closed"}


async def test_bulkhead_limits_concurrency_per_provider() -> None:
    runner = memory_runner(max_concurrency=3)
    active = peak = 0

    async def fetch() -> str:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        return "v"

    await asyncio.gather(*(runner.run(call(key=str(n)), fetch) for n in range(12)))
    assert peak == 3


async def test_memory_cache_is_bounded() -> None:
    cache = build_cache("memory://", max_entries=1000)
    assert isinstance(cache, BoundedMemoryCache)
    runner = UpstreamRunner(cache, UpstreamSettings(swr=False))
    upstream = Upstream("v")
    for n in range(10_000):
        await runner.run(call(key=str(n), student_ids=()), upstream.fetch)
    assert len(cache) <= 1000
    # the most recent entries survive
    await runner.run(call(key="9999", student_ids=()), upstream.fetch)
    assert upstream.calls == 10_000
    await cache.close()


async def test_unreachable_redis_degrades_to_uncached_calls() -> None:
    cache = build_cache("redis://127.0.0.1:1/0", max_entries=10, codec=CODEC)
    runner = UpstreamRunner(cache, UpstreamSettings(swr=False))
    upstream = Upstream("v")
    assert await runner.run(call(), upstream.fetch) == "v"
    assert await runner.run(call(student_ids=()), upstream.fetch) == "v"
    assert upstream.calls == 2
    await cache.close()


# -- the two timeout layers: the operation budget and the runner's per-call budget ------


def test_shared_http_client_has_a_connect_timeout_only() -> None:
    """A read, write or pool timeout would be a third layer under the two budgets."""
    from gateway.wiring import CONNECT_TIMEOUT_SECONDS, build_http_client

    timeout = build_http_client().timeout
    assert timeout.connect == CONNECT_TIMEOUT_SECONDS
    assert (timeout.read, timeout.write, timeout.pool) == (None, None, None)


def _hanging_eljur(runner: Any) -> Any:
    """An ЭлЖур adapter whose provider never answers."""
    from zoneinfo import ZoneInfo

    from adapters import AdapterDeps, RegionInfo
    from adapters.eljur import ElJurAdapter
    from adapters.eljur.config import ElJurConfig

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(60)
        return httpx.Response(504)

    http = httpx.AsyncClient(transport=httpx.MockTransport(hang))
    region = RegionInfo("11", "test", ZoneInfo("Europe/Moscow"), "https://example.test")
    config = ElJurConfig(base_url="https://eljur.example")
    return ElJurAdapter(region=region, config=config, deps=AdapterDeps(http=http, runner=runner))


async def test_adapter_calls_are_bounded_by_the_runner_alone() -> None:
    """A hanging provider under the gateway's runner ends at the call budget: the runner's
    error, not an adapter timeout of its own (there is none)."""

    adapter = _hanging_eljur(memory_runner(call_budget=0.05, max_retries=0))
    started = asyncio.get_running_loop().time()
    with pytest.raises(ProviderUnavailableError, match="call budget exhausted"):
        await adapter.list_schools()
    assert asyncio.get_running_loop().time() - started < 1.0


async def test_operation_budget_cuts_the_call_budget() -> None:
    from gateway.upstream import operation_budget

    adapter = _hanging_eljur(memory_runner(call_budget=30.0, max_retries=0))
    started = asyncio.get_running_loop().time()
    with operation_budget(0.05), pytest.raises(ProviderUnavailableError, match="budget"):
        await adapter.list_schools()
    assert asyncio.get_running_loop().time() - started < 1.0


async def test_direct_runner_bounds_each_call_by_its_own_timeout() -> None:
    """Without the gateway, :class:`DirectRunner` is the one per-call timeout."""
    from adapters import DirectRunner

    adapter = _hanging_eljur(DirectRunner(timeout=0.05))
    with pytest.raises(ProviderUnavailableError, match="timed out"):
        await adapter.list_schools()
