"""Issue 10, item 3: nothing read from the cache runs code; every Redis value is authenticated.

The attack as given: whoever can write to Redis stores a pickle (here one that would create a
marker file through ``os.system``) under a response-cache key and under entity keys; the
next instance reading it must not run it. Entries are sealed type-tagged JSON, so such an
entry — or a valid one with a flipped byte, or one copied from another key — is dropped
(a miss), counted on the cache object and logged without personal data, and the answer is
still right.
"""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import ipaddress
import logging
import os
import pickle
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import SSLConnection

from adapters import SYSTEM_CLOCK, models
from diary_gateway_demo.demo import EMULATOR_PATH
from diary_gateway_demo.seed import World
from gateway.app import build_infrastructure, build_keyring, build_sessions
from gateway.infrastructure import StartupError, check_redis, redact, redis_pool_options
from gateway.keyring import Keyring
from gateway.responses import RESPONSE_TYPES, StoredResponse, response_codec
from gateway.settings import Settings
from gateway.upstream import build_cache
from gateway.upstream.cache import SealedRedisCache
from gateway.upstream.codec import (
    ENTITY_TYPES,
    Codec,
    CodecError,
    ForgedEntryError,
    entity_codec,
)
from schema import AuditEvent
from schema.ids import encode_id
from tests.clock import school_week
from tests.redis import own_redis_server, require_redis, run_keys, sub_prefix
from tests.servers import free_port

from .conftest import DemoGateway, make_demo
from .test_login import LOGIN, REFRESH

ROOT = Path(__file__).resolve().parents[2]
KEY = Keyring.generate().derive("cache-hmac")
CODEC = entity_codec(KEY)

WEEK_QUERY = """query ($from: Date!, $to: Date!) {
  me { children { id fullName diary(from: $from, to: $to) {
    days { lessons { subject { name } marks { value } homework { id isDone } } } } } }
}"""


# -- no pickle anywhere ------------------------------------------------------------------


def test_no_product_module_can_unpickle() -> None:
    """No module of the gateway, the schema or the adapters imports a code-running loader."""
    banned = {
        "pickle",
        "cPickle",
        "_pickle",
        "dill",
        "cloudpickle",
        "shelve",
        "marshal",
        "jsonpickle",
    }
    found = []
    for package in ("gateway", "schema", "adapters", "benchmarks"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [alias.name for alias in node.names]
                for name in names:
                    if name.split(".")[0] in banned or "PickleSerializer" in name:
                        line = getattr(node, "lineno", 0)
                        found.append(f"{path.relative_to(ROOT)}:{line} {name}")
    assert found == []


# -- the codec ---------------------------------------------------------------------------


def test_every_model_but_the_token_carriers_is_registered() -> None:
    exported = {getattr(models, name) for name in models.__all__}
    registered = set(ENTITY_TYPES)
    assert exported - registered == {models.Caller, models.ProviderSession}
    for carrier in (
        models.Caller("p1", sso_token="secret"),
        models.ProviderSession(student_id="1", token="secret"),
    ):
        with pytest.raises(CodecError):
            CODEC.dumps(carrier)


_ZONES = [ZoneInfo("Europe/Moscow"), ZoneInfo("Asia/Yekaterinburg"), ZoneInfo("Europe/Berlin")]
_FLOATS = st.floats(allow_nan=False)


def _date_ranges() -> st.SearchStrategy[models.DateRange]:
    return st.builds(
        lambda start, days: models.DateRange(start, start + timedelta(days=days)),
        st.dates(max_value=date(9000, 1, 1)),
        st.integers(0, 400),
    )


def _terms() -> st.SearchStrategy[models.Term]:
    return st.builds(
        lambda term_id, name, start, days: models.Term(
            term_id, name, start, start + timedelta(days=days)
        ),
        st.text(max_size=12),
        st.text(max_size=20),
        st.dates(max_value=date(9000, 1, 1)),
        st.integers(0, 400),
    )


def _register() -> None:
    st.register_type_strategy(models.DateRange, _date_ranges())
    st.register_type_strategy(models.Term, _terms())


_register()
_datetimes = st.datetimes(timezones=st.sampled_from([*_ZONES, UTC, timezone(timedelta(hours=5))]))


@pytest.mark.parametrize("cls", [c for c in ENTITY_TYPES], ids=lambda c: c.__name__)
def test_every_model_round_trips(cls: type) -> None:
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        value=st.from_type(cls),
        stamp=_datetimes,
        batch=st.lists(st.from_type(cls), max_size=3),
    )
    def check(value: Any, stamp: datetime, batch: list[Any]) -> None:
        entry = ([value, *batch], 1_764_460_800.5, {"at": stamp, "tuple": (value,)})
        sealed = CODEC.seal("k", entry)
        back = CODEC.open("k", sealed)
        assert CODEC.dumps(back) == CODEC.dumps(entry)  # tags and classes (and NaN) alike
        assert back == entry or b"NaN" in CODEC.dumps(entry)
        assert type(back) is tuple
        assert type(back[0]) is list
        assert type(back[2]["tuple"]) is tuple
        _same_zones(back, entry)

    check()


def _same_zones(left: Any, right: Any) -> None:
    """Datetimes come back with the same wall time, zone object and fold."""
    if isinstance(left, datetime):
        assert (left.replace(tzinfo=None), left.tzinfo, left.fold) == (
            right.replace(tzinfo=None),
            right.tzinfo if isinstance(right.tzinfo, ZoneInfo) else left.tzinfo,
            right.fold,
        )
        assert left.utcoffset() == right.utcoffset()
    elif dataclasses.is_dataclass(left) and not isinstance(left, type):
        for f in dataclasses.fields(left):
            _same_zones(getattr(left, f.name), getattr(right, f.name))
    elif isinstance(left, list | tuple):
        for a, b in zip(left, right, strict=True):
            _same_zones(a, b)
    elif isinstance(left, dict):
        for k in left:
            _same_zones(left[k], right[k])


def test_a_lesson_in_the_regions_zone_keeps_its_zone() -> None:
    moscow = ZoneInfo("Europe/Moscow")
    lesson = models.Lesson(
        id="1",
        date=date(2025, 3, 3),
        number=1,
        starts_at=datetime(2025, 3, 3, 8, 30, tzinfo=moscow),
        ends_at=datetime(2025, 3, 3, 9, 15, tzinfo=moscow),
        subject=models.Subject("s", "Алгебра \ud800"),  # a lone surrogate survives too
        homework=(
            models.Homework(
                "h", "1", models.Subject("s", "A"), "стр. 5", date(2025, 3, 4), done=True
            ),
        ),
    )
    back = CODEC.open("k", CODEC.seal("k", lesson))
    assert back == lesson
    assert back.starts_at.tzinfo is moscow


def test_stored_responses_round_trip() -> None:
    codec = response_codec(KEY)
    event = AuditEvent(
        **{  # type: ignore[arg-type]
            f.name: (("a", "b") if f.name == "fields" else True if f.name == "allowed" else "x")
            for f in dataclasses.fields(AuditEvent)
            if f.init
        }
    )
    stored = StoredResponse(
        body=b'{"data":{"me":null}}\xff',
        media_type="application/json",
        students=(("77", "1"), ("74", "2")),
        generations=(0, 3),
        audit=(event,),
        expires_at=1_764_460_860.0,
    )
    assert codec.open("resp:k", codec.seal("resp:k", stored)) == stored
    assert set(RESPONSE_TYPES) == {StoredResponse, AuditEvent}


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_forged_tampered_and_moved_values_fail_authentication(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    sealed = CODEC.seal("dg:k", ([models.Subject("1", "Физика")], 1.0))
    forgeries = {
        "pickle": pickle.dumps(_Exploit(marker)),
        "other secret": entity_codec(Keyring.generate().derive("cache-hmac")).seal(
            "dg:k", ([models.Subject("1", "Физика")], 1.0)
        ),
        "other key": CODEC.seal("dg:other", ([models.Subject("1", "Физика")], 1.0)),
        "truncated": sealed[:20],
        "empty": b"",
    }
    for i in range(len(sealed)):  # every single flipped byte
        forgeries[f"flip {i}"] = sealed[:i] + bytes([sealed[i] ^ 0x01]) + sealed[i + 1 :]
    for name, value in forgeries.items():
        with pytest.raises(ForgedEntryError):
            CODEC.open("dg:k", value)
        assert not marker.exists(), name


def test_authentic_payloads_never_name_arbitrary_classes() -> None:
    """Even under the right key, only registered classes are built — nothing is imported."""
    for payload in (
        b'{"$t":"system","command":"true"}',
        b'{"$t":"os.system"}',
        b'{"$e":["os","x"]}',
        b'{"$py":"builtins.eval"}',
        b'{"a":1,"b":2}',
        b'{"$t":"Subject","id":"1","name":"x","evil":1}',
    ):
        sealed = b"dg1" + CODEC._mac("k", payload) + payload
        with pytest.raises(CodecError):
            CODEC.open("k", sealed)


def test_codec_refuses_unregistered_values() -> None:
    @dataclasses.dataclass(frozen=True)
    class Subject:  # same name as a model, another class
        id: str

    for value in (object(), Subject("1"), {1: "x"}, {"a"}, models.Subject):
        with pytest.raises(CodecError):
            CODEC.dumps(value)
    with pytest.raises(ValueError, match="two registered types are named"):
        Codec(KEY, [models.Subject, Subject])
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Codec(b"short", [])


async def test_redis_cache_needs_a_codec() -> None:
    with pytest.raises(ValueError, match="codec"):
        build_cache("redis://127.0.0.1:6379/0", max_entries=10)


def test_redis_urls_with_password_user_and_tls_parse_alike() -> None:
    plain = redis_pool_options("redis://:p%40ss@cache.internal:6380/2")
    assert (plain["host"], plain["port"], plain["db"], plain["password"]) == (
        "cache.internal",
        6380,
        2,
        "p@ss",
    )
    assert "connection_class" not in plain
    acl = redis_pool_options("rediss://gw:secret@cache.internal/0?ssl_ca_certs=/etc/ca.pem")
    assert issubclass(acl["connection_class"], SSLConnection)
    assert (acl["username"], acl["password"], acl["ssl_ca_certs"]) == (
        "gw",
        "secret",
        "/etc/ca.pem",
    )
    assert redact("rediss://gw:secret@cache.internal/0") == "rediss://gw:***@cache.internal/0"


# -- the attack through the running gateway ----------------------------------------------


def _post(gateway: DemoGateway, token: str, variables: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{gateway.url}/graphql",
        json={"query": WEEK_QUERY, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _entity_keys(client: redis.Redis, prefix: str) -> list[str]:
    """Entity entries: ``<prefix><provider>:<region>:<resource>:…`` (not counters, audit…)."""
    providers = tuple(f"{prefix}{slug}:" for slug in ("netcity", "eljur", "moscow"))
    return [k for k in run_keys(prefix) if k.startswith(providers) and client.type(k) == b"string"]


def _overwrite(client: redis.Redis, key: str, value: bytes) -> None:
    client.set(key, value, keepttl=True)


@pytest.fixture
def attacker(redis_prefix: str) -> Iterator[tuple[redis.Redis, str]]:
    url = require_redis()
    client = redis.Redis.from_url(url)
    yield client, sub_prefix(redis_prefix, "security")
    client.close()


def test_pickled_response_entry_is_dropped_not_run(
    tmp_path: Path, attacker: tuple[redis.Redis, str], caplog: pytest.LogCaptureFixture
) -> None:
    client, prefix = attacker
    marker = tmp_path / "pwned-response"
    with make_demo(
        tmp_path / "key.json", cache={"url": require_redis(), "key_prefix": prefix}
    ) as gateway:
        token = gateway.token("parent")
        week = school_week()
        first = _post(gateway, token, week)
        assert first.status_code == 200
        assert first.headers["x-cache"] == "miss"
        assert _post(gateway, token, week).headers["x-cache"] == "hit"
        responses = [k for k in run_keys(prefix) if k.startswith(f"{prefix}resp:")]
        assert responses
        for key in responses:
            _overwrite(client, key, pickle.dumps(_Exploit(marker)))
        cache = gateway.app.state.response_cache.cache
        assert isinstance(cache, SealedRedisCache)
        with caplog.at_level(logging.WARNING, logger="gateway.upstream"):
            again = _post(gateway, token, week)
        assert again.status_code == 200
        assert again.json() == first.json()
        assert again.headers["x-cache"] == "miss"
        assert not marker.exists()
        assert cache.forged >= 1
        warnings = [r for r in caplog.records if "failed authentication" in r.getMessage()]
        assert warnings
        assert all(r.levelno == logging.WARNING for r in warnings)
        for record in warnings:  # no key (scope hashes), no person
            text = record.getMessage()
            assert prefix not in text
            assert "resp" not in text

        # the entry is written again, sealed, and served
        assert _post(gateway, token, week).headers["x-cache"] == "hit"

        # a valid entry with one flipped byte (in the body) is dropped as well
        key = next(k for k in run_keys(prefix) if k.startswith(f"{prefix}resp:"))
        raw = cast(bytes | None, client.get(key))
        assert raw is not None
        assert raw.startswith(b"dg1")
        flipped = raw[:-3] + bytes([raw[-3] ^ 0x20]) + raw[-2:]
        _overwrite(client, key, flipped)
        before = cache.forged
        tampered = _post(gateway, token, week)
        assert tampered.headers["x-cache"] == "miss"
        assert tampered.json() == first.json()
        assert cache.forged == before + 1


def test_pickled_and_tampered_entity_entries_are_dropped_not_run(
    tmp_path: Path, attacker: tuple[redis.Redis, str]
) -> None:
    client, prefix = attacker
    marker = tmp_path / "pwned-entity"
    with make_demo(
        tmp_path / "key.json",
        cache={"url": require_redis(), "key_prefix": prefix, "responses": False},
    ) as gateway:
        token = gateway.token("parent")
        week = school_week()
        first = _post(gateway, token, week)
        assert first.status_code == 200
        keys = _entity_keys(client, prefix)
        assert keys
        cache = gateway.runner.inner.cache.cache
        assert isinstance(cache, SealedRedisCache)
        calls = sum(gateway.runner.calls.values())
        assert _post(gateway, token, week).json() == first.json()
        assert sum(gateway.runner.calls.values()) == calls  # all from the entity cache

        for key in keys:
            _overwrite(client, key, pickle.dumps(_Exploit(marker)))
        again = _post(gateway, token, week)
        assert again.json() == first.json()
        assert not marker.exists()
        assert cache.forged >= len(keys)
        assert sum(gateway.runner.calls.values()) > calls  # dropped: asked the providers

        # flip one byte of each (now re-sealed) entry; move one entry onto another key
        keys = _entity_keys(client, prefix)
        before = cache.forged
        for key in keys:
            raw = cast(bytes | None, client.get(key))
            assert raw is not None
            assert raw.startswith(b"dg1")
            _overwrite(client, key, raw[:40] + bytes([raw[40] ^ 0x01]) + raw[41:])
        assert _post(gateway, token, week).json() == first.json()
        assert cache.forged - before >= len(keys)
        if len(keys) >= 2:
            _overwrite(client, keys[1], cast(bytes | None, client.get(keys[0])) or b"")
            before = cache.forged
            assert _post(gateway, token, week).json() == first.json()
            assert cache.forged == before + 1


def test_instances_sharing_redis_share_entries_only_with_the_same_secret(
    tmp_path: Path, attacker: tuple[redis.Redis, str]
) -> None:
    _, prefix = attacker
    url = require_redis()
    cache = {"url": url, "key_prefix": prefix}
    with make_demo(tmp_path / "a.json", cache=cache) as a:
        token = a.token("parent")
        first = _post(a, token, school_week())
        assert first.headers["x-cache"] == "miss"
    with make_demo(tmp_path / "b.json", cache=cache) as b:  # the demo's secret: shared
        assert _post(b, b.token("parent"), school_week()).headers["x-cache"] == "hit"
    other = {"secret_key_file": str(tmp_path / "other-secret")}
    with make_demo(tmp_path / "c.json", cache=cache, server=other) as c:
        again = _post(c, c.token("parent"), school_week())
        assert again.headers["x-cache"] == "miss"
        assert again.json() == first.json()
        assert c.app.state.response_cache.cache.forged >= 1
    assert (tmp_path / "other-secret").stat().st_mode & 0o077 == 0


SESSION_DIARY = """query ($id: ID!, $from: Date!, $to: Date!) {
  student(id: $id) { id diary(from: $from, to: $to) { days { date } } }
}"""


# -- Redis with a password (and TLS) -----------------------------------------------------


@pytest.fixture
def password_redis(tmp_path: Path) -> Iterator[tuple[int, str]]:
    password = "s3cret:pass@word"
    with own_redis_server(tmp_path, "--requirepass", password) as server:
        yield server.port, password


def _outside_faked_time() -> dict[str, str]:
    """The environment minus libfaketime (scripts/test-at): Redis keeps the real clock."""
    return {
        name: value
        for name, value in os.environ.items()
        if name != "LD_PRELOAD" and not name.startswith("FAKETIME")
    }


def _ping(client: redis.Redis) -> None:
    with client:
        client.ping()


def _wait_for(check: Any) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            check()
            return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_caches_work_with_a_password_protected_redis(
    tmp_path: Path, password_redis: tuple[int, str]
) -> None:
    port, password = password_redis
    url = f"redis://:{quote(password, safe='')}@127.0.0.1:{port}/0"
    with make_demo(tmp_path / "key.json", cache={"url": url, "key_prefix": "pw:"}) as gateway:
        token = gateway.token("parent")
        first = _post(gateway, token, school_week())
        assert first.status_code == 200
        assert first.headers["x-cache"] == "miss"
        assert _post(gateway, token, school_week()).headers["x-cache"] == "hit"
        assert gateway.app.state.response_cache.cache.forged == 0
        assert gateway.runner.inner.cache.cache.forged == 0
    client = redis.Redis(port=port, password=password)
    keys = [k.decode() for k in cast(list[bytes], client.keys("pw:*"))]
    assert any(k.startswith("pw:resp:") for k in keys)
    assert any(not k.startswith(("pw:resp:", "pw:gen:")) for k in keys)  # entities
    with pytest.raises(redis.AuthenticationError):
        _ping(redis.Redis(port=port))  # and it really needs the password
    client.close()


async def _revoke(settings: Settings, token: str) -> bool:
    infrastructure = build_infrastructure(settings)
    try:
        service = build_sessions(settings, infrastructure, build_keyring(settings))
        return await service.store.revoke(token)
    finally:
        await infrastructure.aclose()


def test_school_login_sessions_live_in_a_password_protected_redis_shared_by_instances(
    tmp_path: Path, password_redis: tuple[int, str]
) -> None:
    port, password = password_redis
    url = f"redis://:{quote(password, safe='')}@127.0.0.1:{port}/0"
    check_redis(url)  # what `serve` runs first: the password is used
    with pytest.raises(StartupError) as refused:
        check_redis(f"redis://127.0.0.1:{port}/0")
    assert password not in str(refused.value)
    world = World.build("77")  # the Moscow emulator: one provider both instances reach
    student = world.persona_student("student")
    login = {"region": "77", "school": None, "login": student.login, "password": student.password}
    own = {"id": encode_id("Student", "77", str(student.id)), **school_week()}
    cache = {"url": url, "key_prefix": "pw:"}
    with (
        make_demo(tmp_path / "a.json", cache=cache) as a,
        make_demo(tmp_path / "b.json", cache=cache, moscow_url=a.url + EMULATOR_PATH) as b,
    ):
        signed_in = a.query(LOGIN, login)
        assert "errors" not in signed_in, signed_in["errors"]
        first = signed_in["data"]["login"]
        read = b.query(SESSION_DIARY, own, token=first["token"])  # the other instance
        assert "errors" not in read
        assert read["data"]["student"]["id"] == own["id"]

        rotated = b.query(REFRESH, {"token": first["refreshToken"]})
        assert "errors" not in rotated, rotated["errors"]
        second = rotated["data"]["refreshSession"]
        for gateway in (a, b):  # the replaced token and the spent refresh token: refused
            old = gateway.query(SESSION_DIARY, own, token=first["token"])
            assert {e["extensions"]["code"] for e in old["errors"]} == {"UNAUTHENTICATED"}
        again = a.query(REFRESH, {"token": first["refreshToken"]})
        assert {e["extensions"]["code"] for e in again["errors"]} == {"UNAUTHENTICATED"}
        assert a.query(SESSION_DIARY, own, token=second["token"])["data"]["student"]

        # Revoked by a third process sharing the Redis (no mutation revokes): refused on both.
        assert asyncio.run(_revoke(a.app.state.settings, second["token"])) is True
        for gateway in (a, b):
            gone = gateway.query(SESSION_DIARY, own, token=second["token"])
            assert {e["extensions"]["code"] for e in gone["errors"]} == {"UNAUTHENTICATED"}
    client = redis.Redis(port=port, password=password)
    keys = [k.decode() for k in cast(list[bytes], client.keys("pw:sessions:*"))]
    assert keys
    assert not any(first["token"] in k or second["token"] in k for k in keys)
    client.close()


def _tls_files(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = SYSTEM_CLOCK.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "redis.crt", folder / "redis.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_entity_cache_over_tls_with_a_password(tmp_path: Path) -> None:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    cert, key = _tls_files(tmp_path)
    port, password = free_port(), "tls-secret"
    process = subprocess.Popen(  # noqa: ASYNC220 - starts a server; nothing to await
        [
            server,
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            str(cert),
            "--tls-key-file",
            str(key),
            "--tls-ca-cert-file",
            str(cert),
            "--tls-auth-clients",
            "no",
            "--requirepass",
            password,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_outside_faked_time(),
    )
    url = f"rediss://:{password}@127.0.0.1:{port}/0?ssl_ca_certs={cert}"
    try:
        try:
            _wait_for(lambda: _ping(redis.Redis.from_url(url)))
        except redis.RedisError as exc:
            pytest.skip(f"redis-server cannot serve TLS here ({exc})")
        cache = build_cache(url, max_entries=10, codec=CODEC)
        entry = ([models.Subject("1", "Химия")], 1.0)
        await cache.set("tls:k", entry, ttl=60)
        assert await cache.get("tls:k") == entry
        assert cache.forged == 0
        await cache.close()
        with pytest.raises(redis.RedisError):
            _ping(redis.Redis(port=port, socket_connect_timeout=1, socket_timeout=1))
    finally:
        process.terminate()
        process.wait(timeout=10)
