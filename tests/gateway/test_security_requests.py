"""Hostile requests, each as it was seen (issue 10): through a running gateway, over HTTP.

* 40 concurrent wrong passwords for one Moscow login: at most 5 reach the provider;
* a rotating ``X-Forwarded-For`` from loopback does not lift the per-address limits unless
  ``[server] trusted_proxies`` names the proxy;
* anonymous clients cannot fill the persisted-query store: entries are bounded in size, per
  address, in number and in time, and anonymous registration can be turned off;
* a lone surrogate (``"#\\ud800"`` with a persisted-query hash) is a 400 GraphQL error, and so
  is every other malformed request (fuzzed): never a plain-text 500.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.routing import Route

from diary_gateway_demo.seed import World
from gateway.graphql import GatewayGraphQL
from gateway.persisted import MemoryQueryStore
from gateway.proxies import TrustedProxies, uvicorn_proxy_options
from tests.redis import REDIS_URL, require_redis, run_keys, sub_prefix

from .conftest import DemoGateway, make_demo

LOGIN = """mutation Login($region: String!, $login: String!, $password: String!) {
  login(region: $region, login: $login, password: $password) { token }
}"""
MOSCOW_LOGIN_PATH = "/lms/api/sessions"


def _emulator_calls(gateway: DemoGateway, path: str = MOSCOW_LOGIN_PATH) -> int:
    stats = httpx.get(f"{gateway.url}/__emulators/moscow/__admin/stats", timeout=10).json()
    return int(stats["paths"].get(path, 0))


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or ()]


def _moscow_login() -> str:
    return World.build("77").persona_student("student").login


def _post(
    gateway: DemoGateway, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.post(f"{gateway.url}/graphql", json=payload, headers=headers or {}, timeout=30)


def _login_attempt(
    gateway: DemoGateway, login: str, *, forwarded_for: str | None = None
) -> dict[str, Any]:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    variables = {"region": "77", "login": login, "password": "wrong-" + secrets.token_hex(4)}
    response = _post(gateway, {"query": LOGIN, "variables": variables}, headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- 1. concurrent guesses -------------------------------------------------------------------


async def _concurrent_wrong_passwords(gateway: DemoGateway, count: int) -> list[list[str]]:
    login = _moscow_login()
    async with httpx.AsyncClient(timeout=60) as client:

        async def guess(index: int) -> list[str]:
            variables = {"region": "77", "login": login, "password": f"guess-{index}"}
            response = await client.post(
                f"{gateway.url}/graphql", json={"query": LOGIN, "variables": variables}
            )
            assert response.status_code == 200, response.text
            return _codes(response.json())

        return await asyncio.gather(*(guess(i) for i in range(count)))


def _assert_at_most_five_reach_the_provider(gateway: DemoGateway) -> None:
    before = _emulator_calls(gateway)
    answers = asyncio.run(_concurrent_wrong_passwords(gateway, 40))
    reached = _emulator_calls(gateway) - before
    assert reached <= 5, f"{reached} guesses reached the provider"
    assert sum(codes == ["UNAUTHENTICATED"] for codes in answers) == reached
    assert sum(codes == ["RATE_LIMITED"] for codes in answers) == 40 - reached


def test_concurrent_wrong_passwords_reach_the_provider_at_most_five_times(
    fresh_demo: DemoGateway,
) -> None:
    _assert_at_most_five_reach_the_provider(fresh_demo)


@pytest.mark.redis
def test_concurrent_wrong_passwords_on_two_instances_sharing_redis(
    tmp_path: Path, redis_prefix: str
) -> None:
    url = require_redis()
    cache = {"url": url, "key_prefix": sub_prefix(redis_prefix, "throttle")}
    key = tmp_path / "key.json"
    with make_demo(key, cache=cache) as a, make_demo(key, cache=cache) as b:
        login = _moscow_login()

        async def both() -> list[list[str]]:
            async with httpx.AsyncClient(timeout=60) as client:

                async def guess(gateway: DemoGateway, index: int) -> list[str]:
                    variables = {"region": "77", "login": login, "password": f"g{index}"}
                    response = await client.post(
                        f"{gateway.url}/graphql", json={"query": LOGIN, "variables": variables}
                    )
                    return _codes(response.json())

                return await asyncio.gather(*(guess(a if i % 2 else b, i) for i in range(40)))

        before = _emulator_calls(a) + _emulator_calls(b)
        answers = asyncio.run(both())
        reached = _emulator_calls(a) + _emulator_calls(b) - before
        assert reached <= 5, f"{reached} guesses reached the providers"
        assert sum(codes == ["RATE_LIMITED"] for codes in answers) == 40 - reached


# --- 2. X-Forwarded-For ----------------------------------------------------------------------


def _spray(gateway: DemoGateway, attempts: int) -> tuple[list[list[str]], int]:
    """Wrong passwords for ``attempts`` different logins, each from a "different" address."""
    before = _emulator_calls(gateway)
    answers = [
        _codes(
            _login_attempt(
                gateway,
                f"nobody-{index}-{secrets.token_hex(3)}",
                forwarded_for=f"198.51.100.{index % 250 + 1}",
            )
        )
        for index in range(attempts)
    ]
    return answers, _emulator_calls(gateway) - before


def test_a_rotating_forwarded_for_from_loopback_is_ignored_by_default(
    fresh_demo: DemoGateway,
) -> None:
    answers, reached = _spray(fresh_demo, 24)
    assert reached == 20, "the per-address limit (20 per 15 minutes) must hold"
    assert answers[-4:] == [["RATE_LIMITED"]] * 4


def test_trusted_proxies_make_forwarded_for_the_client_address(tmp_path: Path) -> None:
    with make_demo(tmp_path / "key.json", server={"trusted_proxies": ["127.0.0.1"]}) as gateway:
        answers, reached = _spray(gateway, 24)
    assert reached == 24
    assert answers == [["UNAUTHENTICATED"]] * 24


def test_the_request_rate_per_address_holds_against_a_rotating_forwarded_for(
    tmp_path: Path,
) -> None:
    server = {"rate_limits": True, "rate_limit_address": "5/minute"}
    with make_demo(tmp_path / "key.json", server=server) as gateway:
        statuses = [
            _post(
                gateway,
                {"query": "{ regions { code } }"},
                {"X-Forwarded-For": f"203.0.113.{index + 1}", "Forwarded": "for=192.0.2.1"},
            ).status_code
            for index in range(8)
        ]
    assert statuses == [200] * 5 + [429] * 3


def test_the_client_behind_trusted_proxies_is_the_rightmost_untrusted_address() -> None:
    trusted = TrustedProxies(["10.0.0.0/8", "127.0.0.1"])

    def client(peer: str, *headers: tuple[str, str]) -> str:
        return trusted.client(peer, [(k.encode(), v.encode()) for k, v in headers])

    forged = ("x-forwarded-for", "1.1.1.1, 203.0.113.5, 10.1.2.3")
    assert client("127.0.0.1", forged) == "203.0.113.5"
    assert client("192.0.2.9", forged) == "192.0.2.9"  # not a proxy of ours: no belief
    assert client("10.0.0.1", ("x-forwarded-for", "10.9.9.9, 10.1.1.1")) == "10.9.9.9"
    assert client("10.0.0.1", ("forwarded", 'for="[2001:db8::1]:4711";proto=https')) == (
        "2001:db8::1"
    )
    assert client("10.0.0.1", ("forwarded", "for=unknown")) == "10.0.0.1"
    assert client("10.0.0.1", ("x-forwarded-for", "203.0.113.7:5555")) == "203.0.113.7"
    assert client("10.0.0.1") == "10.0.0.1"
    assert TrustedProxies([]).client("127.0.0.1", [(b"x-forwarded-for", b"1.2.3.4")]) == (
        "127.0.0.1"
    )


def test_uvicorn_believes_exactly_the_trusted_proxies() -> None:
    assert uvicorn_proxy_options([]) == {"proxy_headers": False, "forwarded_allow_ips": ""}
    assert uvicorn_proxy_options(["10.0.0.0/8"]) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.0/8"],
    }


# --- 3. the persisted-query store ------------------------------------------------------------


def _apq(query: str) -> dict[str, Any]:
    sha = hashlib.sha256(query.encode("utf-8")).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": sha}}


def _padded(index: int, size: int) -> str:
    return "{ regions { code } }\n#" + f"{index}-" + "x" * size


def _view(gateway: DemoGateway) -> GatewayGraphQL:
    route = next(r for r in gateway.app.routes if isinstance(r, Route) and r.path == "/graphql")
    view = route.endpoint
    assert isinstance(view, GatewayGraphQL)
    return view


def _memory_store(gateway: DemoGateway) -> MemoryQueryStore:
    persisted = _view(gateway).persisted
    assert persisted is not None
    assert isinstance(persisted.store, MemoryQueryStore)
    return persisted.store


def test_comment_padded_queries_are_refused_and_not_stored(fresh_demo: DemoGateway) -> None:
    for index in range(10):
        query = _padded(index, 60_000)
        response = _post(fresh_demo, {"query": query, "extensions": _apq(query)})
        assert response.status_code == 400, response.text
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert error["extensions"]["persistedQuery"] == "PERSISTED_QUERY_TOO_LARGE"
    assert len(_memory_store(fresh_demo)) == 0
    # The same query without a hash simply runs.
    response = _post(fresh_demo, {"query": _padded(0, 60_000)})
    assert response.status_code == 200
    assert "errors" not in response.json()


def _register_many(gateway: DemoGateway, count: int, **headers: str) -> list[str]:
    queries = [_padded(index, 100 + index) for index in range(count)]
    for query in queries:
        response = _post(gateway, {"query": query, "extensions": _apq(query)}, headers)
        assert response.status_code == 200, response.text
        assert response.json()["data"]["regions"], "a query over the rate still runs"
    return queries


def _stored(gateway: DemoGateway, queries: list[str]) -> int:
    found = 0
    for query in queries:
        body = _post(gateway, {"extensions": _apq(query)}).json()
        messages = [e["message"] for e in body.get("errors") or ()]
        found += "PersistedQueryNotFound" not in messages
    return found


def test_registrations_per_address_are_limited(tmp_path: Path) -> None:
    server = {"persisted_queries_register_rate": "3/hour"}
    with make_demo(tmp_path / "key.json", server=server) as gateway:
        queries = _register_many(gateway, 10)
        assert _stored(gateway, queries) == 3
        assert len(_memory_store(gateway)) == 3
        # Sending a stored query with its hash again registers nothing new.
        _register_many(gateway, 3)
        assert len(_memory_store(gateway)) == 3


def test_anonymous_registration_can_be_turned_off(tmp_path: Path) -> None:
    with make_demo(tmp_path / "key.json", server={"persisted_queries_anonymous": False}) as gw:
        anonymous = _register_many(gw, 3)
        assert _stored(gw, anonymous) == 0
        query = "query Mine { me { children { fullName } } }"
        headers = {"Authorization": f"Bearer {gw.token('parent')}"}
        response = _post(gw, {"query": query, "extensions": _apq(query)}, headers)
        assert response.status_code == 200
        assert "errors" not in response.json()
        assert _stored(gw, [query]) == 1, "a signed-in client still registers"


def test_serve_refuses_anonymous_registration_by_default() -> None:
    from gateway.settings import ServerSettings

    server = ServerSettings()
    assert server.persisted_queries_anonymous is False
    assert server.persisted_queries_max_bytes == 16_384
    assert server.trusted_proxies == []


@pytest.mark.redis
def test_the_redis_store_is_bounded_in_entries_and_time(tmp_path: Path, redis_prefix: str) -> None:
    url = require_redis()
    prefix = sub_prefix(redis_prefix, "apq")
    server = {
        "persisted_queries_max_entries": 4,
        "persisted_queries_register_rate": "",
        "persisted_queries_ttl_seconds": 600,
    }
    cache = {"url": url, "key_prefix": prefix}
    with make_demo(tmp_path / "key.json", cache=cache, server=server) as gateway:
        queries = _register_many(gateway, 10)
        entries = [k for k in run_keys(f"{prefix}apq:") if k != f"{prefix}apq:index"]
        assert len(entries) == 4
        assert _stored(gateway, queries[-4:]) == 4, "the newest stay, the oldest went"
        client = redis.Redis.from_url(REDIS_URL)
        try:
            assert all(0 < int(client.ttl(k)) <= 600 for k in entries)
            assert sum(int(client.strlen(k)) for k in entries) < 4 * 16_384
            assert int(client.zcard(f"{prefix}apq:index")) == 4
        finally:
            client.close()


# --- 4. malformed requests -------------------------------------------------------------------

GRAPHQL_RESPONSE = "application/graphql-response+json"


def _assert_graphql_error(response: httpx.Response, *, statuses: tuple[int, ...]) -> None:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].split(";")[0] in ("application/json", GRAPHQL_RESPONSE)
    body = response.json()
    assert isinstance(body, dict), body
    assert "data" in body or "errors" in body, body
    for error in body.get("errors") or ():
        assert isinstance(error["message"], str)
        assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", error


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE])
def test_a_lone_surrogate_with_a_persisted_query_hash_is_a_400_graphql_error(
    demo: DemoGateway, accept: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if accept:
        headers["Accept"] = accept
    sha = hashlib.sha256(b"#").hexdigest()
    body = (
        '{"query": "#\\ud800", "extensions": {"persistedQuery": '
        f'{{"version": 1, "sha256Hash": "{sha}"}}}}}}'
    )
    response = httpx.post(f"{demo.url}/graphql", content=body, headers=headers, timeout=10)
    _assert_graphql_error(response, statuses=(400,))
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "surrogate" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        '{"query": "{ regions { code } }", "variables": {"\\udfff": 1}}',
        '{"query": "{ regions { code } }", "operationName": "\\ud83d"}',
        '{"query": "{ regions { code } }", "extensions": {"a": ["\\udc00"]}}',
        '{"query": "mutation { login(region: \\"77\\", login: \\"\\ud800\\", password: \\"x\\")'
        ' { token } }"}',
    ],
)
def test_lone_surrogates_anywhere_are_400(demo: DemoGateway, body: str) -> None:
    response = httpx.post(
        f"{demo.url}/graphql",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    _assert_graphql_error(response, statuses=(400,))


def test_lone_surrogates_in_get_parameters_are_400(demo: DemoGateway) -> None:
    response = httpx.get(
        f"{demo.url}/graphql",
        params={"query": "{ regions { code } }", "variables": '{"x": "\\ud800"}'},
        timeout=10,
    )
    _assert_graphql_error(response, statuses=(400,))


# --- fuzzing: whatever the body, a GraphQL-shaped answer --------------------------------------


@pytest.fixture(scope="module")
def fuzz_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoGateway]:
    with make_demo(Path(tmp_path_factory.mktemp("issuer")) / "key.json") as gateway:
        yield gateway


_text = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()),
    max_size=40,
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)
_hash = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
_persisted = st.fixed_dictionaries(
    {"persistedQuery": st.fixed_dictionaries({"version": st.just(1), "sha256Hash": _hash})}
) | st.fixed_dictionaries({"persistedQuery": _json})
_queries = (
    _text
    | st.just("{ regions { code } }")
    | _text.map(lambda t: "{ regions { code } }#" + t)
    | _text.map(
        lambda t: (
            f'mutation {{ login(region: "77", login: {json.dumps(t)}, password: "x") {{ token }} }}'
        )
    )
)
_payloads = st.fixed_dictionaries(
    {},
    optional={
        "query": _queries | _json,
        "operationName": _text | _json,
        "variables": st.dictionaries(_text, _json, max_size=3) | _json,
        "extensions": _persisted | _json,
    },
)
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANY_STATUS = (200, 400, 405, 413, 415)


def _json_text(value: Any) -> str:
    # json.dumps writes lone surrogates as \\udxxx escapes, exactly what an attacker sends.
    return json.dumps(value, ensure_ascii=True, allow_nan=True)


@FUZZ
@given(payload=_payloads, accept=st.sampled_from([None, "application/json", GRAPHQL_RESPONSE]))
def test_fuzzed_json_bodies_get_graphql_answers(
    fuzz_demo: DemoGateway, payload: dict[str, Any], accept: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    if accept:
        headers["Accept"] = accept
    response = httpx.post(
        f"{fuzz_demo.url}/graphql", content=_json_text(payload), headers=headers, timeout=30
    )
    _assert_graphql_error(response, statuses=ANY_STATUS)


@FUZZ
@given(body=st.binary(max_size=200) | _json.map(_json_text).map(str.encode))
def test_fuzzed_raw_bodies_get_graphql_answers(fuzz_demo: DemoGateway, body: bytes) -> None:
    response = httpx.post(
        f"{fuzz_demo.url}/graphql",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    _assert_graphql_error(response, statuses=ANY_STATUS)


@FUZZ
@given(
    params=st.fixed_dictionaries(
        {},
        optional={
            "query": _queries,
            "operationName": _text,
            "variables": _json.map(_json_text) | _text,
            "extensions": _persisted.map(_json_text) | _json.map(_json_text) | _text,
        },
    )
)
def test_fuzzed_get_parameters_get_graphql_answers(
    fuzz_demo: DemoGateway, params: dict[str, str]
) -> None:
    encoded = {k: v.encode("utf-8", "surrogatepass") for k, v in params.items()}
    response = httpx.get(f"{fuzz_demo.url}/graphql", params=encoded, timeout=30)
    _assert_graphql_error(response, statuses=ANY_STATUS)
