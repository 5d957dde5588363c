"""The live machinery of one instance, and the steps both subscription transports share.

:class:`LiveService` owns the stream (Redis Streams with ``[cache] url`` on Redis, else in
memory), the lease (likewise), the poller and the hub. For a transport it admits a
connection (the pipeline's ``admit``: rate limits, identity; anonymous is refused), runs one
operation as a stream of encoded results (parse and validation from the shared document
cache, the cost limits, the schema's ``stream``), and ends a connection's subscriptions when
its token expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from strawberry.types import ExecutionResult

from adapters import SYSTEM_CLOCK, AdapterRegistry, Clock
from schema import AuditEvent, AuditSink, ErrorCode, merge_events

from ..infrastructure import Infrastructure
from ..metrics import Metrics
from ..pipeline import (
    JSON,
    GraphQLRequest,
    Identity,
    Pipeline,
    Refusal,
    result_answer,
)
from ..pipeline.encode import is_request_error
from ..settings import LiveSettings
from .event import LiveEvent
from .hub import EXPIRED, Hub, LiveClosed, LiveSession
from .lease import Lease, MemoryLease, RedisLease
from .poller import Poller
from .stream import EventStream, MemoryStream, RedisStream

__all__ = ["Connection", "LiveService", "StreamedResult"]

logger = logging.getLogger(__name__)

SESSION_CHECK_SECONDS = 30.0
"""How often a school-login session's connection checks that its session still lives."""


@dataclass(frozen=True, slots=True)
class StreamedResult:
    """One encoded result of a streamed operation."""

    body: bytes
    """``{"data": …, "errors": […]}`` as JSON."""
    request_error: bool
    """Parse, validation or variable errors: nothing ran (graphql-transport-ws ``error``)."""


@dataclass(slots=True)
class Connection:
    """An admitted connection: who, and its live session."""

    identity: Identity
    session: LiveSession
    authorization: str
    address: str | None


class _AuditBatch:
    """The audit sink of subscriptions: the events of every delivery in one loop turn are
    written in one call (a fan-out of one event to many subscribers is one write, not one
    per subscriber); reads go to the log itself."""

    def __init__(self, sink: AuditSink) -> None:
        self.sink = sink
        self._pending: list[AuditEvent] = []
        self._writing: set[asyncio.Task[None]] = set()

    async def record(self, events: list[AuditEvent], *, at: str | None = None) -> None:
        if at is not None:
            await self.sink.record(events, at=at)
            return
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.extend(events)

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.create_task(self._write(batch))
        self._writing.add(task)
        task.add_done_callback(self._writing.discard)

    async def _write(self, batch: list[AuditEvent]) -> None:
        try:
            await self.sink.record(merge_events(batch))
        except Exception:
            logger.exception("audit events of live deliveries not written")

    async def history(self, region: str, student: str, limit: int) -> list[AuditEvent]:
        return await self.sink.history(region, student, limit)

    async def aclose(self) -> None:
        if self._pending:
            self._flush()
        if self._writing:
            await asyncio.gather(*self._writing, return_exceptions=True)


class LiveService:
    """See the module doc.

    Args:
        settings: ``[live]``.
        pipeline: the request pipeline (admission, documents, limits, executor).
        registry: the adapters.
        infrastructure: Redis (shared stream and leases) or memory.
        clock: the app's clock.
        metrics: the metrics (``None``: off).
        on_change: the caches' invalidation of a student (``UpstreamRunner.invalidate``),
            awaited before new events of theirs are published.
    """

    def __init__(
        self,
        settings: LiveSettings,
        *,
        pipeline: Pipeline,
        registry: AdapterRegistry,
        infrastructure: Infrastructure,
        clock: Clock = SYSTEM_CLOCK,
        metrics: Metrics | None = None,
        on_change: Callable[[str, str], Awaitable[Any]] | None = None,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.clock = clock
        self.metrics = metrics
        seen_ttl = (settings.lookback_hours + 24) * 3600.0
        stream: EventStream
        lease: Lease
        if infrastructure.redis is not None:
            prefix = infrastructure.key_prefix
            stream = RedisStream(
                infrastructure.redis,
                prefix=prefix,
                max_len=settings.stream_max_len,
                seen_ttl=seen_ttl,
            )
            lease = RedisLease(infrastructure.redis, prefix=prefix)
        else:
            stream = MemoryStream(max_len=settings.stream_max_len, seen_ttl=seen_ttl)
            lease = MemoryLease()
        self.stream = stream
        self.lease = lease
        self.poller = Poller(
            registry=registry,
            lease=lease,
            stream=stream,
            settings=settings,
            clock=clock,
            observe_poll=metrics.observe_poll if metrics is not None else None,
            on_change=on_change,
        )
        self.hub = Hub(stream, self.poller, settings, observe_delivery=self._delivered)
        self._audit: _AuditBatch | None = None
        if metrics is not None:
            metrics.watch_live(self)

    @property
    def subscriptions(self) -> int:
        return self.hub.count

    @property
    def students(self) -> int:
        return self.poller.students

    def _delivered(self, event: LiveEvent, subscribers: int) -> None:
        if self.metrics is not None:
            lag = self.clock.timestamp() - event.change.at.timestamp()
            self.metrics.observe_event_lag(event.region, lag)

    def closed(self, closed: LiveClosed) -> None:
        """Count a subscription the server ended."""
        if self.metrics is not None:
            self.metrics.observe_live_closed(closed.reason)

    async def connect(self, authorization: str | None, *, address: str | None) -> Connection:
        """Admit a connection.

        Raises:
            Refusal: ``429`` past a request limit; ``401`` without a valid token.
        """
        identity = await self.pipeline.admit(authorization, address=address)
        person = identity.person
        if identity.caller is None or person is None or not authorization:
            reason = f" ({identity.auth_error})" if identity.auth_error else ""
            raise Refusal(
                401,
                "subscriptions need a signed-in viewer: send Authorization: Bearer <token>"
                + reason,
                ErrorCode.UNAUTHENTICATED,
            )
        session = self.hub.session(person, identity.caller)
        return Connection(identity, session, authorization, address)

    async def watch_expiry(self, connection: Connection) -> None:
        """End the connection's subscriptions when its token expires (run as a task)."""
        identify = self.pipeline.identify
        _, _, token = connection.authorization.partition(" ")
        while True:
            remembered = identify.verifier.remembered(token.strip())
            if remembered is not None:
                wait = remembered.expires_at - self.clock.timestamp()
                if wait > 0:
                    await asyncio.sleep(min(wait, SESSION_CHECK_SECONDS))
                    continue
            else:
                resolved = await identify.resolve(connection.authorization)
                if resolved.caller is not None:
                    await asyncio.sleep(SESSION_CHECK_SECONDS)
                    continue
            connection.session.end(LiveClosed(EXPIRED, "the token has expired"))
            return

    async def run(
        self, connection: Connection, request: GraphQLRequest, *, request_id: str | None
    ) -> AsyncIterator[StreamedResult]:
        """Run one operation (a subscription, or a query or mutation: one result).

        Raises:
            Refusal: no query, a cost over a budget, a cost rate limit.
        """
        pipeline = self.pipeline
        query = request.query
        if query is None or not query.strip():
            raise Refusal(400, "no GraphQL query in the request (`query` is missing or empty)")
        identity = connection.identity
        person = identity.person
        compiled = pipeline.documents.get(query)
        check = pipeline.limits.check(compiled, request, method="POST", person=person)
        limits = pipeline.rate_limits
        if limits is not None and check.cost:
            limited = await limits.hit_cost(check.cost, person=person, address=connection.address)
            if limited is not None:
                raise Refusal.rate_limited(limited.retry_after)
        rid = request_id or "-"
        hide = pipeline.hide_suggestions
        if check.argument_error is not None:
            result = ExecutionResult(data=None, errors=[check.argument_error])
            yield StreamedResult(
                result_answer(result, JSON, request_id=rid, hide_suggestions=hide).body, True
            )
            return
        context = pipeline.executor.context(
            identity, address=connection.address, request_id=request_id
        )
        context.live = connection.session
        context.cacheable = False
        if context.audit is not None:
            if self._audit is None or self._audit.sink is not context.audit:
                self._audit = _AuditBatch(context.audit)
            context.audit = self._audit
        results = await pipeline.executor.schema.stream(
            query,
            variable_values=request.variables,
            context_value=context,
            operation_name=request.operation_name,
            operation_extensions=request.extensions,
        )
        try:
            async for item in results:
                if not isinstance(item, ExecutionResult):
                    continue  # incremental delivery frames: not used by this schema
                executed: ExecutionResult = item
                if connection.session.closed is not None:
                    return  # the server ended it: the transport closes with its code
                answer = result_answer(executed, JSON, request_id=rid, hide_suggestions=hide)
                yield StreamedResult(answer.body, is_request_error(executed))
        finally:
            with contextlib.suppress(Exception):
                await results.aclose()

    async def aclose(self) -> None:
        await self.hub.aclose()
        if self._audit is not None:
            await self._audit.aclose()
        await self.stream.aclose()
