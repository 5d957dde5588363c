"""Building the configured adapters (the registry) from settings."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from adapters import (
    SYSTEM_CLOCK,
    AdapterDeps,
    AdapterRegistry,
    CallRunner,
    Clock,
    DirectRunner,
    RegionInfo,
    get_adapter_class,
)

from .settings import RegionSettings, Settings

__all__ = ["CONNECT_TIMEOUT_SECONDS", "build_http_client", "build_registry", "region_info"]

CONNECT_TIMEOUT_SECONDS = 3.0
"""The shared HTTP client's only timeout: opening a connection (see :func:`build_http_client`)."""


def build_http_client(*, transport: Any = None) -> httpx.AsyncClient:
    """The one shared httpx client for providers and JWKS fetches.

    Sockets get ``TCP_NODELAY``: a request body must not wait for Nagle's algorithm (and
    the peer's delayed ACK, 40 ms on Linux) before it leaves.

    Timeouts: a connect timeout only. A provider call is bounded by exactly two layers, the
    operation budget and the runner's per-call budget (:mod:`gateway.upstream.runner`); a
    read, write or pool timeout here would be a third, shorter or longer than the call's
    budget and cut across its retries. Requests that are not provider calls (JWKS) pass
    their own timeout.
    """
    if transport is None:
        transport = httpx.AsyncHTTPTransport(
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(None, connect=CONNECT_TIMEOUT_SECONDS),
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        headers={"User-Agent": "diary-gateway/0.1"},
        transport=transport,
        follow_redirects=False,
    )


def build_registry(
    settings: Settings,
    http: httpx.AsyncClient,
    *,
    runner: CallRunner | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> AdapterRegistry:
    """One adapter instance per configured region, sharing ``http``, ``runner`` and ``clock``."""
    deps = AdapterDeps(http=http, runner=runner or DirectRunner(), clock=clock)
    adapters = {}
    for code, region in settings.regions.items():
        cls = get_adapter_class(region.adapter)
        adapters[code] = cls(
            region=region_info(code, region), config=region.adapter_config, deps=deps
        )
    return AdapterRegistry(adapters)


def region_info(code: str, region: RegionSettings) -> RegionInfo:
    """What an adapter is told about its region, from the region's settings."""
    return RegionInfo(
        code=code,
        name=region.name,
        timezone=region.timezone,
        diary_url=region.diary_url,
        demo=region.demo,
        history_days=region.history_days,
    )
