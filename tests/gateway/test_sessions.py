"""Gateway sessions over memory and a real Redis, with real HS256 signing, and login throttling."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import stat
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from aiocache import RedisCache, SimpleMemoryCache
from joserfc.jwk import OctKey

from adapters.models import ProviderSession
from gateway.sessions import ISSUER, IssuedSession, LoginThrottle, SessionStore
from tests.redis import REDIS_URL, delete_keys, require_redis, run_keys

PROVIDER = ProviderSession(
    student_id="st-42",
    token="PROVIDER-SECRET-TOKEN-b8f1c2",
    data=(("cookie", "PROVIDER-COOKIE-77aa"), ("school", "1501")),
)


class FakeClock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _redis_parts() -> tuple[str, int, int]:
    url = urlparse(REDIS_URL)
    db = int(url.path.lstrip("/") or 0)
    return url.hostname or "127.0.0.1", url.port or 6379, db


def _namespace(redis_prefix: str, label: str = "sessions") -> str:
    """An aiocache namespace inside the run's prefix (aiocache puts a colon after it)."""
    return f"{redis_prefix}{label}-{secrets.token_hex(6)}"


def _make_redis_cache(namespace: str) -> Any:
    host, port, db = _redis_parts()
    return RedisCache(endpoint=host, port=port, db=db, namespace=namespace)


# Never ``RedisCache.clear()`` here: without an explicit namespace, aiocache 0.12 runs FLUSHDB
# (every key of every run sharing the server). Keys go with ``delete_keys`` instead.


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def cache(request: pytest.FixtureRequest, redis_prefix: str) -> AsyncIterator[Any]:
    namespace = _namespace(redis_prefix)
    if request.param == "memory":
        memory = SimpleMemoryCache(namespace=namespace)
        yield memory
        await memory.clear()
        return
    require_redis()
    redis_cache = _make_redis_cache(namespace)
    try:
        yield redis_cache
    finally:
        await redis_cache.close()
        delete_keys(f"{namespace}:")


@pytest.fixture
def key() -> OctKey:
    return OctKey.import_key(secrets.token_bytes(32))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(cache: Any, key: OctKey, clock: FakeClock) -> SessionStore:
    return SessionStore(cache, secret_key_path_or_key=key, ttl_seconds=900, clock=clock)


def _payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert isinstance(decoded, dict)
    return decoded


def _flip(token: str, index: int) -> str:
    replacement = "A" if token[index] != "A" else "B"
    return token[:index] + replacement + token[index + 1 :]


async def test_open_then_resolve_gives_the_provider_session(store: SessionStore) -> None:
    issued = await store.open("moscow", PROVIDER)

    assert isinstance(issued, IssuedSession)
    assert issued.expires_in == 900
    assert await store.resolve(issued.token) == ("moscow", PROVIDER)


async def test_token_claims_and_no_provider_secret_leaks(
    store: SessionStore, clock: FakeClock
) -> None:
    issued = await store.open("moscow", PROVIDER)

    header = json.loads(base64.urlsafe_b64decode(issued.token.split(".")[0] + "=="))
    payload = _payload(issued.token)
    assert header["alg"] == "HS256"
    assert payload["iss"] == ISSUER
    assert payload["sub"] == "session:moscow:st-42"
    assert payload["use"] == "access"
    assert payload["exp"] == int(clock.now) + 900
    assert isinstance(payload["sid"], str) and len(payload["sid"]) >= 16
    everything = issued.token + json.dumps(payload) + issued.refresh_token + repr(issued)
    for secret in (PROVIDER.token, "PROVIDER-COOKIE-77aa"):
        assert secret not in everything
    assert len(issued.refresh_token) >= 43
    assert "." not in issued.refresh_token


async def test_tampered_tokens_are_rejected(store: SessionStore, key: OctKey) -> None:
    issued = await store.open("moscow", PROVIDER)
    token = issued.token
    header, payload, signature = token.split(".")

    forged_payload = _payload(token) | {"sub": "session:moscow:someone-else"}
    encoded = base64.urlsafe_b64encode(json.dumps(forged_payload).encode()).rstrip(b"=").decode()
    other_key_store = SessionStore(
        SimpleMemoryCache(), secret_key_path_or_key=secrets.token_bytes(32)
    )
    foreign = await other_key_store.open("moscow", PROVIDER)

    for bad in (
        f"{header}.{encoded}.{signature}",  # payload changed, old signature
        _flip(token, len(token) - 5),  # signature changed
        f"{header}.{payload}.",  # signature stripped
        f"eyJhbGciOiJub25lIn0.{payload}.",  # alg=none
        foreign.token,  # signed with another key
        "",
        "garbage",
        "a.b.c",
        "x" * 9000,
        token + "." + token,
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


async def test_refresh_rotates(store: SessionStore, clock: FakeClock) -> None:
    first = await store.open("moscow", PROVIDER)
    clock.now += 1000  # the access token has expired
    assert await store.resolve(first.token) is None

    second = await store.refresh(first.refresh_token)

    assert second is not None
    assert second.refresh_token != first.refresh_token
    assert await store.resolve(second.token) == ("moscow", PROVIDER)
    assert await store.refresh(first.refresh_token) is None  # single use
    third = await store.refresh(second.refresh_token)
    assert third is not None
    assert await store.resolve(third.token) == ("moscow", PROVIDER)


async def test_concurrent_refresh_with_one_token_wins_once(store: SessionStore) -> None:
    issued = await store.open("moscow", PROVIDER)
    results = await asyncio.gather(*(store.refresh(issued.refresh_token) for _ in range(5)))
    assert sum(result is not None for result in results) == 1


async def test_refresh_rejects_garbage_and_expired(cache: Any, key: OctKey) -> None:
    clock = FakeClock()
    store = SessionStore(cache, secret_key_path_or_key=key, refresh_ttl_seconds=3600, clock=clock)
    issued = await store.open("moscow", PROVIDER)
    for bad in ("", "nope", "x" * 9000, issued.token):
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
    sid = _payload(second.token)["sid"]
    assert await store.revoke(sid) is True
    assert await store.refresh(second.refresh_token) is None
    assert await store.revoke(sid) is False
    assert await store.revoke("not.a.token") is False


def test_is_session_token() -> None:
    def fake(claims: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"eyJhbGciOiJSUzI1NiJ9.{body}.c2ln"

    assert SessionStore.is_session_token(fake({"iss": ISSUER}))
    assert not SessionStore.is_session_token(fake({"iss": "https://esia.gosuslugi.ru/"}))
    for garbage in ("", "abc", "a.b.c", "a.b", "x" * 9000 + fake({"iss": ISSUER})):
        assert not SessionStore.is_session_token(garbage)


async def test_issued_token_routes_to_the_store(store: SessionStore) -> None:
    issued = await store.open("moscow", PROVIDER)
    assert SessionStore.is_session_token(issued.token)
    assert not SessionStore.is_session_token(issued.refresh_token)


async def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "session.key"
    first = SessionStore(SimpleMemoryCache(), secret_key_path_or_key=path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_text()
    second = SessionStore(SimpleMemoryCache(), secret_key_path_or_key=str(path))
    assert path.read_text() == content
    # Same key, separate caches: the signature verifies, the session is just not there.
    issued = await first.open("moscow", PROVIDER)
    assert second._verify(issued.token, check_expiry=True) is not None


def test_short_keys_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        SessionStore(SimpleMemoryCache(), secret_key_path_or_key=b"short")
    path = tmp_path / "short.key"
    path.write_text("c2hvcnQ\n")
    with pytest.raises(ValueError):
        SessionStore(SimpleMemoryCache(), secret_key_path_or_key=path)


@pytest.mark.redis
async def test_two_instances_sharing_redis_and_key_file(tmp_path: Path, redis_prefix: str) -> None:
    require_redis()
    namespace = _namespace(redis_prefix)
    key_path = tmp_path / "session.key"
    cache_a, cache_b = _make_redis_cache(namespace), _make_redis_cache(namespace)
    try:
        a = SessionStore(cache_a, secret_key_path_or_key=key_path)
        b = SessionStore(cache_b, secret_key_path_or_key=key_path)

        issued = await a.open("moscow", PROVIDER)
        assert await b.resolve(issued.token) == ("moscow", PROVIDER)
        rotated = await b.refresh(issued.refresh_token)
        assert rotated is not None
        assert await a.resolve(rotated.token) == ("moscow", PROVIDER)
        assert await a.refresh(issued.refresh_token) is None
        assert await a.revoke(rotated.token) is True
        assert await b.resolve(rotated.token) is None
        assert await b.resolve(issued.token) is None
    finally:
        await cache_a.close()
        await cache_b.close()
        delete_keys(f"{namespace}:")


@pytest.mark.redis
async def test_provider_secret_is_not_in_redis_keys(key: OctKey, redis_prefix: str) -> None:
    require_redis()
    namespace = _namespace(redis_prefix)
    cache = _make_redis_cache(namespace)
    try:
        store = SessionStore(cache, secret_key_path_or_key=key)
        issued = await store.open("moscow", PROVIDER)
        keys = run_keys(f"{namespace}:")
        names = " ".join(keys)
        assert issued.refresh_token not in names
        assert PROVIDER.token not in names
        assert len(keys) == 2
    finally:
        await cache.close()
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
    assert wait is not None and 0 < wait <= 15 * 60
    refused = await throttle.attempt("moscow", "ivanov")
    assert refused is not None and 0 < refused <= 15 * 60
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
    assert wait is not None and wait > 0
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
