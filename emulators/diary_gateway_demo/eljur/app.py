"""The ЭлЖур emulator: a Starlette app answering ЭлЖур's API methods over HTTP.

Every method is served at ``/apiv3/<method>`` (the official apps' path) and ``/api/<method>``
(the documented v1.4 path), by ``GET`` with query parameters or ``POST`` with form fields
(``auth`` should be posted: a password in a query string ends up in access logs). Every
call carries ``devkey``, ``vendor`` and, for a user's data, ``auth_token``; ``out_format``
may be ``json`` only. The answer is the envelope ``{"response": {"state", "error",
"result"}}`` rendered by :class:`~diary_gateway_demo.eljur.render.ElJurData`, with the HTTP
status equal to ``state`` (**ours**: the sources show the envelope, not the status).

The emulator base (:mod:`diary_gateway_demo.emulation`) adds the faults, with the injected errors in
the same envelope, and the admin endpoints (never counted, never faulted): ``GET``/``POST
/__admin/faults``, ``GET /__admin/stats``, ``POST /__admin/reset`` (here it also forgets sent
messages, read marks and meeting answers); this emulator adds
``POST /__admin/expire-tokens`` (every issued token is revoked, as if it had expired).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.clock import SYSTEM_CLOCK, Clock
from diary_gateway_demo.emulation import (
    EmulatorFaults,
    FaultAnswers,
    FaultControls,
    SsoVerifier,
    build_emulator_app,
)
from diary_gateway_demo.seed import World, Worlds

from .render import ElJurData, Envelope

__all__ = ["REGION", "create_emulator"]

REGION = "11"
ZONE = ZoneInfo("Europe/Moscow")
METHODS = frozenset(
    {
        "auth",
        "getusersvendors",
        "getrules",
        "getprofile",
        "getdiary",
        "getmarks",
        "gethomework",
        "getperiods",
        "getupdates",
        "getjournal",
        "getrings",
        "getschools",
        "getmessages",
        "getmessageinfo",
        "getmessagereceivers",
        "sendmessage",
        "sendreplymessage",
        "getboardnotices",
        "getboardnoticeinfo",
        "getmeetings",
        "setmeetingresponse",
    }
)
"""The methods served (see the package README for which are ЭлЖур's and which are ours)."""
_TOKEN_ISSUERS = frozenset(
    f"/{api}/{method}" for api in ("api", "apiv3") for method in ("auth", "getusersvendors")
)
_FAULT_STATES = {"internal_error": 500, "rate_limit": 429, "authentication_error": 401}
EXPIRED = "Ошибка авторизации: токен недействителен или истёк"


def _envelope(state: int, error: str) -> Envelope:
    return {"response": {"state": state, "error": error, "result": {}}}


def _fault_body(kind: str, description: str) -> Envelope:
    """An injected error in the envelope (the HTTP status says which)."""
    return _envelope(_FAULT_STATES.get(kind, 404), description)


def _answer(envelope: Envelope) -> Response:
    return JSONResponse(envelope, status_code=int(envelope["response"]["state"]))


class Emulator:
    """The emulator's state and request handlers (one per app)."""

    def __init__(
        self, world: World | Worlds, *, vendor: str, devkey: str, sso: SsoVerifier | None
    ) -> None:
        self._worlds = world
        self.sso = sso
        self.vendor = vendor
        self.devkey = devkey
        self._data: ElJurData | None = None

    @property
    def data(self) -> ElJurData:
        """The current world as ЭлЖур renders it (rebuilt when a new school year starts)."""
        worlds = self._worlds
        world = worlds if isinstance(worlds, World) else worlds.current()
        if self._data is None or self._data.world is not world:
            self._data = ElJurData(world, vendor=self.vendor, devkey=self.devkey)
        return self._data

    async def call(self, request: Request) -> Response:
        name = str(request.path_params["method"]).lower()
        if name not in METHODS:
            return _answer(_envelope(404, f"Метод {name} не найден"))
        params = dict(request.query_params)
        if request.method == "POST":
            body = (await request.body()).decode("utf-8", errors="replace")
            params.update(parse_qsl(body, keep_blank_values=True))
        if params.pop("out_format", "json") != "json":
            return _answer(_envelope(400, "Поддерживается только out_format=json"))
        method: Callable[..., Envelope] = getattr(self.data, name)
        accepted = inspect.signature(method).parameters
        missing = [
            p.name
            for p in accepted.values()
            if p.default is inspect.Parameter.empty and p.name not in params
        ]
        if missing:
            return _answer(_envelope(400, f"Не передан параметр {missing[0]}"))
        if name == "getusersvendors":
            # the ЕСИА token is checked here; the world knows people by its subject
            if self.sso is None:
                return _answer(_envelope(401, "Вход через ЕСИА не настроен"))
            subject = await self.sso.subject(params["v_token"].strip())
            if subject is None:
                return _answer(_envelope(401, "Недействительный токен ЕСИА"))
            params["v_token"] = subject
        return _answer(method(**{k: v for k, v in params.items() if k in accepted}))

    async def expire_tokens(self, request: Request) -> Response:
        self.data.expire_tokens()
        return JSONResponse({"success": True})

    def routes(self) -> list[Route]:
        return [
            Route("/apiv3/{method}", self.call, methods=["GET", "POST"]),
            Route("/api/{method}", self.call, methods=["GET", "POST"]),
            Route("/__admin/expire-tokens", self.expire_tokens, methods=["POST"]),
        ]


async def _on_http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Внутренняя ошибка сервера"
    return _answer(_envelope(status, str(detail)))


async def _on_crash(request: Request, exc: Exception) -> Response:
    return _answer(_envelope(500, "Внутренняя ошибка сервера"))


def create_emulator(
    *,
    world: World | None = None,
    clock: Clock = SYSTEM_CLOCK,
    faults: EmulatorFaults | None = None,
    vendor: str = "demo",
    devkey: str = "demo-devkey",
    sso_jwks_url: str | None = None,
) -> Starlette:
    """The emulator app.

    Args:
        world: a fixed demo world to serve (default: region 11's world of whatever school
            year ``clock`` is in, moving to the next year by itself).
        clock: the clock of the default world (default: the system clock).
        faults: the faults to start with (also what ``/__admin/reset`` goes back to).
        vendor: the regional installation's vendor (each school also has its own).
        devkey: the developer key every call must carry.
        sso_jwks_url: the JWKS URL of the trusted national SSO issuer, whose tokens
            ``getusersvendors`` takes as ``v_token``; without it that exchange answers 401.
    """
    worlds: World | Worlds = world if world is not None else Worlds(REGION, clock=clock, zone=ZONE)
    controls = FaultControls(initial=faults or EmulatorFaults(), spared=_TOKEN_ISSUERS)
    sso = SsoVerifier(sso_jwks_url) if sso_jwks_url else None
    emulator = Emulator(worlds, vendor=vendor, devkey=devkey, sso=sso)
    app = build_emulator_app(
        emulator.routes(),
        controls=controls,
        answers=FaultAnswers(body=_fault_body, expired=EXPIRED),
        reset=lambda: emulator.data.reset(),
        exception_handlers={HTTPException: _on_http_error, Exception: _on_crash},
    )
    app.state.emulator = emulator
    return app
