"""GraphQL over HTTP, the production posture, persisted operations and rate limits.

Real gateways on loopback ports, built from the demo configuration (regions 74 and 11) with
the ``[server]`` settings each rule needs; a few checks run against the shared demo gateway,
which keeps GraphiQL and introspection on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from limits.aio.storage import MemoryStorage

from adapters import SettingsError
from diary_gateway_demo.demo import demo_settings
from diary_gateway_demo.personas import find_persona
from gateway import create_app
from gateway.app import build_runner
from gateway.dev_issuer import DEV_AUDIENCE, DevIssuer, load_dev_issuer
from gateway.middleware import BodySizeLimitMiddleware
from gateway.persisted import (
    MemoryQueryStore,
    PersistedOperations,
    PersistedQueryError,
    load_manifest,
)
from gateway.pipeline import negotiate
from gateway.ratelimit import RateLimits
from gateway.settings import Settings
from gateway.wiring import build_http_client, build_registry
from schema.limits import COST_CAP, operation_cost
from tests.redis import REDIS_URL, delete_keys, require_redis, run_keys, sub_prefix
from tests.servers import free_port, serve_app

from .conftest import DemoGateway

GQL = "application/graphql-response+json"
REGIONS = "{ regions { code name } }"
REGIONS_COST = 3  # regions, code, name


@dataclass
class Gateway:
    url: str
    issuer: DevIssuer

    @property
    def endpoint(self) -> str:
        return f"{self.url}/graphql"

    def token(self, persona: str) -> str:
        return self.issuer.mint(find_persona(persona).subject, audience=DEV_AUDIENCE)

    def post(
        self,
        body: Any,
        *,
        accept: str | None = None,
        persona: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if accept is not None:
            sent["Accept"] = accept
        if persona is not None:
            sent["Authorization"] = f"Bearer {self.token(persona)}"
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        return httpx.post(self.endpoint, content=content, headers=sent, timeout=10)

    def get(self, params: dict[str, str], *, accept: str | None = None) -> httpx.Response:
        headers = {"Accept": accept} if accept is not None else {}
        return httpx.get(self.endpoint, params=params, headers=headers, timeout=10)


def _settings(
    port: int, *, cache_url: str = "memory://", key_prefix: str | None = None, **server: Any
) -> Settings:
    base = demo_settings(port=port)
    return replace(
        base,
        server=replace(base.server, **server),
        regions={code: r for code, r in base.regions.items() if code in ("74", "11")},
        cache=replace(base.cache, url=cache_url, key_prefix=key_prefix or base.cache.key_prefix),
    )


@contextmanager
def _serve(key_dir: Path, *, registry_hook: Any = None, **server: Any) -> Iterator[Gateway]:
    key_dir.mkdir(parents=True, exist_ok=True)
    issuer = load_dev_issuer(key_dir / "issuer.json")
    port = free_port()
    cache_url = server.pop("cache_url", "memory://")
    key_prefix = server.pop("key_prefix", None)
    settings = _settings(port, cache_url=cache_url, key_prefix=key_prefix, **server)
    registry = None
    runner = None
    http = None
    if registry_hook is not None:
        runner = build_runner(settings)
        http = build_http_client()
        registry = build_registry(settings, http, runner=runner)
        registry_hook(registry)
    app = create_app(settings, dev_issuer=issuer, http=http, registry=registry, runner=runner)
    with serve_app(app, port=port) as url:
        yield Gateway(url=url, issuer=issuer)


PRODUCTION: dict[str, Any] = {
    "graphiql": False,
    "introspection": False,
    "max_body_bytes": 4096,
    "rate_limits": False,
    "persisted_queries_max_entries": 3,
}


@pytest.fixture(scope="module")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    """A gateway with the production posture (as ``serve`` with a default config)."""
    with _serve(tmp_path_factory.mktemp("prod"), **PRODUCTION) as gateway:
        yield gateway


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


# -- GraphQL over HTTP ---------------------------------------------------------------------


def test_post_json_answers_in_the_negotiated_media_type(prod: Gateway) -> None:
    for accept, media in [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (GQL, GQL),
        (f"application/json;q=0.5, {GQL}", GQL),
        (f"{GQL};q=0.4, application/json", "application/json"),
    ]:
        response = prod.post({"query": REGIONS}, accept=accept)
        assert response.status_code == 200, (accept, response.text)
        assert response.headers["content-type"].split(";")[0] == media, accept
        assert {r["code"] for r in response.json()["data"]["regions"]} == {"74", "11"}


def test_unsupported_accept_is_406(prod: Gateway) -> None:
    response = prod.post({"query": REGIONS}, accept="text/csv")
    assert response.status_code == 406
    assert _codes(response.json()) == ["BAD_USER_INPUT"]


def test_request_errors_are_400_with_graphql_response_json_and_200_with_json(
    prod: Gateway,
) -> None:
    for query in ("{", "{ noSuchField }", "query ($d: Date!) { regions { code } }"):
        strict = prod.post({"query": query}, accept=GQL)
        assert strict.status_code == 400, (query, strict.text)
        assert "data" not in strict.json()
        assert _codes(strict.json()) == ["BAD_USER_INPUT"]
        legacy = prod.post({"query": query}, accept="application/json")
        assert legacy.status_code == 200, (query, legacy.text)
        assert "data" not in legacy.json()
        assert _codes(legacy.json()) == ["BAD_USER_INPUT"]


def test_field_errors_keep_200_and_data_with_graphql_response_json(prod: Gateway) -> None:
    # `me` needs a token: a field error during execution, so the data entry is present
    response = prod.post({"query": "{ me { children { fullName } } }"}, accept=GQL)
    assert response.status_code == 200
    body = response.json()
    assert "data" in body
    assert _codes(body) == ["UNAUTHENTICATED"]


def test_get_runs_queries_and_refuses_mutations_with_405(prod: Gateway) -> None:
    ok = prod.get({"query": REGIONS})
    assert ok.status_code == 200
    assert ok.json()["data"]["regions"]
    mutation = 'mutation { setHomeworkDone(homeworkId: "x", done: true) { done } }'
    for accept in (None, GQL):
        refused = prod.get({"query": mutation}, accept=accept)
        assert refused.status_code == 405, refused.text
        assert refused.headers["allow"] == "POST"
        assert "data" not in refused.json()


def test_other_methods_are_405_with_allow(prod: Gateway) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = httpx.request(method, prod.endpoint, timeout=10)
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        assert _codes(response.json()) == ["BAD_USER_INPUT"]


def test_batching_is_off(prod: Gateway) -> None:
    response = prod.post([{"query": REGIONS}, {"query": REGIONS}])
    assert response.status_code == 400
    assert "data" not in response.json()
    assert "batch" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "body",
    [{}, {"query": ""}, {"query": "   "}, {"query": None}, {"operationName": "X"}],
)
def test_missing_or_empty_query_is_400(prod: Gateway, body: dict[str, Any]) -> None:
    response = prod.post(body)
    assert response.status_code == 400
    assert _codes(response.json()) == ["BAD_USER_INPUT"]


def test_get_without_query_is_400(prod: Gateway) -> None:
    response = prod.get({})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        {"query": REGIONS, "variables": "{}"},
        {"query": REGIONS, "variables": [1]},
        {"query": REGIONS, "extensions": "x"},
        {"query": REGIONS, "extensions": [1]},
        {"query": REGIONS, "operationName": 1},
        {"query": 42},
    ],
)
def test_parameters_have_their_types(prod: Gateway, body: dict[str, Any]) -> None:
    assert prod.post(body).status_code == 400


def test_get_parameters_are_json_objects(prod: Gateway) -> None:
    assert prod.get({"query": REGIONS, "variables": "[1]"}).status_code == 400
    assert prod.get({"query": REGIONS, "variables": "{nope"}).status_code == 400
    assert prod.get({"query": REGIONS, "extensions": "3"}).status_code == 400
    assert prod.get({"query": REGIONS, "variables": "{}"}).status_code == 200


def test_malformed_json_body_is_400(prod: Gateway) -> None:
    for raw in (b'{"query": ', b"\xff\xfe{}", b'"just a string"', b"[[[[[[[[[[[[[[[["):
        assert prod.post(raw).status_code == 400, raw


def test_every_response_has_a_request_id(prod: Gateway) -> None:
    first = prod.post({"query": REGIONS})
    second = prod.post({"query": "{"})
    ids = {first.headers["x-request-id"], second.headers["x-request-id"]}
    assert len(ids) == 2
    assert all(len(i) == 16 for i in ids)
    too_large = prod.post(b"x" * 5000)  # refused before the endpoint (max_body_bytes 4096)
    assert too_large.status_code == 413
    for response in (first, second, too_large):  # exactly one, whoever answered
        assert len(response.headers.get_list("x-request-id")) == 1


def test_negotiate_prefers_quality_then_the_graphql_media_type() -> None:
    assert negotiate(None) == "application/json"
    assert negotiate("") == "application/json"
    assert negotiate(f"application/json, {GQL}") == GQL
    assert negotiate(f"{GQL};q=0") == None  # noqa: E711 - q=0 means "not acceptable"
    assert negotiate("application/*") == "application/json"
    assert negotiate("text/html, image/png") is None


# -- production posture ----------------------------------------------------------------------


def test_introspection_and_graphiql_are_off_in_serve_mode(prod: Gateway) -> None:
    response = prod.post({"query": "{ __schema { types { name } } }"})
    assert response.status_code == 200
    assert "data" not in response.json()
    assert set(_codes(response.json())) == {"BAD_USER_INPUT"}
    assert "introspection" in response.json()["errors"][0]["message"]
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for accept, status in [("text/html", 406), (browser, 400)]:
        page = httpx.get(prod.endpoint, headers={"Accept": accept}, timeout=10)
        assert "text/html" not in page.headers["content-type"]
        assert page.status_code == status  # not acceptable / no query: no IDE


def test_demo_keeps_graphiql_and_introspection(demo: DemoGateway) -> None:
    page = httpx.get(f"{demo.url}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    body = demo.query("{ __schema { queryType { name } } }")
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_no_field_suggestions_without_introspection(prod: Gateway, demo: DemoGateway) -> None:
    queries = [
        "{ regionz { code } }",  # a field
        '{ region(cod: "74") { code } }',  # an argument
        "query ($d: Dat) { regions { code } }",  # a type
    ]
    for query in queries:
        message = prod.post({"query": query}).json()["errors"][0]["message"]
        assert "Did you mean" not in message, message
        assert "regions" not in message
        assert "code'" not in message
        assert "Date" not in message
    # the demo (introspection on) keeps them: the check above can fail
    leaked = demo.query(queries[0])["errors"][0]["message"]
    assert "Did you mean" in leaked
    assert "regions" in leaked


def test_unexpected_errors_are_masked_with_the_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom() -> Any:
        raise RuntimeError("secret internals: /srv/db password=hunter2")

    def break_schools(registry: Any) -> None:
        registry["74"]._list_schools = boom

    caplog.set_level(logging.ERROR, logger="gateway.errors")
    with _serve(tmp_path, registry_hook=break_schools, **PRODUCTION) as gateway:
        response = gateway.post(
            {"query": "{ regions { code schools { nodes { name } } } }"}, accept=GQL
        )
        assert response.status_code == 200  # a field error: data is there
        body = response.json()
        assert "hunter2" not in response.text
        assert "secret" not in response.text
        errors = [e for e in body["errors"] if e["extensions"]["code"] == "INTERNAL_SERVER_ERROR"]
        assert errors, body
        request_id = errors[0]["extensions"]["requestId"]
        assert request_id == response.headers["x-request-id"]
        logged = [r for r in caplog.records if r.name == "gateway.errors"]
        assert logged, "the real error was not logged"
        assert any(
            request_id in r.getMessage() and getattr(r, "request_id", None) == request_id
            for r in logged
        )
        assert any(r.exc_info and isinstance(r.exc_info[1], RuntimeError) for r in logged)


def test_bodies_over_the_limit_are_413(prod: Gateway) -> None:
    big = {"query": REGIONS, "variables": {"pad": "x" * 5000}}
    response = prod.post(big)
    assert response.status_code == 413
    assert _codes(response.json()) == ["BAD_USER_INPUT"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the streamed check must catch it
        yield b'{"query": "{ regions { code } }", "variables": {"pad": "'
        for _ in range(8):
            yield b"y" * 1024
        yield b'"}}'

    streamed = httpx.post(
        prod.endpoint,
        content=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert streamed.status_code == 413
    small = prod.post({"query": REGIONS, "variables": {"pad": "x" * 1000}})
    assert small.status_code == 200


async def test_body_limit_stops_reading_once_over() -> None:
    received: list[int] = []
    reached_app: list[bool] = []
    sent: list[MutableMapping[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:  # reads the whole body, as a naive app would
            message = await receive()
            if not message.get("more_body"):
                break
        reached_app.append(True)

    async def receive() -> dict[str, Any]:
        received.append(1)
        return {"type": "http.request", "body": b"z" * 1000, "more_body": len(received) < 100}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    middleware = BodySizeLimitMiddleware(app, max_body_bytes=4096)
    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}
    await middleware(scope, receive, send)
    assert len(received) == 5  # 5000 bytes > 4096: no more was read
    assert not reached_app
    assert sent[0]["status"] == 413


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (None, b'{"query": "{ regions { code } }"}'),
        ("text/plain", b'{"query": "{ regions { code } }"}'),
        ("text/plain;charset=utf-8", b'{"query": "{ regions { code } }"}'),
        ("application/x-www-form-urlencoded", b"query=%7B+regions+%7B+code+%7D+%7D"),
        ("multipart/form-data; boundary=b", b'--b\r\nContent-Disposition: form-data; name="q"\r\n'),
        ("application/graphql", b"{ regions { code } }"),
        ("application/json; charset=latin-1", b'{"query": "{ regions { code } }"}'),
    ],
)
def test_posts_that_are_not_json_are_415(
    prod: Gateway, content_type: str | None, body: bytes
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = httpx.post(prod.endpoint, content=body, headers=headers, timeout=10)
    assert response.status_code == 415, response.text
    assert "data" not in response.json()
    assert _codes(response.json()) == ["BAD_USER_INPUT"]


# -- persisted operations ----------------------------------------------------------------------


def _sha(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def _apq(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": _sha(query)}}


def _unique_query() -> str:
    return f"{{ r{secrets.token_hex(4)}: regions {{ code }} }}"


def test_automatic_persisted_queries_post_and_get(prod: Gateway) -> None:
    query = _unique_query()
    missing = prod.post({"extensions": _apq(query)}, accept=GQL)
    assert missing.status_code == 200
    error = missing.json()["errors"][0]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "persistedQuery": "PERSISTED_QUERY_NOT_FOUND",
    }
    assert "data" not in missing.json()

    registered = prod.post({"query": query, "extensions": _apq(query)})
    assert registered.status_code == 200
    assert "errors" not in registered.json()

    by_hash = prod.post({"extensions": _apq(query)})
    assert by_hash.json() == registered.json()
    by_get = prod.get({"extensions": json.dumps(_apq(query))})
    assert by_get.status_code == 200
    assert by_get.json() == registered.json()


def test_persisted_query_hash_mismatch_is_400(prod: Gateway) -> None:
    query = _unique_query()
    response = prod.post({"query": query, "extensions": _apq(query + " ")})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["persistedQuery"] == (
        "PERSISTED_QUERY_HASH_MISMATCH"
    )
    # and nothing was stored under the hash
    assert prod.post({"extensions": _apq(query + " ")}).json()["errors"][0]["message"] == (
        "PersistedQueryNotFound"
    )


def test_malformed_persisted_query_extension_is_400(prod: Gateway) -> None:
    for persisted in ({"version": 2, "sha256Hash": "0" * 64}, {"version": 1, "sha256Hash": "x"}):
        response = prod.post({"extensions": {"persistedQuery": persisted}})
        assert response.status_code == 400


def test_invalid_queries_are_not_persisted(prod: Gateway) -> None:
    query = "{ noSuchField }"
    prod.post({"query": query, "extensions": _apq(query)})
    body = prod.post({"extensions": _apq(query)}).json()
    assert body["errors"][0]["message"] == "PersistedQueryNotFound"


def test_persisted_query_store_is_bounded(prod: Gateway) -> None:
    queries = [_unique_query() for _ in range(4)]  # the store keeps 3
    for query in queries:
        assert prod.post({"query": query, "extensions": _apq(query)}).status_code == 200
    oldest = prod.post({"extensions": _apq(queries[0])}).json()
    assert oldest["errors"][0]["message"] == "PersistedQueryNotFound"
    newest = prod.post({"extensions": _apq(queries[-1])}).json()
    assert "errors" not in newest


async def test_memory_store_evicts_the_least_recently_used() -> None:
    store = MemoryQueryStore(max_entries=2)
    await store.set("a", "A")
    await store.set("b", "B")
    assert await store.get("a") == "A"  # a is now the most recently used
    await store.set("c", "C")
    assert await store.get("b") is None
    assert await store.get("a") == "A"
    assert await store.get("c") == "C"
    assert len(store) == 2


ALLOWED = "query Regions { regions { code } }"


@pytest.fixture(scope="module")
def allow_list(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    directory = tmp_path_factory.mktemp("allow")
    manifest = directory / "operations.json"
    manifest.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": _sha(ALLOWED), "name": "Regions", "type": "query", "body": ALLOWED}
                ],
            }
        ),
        encoding="utf-8",
    )
    options = {**PRODUCTION, "persisted_only": True, "persisted_operations": str(manifest)}
    with _serve(directory, **options) as gateway:
        yield gateway


def test_allow_list_runs_registered_operations(allow_list: Gateway) -> None:
    by_hash = allow_list.post({"extensions": _apq(ALLOWED)})
    assert by_hash.status_code == 200
    assert by_hash.json()["data"]["regions"]
    by_text = allow_list.post({"query": ALLOWED})
    assert by_text.json() == by_hash.json()
    by_get = allow_list.get({"extensions": json.dumps(_apq(ALLOWED))})
    assert by_get.json() == by_hash.json()


def test_allow_list_refuses_everything_else(allow_list: Gateway) -> None:
    other = "{ regions { code name } }"
    for body in (
        {"query": other},
        {"extensions": _apq(other)},
        {"query": other, "extensions": _apq(other)},  # no registration in allow-list mode
        {"extensions": _apq(other)},
    ):
        response = allow_list.post(body)
        assert response.status_code == 400, body
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert error["extensions"]["persistedQuery"] == "PERSISTED_QUERY_NOT_ALLOWED"
        assert "data" not in response.json()


def test_manifest_ids_must_be_the_sha256_of_their_body(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"0" * 64: ALLOWED}), encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_manifest(path)
    assert info.value.key == "server.persisted_operations"
    path.write_text(json.dumps({_sha(ALLOWED): ALLOWED}), encoding="utf-8")
    assert load_manifest(path) == {_sha(ALLOWED): ALLOWED}


def test_allow_list_without_a_manifest_is_refused() -> None:
    settings = _settings(free_port(), persisted_only=True)
    with pytest.raises(SettingsError) as info:
        create_app(settings)
    assert info.value.key == "server.persisted_operations"


# -- rate limits ---------------------------------------------------------------------------------

# Day-long windows: a window boundary cannot fall inside a test and reset the counters.
UNLIMITED = "1000000/day"


def test_requests_are_limited_per_person(tmp_path: Path) -> None:
    with _serve(
        tmp_path,
        **{**PRODUCTION, "rate_limits": True},
        rate_limit_person="3/day",
        rate_limit_address=UNLIMITED,
        cost_limit_person=UNLIMITED,
        cost_limit_address=UNLIMITED,
    ) as gateway:
        for _ in range(3):
            assert gateway.post({"query": REGIONS}, persona="parent").status_code == 200
        refused = gateway.post({"query": REGIONS}, persona="parent", accept=GQL)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["content-type"].startswith(GQL)
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["retryAfter"] == int(refused.headers["retry-after"])
        # another person, and anonymous callers from the same address, still get through
        assert gateway.post({"query": REGIONS}, persona="student@74").status_code == 200
        assert gateway.post({"query": REGIONS}).status_code == 200


def test_requests_are_limited_per_address(tmp_path: Path) -> None:
    with _serve(
        tmp_path,
        **{**PRODUCTION, "rate_limits": True},
        rate_limit_person=UNLIMITED,
        rate_limit_address="4/day",
        cost_limit_person=UNLIMITED,
        cost_limit_address=UNLIMITED,
    ) as gateway:
        statuses = [gateway.post({"query": REGIONS}).status_code for _ in range(4)]
        assert statuses == [200] * 4
        # even a bad request, a GET or another person counts against the address
        refused = gateway.post({"query": REGIONS}, persona="parent")
        assert refused.status_code == 429
        assert "retry-after" in refused.headers
        assert _codes(refused.json()) == ["RATE_LIMITED"]
        assert gateway.get({"query": REGIONS}).status_code == 429
        # other paths are not limited
        assert httpx.get(f"{gateway.url}/healthz", timeout=10).status_code == 200


def test_query_cost_is_limited(tmp_path: Path) -> None:
    with _serve(
        tmp_path,
        **{**PRODUCTION, "rate_limits": True},
        rate_limit_person=UNLIMITED,
        rate_limit_address=UNLIMITED,
        cost_limit_person=f"{3 * REGIONS_COST}/day",
        cost_limit_address=UNLIMITED,
    ) as gateway:
        for _ in range(3):
            assert gateway.post({"query": REGIONS}, persona="parent").status_code == 200
        refused = gateway.post({"query": "{ regions { code } }"}, persona="parent")
        assert refused.status_code == 429
        assert _codes(refused.json()) == ["RATE_LIMITED"]
        assert "retry-after" in refused.headers
        # aliases count: a document over the whole budget can never run
        aliased = "{ " + " ".join(f"a{i}: regions {{ code }}" for i in range(6)) + " }"
        too_big = gateway.post({"query": aliased}, persona="student@74")
        assert too_big.status_code == 400
        assert _codes(too_big.json()) == ["BAD_USER_INPUT"]
        # another person has their own budget
        assert gateway.post({"query": REGIONS}, persona="student@74").status_code == 200


def test_operation_cost_counts_fields_aliases_and_fragments() -> None:
    from graphql import get_operation_ast, parse

    def cost(query: str) -> int:
        document = parse(query)
        operation = get_operation_ast(document)
        assert operation is not None
        return operation_cost(document, operation)

    assert cost("{ regions { code name } }") == 3
    assert cost("{ a: regions { code } b: regions { code } }") == 4
    assert cost("{ ...F ...F } fragment F on Query { regions { code } }") == 4
    assert cost("{ regions { ... on Region { code name } } }") == 3
    fan_out = "{ ...F0 } " + " ".join(
        f"fragment F{i} on Query {{ regions {{ code }} ...F{i + 1} ...F{i + 1} }}"
        for i in range(40)
    )
    assert cost(fan_out + " fragment F40 on Query { regions { code } }") == COST_CAP
    assert (
        cost("{ ...A } fragment A on Query { regions { code } ...B } fragment B on Query { ...A }")
        == 2
    )


# -- shared through Redis ------------------------------------------------------------------------


@pytest.mark.redis
def test_instances_share_rate_limits_and_persisted_queries_through_redis(
    tmp_path: Path, redis_prefix: str
) -> None:
    require_redis()
    prefix = sub_prefix(redis_prefix, "http")  # counters of this test only: nothing to reset
    options = {
        **PRODUCTION,
        "rate_limits": True,
        "cache_url": REDIS_URL,
        "key_prefix": prefix,
        "rate_limit_person": UNLIMITED,
        "rate_limit_address": "4/day",
        "cost_limit_person": UNLIMITED,
        "cost_limit_address": UNLIMITED,
    }
    query = _unique_query()
    with _serve(tmp_path / "a", **options) as first, _serve(tmp_path / "b", **options) as second:
        assert first.post({"query": query, "extensions": _apq(query)}).status_code == 200
        shared = second.post({"extensions": _apq(query)})  # stored by the other instance
        assert shared.status_code == 200
        assert "errors" not in shared.json()
        assert first.post({"query": REGIONS}).status_code == 200
        assert second.post({"query": REGIONS}).status_code == 200
        assert first.post({"query": REGIONS}).status_code == 429  # 4 in all, on two instances
        assert second.post({"query": REGIONS}).status_code == 429
    # every key the gateways wrote starts with [cache] key_prefix
    keys = run_keys(prefix)
    assert f"{prefix}apq:{_sha(query)}" in keys
    assert any(k.startswith(f"{prefix}limits:") for k in keys), keys
    assert any(k.startswith(f"{prefix}resp:") for k in keys), keys
    delete_keys(prefix)


class _BrokenLimitsStorage(MemoryStorage):
    """A ``limits`` storage whose backend is down."""

    async def acquire_sliding_window_entry(self, *args: Any, **kwargs: Any) -> bool:
        raise ConnectionError("down")

    async def get_sliding_window(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("down")


class _BrokenQueryStore:
    """A persisted-query store whose backend is down."""

    async def get(self, sha256: str) -> str | None:
        raise ConnectionError("down")

    async def set(self, sha256: str, query: str) -> None:
        raise ConnectionError("down")

    async def aclose(self) -> None:
        return None


async def test_storage_outages_do_not_stop_the_api(caplog: pytest.LogCaptureFixture) -> None:
    limits = RateLimits(_BrokenLimitsStorage(), person="1/day", address="1/day")
    assert await limits.hit_request(person="p:1", address="127.0.0.1") is None
    assert await limits.hit_cost(5, person="p:1", address="127.0.0.1") is None
    persisted = PersistedOperations(_BrokenQueryStore())
    query = REGIONS
    with pytest.raises(PersistedQueryError) as info:  # a miss: the client sends the query
        await persisted.resolve(None, _apq(query))
    assert info.value.message == "PersistedQueryNotFound"
    assert info.value.status == 200
    await persisted.register(_sha(query), query)  # best effort, no exception
    assert any("storage failed" in r.getMessage() for r in caplog.records)
    assert any("store failed" in r.getMessage() for r in caplog.records)
