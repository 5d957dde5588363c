"""The ASGI application: routes, middleware and the lifespan that closes shared clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from strawberry.extensions import DisableIntrospection

from adapters import AdapterRegistry
from schema import Limits, build_schema

from .audit import AuditLog
from .directory import go_to_region
from .graphql import GatewayGraphQL
from .identity import DevIssuer, IssuerConfig, TokenVerifier
from .settings import Settings
from .wiring import build_http_client, build_registry

__all__ = ["create_app"]


async def _healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "regions": sorted(request.app.state.registry)})


def create_app(
    settings: Settings,
    *,
    dev_issuer: DevIssuer | None = None,
    routes: Sequence[BaseRoute] = (),
    http: httpx.AsyncClient | None = None,
    registry: AdapterRegistry | None = None,
) -> Starlette:
    """Build the gateway app.

    Args:
        settings: the checked configuration.
        dev_issuer: the demo's development SSO issuer, whose JWKS the app serves at
            ``/.well-known/jwks.json`` (it must also be listed in ``settings.issuers``).
        routes: extra routes (the demo mounts the Moscow emulator here).
        http: the shared httpx client (built if not given).
        registry: prebuilt adapters (built from settings if not given).
    """
    client = http or build_http_client()
    adapters = registry or build_registry(settings, client)
    verifier = TokenVerifier(
        [
            IssuerConfig(
                issuer=i.issuer,
                audience=i.audience,
                jwks_url=i.jwks_url,
                leeway_seconds=i.leeway_seconds,
            )
            for i in settings.issuers
        ],
        client,
    )
    audit = AuditLog()
    extensions: list[Any] = []
    if not settings.server.introspection:
        extensions.append(DisableIntrospection)
    schema = build_schema(extensions=extensions)
    graphql = GatewayGraphQL(
        schema,
        registry=adapters,
        verifier=verifier,
        audit=audit,
        limits=Limits(max_range_days=settings.server.max_range_days),
        history_days={
            code: r.history_days for code, r in settings.regions.items() if r.history_days
        },
        graphiql=settings.server.graphiql,
    )

    all_routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", _healthz),
        Route("/go/{region}", go_to_region),
        Route("/go/{region}/{school}", go_to_region),
    ]
    if dev_issuer is not None:
        jwks = dev_issuer.jwks()

        async def _jwks(request: Request) -> Response:
            return JSONResponse(jwks)

        all_routes.append(Route("/.well-known/jwks.json", _jwks))
    all_routes.extend(routes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await adapters.aclose()
            if http is None:
                await client.aclose()

    middleware = []
    if settings.server.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.server.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
            )
        )
    app = Starlette(routes=all_routes, middleware=middleware, lifespan=lifespan)
    app.state.registry = adapters
    app.state.audit = audit
    app.state.settings = settings
    app.state.schema = schema
    app.state.http = client
    return app
