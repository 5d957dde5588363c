"""Traces (OpenTelemetry): one trace per GraphQL request, exported over OTLP/HTTP.

``[telemetry] otlp_endpoint`` unset (the default): no tracer provider is built, nothing is
wrapped or instrumented and every tracing branch is one ``is None`` test — no cost. Set:
an SDK :class:`TracerProvider` (``service.name`` from ``[telemetry] service_name``) with a
:class:`BatchSpanProcessor` posting to ``<otlp_endpoint>/v1/traces``. The provider is the
gateway's own, never installed as the process's global one.

The spans of one request (parents first)::

    POST /graphql                  SERVER  opentelemetry-instrumentation-asgi
      query Week                   the operation (gateway.pipeline.Pipeline.answer)
        graphql.execute            execution (absent on a response-cache hit)
          loader diary             one per DataLoader batch and region (schema/loaders.py)
            provider diary         one per provider call: a cache miss (UpstreamRunner)
              GET                  CLIENT  opentelemetry-instrumentation-httpx (HTTP adapters)

Not one span per field: a diary week has hundreds of fields, and a span each would cost
more than the rest of the warm path.

No personal data in any span. Attributes carry operation names from the persisted-
operation manifest only (``other`` for the rest, as the metrics' label), operation types,
region codes, provider slugs, resource names, key counts, outcomes and error classes —
never names, marks, comments, national ids, tokens, person or student ids, messages from
providers or exceptions, nor a URL with ids in it: the server span is started from a copy
of the request's scope without its query string, client address or headers beyond
``host``, ``user-agent`` and the trace context; the httpx spans keep the origin of a
provider URL only (its path carries student ids) and no request header.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import (
    Span,
    Status,
    StatusCode,
    Tracer,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from .metrics import OTHER, operation_names
from .middleware import current_request_id

if TYPE_CHECKING:
    import httpx
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import Sampler, SamplingResult
    from opentelemetry.trace import Link, SpanKind
    from opentelemetry.trace.span import TraceState
    from opentelemetry.util.types import Attributes
    from strawberry.types import ExecutionResult

    from .pipeline import Answer, Executor, GraphQLRequest, Pipeline
    from .settings import Settings
    from .upstream import UpstreamRunner

__all__ = ["TRACER_NAME", "Telemetry", "TracedEndpoint", "traces_url"]

TRACER_NAME = "diary-gateway"

_SHOWN_HEADERS = frozenset({b"host", b"user-agent", b"traceparent", b"tracestate"})
"""Request headers the server span may see (the trace context comes in these)."""
_URL_ATTRIBUTES = ("http.url", "url.full")
_request_traced: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "gateway_request_traced", default=None
)
""":class:`TracedEndpoint`'s draw while it serves a request (``True``: traced, ``False``:
not); ``None`` outside requests (background work)."""
_SAMPLED_FLAGS = frozenset(bytes([c]) for c in b"13579bdfBDF")
"""Last hex digit of a ``traceparent``'s flags with the sampled bit set."""


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL of a collector's base URL (``…/v1/traces`` kept as given)."""
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


class Telemetry:
    """The gateway's tracing: off (``provider`` ``None``) or spans through ``provider``.

    Args:
        provider: the SDK tracer provider (tests pass one with an in-memory exporter),
            built with :meth:`sampler`: an untraced request's spans are dropped by it.
        operations: the operation names of the persisted-operation manifest, the only
            names spans carry (the rest are ``other``).
        owned: shut the provider down (flushing its spans) with the app.
        sample_ratio: the share of requests traced when the caller sent no ``traceparent``
            (the others cost a random draw: no span is started for them at all).
    """

    def __init__(
        self,
        provider: TracerProvider | None = None,
        *,
        operations: Iterable[str] = (),
        owned: bool = False,
        sample_ratio: float = 1.0,
    ) -> None:
        self.provider = provider
        self.tracer: Tracer | None = (
            provider.get_tracer(TRACER_NAME) if provider is not None else None
        )
        self.operations = frozenset(operations)
        self.sample_ratio = sample_ratio
        self._owned = owned

    @classmethod
    def from_settings(cls, settings: Settings, *, manifest: Iterable[str] = ()) -> Telemetry:
        """``[telemetry]``: off without ``otlp_endpoint``; else OTLP/HTTP in batches.

        ``manifest``: the persisted operations' queries (their operation names are shown).
        """
        endpoint = settings.telemetry.otlp_endpoint
        if not endpoint:
            return cls()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider(
            resource=Resource.create({"service.name": settings.telemetry.service_name}),
            sampler=cls.sampler(settings.telemetry.sample_ratio),
        )
        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(endpoint)))
        )
        return cls(
            provider,
            operations=operation_names(manifest),
            owned=True,
            sample_ratio=settings.telemetry.sample_ratio,
        )

    @staticmethod
    def sampler(ratio: float) -> Sampler:
        """The provider's sampler: a span follows its parent's decision; a root span inside a
        request follows :class:`TracedEndpoint`'s draw at ``ratio`` (a second draw would
        trace ``ratio``² of requests; an untraced request starts no trace below it); other
        roots (background work: live polls, key fetches) are drawn at ``ratio``."""
        from opentelemetry.sdk.trace.sampling import (
            Decision,
            ParentBased,
            SamplingResult,
            TraceIdRatioBased,
        )

        class RequestsOrRatio(TraceIdRatioBased):
            def should_sample(
                self,
                parent_context: Context | None,
                trace_id: int,
                name: str,
                kind: SpanKind | None = None,
                attributes: Attributes = None,
                links: Sequence[Link] | None = None,
                trace_state: TraceState | None = None,
            ) -> SamplingResult:
                traced = _request_traced.get()
                if traced is not None:
                    decision = Decision.RECORD_AND_SAMPLE if traced else Decision.DROP
                    return SamplingResult(decision, attributes if traced else None)
                return super().should_sample(
                    parent_context, trace_id, name, kind, attributes, links, trace_state
                )

            def get_description(self) -> str:
                return f"RequestsOrRatio{{{self.rate}}}"

        return ParentBased(RequestsOrRatio(ratio))

    @property
    def enabled(self) -> bool:
        return self.tracer is not None

    @staticmethod
    def traced() -> bool:
        """Whether the request being served is traced (its spans record)."""
        return _request_traced.get() is True

    def _tracer(self) -> Tracer:
        if self.tracer is None:
            raise RuntimeError("tracing is off ([telemetry] otlp_endpoint is unset)")
        return self.tracer

    def operation(self, name: str | None) -> str:
        """The name a span shows for an operation: the manifest's, else ``other``."""
        return name if name is not None and name in self.operations else OTHER

    def attach(
        self,
        graphql: ASGIApp,
        *,
        pipeline: Pipeline,
        runner: UpstreamRunner | None,
        client: httpx.AsyncClient,
    ) -> ASGIApp:
        """Trace the pipeline, the runner's provider calls and ``client``'s requests; the
        GraphQL endpoint to serve (``graphql`` itself when tracing is off)."""
        if self.provider is None:
            return graphql
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.metrics import NoOpMeterProvider

        pipeline.telemetry = self
        pipeline.executor.tracer = self.tracer
        if runner is not None:
            runner.tracer = self.tracer
        HTTPXClientInstrumentor.instrument_client(
            client,
            tracer_provider=self.provider,
            meter_provider=NoOpMeterProvider(),
            request_hook=_redact_client_span,
        )
        return TracedEndpoint(graphql, self.provider, sample_ratio=self.sample_ratio)

    @contextmanager
    def operation_span(self, name: str | None) -> Iterator[Span]:
        """The span of one operation (named ``query <name>`` once its type is known)."""
        label = self.operation(name)
        with self._tracer().start_as_current_span(
            f"graphql {label}",
            attributes={"graphql.operation.name": label, "gateway.response_cache": "none"},
            record_exception=False,  # exception messages may quote the request
            set_status_on_exception=False,
        ) as span:
            yield span

    def operation_kind(self, span: Span, kind: str, name: str | None) -> None:
        """``query`` or ``mutation``: the operation span's type and name."""
        span.set_attribute("graphql.operation.type", kind)
        span.update_name(f"{kind} {self.operation(name)}")

    async def execute(
        self, executor: Executor, request: GraphQLRequest, context: Any, *, queries_only: bool
    ) -> ExecutionResult:
        """``executor.execute`` in a ``graphql.execute`` span (with its error count)."""
        with self._tracer().start_as_current_span(
            "graphql.execute", record_exception=False, set_status_on_exception=False
        ) as span:
            result = await executor.execute(request, context, queries_only=queries_only)
            if result.errors:
                span.set_attribute("graphql.errors", len(result.errors))
                codes = {(e.extensions or {}).get("code") for e in result.errors}
                span.set_attribute(
                    "graphql.error_codes", sorted(c for c in codes if isinstance(c, str))
                )
            return result

    @staticmethod
    def answered(span: Span, answer: Answer) -> None:
        """The operation's outcome on its span."""
        span.set_attribute("http.response.status_code", answer.status)
        if answer.status >= 500:
            outcome = "failed"
        elif answer.status >= 400:
            outcome = "refused"
        elif not answer.has_errors:
            outcome = "ok"
        else:
            outcome = "partial" if answer.has_data else "error"
        span.set_attribute("gateway.outcome", outcome)
        if outcome != "ok":
            span.set_status(Status(StatusCode.ERROR, outcome))

    @staticmethod
    def refused(span: Span, error: BaseException, status: int) -> None:
        span.set_attribute("http.response.status_code", status)
        span.set_attribute("gateway.outcome", "refused" if status < 500 else "failed")
        span.set_attribute("error.type", type(error).__name__)
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))

    async def aclose(self) -> None:
        """Export what is left and stop the exporter (the provider this object built)."""
        if self._owned and self.provider is not None:
            await asyncio.to_thread(self.provider.shutdown)


class TracedEndpoint:
    """The GraphQL endpoint inside a SERVER span of ``opentelemetry-instrumentation-asgi``.

    The instrumentation reads a copy of the scope without the query string (a ``GET``
    carries the operation and its variables there), the client address or headers other
    than ``host``, ``user-agent`` and the trace context; the endpoint gets the real one.
    """

    def __init__(
        self, app: ASGIApp, provider: TracerProvider, *, sample_ratio: float = 1.0
    ) -> None:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from opentelemetry.metrics import NoOpMeterProvider

        self.app = app
        self.sample_ratio = sample_ratio

        async def endpoint(shown: Scope, receive: Receive, send: Send) -> None:
            await app(shown["gateway.scope"], receive, send)

        self._traced = OpenTelemetryMiddleware(
            endpoint,
            tracer_provider=provider,
            meter_provider=NoOpMeterProvider(),
            server_request_hook=_server_span_started,
            exclude_spans=["receive", "send"],  # one span per request, not per message
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._sampled(scope["headers"]):
            # no span context attached: the sampler drops every span this request starts
            untraced = _request_traced.set(False)
            try:
                await self.app(scope, receive, send)
            finally:
                _request_traced.reset(untraced)
            return
        shown = {
            "type": "http",
            "http_version": scope.get("http_version", "1.1"),
            "method": scope["method"],
            "scheme": scope.get("scheme", "http"),
            "path": scope["path"],
            "query_string": b"",
            "headers": [h for h in scope["headers"] if h[0] in _SHOWN_HEADERS],
            "server": scope.get("server"),
            "client": None,
            "gateway.scope": scope,
        }
        traced = _request_traced.set(True)  # its root span is recorded (Telemetry.sampler)
        try:
            await self._traced(shown, receive, send)
        finally:
            _request_traced.reset(traced)

    def _sampled(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        """The caller's ``traceparent`` decides (its flags' last bit), else a draw."""
        for name, value in headers:
            if name == b"traceparent":
                return value[-1:] in _SAMPLED_FLAGS
        ratio = self.sample_ratio
        return ratio >= 1.0 or random.random() < ratio  # noqa: S311 - sampling, not secrets


def _server_span_started(span: Span, scope: Any) -> None:
    request_id = current_request_id()
    if request_id is not None:
        span.set_attribute("gateway.request_id", request_id)


async def _redact_client_span(span: Span, request: Any) -> None:
    """The httpx span keeps the provider's origin only: its paths and queries carry ids."""
    if not span.is_recording():
        return
    import httpx

    url = httpx.URL(request.url)
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
    attributes = getattr(span, "attributes", None) or {}
    for key in _URL_ATTRIBUTES:
        if key in attributes:
            span.set_attribute(key, origin + "/")
    for key in attributes:
        if key.startswith("http.request.header."):
            span.set_attribute(key, ["[redacted]"])
