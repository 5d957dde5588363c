"""The upstream call runner: entity cache, single flight, retries, breakers, bulkheads.

Build one :class:`UpstreamRunner` per process over a cache from :func:`build_cache` and
pass it to the adapters as ``AdapterDeps.runner``. Wrap a request in
:func:`collect_notices` to learn which answers were served stale.
"""

from __future__ import annotations

from .breaker import CircuitBreaker
from .cache import BoundedMemoryCache, build_cache
from .flight import SingleFlight
from .runner import (
    DEFAULT_TTLS,
    RunnerStats,
    StaleNotice,
    UpstreamRunner,
    UpstreamSettings,
    collect_notices,
    current_notices,
    fresh_reads,
    operation_budget,
    stale_notices,
)

__all__ = [
    "DEFAULT_TTLS",
    "BoundedMemoryCache",
    "CircuitBreaker",
    "RunnerStats",
    "SingleFlight",
    "StaleNotice",
    "UpstreamRunner",
    "UpstreamSettings",
    "build_cache",
    "collect_notices",
    "current_notices",
    "fresh_reads",
    "operation_budget",
    "stale_notices",
]
