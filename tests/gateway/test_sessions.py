"""Gateway sessions (opaque tokens) over memory and a real Redis, and login throttling."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from adapters.models import ProviderSession
from gateway.infrastructure import Infrastructure
from gateway.sessions import IssuedSession, LoginThrottle, SessionStore
from gateway.upstream import build_cache
from gateway.upstream.codec import Codec
from tests.redis import REDIS_URL, delete_keys, require_redis, run_keys

PROVIDER = ProviderSession(
    student_id="st-42",
    token="PROVIDER-SECRET-TOKEN-b8f1c2",
    data=(("cookie", "PROVIDER-COOKIE-77aa"), ("school", "1501")),
)
SEAL_KEY = secrets.token_bytes(32)


class FakeClock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _namespace(redis_prefix: str, label: str = "sessions") -> str:
    """A cache namespace inside the run's prefix (the Redis cache puts a colon after it)."""
    return f"{redis_prefix}{label}-{secrets.token_hex(6)}"


def _redis_cache(infrastructure: Infrastructure, namespace: str, key: bytes = SEAL_KEY) -> Any:
    return build_cache(
        REDIS_URL,
        max_entries=100,
        codec=Codec(key, ()),
        client=infrastructure.redis,
        namespace=namespace,
    )


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def cache(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[Any]:
    namespace = _namespace(redis_prefix)
    if request.param == "memory":
        yield build_cache("memory://", max_entries=100, namespace=namespace)
        return
    require_redis()
    infrastructure = Infrastructure(REDIS_URL, key_prefix=redis_prefix)
    try:
        yield _redis_cache(infrastructure, namespace)
    finally:
        await infrastructure.aclose()
        delete_keys(f"{namespace}:")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(cache: Any, clock: FakeClock) -> SessionStore:
    return SessionStore(cache, ttl_seconds=900, clock=clock)


async def test_open_then_resolve_gives_the_provider_session(store: SessionStore) -> None:
    issued = await store.open("moscow", PROVIDER)

    assert isinstance(issued, IssuedSession)
    assert issued.expires_in == 900
    assert await store.resolve(issued.token) == ("moscow", PROVIDER)


async def test_tokens_are_opaque_and_no_provider_secret_leaks(store: SessionStore) -> None:
    issued = await store.open("moscow", PROVIDER)
    again = await store.open("moscow", PROVIDER)

    for token in (issued.token, issued.refresh_token):
        assert "." not in token
        assert len(token) >= 43
    assert issued.token != again.token
    assert issued.refresh_token != again.refresh_token
    everything = issued.token + issued.refresh_token + repr(issued)
    for secret in (PROVIDER.token, "PROVIDER-COOKIE-77aa", "st-42", "moscow"):
        assert secret not in everything


async def test_unknown_and_tampered_tokens_are_rejected(store: SessionStore) -> None:
    issued = await store.open("moscow", PROVIDER)
    token = issued.token
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]

    for bad in (
        flipped,
        "dgs_" + secrets.token_urlsafe(32),  # the right shape, never issued
        issued.refresh_token,  # a refresh token is not an access token
        token + "x",
        "",
        "garbage",
        "a.b.c",
        "dgs_" + "x" * 9000,
        "\x00\xff.\ud800.\n",
    ):
        assert await store.resolve(bad) is None
    assert await store.resolve(None) is None  # type: ignore[arg-type]
    assert await store.resolve(token) == ("moscow", PROVIDER)


async def test_expired_token_is_rejected(store: SessionStore, clock: FakeClock) -> None:
    issued = await store.open("moscow", PROVIDER)
    clock.now += 899
    assert await store.resolve(issued.token) == ("moscow", PROVIDER)
    clock.now += 2
    assert await store.resolve(issued.token) is None


async def test_refresh_rotates_both_tokens(store: SessionStore, clock: FakeClock) -> None:
    first = await store.open("moscow", PROVIDER)
    second = await store.refresh(first.refresh_token)

    assert second is not None
    assert second.refresh_token != first.refresh_token
    assert second.token != first.token
    assert await store.resolve(second.token) == ("moscow", PROVIDER)
    assert await store.resolve(first.token) is None  # replaced, though not expired
    assert await store.refresh(first.refresh_token) is None  # single use
    clock.now += 1000  # the access token has expired; the refresh token has not
    assert await store.resolve(second.token) is None
    third = await store.refresh(second.refresh_token)
    assert third is not None
    assert await store.resolve(third.token) == ("moscow", PROVIDER)


async def test_concurrent_refresh_with_one_token_wins_once(store: SessionStore) -> None:
    issued = await store.open("moscow", PROVIDER)
    results = await asyncio.gather(*(store.refresh(issued.refresh_token) for _ in range(5)))
    assert sum(result is not None for result in results) == 1


async def test_refresh_rejects_garbage_and_expired(cache: Any) -> None:
    clock = FakeClock()
    store = SessionStore(cache, refresh_ttl_seconds=3600, clock=clock)
    issued = await store.open("moscow", PROVIDER)
    for bad in ("", "nope", "dgr_" + "x" * 9000, issued.token, "dgr_" + secrets.token_urlsafe(32)):
        assert await store.refresh(bad) is None
    clock.now += 3601
    assert await store.refresh(issued.refresh_token) is None


async def test_revoke_by_token_and_by_sid(store: SessionStore, clock: FakeClock) -> None:
    first = await store.open("moscow", PROVIDER)
    second = await store.open("moscow", PROVIDER)

    assert await store.revoke(first.token) is True
    assert await store.resolve(first.token) is None
    assert await store.refresh(first.refresh_token) is None
    assert await store.resolve(second.token) == ("moscow", PROVIDER)  # others unaffected

    clock.now += 10_000  # revoking works with an expired access token too
    assert await store.revoke(second.token) is True
    assert await store.refresh(second.refresh_token) is None
    assert await store.revoke(second.token) is False
    assert await store.revoke("not.a.token") is False
    assert await store.revoke("") is False


def test_is_session_token() -> None:
    assert SessionStore.is_session_token("dgs_" + secrets.token_urlsafe(32))
    for other in ("", "abc", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "dgs_" + "x" * 300):
        assert not SessionStore.is_session_token(other)


async def test_issued_token_routes_to_the_store(store: SessionStore) -> None:
    issued = await store.open("moscow", PROVIDER)
    assert SessionStore.is_session_token(issued.token)
    assert not SessionStore.is_session_token(issued.refresh_token)


@pytest.mark.redis
async def test_two_instances_sharing_redis_share_sessions(redis_prefix: str) -> None:
    require_redis()
    namespace = _namespace(redis_prefix)
    first = Infrastructure(REDIS_URL, key_prefix=redis_prefix)
    second = Infrastructure(REDIS_URL, key_prefix=redis_prefix)
    try:
        a = SessionStore(_redis_cache(first, namespace))
        b = SessionStore(_redis_cache(second, namespace))

        issued = await a.open("moscow", PROVIDER)
        assert await b.resolve(issued.token) == ("moscow", PROVIDER)
        rotated = await b.refresh(issued.refresh_token)
        assert rotated is not None
        assert await a.resolve(rotated.token) == ("moscow", PROVIDER)
        assert await a.resolve(issued.token) is None
        assert await a.refresh(issued.refresh_token) is None
        assert await a.revoke(rotated.token) is True
        assert await b.resolve(rotated.token) is None
        assert await b.refresh(rotated.refresh_token) is None
    finally:
        await first.aclose()
        await second.aclose()
        delete_keys(f"{namespace}:")


@pytest.mark.redis
async def test_redis_holds_digests_and_sealed_records_only(redis_prefix: str) -> None:
    require_redis()
    namespace = _namespace(redis_prefix)
    infrastructure = Infrastructure(REDIS_URL, key_prefix=redis_prefix)
    try:
        cache = _redis_cache(infrastructure, namespace)
        store = SessionStore(cache)
        issued = await store.open("moscow", PROVIDER)
        keys = run_keys(f"{namespace}:")
        names = " ".join(keys)
        assert issued.token not in names
        assert issued.refresh_token not in names
        assert PROVIDER.token not in names
        assert len(keys) == 3  # the session, its access token, its refresh token

        # Someone who can write to Redis but lacks the gateway's secret cannot make a
        # token resolve: a record written without the key is dropped as forged.
        assert infrastructure.redis is not None
        access_key = next(k for k in keys if ":access:" in k)
        record = next(k for k in keys if ":session:" in k)
        forger = SessionStore(_redis_cache(infrastructure, namespace, secrets.token_bytes(32)))
        forged = await forger.open("moscow", ProviderSession("someone-else", "t", ()))
        forged_keys = set(run_keys(f"{namespace}:")) - set(keys)
        forged_access = next(k for k in forged_keys if ":access:" in k)
        await infrastructure.redis.copy(forged_access, access_key, replace=True)
        await infrastructure.redis.copy(
            next(k for k in forged_keys if ":session:" in k), record, replace=True
        )
        assert await store.resolve(forged.token) is None
        assert await store.resolve(issued.token) is None
        assert cache.forged >= 1
    finally:
        await infrastructure.aclose()
        delete_keys(f"{namespace}:")


# --- throttling ------------------------------------------------------------------------------


ThrottleFactory = Callable[..., LoginThrottle]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def make_throttle(
    request: pytest.FixtureRequest, redis_prefix: str
) -> AsyncIterator[ThrottleFactory]:
    uri = "async+memory://"
    if request.param == "redis":
        require_redis()
        uri = "async+" + REDIS_URL
    key_prefix = f"{_namespace(redis_prefix, 'throttle')}:"  # keys: <key_prefix>limits:…

    created: list[LoginThrottle] = []

    def factory(**options: Any) -> LoginThrottle:
        throttle = LoginThrottle(uri, key_prefix=key_prefix, **options)
        created.append(throttle)
        return throttle

    yield factory
    for throttle in created:
        await throttle.close()
    if request.param == "redis":
        delete_keys(key_prefix)


async def test_five_attempts_then_wait(make_throttle: ThrottleFactory) -> None:
    throttle = make_throttle()
    for _ in range(5):
        assert await throttle.check("moscow", "Ivanov") is None
        assert await throttle.attempt("moscow", "Ivanov") is None  # counted before the call

    wait = await throttle.check("moscow", " IVANOV ")
    assert wait is not None
    assert 0 < wait <= 15 * 60
    refused = await throttle.attempt("moscow", "ivanov")
    assert refused is not None
    assert 0 < refused <= 15 * 60
    assert await throttle.check("moscow", "petrov") is None  # other logins unaffected
    assert await throttle.check("tatarstan", "ivanov") is None  # per region

    await throttle.succeeded("moscow", "ivanov")
    assert await throttle.check("moscow", "Ivanov") is None


async def test_concurrent_attempts_cannot_all_pass(make_throttle: ThrottleFactory) -> None:
    throttle = make_throttle()
    waits = await asyncio.gather(*(throttle.attempt("77", "victim") for _ in range(40)))
    assert sum(wait is None for wait in waits) == 5


async def test_address_limit(make_throttle: ThrottleFactory) -> None:
    throttle = make_throttle(address_limit="3 per 15 minutes")
    for index in range(3):
        assert await throttle.attempt("moscow", f"user{index}", address="203.0.113.7") is None

    wait = await throttle.check("moscow", "fresh-login", address="203.0.113.7")
    assert wait is not None
    assert wait > 0
    assert await throttle.attempt("moscow", "fresh-login", address="203.0.113.7") is not None
    assert await throttle.check("moscow", "fresh-login", address="198.51.100.1") is None
    assert await throttle.check("moscow", "fresh-login") is None
    await throttle.succeeded("moscow", "fresh-login")  # another address's success: no effect
    assert await throttle.check("moscow", "x", address="203.0.113.7") is not None


async def test_successes_give_the_address_its_attempts_back(
    make_throttle: ThrottleFactory,
) -> None:
    throttle = make_throttle(address_limit="3 per 15 minutes")
    for index in range(10):  # a class signing in from one school address
        assert await throttle.attempt("11", f"pupil{index}", address="203.0.113.9") is None
        await throttle.succeeded("11", f"pupil{index}", address="203.0.113.9")
    for index in range(2):  # an outage is not a failure either
        assert await throttle.attempt("11", f"late{index}", address="203.0.113.9") is None
        await throttle.inconclusive("11", f"late{index}", address="203.0.113.9")
    assert await throttle.check("11", "next", address="203.0.113.9") is None
