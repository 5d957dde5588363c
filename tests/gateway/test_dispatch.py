"""The GraphQL dispatcher in front of Starlette (gateway/dispatch.py): ``/graphql`` skips
the middleware stack but keeps what it does for it: the request id, the client address
behind trusted proxies, the body-size limit; CORS requests take the stack."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from gateway.dispatch import GatewayApp
from gateway.middleware import REQUEST_ID_SCOPE_KEY, current_request_id


class Endpoint:
    """Records what it saw; answers 200 with the body's length (and, as the GraphQL endpoint
    does, the request id header the dispatcher put in the scope)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.seen.append(
            {
                "client": scope.get("client"),
                "request_id": current_request_id(),
                "state_id": scope.get("state", {}).get("request_id"),
                "stacked": scope.get("stacked", False),
            }
        )
        dispatched = scope.get(REQUEST_ID_SCOPE_KEY)
        headers = [dispatched] if dispatched is not None else []
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": str(len(body)).encode()})


class Marker:
    """Middleware in the Starlette stack: marks the requests that went through it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["stacked"] = True
        await self.app(scope, receive, send)


def _app(endpoint: Endpoint, **options: Any) -> GatewayApp:
    middleware = [Middleware(Marker)]
    if options.get("cors"):
        middleware.append(
            Middleware(CORSMiddleware, allow_origins=["http://web.test"], allow_methods=["POST"])
        )
    return GatewayApp(
        graphql=endpoint,
        max_body_bytes=options.pop("max_body_bytes", 1000),
        routes=[Route("/graphql", endpoint)],
        middleware=middleware,
        **options,
    )


def _client(app: GatewayApp, client: tuple[str, int] = ("10.0.0.5", 1234)) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=client)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")


async def test_graphql_is_dispatched_past_the_stack_with_a_request_id() -> None:
    endpoint = Endpoint()
    async with _client(_app(endpoint, cors=False)) as client:
        first = await client.post("/graphql", content=b"{}")
        second = await client.post("/graphql", content=b"{}")
    assert first.status_code == 200
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert ids[0] != ids[1]
    assert [s["request_id"] for s in endpoint.seen] == ids
    assert [s["state_id"] for s in endpoint.seen] == ids
    assert not any(s["stacked"] for s in endpoint.seen)
    assert current_request_id() is None  # unbound after the request


async def test_bodies_over_the_limit_are_413_with_the_request_id() -> None:
    endpoint = Endpoint()

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length
        for _ in range(5):
            yield b"x" * 300

    async with _client(_app(endpoint, cors=False, max_body_bytes=1000)) as client:
        declared = await client.post("/graphql", content=b"x" * 1001)
        chunked = await client.post("/graphql", content=streamed())
        fits = await client.post("/graphql", content=b"x" * 1000)
    for refused in (declared, chunked):
        assert refused.status_code == 413
        assert refused.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert refused.headers["x-request-id"]
        assert refused.headers["connection"] == "close"
    assert fits.status_code == 200
    assert fits.text == "1000"
    assert len(endpoint.seen) == 1  # the declared oversize never reached the endpoint


async def test_cors_requests_take_the_stack() -> None:
    endpoint = Endpoint()
    async with _client(_app(endpoint, cors=True)) as client:
        plain = await client.post("/graphql", content=b"{}")
        cross = await client.post("/graphql", content=b"{}", headers={"Origin": "http://web.test"})
        preflight = await client.options(
            "/graphql",
            headers={"Origin": "http://web.test", "Access-Control-Request-Method": "POST"},
        )
    assert [s["stacked"] for s in endpoint.seen] == [False, True]
    assert cross.headers["access-control-allow-origin"] == "http://web.test"
    assert "access-control-allow-origin" not in plain.headers
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://web.test"


async def test_client_address_behind_trusted_proxies() -> None:
    endpoint = Endpoint()
    app = _app(endpoint, cors=False, trusted_proxies=["10.0.0.0/8"])
    async with _client(app) as client:
        await client.post("/graphql", content=b"{}", headers={"X-Forwarded-For": "203.0.113.7"})
    async with _client(app, client=("198.51.100.1", 1)) as client:  # not a trusted proxy
        await client.post("/graphql", content=b"{}", headers={"X-Forwarded-For": "203.0.113.7"})
    assert [s["client"][0] for s in endpoint.seen] == ["203.0.113.7", "198.51.100.1"]


async def test_other_paths_take_the_stack() -> None:
    endpoint = Endpoint()
    app = _app(endpoint, cors=False)
    app.router.routes.append(Route("/other", endpoint))
    async with _client(app) as client:
        response = await client.post("/other", content=b"{}")
    assert response.status_code == 200
    assert endpoint.seen[0]["stacked"] is True
    assert endpoint.seen[0]["request_id"] is None  # the stack here has no request-id middleware
