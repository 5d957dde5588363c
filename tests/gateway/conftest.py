"""A real demo gateway served by uvicorn on a loopback port, with the Moscow emulator."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from starlette.routing import Mount
from starlette.types import ASGIApp

from adapters import AdapterRegistry, UpstreamCall
from diary_gateway_demo.demo import ELJUR_EMULATOR_PATH, EMULATOR_PATH, demo_settings
from diary_gateway_demo.personas import find_persona
from gateway import create_app
from gateway.app import build_runner
from gateway.dev_issuer import DEV_AUDIENCE, DEV_JWKS_PATH, DevIssuer, load_dev_issuer
from gateway.logs import AccessLogMiddleware
from gateway.proxies import uvicorn_proxy_options
from gateway.telemetry import Telemetry
from gateway.upstream import UpstreamRunner
from gateway.wiring import build_http_client, build_registry
from tests.servers import free_port, serve_app

T = TypeVar("T")


class CountingRunner:
    """The real upstream runner, counting the calls that reach a provider (cache misses)."""

    def __init__(self, inner: UpstreamRunner) -> None:
        self.inner = inner
        self.calls: Counter[tuple[str, str]] = Counter()
        """Calls that reached a provider (cache misses)."""
        self.asked: Counter[tuple[str, str]] = Counter()
        """Every call an adapter made, served from cache or not."""

    async def run(self, call: UpstreamCall, fetch: Callable[[], Awaitable[T]]) -> T:
        self.asked[(call.region, call.resource)] += 1

        async def counted() -> T:
            self.calls[(call.region, call.resource)] += 1
            return await fetch()

        return await self.inner.run(call, counted)

    async def invalidate(self, region: str, student_id: str) -> None:
        await self.inner.invalidate(region, student_id)

    async def forget(self, call: UpstreamCall) -> None:
        await self.inner.forget(call)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class DemoGateway:
    url: str
    issuer: DevIssuer
    registry: AdapterRegistry
    runner: CountingRunner
    app: Any
    key_path: Path

    def token(self, persona: str) -> str:
        return self.issuer.mint(find_persona(persona).subject, audience=DEV_AUDIENCE)

    def query(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        persona: str | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        bearer = token if token is not None else (self.token(persona) if persona else None)
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
        )
        assert response.status_code in (200, 400), response.text
        body: dict[str, Any] = response.json()
        return body


@contextmanager
def make_demo(
    key: Path,
    *,
    moscow_url: str | None = None,
    port: int | None = None,
    region_overrides: dict[str, dict[str, Any]] | None = None,
    telemetry: Telemetry | None = None,
    access_log: bool = False,
    **overrides: Any,
) -> Iterator[DemoGateway]:
    """Serve a demo gateway (regions 74, 11, 77 with the Moscow emulator) on a free port.

    ``overrides`` are merged into the demo settings' tables (e.g. ``cache={"ttl": {…}}``);
    ``moscow_url`` points region 77 at another Moscow-protocol server instead of its own
    emulator; ``region_overrides`` changes regions' settings (e.g. ``history_days``);
    ``telemetry`` traces it (e.g. into an in-memory exporter); ``access_log`` serves it
    behind :class:`gateway.logs.AccessLogMiddleware`, as ``serve`` does.
    """
    from diary_gateway_demo.demo import NETCITY_EMULATOR_PATH
    from diary_gateway_demo.eljur import create_emulator as create_eljur_emulator
    from diary_gateway_demo.moscow import create_emulator
    from diary_gateway_demo.netcity import create_emulator as create_netcity_emulator

    issuer = load_dev_issuer(key)
    port = port or free_port()
    settings = demo_settings(port=port, moscow_base_url=moscow_url)
    for code, values in (region_overrides or {}).items():
        regions = dict(settings.regions)
        regions[code] = dataclasses.replace(regions[code], **values)
        settings = dataclasses.replace(settings, regions=regions)
    if overrides:
        tables: dict[str, Any] = {
            name: (
                values  # a list (``issuers``) replaces the demo's
                if isinstance(values, list)
                else dataclasses.replace(getattr(settings, name), **values)
            )
            for name, values in overrides.items()
        }
        settings = dataclasses.replace(settings, **tables)
    runner = CountingRunner(build_runner(settings))
    http = build_http_client()
    registry = build_registry(settings, http, runner=runner)
    emulator = create_emulator(sso_jwks_url=f"http://127.0.0.1:{port}{DEV_JWKS_PATH}")
    netcity = Mount(
        NETCITY_EMULATOR_PATH,
        app=create_netcity_emulator(sso_jwks_url=f"http://127.0.0.1:{port}{DEV_JWKS_PATH}"),
    )
    app = create_app(
        settings,
        dev_issuer=issuer,
        routes=[
            *([] if moscow_url else [Mount(EMULATOR_PATH, app=emulator)]),
            Mount(
                ELJUR_EMULATOR_PATH,
                app=create_eljur_emulator(sso_jwks_url=f"http://127.0.0.1:{port}{DEV_JWKS_PATH}"),
            ),
            netcity,
        ],
        http=http,
        registry=registry,
        runner=runner,  # type: ignore[arg-type]
        telemetry=telemetry,
    )
    # Served as `diary-gateway serve` serves it: uvicorn believes exactly the trusted proxies.
    proxies = uvicorn_proxy_options(settings.server.trusted_proxies)
    served: ASGIApp = AccessLogMiddleware(app) if access_log else app
    with serve_app(served, port=port, **proxies) as url:
        yield DemoGateway(
            url=url, issuer=issuer, registry=registry, runner=runner, app=app, key_path=key
        )


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoGateway]:
    """One demo gateway shared by the whole session (its caches warm up as tests run)."""
    with make_demo(Path(tmp_path_factory.mktemp("issuer")) / "key.json") as gateway:
        yield gateway


@pytest.fixture
def fresh_demo(tmp_path: Path) -> Iterator[DemoGateway]:
    """A demo gateway of its own, with cold caches."""
    with make_demo(tmp_path / "key.json") as gateway:
        yield gateway
