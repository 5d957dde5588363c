"""The gateway's :class:`~adapters.base.CallRunner`: cache, single flight, retries,
circuit breakers and bulkheads around every provider call.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar, cast

from opentelemetry.trace import SpanKind, Status, StatusCode

from adapters.base import UpstreamCall
from adapters.errors import AdapterError, ProviderResponseError, ProviderUnavailableError

from ..middleware import current_request_id
from .breaker import CircuitBreaker
from .cache import BoundedMemoryCache, Entry, EntryCache, contains_error, digest
from .flight import SingleFlight

__all__ = [
    "DEFAULT_TTLS",
    "RunnerStats",
    "StaleNotice",
    "UpstreamRunner",
    "UpstreamSettings",
    "collect_notices",
    "current_notices",
    "fresh_reads",
    "log_failure",
    "operation_budget",
    "stale_notices",
]

logger = logging.getLogger("gateway.upstream")

T = TypeVar("T")

DEFAULT_TTLS: Mapping[str, float] = MappingProxyType(
    {
        "profile": 600,
        "roster": 600,
        "terms": 86400,
        "schools": 3600,
        "students": 600,
        "diary": 120,
        "marks": 60,
        "progress": 300,
        "changes": 60,
        "remarks": 120,
        "journal": 60,
        "bells": 86400,
    }
)

_FALLBACK_ERRORS = (ProviderUnavailableError, ProviderResponseError)


@dataclass(frozen=True, slots=True)
class UpstreamSettings:
    """How the runner caches, retries and protects provider calls (seconds throughout)."""

    ttl: Mapping[str, float] = field(default_factory=lambda: DEFAULT_TTLS)
    """Fresh lifetime per resource; a resource not listed is not cached."""
    stale_max_age: float = 86400.0
    """How old an entry may be and still be served when the provider fails."""
    swr: bool = True
    """Serve a stale entry at once and refresh it in the background."""
    swr_max_age: float = 3600.0
    """Entries older than this are refetched synchronously even when ``swr`` is on."""
    max_retries: int = 2
    backoff_base: float = 0.1
    call_budget: float = 8.0
    """Seconds one upstream call may take, retries and back-off included: the only per-call
    timeout (adapters add none, the HTTP client has a connect timeout only), cut to what is
    left of the operation budget (:func:`operation_budget`)."""
    breaker_window: int = 20
    breaker_failure_rate: float = 0.5
    breaker_min_calls: int = 10
    breaker_open_seconds: float = 10.0
    max_concurrency: int = 20
    """Concurrent upstream calls per provider and region."""
    key_prefix: str = "dg:"
    """Start of every cache key, entries and generation counters (``[cache] key_prefix``)."""

    def ttl_for(self, resource: str) -> float | None:
        value = self.ttl.get(resource)
        return float(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class StaleNotice:
    """A cached value served past its freshness (provider failing or refresh pending)."""

    provider: str
    region: str
    resource: str
    age_seconds: float


@dataclass(slots=True)
class RunnerStats:
    """Counters for tests and benchmarks."""

    hits: int = 0
    misses: int = 0
    stale_served: int = 0
    upstream_calls: int = 0
    coalesced: int = 0


_notices: contextvars.ContextVar[list[StaleNotice] | None] = contextvars.ContextVar(
    "upstream_stale_notices", default=None
)


_operation_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "upstream_operation_deadline", default=None
)


class operation_budget:  # lower case: used as a function, `with operation_budget(s):`
    """Bound every upstream call made inside the block by one shared deadline.

    A GraphQL operation gets ``seconds`` in all: each provider call's own budget is cut to
    what is left, so a slow region makes its fields ``null`` (with a coded error) in time
    instead of holding the whole answer back. (A class, not a generator: it runs on every
    request, response-cache hits included.)
    """

    __slots__ = ("seconds", "token")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        deadline = asyncio.get_running_loop().time() + self.seconds
        self.token = _operation_deadline.set(deadline)

    def __exit__(self, *exc_info: object) -> None:
        _operation_deadline.reset(self.token)


@contextmanager
def collect_notices() -> Iterator[list[StaleNotice]]:
    """Collect the :class:`StaleNotice` s recorded by calls made inside the block."""
    notices: list[StaleNotice] = []
    token = _notices.set(notices)
    try:
        yield notices
    finally:
        _notices.reset(token)


stale_notices = collect_notices
"""Alias of :func:`collect_notices`."""


def current_notices() -> list[StaleNotice]:
    """The notices collected so far in the current context (empty outside a collector)."""
    notices = _notices.get()
    return list(notices) if notices is not None else []


def _record_notice(notice: StaleNotice) -> None:
    notices = _notices.get()
    if notices is not None:
        notices.append(notice)


def log_failure(
    call: UpstreamCall, error: BaseException, *, attempts: int, slot: bool = False
) -> None:
    """One WARNING line for a provider call that failed (after its last attempt), or for
    one key of a batch the provider refused or failed (``slot``).

    It names the request id, region, provider, resource and error class, and nothing the
    provider said: no message, no names, marks, ids or tokens. The same fields are on the
    record (``extra``) for structured handlers.
    """
    request_id = current_request_id() or "-"
    error_class = type(error).__name__
    if isinstance(error, ProviderUnavailableError) and isinstance(error.__cause__, TimeoutError):
        error_class = f"{error_class}(timeout)"
    logger.warning(
        "provider %s: request_id=%s region=%s provider=%s resource=%s error=%s attempts=%d",
        "refused one key" if slot else "call failed",
        request_id,
        call.region,
        call.provider,
        call.resource,
        error_class,
        attempts,
        extra={
            "request_id": request_id,
            "region": call.region,
            "provider": call.provider,
            "resource": call.resource,
            "error_class": type(error).__name__,
        },
    )


def _span_outcome(
    span: Any, error: AdapterError | None, attempts: int, *, failed_keys: int = 0
) -> None:
    """A provider call's outcome on its span: labels and error classes, never messages."""
    from ..metrics import provider_outcome  # the same outcome names as the metrics

    span.set_attribute("gateway.outcome", provider_outcome(error))
    span.set_attribute("gateway.attempts", attempts)
    if failed_keys:
        span.set_attribute("gateway.failed_keys", failed_keys)
    if error is not None:
        span.set_attribute("error.type", type(error).__name__)
        span.set_status(Status(StatusCode.ERROR, provider_outcome(error)))


_FRESH: contextvars.ContextVar[bool] = contextvars.ContextVar("upstream_fresh", default=False)


@contextmanager
def fresh_reads() -> Iterator[None]:
    """Within: cached reads skip their cached answer, ask the provider and store what it
    says (the live poller's diary diff must see the provider's present, not a cached past)."""
    token = _FRESH.set(True)
    try:
        yield
    finally:
        _FRESH.reset(token)


class UpstreamRunner:
    """Runs provider calls with an entity cache, single flight, retries, breakers, bulkheads.

    Reads (``call.idempotent``) are cached per scope and arguments, shared with identical
    concurrent calls, retried on :class:`ProviderUnavailableError` and served stale when
    the provider fails. Writes are never cached, coalesced or retried. ``clock`` is wall
    time (entries' ages are compared across instances sharing Redis); ``sleep`` and
    ``random`` are injectable for tests.
    """

    def __init__(
        self,
        cache: Any,
        settings: UpstreamSettings | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings or UpstreamSettings()
        self.cache = EntryCache(cache)
        self.stats = RunnerStats()
        self._clock = clock
        self._sleep = sleep
        self._random = random
        self._flight = SingleFlight()
        self._breakers: dict[str, CircuitBreaker] = {}
        self._bulkheads: dict[str, asyncio.Semaphore] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self.local_epoch = 0
        """Bumped by every invalidation made through this runner."""
        self.observer: Callable[[UpstreamCall, BaseException | None, float], None] | None = None
        """Told of every call that reached a provider: the call, its error (``None``: it
        answered) and its seconds, retries included (the gateway's metrics)."""
        self.tracer: Any = None
        """An OpenTelemetry tracer: a span ``provider <resource>`` around every call that
        reaches a provider, retries included (``None``: tracing off; see gateway/telemetry.py)."""

    # -- public API ----------------------------------------------------------------------

    async def run(self, call: UpstreamCall, fetch: Callable[[], Awaitable[T]]) -> T:
        """Return ``await fetch()``, possibly from cache or shared with identical calls."""
        ttl = self.settings.ttl_for(call.resource)
        if not call.idempotent or ttl is None:
            if call.idempotent:
                return cast(T, await self._flight_fetch(call, None, fetch))
            return await self._execute(call, fetch)
        key = await self._cache_key(call)
        if key is None:
            return cast(T, await self._flight_fetch(call, None, fetch))
        entry = await self._read(key)
        if entry is None or _FRESH.get():
            self.stats.misses += 1
            return cast(T, await self._flight_fetch(call, key, fetch))
        value, stored_at = entry
        age = max(0.0, self._clock() - stored_at)
        if age < ttl:
            self.stats.hits += 1
            return cast(T, value)
        if self.settings.swr and age <= self.settings.swr_max_age:
            self._serve_stale(call, age)
            self._revalidate(call, key, fetch)
            return cast(T, value)
        self.stats.misses += 1
        try:
            return cast(T, await self._flight_fetch(call, key, fetch))
        except _FALLBACK_ERRORS:
            self._serve_stale(call, age)
            return cast(T, value)

    async def invalidate(self, region: str, student_id: str) -> None:
        """Drop every cached entry whose call named ``student_id`` (in all instances)."""
        self.local_epoch += 1
        await self.cache.bump(self._gen_key(region, student_id))

    async def forget(self, call: UpstreamCall) -> None:
        """Drop the cached answer of ``call`` (a caller's profile once their identity is bound
        to a record: they are no longer unknown there). In-memory caches of other instances
        keep theirs until it expires."""
        key = await self._cache_key(call)
        if key is not None:
            await self.cache.delete(key)

    @property
    def process_local(self) -> bool:
        """Whether the cache lives in this process only (no other instance can invalidate)."""
        return isinstance(self.cache.cache, BoundedMemoryCache)

    async def generations(self, students: list[tuple[str, str]]) -> list[int] | None:
        """The invalidation generations of (region, student id) pairs; ``None`` if unreadable."""
        return await self.cache.generations([self._gen_key(r, s) for r, s in students])

    def bulkhead_usage(self) -> dict[str, tuple[int, int]]:
        """Per provider: calls in flight and the bulkhead's capacity."""
        limit = self.settings.max_concurrency
        return {name: (limit - sem._value, limit) for name, sem in self._bulkheads.items()}

    def breaker_states(self) -> dict[str, str]:
        """Each provider's circuit state, keyed ``"region:provider"``."""
        return {name: breaker.state for name, breaker in self._breakers.items()}

    async def drain(self) -> None:
        """Wait for background refreshes to finish."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def aclose(self) -> None:
        """Cancel background refreshes (the cache is owned and closed by the caller)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*list(self._background), return_exceptions=True)

    # -- cache ---------------------------------------------------------------------------

    def _gen_key(self, region: str, student_id: str) -> str:
        return f"{self.settings.key_prefix}gen:{region}:{student_id}"

    async def _cache_key(self, call: UpstreamCall) -> str | None:
        # the scope is hashed: a shared Redis must not list who reads whose diary
        base = (
            f"{self.settings.key_prefix}{call.provider}:{call.region}:{call.resource}:"
            f"{digest(call.scope)[:32]}:{digest(call.key)}"
        )
        if not call.student_ids:
            return base
        gens = await self.cache.generations(
            [self._gen_key(call.region, sid) for sid in call.student_ids]
        )
        if gens is None:
            return None  # cannot tell whether entries were invalidated: bypass the cache
        return f"{base}:g{digest(','.join(map(str, gens)))[:16]}"

    async def _read(self, key: str) -> Entry | None:
        entry = await self.cache.get(key)
        if entry is None or self._clock() - entry[1] > self.settings.stale_max_age:
            return None
        return entry

    def _serve_stale(self, call: UpstreamCall, age: float) -> None:
        self.stats.stale_served += 1
        _record_notice(StaleNotice(call.provider, call.region, call.resource, round(age, 3)))

    def _revalidate(
        self, call: UpstreamCall, key: str, fetch: Callable[[], Awaitable[Any]]
    ) -> None:
        if self._flight.running(key):
            return
        task = self._flight.start(key, lambda: self._fetch_and_store(call, key, fetch))
        self._background.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._background.discard(t)
            if not t.cancelled() and t.exception() is not None:
                logger.info(
                    "background refresh failed provider=%s region=%s resource=%s error=%s",
                    call.provider,
                    call.region,
                    call.resource,
                    type(t.exception()).__name__,
                )

        task.add_done_callback(done)

    async def _flight_fetch(
        self, call: UpstreamCall, key: str | None, fetch: Callable[[], Awaitable[Any]]
    ) -> Any:
        flight_key = key or (
            f"{call.provider}:{call.region}:{call.resource}:{call.scope}:{digest(call.key)}"
        )
        value, shared = await self._flight.do(
            flight_key, lambda: self._fetch_and_store(call, key, fetch)
        )
        if shared:
            self.stats.coalesced += 1
        return value

    async def _fetch_and_store(
        self, call: UpstreamCall, key: str | None, fetch: Callable[[], Awaitable[Any]]
    ) -> Any:
        value = await self._execute(call, fetch)
        if key is not None and not contains_error(value):
            await self.cache.set(key, (value, self._clock()), self.settings.stale_max_age)
        return value

    # -- protection ----------------------------------------------------------------------

    def _breaker(self, call: UpstreamCall) -> CircuitBreaker:
        name = f"{call.region}:{call.provider}"
        breaker = self._breakers.get(name)
        if breaker is None:
            s = self.settings
            breaker = self._breakers[name] = CircuitBreaker(
                provider=call.provider,
                window=s.breaker_window,
                failure_rate=s.breaker_failure_rate,
                min_calls=s.breaker_min_calls,
                open_seconds=s.breaker_open_seconds,
                clock=self._clock,
            )
        return breaker

    def _bulkhead(self, call: UpstreamCall) -> asyncio.Semaphore:
        name = f"{call.region}:{call.provider}"
        semaphore = self._bulkheads.get(name)
        if semaphore is None:
            semaphore = self._bulkheads[name] = asyncio.Semaphore(self.settings.max_concurrency)
        return semaphore

    def _delay(self, attempt: int, exc: ProviderUnavailableError) -> float:
        if exc.retry_after is not None:
            return max(0.0, exc.retry_after)
        return self._random() * self.settings.backoff_base * (2.0**attempt)

    async def _execute(self, call: UpstreamCall, fetch: Callable[[], Awaitable[T]]) -> T:
        """:meth:`_attempts`, logging its outcome's failures once (see :func:`log_failure`)."""
        tracer = self.tracer
        if tracer is None:
            return await self._observed(call, fetch, None)
        attributes = {
            "gateway.region": call.region,
            "gateway.provider": call.provider,
            "gateway.resource": call.resource,
        }
        with tracer.start_as_current_span(
            f"provider {call.resource}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,  # a provider's message never goes into a span
            set_status_on_exception=False,
        ) as span:
            return await self._observed(call, fetch, span)

    async def _observed(
        self, call: UpstreamCall, fetch: Callable[[], Awaitable[T]], span: Any
    ) -> T:
        attempts = [0]
        observer = self.observer
        started = time.perf_counter() if observer is not None else 0.0
        try:
            value = await self._attempts(call, fetch, attempts)
        except AdapterError as exc:
            log_failure(call, exc, attempts=attempts[0])
            if observer is not None:
                observer(call, exc, time.perf_counter() - started)
            if span is not None:
                _span_outcome(span, exc, attempts[0])
            raise
        if observer is not None:
            observer(call, None, time.perf_counter() - started)
        failed = 0
        if isinstance(value, list):
            for slot in value:
                if isinstance(slot, AdapterError):
                    failed += 1
                    log_failure(call, slot, attempts=attempts[0], slot=True)
        if span is not None:
            _span_outcome(span, None, attempts[0], failed_keys=failed)
        return value

    async def _attempts(
        self, call: UpstreamCall, fetch: Callable[[], Awaitable[T]], attempts: list[int]
    ) -> T:
        breaker = self._breaker(call)
        bulkhead = self._bulkhead(call)
        retries = self.settings.max_retries if call.idempotent else 0
        loop = asyncio.get_running_loop()
        attempt = 0
        probe: bool | None = None
        try:
            budget_seconds = self.settings.call_budget
            operation_deadline = _operation_deadline.get()
            if operation_deadline is not None:
                budget_seconds = min(budget_seconds, max(0.0, operation_deadline - loop.time()))
            async with asyncio.timeout(budget_seconds) as budget:
                while True:
                    probe = breaker.acquire()
                    try:
                        async with bulkhead:
                            self.stats.upstream_calls += 1
                            attempts[0] += 1
                            value = await fetch()
                    except ProviderUnavailableError as exc:
                        breaker.record(success=False, probe=probe)
                        probe = None
                        deadline = budget.when()
                        remaining = (deadline - loop.time()) if deadline is not None else 0.0
                        delay = self._delay(attempt, exc)
                        if attempt >= retries or delay >= remaining:
                            raise
                        attempt += 1
                        await self._sleep(delay)
                        continue
                    except ProviderResponseError:
                        breaker.record(success=False, probe=probe)
                        probe = None
                        raise
                    except TimeoutError:
                        breaker.record(success=False, probe=probe)
                        probe = None
                        raise
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        # 4xx-like answers (auth, not found…): the provider is up.
                        breaker.record(success=True, probe=probe)
                        probe = None
                        raise
                    breaker.record(success=True, probe=probe)
                    probe = None
                    return value
        except TimeoutError as exc:
            if probe is not None:
                breaker.record(success=False, probe=probe)
            raise ProviderUnavailableError(
                "upstream call budget exhausted", provider=call.provider
            ) from exc
        except asyncio.CancelledError:
            if probe is not None:
                breaker.release(probe=probe)
            raise
