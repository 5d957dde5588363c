"""The ASGI application: routes, middleware and the lifespan that closes shared clients."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute

from adapters import SYSTEM_CLOCK, AdapterRegistry, Clock
from schema import QueryLimits, build_schema

from .absences import AbsenceNoticeBook
from .audit import AuditLog
from .database import Database
from .dev_issuer import DEV_AUDIENCE, DEV_ISSUER, DEV_JWKS_PATH, DevIssuer
from .directory import go_to_region
from .dispatch import GatewayApp
from .graphql import GatewayGraphQL
from .health import Health, RegionProbe
from .idempotency import WriteLedger
from .identity import IssuerConfig, TokenVerifier
from .infrastructure import REDIS_TIMEOUT_SECONDS, Infrastructure, is_redis
from .keyring import Keyring
from .live import GraphQLSSE, GraphQLTransportWS, LiveService
from .metrics import Metrics, metrics_route, operation_names
from .middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from .onboarding import Onboarding
from .pages import graphiql_asset_routes
from .persisted import PersistedOperations
from .pipeline import Executor, IdentityResolver, OperationLimits, Pipeline
from .proxies import ClientAddressMiddleware
from .ratelimit import RateLimits
from .receipts import RECEIPT_JWKS_PATH, ReceiptIssuer
from .responses import RegionDays, ResponseCache, ScopeVersions, response_codec
from .sessions import LoginThrottle, SessionService, SessionStore
from .settings import IssuerSettings, Settings, SettingsError
from .staleness import StaleReport
from .telemetry import Telemetry
from .upstream import DEFAULT_TTLS, UpstreamRunner, UpstreamSettings, build_cache
from .upstream.codec import Codec, entity_codec
from .wiring import build_http_client, build_registry

Observer = Callable[[Any, BaseException | None, float], None]

__all__ = [
    "build_database",
    "build_infrastructure",
    "build_keyring",
    "build_runner",
    "build_sessions",
    "create_app",
    "with_dev_issuer",
]


def build_keyring(settings: Settings) -> Keyring:
    """The gateway's secret from ``[server] secret_key_file`` (created on first start)."""
    return Keyring.load_or_create(Path(settings.server.secret_key_file))


def build_database(settings: Settings) -> Database:
    """The gateway's own database (``[database] url``; migrated on first use by default)."""
    return Database(settings.database.url, migrate_on_start=settings.database.migrate_on_start)


def build_infrastructure(settings: Settings) -> Infrastructure:
    """The process's Redis pool (``[cache] url``), or none in memory mode."""
    return Infrastructure(settings.cache.url, key_prefix=settings.cache.key_prefix)


def _cache_hmac_key(settings: Settings) -> bytes | None:
    """The key sealing Redis cache entries; ``None`` with the memory cache (nothing sealed)."""
    if not is_redis(settings.cache.url):
        return None
    return build_keyring(settings).derive("cache-hmac")


def _write_ledger(settings: Settings, infrastructure: Infrastructure) -> WriteLedger:
    """Idempotent writes: in Redis (shared by instances, sealed) or in this process."""
    key = _cache_hmac_key(settings)
    return WriteLedger(
        redis_client=infrastructure.redis,
        codec=entity_codec(key) if key is not None else None,
        key_prefix=settings.cache.key_prefix,
    )


def build_runner(
    settings: Settings, infrastructure: Infrastructure | None = None
) -> UpstreamRunner:
    """The upstream runner over the configured cache (memory, or Redis shared by instances).

    Without ``infrastructure`` (tools and tests building a runner alone), a Redis cache
    opens a pool of its own.
    """
    key = _cache_hmac_key(settings)
    cache = build_cache(
        settings.cache.url,
        max_entries=settings.cache.max_entries,
        codec=entity_codec(key) if key is not None else None,
        client=infrastructure.redis if infrastructure is not None else None,
    )
    ttl = {**DEFAULT_TTLS, **{k: float(v) for k, v in settings.cache.ttl.items()}}
    return UpstreamRunner(cache, UpstreamSettings(ttl=ttl, key_prefix=settings.cache.key_prefix))


def build_sessions(
    settings: Settings, infrastructure: Infrastructure, keyring: Keyring
) -> SessionService:
    """Sessions for school logins in the shared store (Redis shares them), and the throttle."""
    cache = build_cache(
        settings.cache.url,
        max_entries=settings.cache.max_entries,
        codec=Codec(keyring.derive("session-signing"), ()),  # sealed plain data in Redis
        client=infrastructure.redis,
        namespace=f"{settings.cache.key_prefix}sessions",  # Redis: <prefix>sessions:<key>
    )
    store = SessionStore(cache, ttl_seconds=settings.server.session_ttl_seconds)
    throttle = LoginThrottle(infrastructure.limits_storage())
    return SessionService(store, throttle)


def with_dev_issuer(settings: Settings) -> tuple[Settings, DevIssuer | None]:
    """``[server] dev_issuer``: the settings with the development issuer among the issuers
    (its JWKS served by this gateway), and the issuer; otherwise the settings unchanged."""
    server = settings.server
    if not server.dev_issuer:
        return settings, None
    try:
        issuer = DevIssuer.load_or_create(Path(server.dev_issuer_key_file), issuer=DEV_ISSUER)
    except (OSError, ValueError) as exc:
        raise SettingsError(
            "server.dev_issuer_key_file", f"a readable EC P-256 key file ({exc})"
        ) from None
    host = server.host
    if host in ("0.0.0.0", ""):  # noqa: S104 - compared, not bound: the JWKS URL is loopback
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host:
        host = f"[{host}]"
    own = IssuerSettings(
        issuer=DEV_ISSUER,
        audience=DEV_AUDIENCE,
        jwks_url=f"http://{host}:{server.port}{DEV_JWKS_PATH}",
    )
    return dataclasses.replace(settings, issuers=[*settings.issuers, own]), issuer


def _metrics(
    settings: Settings, pipeline: Pipeline, upstream: Any, adapters: AdapterRegistry
) -> Metrics | None:
    """The metrics (``[server] metrics``), watching the pipeline's parts (``None``: off)."""
    if settings.server.metrics == "off":
        return None
    persisted = pipeline.persisted
    metrics = Metrics(operations=operation_names(persisted.manifest.values() if persisted else ()))
    runner = upstream if isinstance(upstream, UpstreamRunner) else None
    if runner is not None:
        runner.observer = metrics.observe_provider
    metrics.watch(
        runner=runner,
        responses=pipeline.responses,
        registry=adapters,
        rate_limits=pipeline.rate_limits,
        persisted=persisted,
    )
    return metrics


def _both(first: Observer, second: Observer | None) -> Observer:
    """One runner observer telling two (the readiness probe and the metrics)."""
    if second is None:
        return first

    def tell(call: Any, error: BaseException | None, seconds: float) -> None:
        first(call, error, seconds)
        second(call, error, seconds)

    return tell


def _metrics_route(settings: Settings, metrics: Metrics) -> BaseRoute:
    token = None
    if settings.server.metrics == "token":
        path = Path(settings.server.metrics_token_file)
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                "server.metrics_token_file", f"a readable file holding the token ({exc})"
            ) from None
        if not token:
            raise SettingsError("server.metrics_token_file", "a file holding a non-empty token")
    return metrics_route(metrics, token=token)


REQUEST_ID_LOGGERS = ("gateway.errors", "adapters")
"""Loggers whose records carry the request id: unexpected errors, the adapters' warnings."""


def create_app(
    settings: Settings,
    *,
    dev_issuer: DevIssuer | None = None,
    routes: Sequence[BaseRoute] = (),
    http: httpx.AsyncClient | None = None,
    registry: AdapterRegistry | None = None,
    runner: UpstreamRunner | None = None,
    clock: Clock = SYSTEM_CLOCK,
    telemetry: Telemetry | None = None,
) -> Starlette:
    """Build the gateway app.

    Args:
        settings: the checked configuration.
        dev_issuer: the demo's development SSO issuer, whose JWKS the app serves at
            ``/.well-known/dev-sso/jwks.json`` (it must also be listed in ``settings.issuers``).
        routes: extra routes (the demo mounts the Moscow emulator here).
        http: the shared httpx client (built if not given).
        registry: prebuilt adapters (built from settings if not given).
        runner: the upstream runner the prebuilt adapters use (for invalidation).
        clock: every "now" and "today" (each region's today is its own local date).
        telemetry: tracing (built from ``[telemetry]`` if not given; tests pass one with
            an in-memory exporter).
    """
    client = http or build_http_client()
    infrastructure = build_infrastructure(settings)
    keyring = build_keyring(settings)
    if registry is None:
        runner = runner or build_runner(settings, infrastructure)
        adapters = build_registry(settings, client, runner=runner, clock=clock)
    else:
        adapters = registry
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
    database = build_database(settings)  # connects on first use
    receipts = ReceiptIssuer(database, keyring, clock=clock)
    onboarding = Onboarding(database, keyring, clock=clock)
    audit_bounds: dict[str, Any] = {
        "keyring": keyring,  # pseudonyms: HMAC under "audit-pseudonym"
        "clock": clock,
        "max_events_per_student": settings.audit.max_events_per_student,
        "max_age_days": settings.audit.max_age_days,
    }
    if settings.audit.store == "database":
        audit = AuditLog.for_database(database, **audit_bounds)
    else:
        audit = AuditLog.for_cache(infrastructure, **audit_bounds)
    sessions = build_sessions(settings, infrastructure, keyring)
    query_limits = QueryLimits(max_range_days=settings.server.max_range_days, regions=len(adapters))
    schema = build_schema(
        extensions=[StaleReport],
        limits=query_limits,
        introspection=settings.server.introspection,
        check_arguments=False,  # the pipeline checks them, once
    )
    rate_limits = RateLimits.from_settings(settings, storage=infrastructure.limits_storage())
    closers: list[Callable[[], Awaitable[Any]]] = []
    closers.append(audit.aclose)
    # /healthz is not ok while Redis is down
    redis_ping = infrastructure.ping if infrastructure.shared else None
    upstream = getattr(runner, "inner", runner)  # a wrapping runner (tests) keeps the real one
    response_cache: ResponseCache | None = None
    if settings.cache.responses and isinstance(upstream, UpstreamRunner):
        key = _cache_hmac_key(settings)
        responses_store = build_cache(
            settings.cache.url,
            max_entries=settings.cache.max_entries,
            immutable_values=True,
            codec=response_codec(key) if key is not None else None,
            client=infrastructure.redis,
        )
        closers.append(responses_store.close)
        response_cache = ResponseCache(
            cache=responses_store,
            runner=upstream,
            versions=ScopeVersions(adapters),
            audit=audit,
            ttl=settings.cache.response_ttl,
            day=RegionDays(
                clock, [a.region.timezone for a in (adapters[code] for code in adapters)]
            ),
            clock=clock,
            namespace=f"{settings.cache.key_prefix}resp",
        )
    pipeline = Pipeline(
        identify=IdentityResolver(verifier, sessions),
        documents=schema.documents,
        limits=OperationLimits(query_limits, rate_limits),
        executor=Executor(
            schema,
            registry=adapters,
            audit=audit,
            sessions=sessions,
            limits=query_limits,
            history_days={
                code: r.history_days for code, r in settings.regions.items() if r.history_days
            },
            clock=clock,
            on_mutation=runner.invalidate if runner is not None else None,
            budget=settings.server.operation_budget_seconds,
            receipts=receipts,
            onboarding=onboarding,
            ledger=_write_ledger(settings, infrastructure),
            absence_notices=AbsenceNoticeBook(database, clock=clock),
        ),
        persisted=PersistedOperations.from_settings(settings, infrastructure),
        rate_limits=rate_limits,
        responses=response_cache,
        hide_suggestions=not settings.server.introspection,
    )
    if response_cache is not None:
        onboarding.on_bound = response_cache.versions.forget
    metrics = _metrics(settings, pipeline, upstream, adapters)
    graphql = GatewayGraphQL(pipeline, graphiql=settings.server.graphiql, metrics=metrics)
    live_routes: list[BaseRoute] = []
    live: LiveService | None = None
    if settings.live.enabled:  # subscriptions: WebSocket and text/event-stream on /graphql
        live = LiveService(
            settings.live,
            pipeline=pipeline,
            registry=adapters,
            infrastructure=infrastructure,
            clock=clock,
            metrics=metrics,
            on_change=runner.invalidate if runner is not None else None,
        )
        graphql.streams = GraphQLSSE(live)
        live_routes.append(WebSocketRoute("/graphql", GraphQLTransportWS(live)))
        closers.insert(0, live.aclose)
    if telemetry is None:  # [telemetry] otlp_endpoint unset: nothing traced, nothing wrapped
        persisted = pipeline.persisted
        manifest = persisted.manifest.values() if persisted is not None else ()
        telemetry = Telemetry.from_settings(settings, manifest=manifest)
    closers.append(telemetry.aclose)
    endpoint = telemetry.attach(
        graphql,
        pipeline=pipeline,
        runner=upstream if isinstance(upstream, UpstreamRunner) else None,
        client=client,
    )
    probe = RegionProbe(clock)
    if isinstance(upstream, UpstreamRunner):
        upstream.observer = _both(probe, upstream.observer)
    health = Health(
        regions=list(adapters),
        redis_ping=redis_ping,
        redis_timeout=REDIS_TIMEOUT_SECONDS,
        verifier=verifier,
        runner=upstream if isinstance(upstream, UpstreamRunner) else None,
        probe=probe,
        clock=clock,
    )

    all_routes: list[BaseRoute] = [
        Route("/graphql", endpoint),  # the view answers 405 itself (GraphQL over HTTP)
        *live_routes,
        *health.routes(),  # /healthz (alive), /readyz (Redis, issuers' keys, regions)
        Route("/go/{region}", go_to_region),
        Route("/go/{region}/{school}", go_to_region),
    ]

    async def _receipt_keys(request: Request) -> Response:
        # every key that ever signed a receipt (retired ones too: their receipts still verify)
        return JSONResponse(await receipts.jwks(), headers={"Cache-Control": "max-age=60"})

    all_routes.append(Route(RECEIPT_JWKS_PATH, _receipt_keys))
    if dev_issuer is not None:
        dev_jwks = dev_issuer.jwks()

        async def _dev_jwks(request: Request) -> Response:
            return JSONResponse(dev_jwks)

        all_routes.append(Route(DEV_JWKS_PATH, _dev_jwks))
    if metrics is not None:
        all_routes.append(_metrics_route(settings, metrics))
    if settings.server.graphiql:  # the IDE's own scripts and styles (gateway/pages.py)
        all_routes.extend(graphiql_asset_routes())
    all_routes.extend(routes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Everything built so far lives as long as the process: keep it out of the
        # garbage collector's full passes, which otherwise walk it on every request burst.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await adapters.aclose()
            await sessions.aclose()
            await graphql.aclose()
            if runner is not None:
                await runner.aclose()
                inner = getattr(runner, "inner", runner)  # a wrapping runner (tests)
                await inner.cache.close()
            for close in closers:
                await close()
            await infrastructure.aclose()  # the one Redis pool, after everything on it
            await database.aclose()
            await client.aclose()  # the app owns the client it was given

    # Outermost first: client address (behind trusted proxies), request id, CORS, body-size
    # limit. Request-count limits are a step of the GraphQL pipeline.
    middleware = [
        Middleware(ClientAddressMiddleware, trusted_proxies=settings.server.trusted_proxies),
        # the request id on unexpected errors and on the adapters' own warnings (leak guard)
        Middleware(RequestIdMiddleware, log_to=REQUEST_ID_LOGGERS),
    ]
    if settings.server.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.server.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                expose_headers=["Retry-After", "X-Request-ID"],
            )
        )
    middleware.append(
        Middleware(BodySizeLimitMiddleware, max_body_bytes=settings.server.max_body_bytes)
    )
    app = GatewayApp(  # /graphql dispatched past the stack, the same steps inline
        graphql=endpoint,
        trusted_proxies=settings.server.trusted_proxies,
        max_body_bytes=settings.server.max_body_bytes,
        cors=bool(settings.server.cors_origins),
        log_to=REQUEST_ID_LOGGERS,
        routes=all_routes,
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.registry = adapters
    app.state.audit = audit
    app.state.settings = settings
    app.state.schema = schema
    app.state.http = client
    app.state.runner = runner
    app.state.response_cache = response_cache
    app.state.pipeline = pipeline
    app.state.redis_ping = redis_ping
    app.state.infrastructure = infrastructure
    app.state.live = live
    app.state.database = database
    app.state.receipts = receipts
    app.state.onboarding = onboarding
    return app
