"""Liveness and readiness: ``/healthz`` (the process lives) and ``/readyz`` (it can serve).

``/readyz`` is ``200 {"status": "ready", …}`` only while every required dependency answers:

* **Redis**, when ``[cache] url`` is Redis (a ``PING`` within the Redis timeout): shared
  caches, sessions, rate limits and the access history live there;
* **the issuers' signing keys**: every configured national-SSO issuer's JWKS has been
  fetched (an issuer never fetched is tried at the check), or nobody can sign in.

Otherwise ``503 {"status": "unready", …}`` naming what is missing. Each region's last
provider call (its outcome and age) and circuit breaker are reported too, but a region whose
system is down does not make the gateway unready: the other regions still answer, and that
region's fields come back ``null`` with a coded error. Nothing in either answer names a
person.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters import SYSTEM_CLOCK, Clock

from .metrics import provider_outcome

if TYPE_CHECKING:
    from adapters import UpstreamCall

    from .identity import TokenVerifier
    from .upstream import UpstreamRunner

__all__ = ["Health", "RegionProbe"]


@dataclass(slots=True)
class _LastCall:
    outcome: str
    at: float


class RegionProbe:
    """The last provider call of each region, as the runner reports it (its observer)."""

    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._clock = clock.timestamp
        self._last: dict[str, _LastCall] = {}

    def __call__(self, call: UpstreamCall, error: BaseException | None, seconds: float) -> None:
        self._last[call.region] = _LastCall(provider_outcome(error), self._clock())

    def report(self, regions: list[str]) -> dict[str, dict[str, Any]]:
        """Per region: ``lastCall`` (``ok`` or the failure, ``null`` before the first) and
        ``secondsAgo``."""
        now = self._clock()
        found: dict[str, dict[str, Any]] = {}
        for region in regions:
            last = self._last.get(region)
            found[region] = {
                "lastCall": last.outcome if last else None,
                "secondsAgo": round(now - last.at, 1) if last else None,
            }
        return found


class Health:
    """The two endpoints, over the app's parts.

    Args:
        regions: the configured region codes.
        redis_ping: ``PING`` the shared Redis (``None``: no Redis configured).
        redis_timeout: seconds a ping may take.
        verifier: the token verifier (its issuers' keys).
        runner: the upstream runner (breaker states), if any.
        probe: the regions' last calls.
        clock: when the check ran (the app's clock).
    """

    def __init__(
        self,
        *,
        regions: list[str],
        redis_ping: Callable[[], Awaitable[Any]] | None,
        redis_timeout: float,
        verifier: TokenVerifier,
        runner: UpstreamRunner | None,
        probe: RegionProbe,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.clock = clock
        self.regions = sorted(regions)
        self.redis_ping = redis_ping
        self.redis_timeout = redis_timeout
        self.verifier = verifier
        self.runner = runner
        self.probe = probe

    def routes(self) -> list[Route]:
        return [Route("/healthz", self.live), Route("/readyz", self.ready)]

    async def live(self, request: Request) -> Response:
        """``200`` while the process serves requests at all."""
        return JSONResponse({"status": "ok"})

    async def ready(self, request: Request) -> Response:
        """``200`` when every required dependency answers, else ``503`` naming it."""
        redis = await self._redis()
        keys = await self.verifier.key_status()
        issuers = {name: "ok" if ok else "keys unavailable" for name, ok in keys.items()}
        regions = self.probe.report(self.regions)
        breakers: Mapping[str, str] = self.runner.breaker_states() if self.runner else {}
        for name, state in breakers.items():
            code = name.split(":", 1)[0]
            if code in regions:
                regions[code]["breaker"] = state
        ready = redis in ("ok", "not configured") and all(keys.values())
        body = {
            "status": "ready" if ready else "unready",
            "checkedAt": self.clock.now().isoformat(timespec="seconds"),
            "redis": redis,
            "issuers": issuers,
            "regions": regions,
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    async def _redis(self) -> str:
        if self.redis_ping is None:
            return "not configured"
        try:
            await asyncio.wait_for(self.redis_ping(), self.redis_timeout)
        except Exception as exc:  # noqa: BLE001 - any failure means Redis is not usable
            return f"unreachable ({type(exc).__name__})"
        return "ok"
