"""Gateway settings from TOML: ``[server]``, ``[[issuers]]``, ``[regions.CODE]``, ``[cache]``,
``[audit]``, ``[telemetry]``, ``[live]``, ``[database]``.

Every table is checked key by key; a bad file fails with a :class:`SettingsError` that
names the key and what was expected (``regions.77.base_url: expected a string (required)``).
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import limits

from adapters import SettingsError, get_adapter_class, load_settings

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "AuditSettings",
    "CacheSettings",
    "DatabaseSettings",
    "IssuerSettings",
    "LiveSettings",
    "RegionSettings",
    "ServerSettings",
    "Settings",
    "SettingsError",
    "TelemetrySettings",
    "check_complete",
    "load_settings_file",
    "parse_settings",
]


@dataclass(frozen=True)
class ServerSettings:
    """``[server]``: where to listen and how to face browsers and clients."""

    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: list[str] = field(default_factory=list)
    """Browser origins allowed to call the API (CORS)."""
    graphiql: bool = False
    """Serve the GraphiQL IDE on GET /graphql."""
    introspection: bool = False
    """Answer introspection queries."""
    max_range_days: int = 62
    """The longest date range one diary or journal query may ask for."""
    max_body_bytes: int = 65_536
    """Larger request bodies are refused with 413."""
    trusted_proxies: list[str] = field(default_factory=list)
    """Reverse proxies (addresses or networks) whose ``X-Forwarded-For``/``Forwarded`` give
    the client address; empty: those headers are never believed."""
    operation_budget_seconds: float = 15.0
    """Time one GraphQL operation may spend waiting for providers, all calls together: the
    outer of the two timeout layers (the inner: the runner's per-call budget, cut to what is
    left of this one)."""
    secret_key_file: str = ".secrets/key"  # noqa: S105 - a path, not a secret
    """The gateway's secret (created, mode 0600, on first start): every key the gateway
    needs is derived from it (cache entry HMACs…). Instances sharing Redis must share it."""
    session_ttl_seconds: int = 900
    """Lifetime of a school-login session's access token (an opaque token in the shared
    store); refresh tokens live a week."""
    rate_limits: bool = True
    """Enforce the four request and cost limits below (HTTP 429 with ``Retry-After``)."""
    rate_limit_person: str = "120/minute"
    """Requests per signed-in person (SSO subject or school-login student); ``""``: none."""
    rate_limit_address: str = "300/minute"
    """Requests per client address; ``""``: none."""
    cost_limit_person: str = "5000/minute"
    """Query cost (fields selected, fragments expanded) per signed-in person; ``""``: none."""
    cost_limit_address: str = "12000/minute"
    """Query cost per client address; ``""``: none."""
    persisted_queries: bool = True
    """Accept automatic persisted queries (``extensions.persistedQuery``, sha256 hashes)."""
    persisted_queries_max_entries: int = 1000
    """Bound on the stored persisted queries, in memory and in Redis (oldest dropped first)."""
    persisted_queries_max_bytes: int = 16_384
    """Largest query (UTF-8 bytes) that may be registered; a larger one is refused (400)."""
    persisted_queries_register_rate: str = "30/hour"
    """New persisted queries one client address may register; past it they run unstored."""
    persisted_queries_anonymous: bool = False
    """Let requests without a signed-in caller register persisted queries (the demo does)."""
    persisted_queries_ttl_seconds: int = 86_400
    """How long Redis keeps a registered query (the in-memory store keeps it until evicted)."""
    persisted_only: bool = False
    """Run only the operations of ``persisted_operations`` (an allow-list); refuse others."""
    persisted_operations: str = ""
    """A manifest of registered operations (JSON, Apollo's format or ``{sha256: query}``)."""
    dev_issuer: bool = False
    """Run the development SSO issuer in process (never in production): its tokens
    (``diary-gateway token --persona …``) are accepted and its JWKS is served at
    ``/.well-known/dev-sso/jwks.json``. Without it a config needs at least one ``[[issuers]]``."""
    metrics: str = "off"
    """``GET /metrics`` (Prometheus): ``"off"``, ``"open"`` (anyone reaching the port: keep
    it behind the network's access control) or ``"token"`` (``Authorization: Bearer`` the
    token in ``metrics_token_file``)."""
    metrics_token_file: str = ""
    """The file holding the metrics token (for ``metrics = "token"``)."""
    dev_issuer_key_file: str = ".dev-issuer/key.json"
    """The development issuer's private key (created on first start; ``diary-gateway token
    --key-file`` signs with it)."""


@dataclass(frozen=True)
class IssuerSettings:
    """``[[issuers]]``: a national SSO issuer whose access tokens the gateway accepts."""

    issuer: str
    audience: str
    jwks_url: str
    leeway_seconds: int = 30


DEFAULT_KEY_PREFIX = "dg:"
"""What every Redis key of the gateway starts with unless ``[cache] key_prefix`` says otherwise."""

_KEY_PREFIX = re.compile(r"[A-Za-z0-9:_-]{1,64}")


@dataclass(frozen=True)
class CacheSettings:
    """``[cache]``: where provider data and responses are cached."""

    url: str = "memory://"
    """``memory://`` (per instance) or ``redis://host:port/db`` (shared by instances)."""
    max_entries: int = 10_000
    """Bound of the in-memory cache."""
    ttl: dict[str, int] = field(default_factory=dict)
    """Seconds per resource: profile, schools, students, diary, marks, progress, changes…"""
    responses: bool = True
    """Cache whole GraphQL responses of repeated queries (per authorization scope)."""
    response_ttl: int = 60
    """Seconds a cached response is served (mutations invalidate it at once)."""
    key_prefix: str = DEFAULT_KEY_PREFIX
    """Start of every key the gateway writes to Redis: entities, generation counters,
    responses, sessions, persisted queries, rate-limit and sign-in counters (lets several
    deployments, or test runs, share one Redis)."""


@dataclass(frozen=True)
class AuditSettings:
    """``[audit]``: the bounds of the access history (in Redis when ``[cache] url`` is)."""

    max_events_per_student: int = 500
    """Events kept per student (the oldest dropped first)."""
    max_age_days: int = 365
    """Events older than this are neither shown nor kept."""
    store: str = "redis"
    """Where the history lives: ``"redis"`` (the shared Redis of ``[cache] url``; in memory
    when that is ``memory://``) or ``"database"`` (``[database] url``: durable, shared by
    every instance on one PostgreSQL)."""


AUDIT_STORES = ("redis", "database")


@dataclass(frozen=True)
class DatabaseSettings:
    """``[database]``: the gateway's own data (receipts, the audit trail if asked)."""

    url: str = "sqlite:///.data/gateway.sqlite3"
    """A SQLite file (``sqlite:///path``, the default: nothing to install) or PostgreSQL
    (``postgresql://user@host:5432/db``; every instance of a deployment on the same one)."""
    migrate_on_start: bool = True
    """Run pending migrations when the database is first used; ``false``: refuse to use a
    database that is not at this gateway's revision (``diary-gateway migrate`` runs them)."""


@dataclass(frozen=True)
class TelemetrySettings:
    """``[telemetry]``: where traces go (``gateway/telemetry.py``)."""

    otlp_endpoint: str = ""
    """An OTLP/HTTP collector, e.g. ``http://127.0.0.1:4318`` (spans are posted to its
    ``/v1/traces``); ``""``: no tracing at all, nothing exported."""
    service_name: str = "diary-gateway"
    """The ``service.name`` resource attribute of every span."""
    sample_ratio: float = 0.01
    """The share of traces recorded and exported (0–1), decided once per trace at its
    root (a caller's ``traceparent`` decision is followed). A traced request costs about a
    millisecond of CPU (the ASGI instrumentation's span and the OTLP encoding), some six
    response-cache hits: 1 % of an instance's requests at a few thousand a second is still
    dozens of traces a second."""


@dataclass(frozen=True)
class LiveSettings:
    """``[live]``: subscriptions (``gateway/live``): polling, the event stream, the bounds."""

    enabled: bool = True
    """Serve subscriptions (WebSocket and ``text/event-stream`` on ``/graphql``)."""
    poll_interval_seconds: float = 30.0
    """How often one student's change feed is polled during the school day (longer in the
    evening, at night and at weekends, and after errors)."""
    lease_seconds: float = 90.0
    """How long an instance holds a student's polling lease without renewing it: when the
    holder dies, another instance takes over within this time. More than the interval."""
    stream_max_len: int = 10_000
    """Events kept for resuming clients (the stream is trimmed to about this many)."""
    max_subscriptions_per_person: int = 10
    """Open subscriptions one person may have on one instance."""
    max_subscriptions: int = 20_000
    """Open subscriptions one instance serves in all."""
    max_queued_events: int = 64
    """Events waiting for one slow subscriber before it is dropped (closed, never buffered
    without bound)."""
    lookback_hours: int = 48
    """How far back each poll reads the change feed (events are deduplicated by key)."""
    off_hours_factor: float = 4.0
    """The interval outside the school day (weekdays 07:00–19:00 in the student's region)
    is this many times ``poll_interval_seconds``."""
    relation_recheck_seconds: float = 60.0
    """How often, at most, a subscription decides the viewer's relation to a student again
    (before an event); when it has ended, the connection closes."""


_GATEWAY_REGION_KEYS = ("adapter", "name", "timezone", "diary_url", "demo", "history_days")


@dataclass(frozen=True)
class RegionSettings:
    """``[regions.CODE]``: one region; keys other than the gateway's go to the adapter."""

    code: str
    adapter: str
    name: str
    timezone: ZoneInfo
    diary_url: str
    demo: bool
    history_days: int | None
    adapter_config: Any


@dataclass(frozen=True)
class _RegionTable:
    adapter: str
    name: str
    timezone: str
    diary_url: str
    demo: bool = False
    history_days: int | None = None
    """How many days back parents may read (the national portal's window); unset: no limit."""


@dataclass(frozen=True)
class Settings:
    """The whole configuration."""

    server: ServerSettings = field(default_factory=ServerSettings)
    issuers: list[IssuerSettings] = field(default_factory=list)
    regions: dict[str, RegionSettings] = field(default_factory=dict)
    cache: CacheSettings = field(default_factory=CacheSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    live: LiveSettings = field(default_factory=LiveSettings)


def _region(code: str, table: Mapping[str, Any]) -> RegionSettings:
    where = f"regions.{code}"
    if not isinstance(table, Mapping):
        raise SettingsError(where, "a table")
    own = {k: v for k, v in table.items() if k in _GATEWAY_REGION_KEYS}
    rest = {k: v for k, v in table.items() if k not in _GATEWAY_REGION_KEYS}
    parsed = load_settings(_RegionTable, own, where=where)
    try:
        adapter_cls = get_adapter_class(parsed.adapter)
    except KeyError as exc:
        raise SettingsError(f"{where}.adapter", str(exc.args[0])) from None
    try:
        zone = ZoneInfo(parsed.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"{where}.timezone", "an IANA time zone such as Europe/Moscow", parsed.timezone
        ) from None
    _check_url(f"{where}.diary_url", parsed.diary_url)
    if not parsed.name.strip():
        raise SettingsError(f"{where}.name", "the region's name (a non-empty string)")
    if parsed.history_days is not None and parsed.history_days < 1:
        raise SettingsError(f"{where}.history_days", "a positive number of days")
    adapter_config = load_settings(adapter_cls.config_model, rest, where=where)
    return RegionSettings(
        code=code,
        adapter=parsed.adapter,
        name=parsed.name,
        timezone=zone,
        diary_url=parsed.diary_url,
        demo=parsed.demo,
        history_days=parsed.history_days,
        adapter_config=adapter_config,
    )


_RATE_KEYS = ("rate_limit_person", "rate_limit_address", "cost_limit_person", "cost_limit_address")

MAX_LEEWAY_SECONDS = 300
"""The most clock skew an issuer's tokens may be granted (five minutes)."""


def _check_rate(key: str, rate: str, example: str) -> None:
    """``rate`` is ``"N/second|minute|hour|day"`` with N ≥ 1, or ``""`` for none."""
    if not rate.strip():
        return
    try:
        amount = limits.parse(rate).amount
    except ValueError:
        amount = 0
    if amount < 1:
        raise SettingsError(key, f'a rate such as "{example}" (or "" for none)', rate)


def _check_at_least(key: str, value: float, least: float, what: str) -> None:
    if value < least:
        raise SettingsError(key, what, value)


def _check_url(key: str, value: str, schemes: tuple[str, ...] = ("http://", "https://")) -> None:
    rest = value[len(next((s for s in schemes if value.startswith(s)), "")) :]
    if not value.startswith(schemes) or not rest or rest.startswith("/"):
        raise SettingsError(key, f"a URL starting with {' or '.join(schemes)}", value)


def _check_server(server: ServerSettings) -> None:
    """The ``[server]`` values a type alone does not check."""
    if not 1 <= server.port <= 65535:
        raise SettingsError("server.port", "a port from 1 to 65535", server.port)
    if not server.host.strip():
        raise SettingsError("server.host", "an address to listen on, such as 127.0.0.1")
    for index, origin in enumerate(server.cors_origins):
        if origin != "*":
            _check_url(f"server.cors_origins[{index}]", origin)
    _check_at_least("server.max_range_days", server.max_range_days, 1, "a positive number of days")
    _check_at_least("server.max_body_bytes", server.max_body_bytes, 1024, "at least 1024 bytes")
    if server.operation_budget_seconds <= 0:
        raise SettingsError(
            "server.operation_budget_seconds",
            "a positive number of seconds",
            server.operation_budget_seconds,
        )
    _check_at_least(
        "server.session_ttl_seconds", server.session_ttl_seconds, 60, "at least 60 seconds"
    )
    for name, file in (
        ("secret_key_file", server.secret_key_file),
        ("dev_issuer_key_file", server.dev_issuer_key_file),
    ):
        if not file.strip():
            raise SettingsError(f"server.{name}", "a file path")
    if server.metrics not in ("off", "open", "token"):
        raise SettingsError("server.metrics", 'one of "off", "open", "token"', server.metrics)
    if server.metrics == "token" and not server.metrics_token_file.strip():
        raise SettingsError(
            "server.metrics_token_file", 'a file holding the token (metrics = "token")'
        )
    for name in _RATE_KEYS:
        example = "120/minute" if name.startswith("rate") else "5000/minute"
        _check_rate(f"server.{name}", getattr(server, name), example)
    for index, entry in enumerate(server.trusted_proxies):
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            raise SettingsError(
                f"server.trusted_proxies[{index}]",
                "an IP address or network such as 10.0.0.0/8",
                entry,
            ) from None
    if server.persisted_queries_max_bytes < 1:
        raise SettingsError(
            "server.persisted_queries_max_bytes",
            "a positive number of bytes",
            server.persisted_queries_max_bytes,
        )
    if server.persisted_queries_max_entries < 1:
        raise SettingsError(
            "server.persisted_queries_max_entries",
            "a positive number of entries",
            server.persisted_queries_max_entries,
        )
    if server.persisted_queries_ttl_seconds < 1:
        raise SettingsError(
            "server.persisted_queries_ttl_seconds",
            "a positive number of seconds",
            server.persisted_queries_ttl_seconds,
        )
    _check_rate(
        "server.persisted_queries_register_rate", server.persisted_queries_register_rate, "30/hour"
    )


def _check_issuer(index: int, issuer: IssuerSettings) -> None:
    where = f"issuers[{index}]"
    if not issuer.issuer.strip():
        raise SettingsError(f"{where}.issuer", "the issuer's iss value (a non-empty string)")
    if not issuer.audience.strip():
        raise SettingsError(f"{where}.audience", "the aud value its tokens carry (non-empty)")
    _check_url(f"{where}.jwks_url", issuer.jwks_url)
    if not 0 <= issuer.leeway_seconds <= MAX_LEEWAY_SECONDS:
        raise SettingsError(
            f"{where}.leeway_seconds", f"0–{MAX_LEEWAY_SECONDS} seconds", issuer.leeway_seconds
        )


def _check_cache(cache: CacheSettings) -> None:
    if not cache.url.startswith(("memory://", "redis://", "rediss://")):
        raise SettingsError("cache.url", "memory:// or redis://host:port/db", cache.url)
    if cache.url.startswith(("redis://", "rediss://")):
        _check_url("cache.url", cache.url, ("redis://", "rediss://"))
    if not _KEY_PREFIX.fullmatch(cache.key_prefix):
        raise SettingsError(
            "cache.key_prefix", "1 to 64 characters of A-Z a-z 0-9 : _ -", cache.key_prefix
        )
    _check_at_least("cache.max_entries", cache.max_entries, 1, "a positive number of entries")
    _check_at_least("cache.response_ttl", cache.response_ttl, 1, "a positive number of seconds")
    from .upstream.runner import DEFAULT_TTLS  # the resources the runner caches

    for resource, seconds in cache.ttl.items():
        if resource not in DEFAULT_TTLS:
            raise SettingsError(
                f"cache.ttl.{resource}", f"one of the resources ({', '.join(sorted(DEFAULT_TTLS))})"
            )
        _check_at_least(f"cache.ttl.{resource}", seconds, 0, "a number of seconds (0 or more)")


def _check_telemetry(telemetry: TelemetrySettings) -> None:
    endpoint = telemetry.otlp_endpoint
    if endpoint:
        try:
            _check_url("telemetry.otlp_endpoint", endpoint)
        except SettingsError:
            raise SettingsError(
                "telemetry.otlp_endpoint",
                'an OTLP/HTTP URL such as "http://127.0.0.1:4318" (or "" for no tracing)',
                endpoint,
            ) from None
    if not telemetry.service_name.strip():
        raise SettingsError("telemetry.service_name", "a non-empty service name")
    if not 0.0 <= telemetry.sample_ratio <= 1.0:
        raise SettingsError(
            "telemetry.sample_ratio", "a share of traces from 0 to 1", telemetry.sample_ratio
        )


def _check_live(live: LiveSettings) -> None:
    _check_at_least(
        "live.poll_interval_seconds", live.poll_interval_seconds, 0.05, "at least 0.05 seconds"
    )
    if not live.lease_seconds > live.poll_interval_seconds:
        raise SettingsError(
            "live.lease_seconds",
            f"more than live.poll_interval_seconds ({live.poll_interval_seconds})",
            live.lease_seconds,
        )
    _check_at_least("live.stream_max_len", live.stream_max_len, 1, "a positive number of events")
    _check_at_least(
        "live.max_subscriptions_per_person",
        live.max_subscriptions_per_person,
        1,
        "a positive number of subscriptions",
    )
    _check_at_least(
        "live.max_subscriptions", live.max_subscriptions, 1, "a positive number of subscriptions"
    )
    _check_at_least(
        "live.max_queued_events", live.max_queued_events, 1, "a positive number of events"
    )
    _check_at_least("live.lookback_hours", live.lookback_hours, 1, "a positive number of hours")
    _check_at_least("live.off_hours_factor", live.off_hours_factor, 1, "a factor of 1 or more")
    _check_at_least(
        "live.relation_recheck_seconds", live.relation_recheck_seconds, 0, "0 seconds or more"
    )


def check_complete(settings: Settings) -> None:
    """What a gateway needs to serve: a region, and an issuer (or the development one)."""
    if not settings.regions:
        raise SettingsError("regions", "at least one region ([regions.CODE])")
    if not settings.issuers and not settings.server.dev_issuer:
        raise SettingsError(
            "issuers",
            "at least one [[issuers]] table (or, for development only, [server] dev_issuer = true)",
        )


def _table(data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, Mapping):
        raise SettingsError(name, f"a table ([{name}])", table)
    return table


def parse_settings(data: Mapping[str, Any]) -> Settings:
    """Settings from a parsed TOML document (every key and value checked; a partial
    document is fine here: :func:`check_complete` says whether it can be served)."""
    known = {"server", "issuers", "regions", "cache", "audit", "telemetry", "live", "database"}
    for key in data:
        if key not in known:
            raise SettingsError(key, f"one of the tables {', '.join(sorted(known))}")
    server = load_settings(ServerSettings, _table(data, "server"), where="server")
    raw_issuers = data.get("issuers", [])
    if not isinstance(raw_issuers, list):
        raise SettingsError("issuers", "an array of tables ([[issuers]])")
    issuers = []
    for index, table in enumerate(raw_issuers):
        if not isinstance(table, Mapping):
            raise SettingsError(f"issuers[{index}]", "a table", table)
        issuers.append(load_settings(IssuerSettings, table, where=f"issuers[{index}]"))
        _check_issuer(index, issuers[-1])
    raw_regions = data.get("regions", {})
    if not isinstance(raw_regions, Mapping):
        raise SettingsError("regions", "a table of regions ([regions.CODE])")
    regions = {str(code): _region(str(code), table) for code, table in raw_regions.items()}
    _check_server(server)
    cache = load_settings(CacheSettings, _table(data, "cache"), where="cache")
    _check_cache(cache)
    audit = load_settings(AuditSettings, _table(data, "audit"), where="audit")
    if audit.max_events_per_student < 1:
        raise SettingsError("audit.max_events_per_student", "a positive number of events")
    if audit.max_age_days < 1:
        raise SettingsError("audit.max_age_days", "a positive number of days")
    if audit.store not in AUDIT_STORES:
        raise SettingsError("audit.store", 'one of "redis", "database"', audit.store)
    database = load_settings(DatabaseSettings, _table(data, "database"), where="database")
    from .database import async_url

    try:
        async_url(database.url)
    except ValueError as exc:
        raise SettingsError("database.url", str(exc)) from None  # no URL: it may hold a password
    telemetry = load_settings(TelemetrySettings, _table(data, "telemetry"), where="telemetry")
    _check_telemetry(telemetry)
    live = load_settings(LiveSettings, _table(data, "live"), where="live")
    _check_live(live)
    return Settings(
        server=server,
        issuers=issuers,
        regions=regions,
        cache=cache,
        audit=audit,
        telemetry=telemetry,
        database=database,
        live=live,
    )


def load_settings_file(path: Path) -> Settings:
    """Read and check a TOML config file, complete enough to serve (:func:`check_complete`)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(str(path), f"valid TOML ({exc})") from None
    except OSError as exc:
        raise SettingsError(str(path), f"a readable file ({exc.strerror})") from None
    settings = parse_settings(data)
    check_complete(settings)
    return settings
