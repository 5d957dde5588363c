"""Prometheus metrics (``GET /metrics``): which region is slow, which breaker is open, how
well each cache layer works, what is refused.

Every label is bounded and names no person, student or id:

* ``operation`` — the operation's name only when it is in the persisted-operation manifest
  (clients choose names freely), else ``other``;
* ``region`` and ``resource`` — configured region codes and the adapters' fixed resource
  names (``profile``, ``diary``…), never a path with ids in it;
* ``outcome``, ``layer``, ``result``, ``limit``, ``state`` — small fixed sets.

Counters the gateway already keeps (cache hits and misses, breaker states, bulkhead use,
leak-guard drops) are read when Prometheus scrapes, not on every request; what only the
request path sees (operation outcomes and latencies, provider call outcomes and
latencies, rate-limit refusals, persisted-query lookups) is counted as it happens, a few
microseconds per request.

``[server] metrics``: ``"off"`` (no endpoint, nothing counted), ``"open"`` (anyone who can
reach the port; put it behind the network's own access control), ``"token"`` (a bearer
token read from ``metrics_token_file``).
"""

from __future__ import annotations

import hmac
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from itertools import accumulate
from typing import TYPE_CHECKING, Protocol

from graphql import GraphQLError, OperationDefinitionNode, parse
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from adapters import AdapterError
from adapters.errors import (
    AccessDeniedError,
    AuthenticationError,
    NotFoundError,
    ProviderResponseError,
    ProviderUnavailableError,
)

if TYPE_CHECKING:
    from adapters import AdapterRegistry, UpstreamCall

    from .persisted import PersistedOperations
    from .ratelimit import RateLimits
    from .responses import ResponseCache
    from .upstream import UpstreamRunner


class LiveCounts(Protocol):
    """What the live machinery reports at a scrape."""

    @property
    def subscriptions(self) -> int: ...

    @property
    def students(self) -> int: ...


__all__ = [
    "METRICS_MODES",
    "LiveCounts",
    "Metrics",
    "metrics_route",
    "operation_names",
    "provider_outcome",
]

METRICS_MODES = ("off", "open", "token")
"""The values of ``[server] metrics``."""

OTHER = "other"
"""The ``operation`` label of an operation not in the manifest (or without a name)."""

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)


def provider_outcome(error: BaseException | None) -> str:
    """A provider call's outcome as a label: ``ok`` or the kind of failure."""
    if error is None:
        return "ok"
    if isinstance(error, ProviderUnavailableError):
        return "unavailable"
    if isinstance(error, ProviderResponseError):
        return "bad_response"
    if isinstance(error, AuthenticationError):
        return "auth_refused"
    if isinstance(error, AccessDeniedError):
        return "denied"
    if isinstance(error, NotFoundError):
        return "not_found"
    if isinstance(error, AdapterError):
        return "adapter_error"
    return "error"


class Metrics:
    """The gateway's metric families, in a registry of their own (one per app).

    Args:
        operations: the operation names of the persisted-operation manifest (the only
            names used as labels).
    """

    def __init__(self, *, operations: Iterable[str] = ()) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.operations = frozenset(operations)
        r = self.registry
        self._requests = _RequestSeries()
        r.register(self._requests)
        self.provider_calls = Counter(
            "diary_gateway_provider_calls",
            "Calls that reached a provider (cache misses), by region, resource and outcome.",
            ["region", "resource", "outcome"],
            registry=r,
        )
        self.provider_seconds = Histogram(
            "diary_gateway_provider_call_duration_seconds",
            "Provider call latency (retries included), by region and resource.",
            ["region", "resource"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.live_polls = Counter(
            "diary_gateway_live_polls",
            "Change-feed polls this instance made for subscribers (one instance polls a "
            "student at a time), by region and outcome (ok or the adapter error's kind).",
            ["region", "outcome"],
            registry=r,
        )
        self.live_event_lag = Histogram(
            "diary_gateway_live_event_lag_seconds",
            "From the change in the region's system (the feed's time) to its delivery to "
            "this instance's subscribers, by region (includes the poll interval).",
            ["region"],
            buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800),
            registry=r,
        )
        self.live_closed = Counter(
            "diary_gateway_live_closed",
            "Subscriptions the server ended, by reason (slow, expired, relation_ended, shutdown).",
            ["reason"],
            registry=r,
        )
        self._state = _StateCollector()
        r.register(self._state)

    def operation(self, name: str | None) -> str:
        """The ``operation`` label of ``name``."""
        return name if name is not None and name in self.operations else OTHER

    def observe_request(
        self,
        operation: str | None,
        *,
        status: int,
        has_data: bool,
        has_errors: bool,
        seconds: float,
    ) -> None:
        """Count one answered request and its latency."""
        label = self.operation(operation)
        if status >= 500:
            outcome = "failed"
        elif status >= 400:
            outcome = "refused"
        elif not has_errors:
            outcome = "ok"
        else:
            outcome = "partial" if has_data else "error"
        self._requests.observe(label, outcome, seconds)

    def observe_provider(
        self, call: UpstreamCall, error: BaseException | None, seconds: float
    ) -> None:
        """Count one provider call (as the runner made it) and its latency."""
        self.provider_calls.labels(call.region, call.resource, provider_outcome(error)).inc()
        self.provider_seconds.labels(call.region, call.resource).observe(seconds)

    def observe_poll(self, region: str, outcome: str) -> None:
        """Count one change-feed poll."""
        self.live_polls.labels(region, outcome).inc()

    def observe_event_lag(self, region: str, seconds: float) -> None:
        """One event delivered ``seconds`` after it happened at the provider."""
        self.live_event_lag.labels(region).observe(max(0.0, seconds))

    def watch_live(self, live: LiveCounts) -> None:
        """Read the open subscriptions and wanted students at each scrape."""
        self._state.live = live

    def observe_live_closed(self, reason: str) -> None:
        self.live_closed.labels(reason).inc()

    def watch(
        self,
        *,
        runner: UpstreamRunner | None = None,
        responses: ResponseCache | None = None,
        registry: AdapterRegistry | None = None,
        rate_limits: RateLimits | None = None,
        persisted: PersistedOperations | None = None,
    ) -> None:
        """Read these components' own counters at each scrape."""
        self._state.runner = runner
        self._state.responses = responses
        self._state.adapters = registry
        self._state.rate_limits = rate_limits
        self._state.persisted = persisted

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)


class _RequestSeries(Collector):
    """Requests by operation and outcome, and their latency histogram by operation: plain
    integers bumped on the event loop (no lock per sample, as ``prometheus_client``'s
    metrics take), turned into metric families when Prometheus scrapes.

    Every request passes here; the library's labelled ``Counter`` and ``Histogram`` cost
    two to three microseconds a request on the warm path, this a fraction of one.
    """

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.buckets: dict[str, list[int]] = {}
        """Per operation: samples per latency bucket (the last one: above every bound)."""
        self.sums: dict[str, float] = {}

    def observe(self, operation: str, outcome: str, seconds: float) -> None:
        key = (operation, outcome)
        counts = self.counts
        counts[key] = counts.get(key, 0) + 1
        buckets = self.buckets.get(operation)
        if buckets is None:
            buckets = self.buckets[operation] = [0] * (len(_LATENCY_BUCKETS) + 1)
            self.sums[operation] = 0.0
        buckets[bisect_left(_LATENCY_BUCKETS, seconds)] += 1  # le: the first bound ≥ it
        self.sums[operation] += seconds

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "diary_gateway_requests",
            "GraphQL requests by operation (manifest names, else other) and outcome "
            "(ok, partial: data with errors, error: no data, refused: 4xx, failed: 5xx).",
            labels=["operation", "outcome"],
        )
        for (operation, outcome), count in list(self.counts.items()):
            requests.add_metric([operation, outcome], count)
        yield requests
        seconds = HistogramMetricFamily(
            "diary_gateway_request_duration_seconds",
            "Time from the request's arrival to its answer, by operation.",
            labels=["operation"],
        )
        bounds = [*map(floatToGoString, _LATENCY_BUCKETS), "+Inf"]
        for operation, counts in list(self.buckets.items()):
            seconds.add_metric(
                [operation],
                list(zip(bounds, accumulate(counts), strict=True)),
                sum_value=self.sums[operation],
            )
        yield seconds


class _StateCollector(Collector):
    """Gauges and counters read from the components at scrape time."""

    def __init__(self) -> None:
        self.runner: UpstreamRunner | None = None
        self.responses: ResponseCache | None = None
        self.adapters: AdapterRegistry | None = None
        self.rate_limits: RateLimits | None = None
        self.persisted: PersistedOperations | None = None
        self.live: LiveCounts | None = None

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        lookups = CounterMetricFamily(
            "diary_gateway_cache_lookups",
            "Cache lookups by layer (response, entity) and result (hit, miss, "
            "stale: an expired entity served while its provider failed or refreshed).",
            labels=["layer", "result"],
        )
        if self.responses is not None:
            lookups.add_metric(["response", "hit"], self.responses.hits)
            lookups.add_metric(["response", "miss"], self.responses.misses)
        runner = self.runner
        if runner is not None:
            stats = runner.stats
            lookups.add_metric(["entity", "hit"], stats.hits)
            lookups.add_metric(["entity", "miss"], stats.misses)
            lookups.add_metric(["entity", "stale"], stats.stale_served)
        yield lookups
        if runner is not None:
            breakers = GaugeMetricFamily(
                "diary_gateway_breaker_state",
                "Circuit breaker state per provider (1 for the current state).",
                labels=["provider", "state"],
            )
            for provider, state in sorted(runner.breaker_states().items()):
                for each in ("closed", "open", "half_open"):
                    breakers.add_metric([provider, each], 1.0 if state == each else 0.0)
            yield breakers
            in_use = GaugeMetricFamily(
                "diary_gateway_bulkhead_in_use",
                "Provider calls in flight per provider (the bulkhead's capacity is "
                "diary_gateway_bulkhead_capacity).",
                labels=["provider"],
            )
            capacity = GaugeMetricFamily(
                "diary_gateway_bulkhead_capacity",
                "Concurrent provider calls allowed per provider.",
                labels=["provider"],
            )
            for provider, (used, limit) in sorted(runner.bulkhead_usage().items()):
                in_use.add_metric([provider], used)
                capacity.add_metric([provider], limit)
            yield in_use
            yield capacity
        if self.adapters is not None:
            drops = CounterMetricFamily(
                "diary_gateway_leak_guard_dropped",
                "Records a provider returned for another student than asked, dropped by the "
                "leak guard, by region and resource.",
                labels=["region", "resource"],
            )
            for code, adapter in sorted(self.adapters.items()):
                dropped: Mapping[tuple[str, str], int] = adapter.foreign_records_dropped
                per_resource: dict[str, int] = {}
                for (resource, _kind), count in dropped.items():
                    per_resource[resource] = per_resource.get(resource, 0) + count
                for resource, count in sorted(per_resource.items()):
                    drops.add_metric([code, resource], count)
            yield drops
        refused = CounterMetricFamily(
            "diary_gateway_rate_limited",
            "Requests refused by a rate limit (429), by limit (requests or cost, "
            "per person or address).",
            labels=["limit"],
        )
        if self.rate_limits is not None:
            for name, count in sorted(self.rate_limits.refused.items()):
                refused.add_metric([name], count)
        yield refused
        lookups_by_hash = CounterMetricFamily(
            "diary_gateway_persisted_queries",
            "Persisted-query lookups by hash, by result (hit, not_found) and "
            "registrations (registered).",
            labels=["result"],
        )
        if self.persisted is not None:
            for result, count in sorted(self.persisted.lookups.items()):
                lookups_by_hash.add_metric([result], count)
        yield lookups_by_hash
        if self.live is not None:
            open_now = GaugeMetricFamily(
                "diary_gateway_live_subscriptions",
                "Subscriptions open on this instance.",
            )
            open_now.add_metric([], self.live.subscriptions)
            yield open_now
            polled = GaugeMetricFamily(
                "diary_gateway_live_students",
                "Students this instance's subscribers listen to and may poll (it polls "
                "those whose lease it holds).",
            )
            polled.add_metric([], self.live.students)
            yield polled


def metrics_route(metrics: Metrics, *, token: str | None = None, path: str = "/metrics") -> Route:
    """``GET /metrics`` in the Prometheus text format; with ``token``, only for
    ``Authorization: Bearer <token>`` (``401`` otherwise)."""
    expected = f"Bearer {token}".encode() if token else None

    async def endpoint(request: Request) -> Response:
        if expected is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return PlainTextResponse(
                    "metrics need the metrics token\n",
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return Route(path, endpoint, methods=["GET"])


def operation_names(queries: Iterable[str]) -> set[str]:
    """The named operations of the manifest's queries (the ``operation`` label's values)."""
    names: set[str] = set()
    for query in queries:
        try:
            document = parse(query)
        except GraphQLError:
            continue
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name is not None:
                names.add(definition.name.value)
    return names
