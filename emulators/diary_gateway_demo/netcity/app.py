"""The «Сетевой город» emulator: a Starlette app speaking NetSchool ``webapi`` over HTTP.

Paths, the ``at`` header and the login flow follow ``regional-diary-apis.md`` §2:
``GET /webapi/logindata`` (sets ``NSSESSIONID``), ``POST /webapi/auth/getdata``
(``{lt, ver, salt}``), ``POST /webapi/login`` (form ``loginType=1, scid, un, pw, pw2, lt,
ver``; ``pw2 = md5(salt + md5(password in windows-1251))``, ``pw = pw2[:len(password)]``;
``{at, timeOut}`` or 409 ``{message}``), then the ``at`` header on every call. The national
SSO exchange, the staff calls, the students' cards, the bells and the login form's school
list are not public in the real system: their paths and shapes are invented (see
``adapters/netcity/README.md``). Refusals are ``{"message"}`` with the status; routes,
faults, stats and tokens come from :mod:`diary_gateway_demo.emulation`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qsl

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

from .data import NetCityData, NetCityError

__all__ = ["LOGIN_PATHS", "create_emulator", "password_hashes"]

REGION = "74"
ZONE = "Asia/Yekaterinburg"
API = "/webapi"
LOGIN_PATHS = frozenset(
    {f"{API}/logindata", f"{API}/auth/getdata", f"{API}/login", f"{API}/sso/esia/exchange"}
)
"""The calls that sign in: spared the injected 401."""
EXPIRED = "Сессия завершена. Войдите в систему заново"
VERSION = "5.40"
_MAX_PENDING_LOGINS = 10_000


def password_hashes(password: str, salt: str) -> tuple[str, str]:
    """``(pw, pw2)`` of the login form: ``pw2 = md5(salt + md5(password))``, ``pw`` its head."""
    inner = hashlib.md5(password.encode("windows-1251", "replace")).hexdigest()  # noqa: S324
    pw2 = hashlib.md5((salt + inner).encode()).hexdigest()  # noqa: S324 -- the protocol's
    return pw2[: len(password)], pw2


def _message(kind: str, description: str) -> dict[str, Any]:
    return {"message": description}


class Emulator:
    """The emulator's state and request handlers (one per app)."""

    def __init__(
        self,
        world: World | Worlds,
        *,
        sso: SsoVerifier | None,
        token_ttl_calls: int | None,
        clock: Clock,
    ) -> None:
        self._worlds = world
        self.sso = sso
        self.clock = clock
        self.token_ttl_calls = token_ttl_calls
        self._data: NetCityData | None = None
        self._salts: dict[str, str] = {}

    @property
    def world(self) -> World:
        worlds = self._worlds
        return worlds if isinstance(worlds, World) else worlds.current()

    @property
    def data(self) -> NetCityData:
        """The current world as «Сетевой город» renders it (new each school year)."""
        world = self.world
        if self._data is None or self._data.world is not world:
            self._data = NetCityData(world, calls_per_token=self.token_ttl_calls, clock=self.clock)
        return self._data

    def reset(self) -> None:
        self._data = None
        self._salts.clear()

    # -- helpers -----------------------------------------------------------------------

    @staticmethod
    def _at(request: Request) -> str:
        at = request.headers.get("at", "").strip()
        if not at:
            raise NetCityError(401, "Требуется авторизация")
        return at

    @staticmethod
    def _int(request: Request, name: str) -> int:
        raw = request.query_params.get(name, "")
        if not raw.isascii() or not raw.isdigit():
            raise NetCityError(400, f"Неверное значение параметра {name}")
        return int(raw)

    @staticmethod
    def _text(request: Request, name: str) -> str:
        value = request.query_params.get(name)
        if not value:
            raise NetCityError(400, f"Не передан параметр {name}")
        return value

    @staticmethod
    async def _json(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise NetCityError(400, "Тело запроса не JSON") from None
        if not isinstance(body, dict):
            raise NetCityError(400, "Тело запроса должно быть объектом")
        return body

    @staticmethod
    def _answer(body: bytes) -> Response:
        return Response(body, media_type="application/json")

    # -- signing in --------------------------------------------------------------------

    async def logindata(self, request: Request) -> Response:
        response = JSONResponse({"productName": "Сетевой Город. Образование", "version": VERSION})
        response.set_cookie("NSSESSIONID", secrets.token_hex(16), httponly=True)
        return response

    async def getdata(self, request: Request) -> Response:
        if len(self._salts) >= _MAX_PENDING_LOGINS:
            self._salts.clear()
        lt, salt = str(secrets.randbelow(10**9)), str(secrets.randbelow(10**9))
        self._salts[lt] = salt
        return JSONResponse({"lt": lt, "ver": VERSION, "salt": salt})

    async def login(self, request: Request) -> Response:
        # application/x-www-form-urlencoded, parsed here (no multipart dependency)
        fields = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        salt = self._salts.pop(fields.get("lt", ""), None)
        if fields.get("loginType") != "1" or salt is None:
            raise NetCityError(409, "Сеанс входа устарел. Обновите страницу")
        given = fields.get("pw2", "")

        def matches(password: str) -> bool:
            return secrets.compare_digest(password_hashes(password, salt)[1], given)

        school = fields.get("scid") or None
        return self._answer(await self.data.login(school, fields.get("un", ""), matches))

    async def esia_exchange(self, request: Request) -> Response:
        """Invented: a partner exchange of a national SSO token (Bearer) for an ``at``."""
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not bearer.strip():
            raise NetCityError(401, "Требуется токен ЕСИА")
        if self.sso is None:
            raise NetCityError(401, "Вход через ЕСИА не настроен")
        subject = await self.sso.subject(bearer.strip())
        if subject is None:
            raise NetCityError(401, "Недействительный токен ЕСИА")
        return self._answer(await self.data.esia_login(subject))

    async def esia_bind(self, request: Request) -> Response:
        """Ours: bind the national SSO identity (Bearer) to a student's parent record."""
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not bearer.strip() or self.sso is None:
            raise NetCityError(401, "Требуется токен ЕСИА")
        subject = await self.sso.subject(bearer.strip())
        if subject is None:
            raise NetCityError(401, "Недействительный токен ЕСИА")
        student = (await self._json(request)).get("studentId")
        if not isinstance(student, int) or isinstance(student, bool):
            raise NetCityError(400, "studentId: число")
        return self._answer(await self.data.esia_bind(subject, student))

    async def logout(self, request: Request) -> Response:
        self.data.logout(self._at(request))
        return Response(status_code=204)

    # -- public ------------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        return self._answer(await self.data.login_form_schools())

    async def schools_search(self, request: Request) -> Response:
        return self._answer(await self.data.schools_search(request.query_params.get("name")))

    async def bells(self, request: Request) -> Response:
        return self._answer(await self.data.bell_schedule(request.path_params["school_id"]))

    async def assignment_types(self, request: Request) -> Response:
        return self._answer(await self.data.assignment_types())

    # -- the signed-in user ------------------------------------------------------------

    async def context(self, request: Request) -> Response:
        return self._answer(await self.data.context(self._at(request)))

    async def diary_init(self, request: Request) -> Response:
        return self._answer(await self.data.diary_init(self._at(request)))

    async def student_cards(self, request: Request) -> Response:
        at = self._at(request)
        ids = (await self._json(request)).get("studentIds")
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            raise NetCityError(400, "studentIds: список чисел")
        return self._answer(await self.data.student_cards(at, ids))

    async def diary(self, request: Request) -> Response:
        at = self._at(request)
        student = self._int(request, "studentId")
        start, end = self._text(request, "weekStart"), self._text(request, "weekEnd")
        return self._answer(await self.data.student_diary(at, student, start, end))

    async def remarks(self, request: Request) -> Response:
        at = self._at(request)
        student = self._int(request, "studentId")
        start, end = self._text(request, "weekStart"), self._text(request, "weekEnd")
        return self._answer(await self.data.student_remarks(at, student, start, end))

    async def assignment_done(self, request: Request) -> Response:
        at = self._at(request)
        student = self._int(request, "studentId")
        done = (await self._json(request)).get("done")
        if not isinstance(done, bool):
            raise NetCityError(400, "done: true или false")
        assignment = request.path_params["assignment_id"]
        return self._answer(await self.data.set_assignment_done(at, student, assignment, done))

    async def teacher_groups(self, request: Request) -> Response:
        return self._answer(await self.data.teacher_groups(self._at(request)))

    async def school_classes(self, request: Request) -> Response:
        return self._answer(await self.data.school_classes(self._at(request)))

    async def journal(self, request: Request) -> Response:
        at = self._at(request)
        group = request.path_params["group_id"]
        start, end = self._text(request, "start"), self._text(request, "end")
        return self._answer(await self.data.journal(at, group, start, end))

    def routes(self) -> list[Route]:
        return [
            Route(f"{API}/logindata", self.logindata),
            Route(f"{API}/auth/getdata", self.getdata, methods=["POST"]),
            Route(f"{API}/login", self.login, methods=["POST"]),
            Route(f"{API}/sso/esia/exchange", self.esia_exchange, methods=["POST"]),
            Route(f"{API}/sso/esia/bind", self.esia_bind, methods=["POST"]),
            Route(f"{API}/auth/logout", self.logout, methods=["POST"]),
            Route(f"{API}/prepareloginform", self.login_form),
            Route(f"{API}/schools/search", self.schools_search),
            Route(f"{API}/schools/{{school_id:int}}/bells", self.bells),
            Route(f"{API}/grade/assignment/types", self.assignment_types),
            Route(f"{API}/context", self.context),
            Route(f"{API}/student/diary/init", self.diary_init),
            Route(f"{API}/student/cards", self.student_cards, methods=["POST"]),
            Route(f"{API}/student/diary", self.diary),
            Route(f"{API}/student/remarks", self.remarks),
            Route(
                f"{API}/student/diary/assigns/{{assignment_id:int}}/done",
                self.assignment_done,
                methods=["POST"],
            ),
            Route(f"{API}/teacher/groups", self.teacher_groups),
            Route(f"{API}/school/classes", self.school_classes),
            Route(f"{API}/subjectgroups/{{group_id:int}}/journal", self.journal),
        ]


def _refused(message: str) -> NetCityError:
    return NetCityError(400, message)


async def _on_refusal(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, NetCityError)  # noqa: S101 -- registered for NetCityError only
    return JSONResponse({"message": exc.message}, status_code=exc.status)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 -- registered for HTTPException only
    return JSONResponse({"message": str(exc.detail)}, status_code=exc.status_code)


async def _on_crash(request: Request, exc: Exception) -> Response:
    return JSONResponse({"message": "Внутренняя ошибка сервера"}, status_code=500)


def create_emulator(
    *,
    world: World | None = None,
    clock: Clock = SYSTEM_CLOCK,
    sso_jwks_url: str | None = None,
    faults: EmulatorFaults | None = None,
    token_ttl_calls: int | None = None,
) -> Starlette:
    """The emulator app.

    Args:
        world: a fixed demo world to serve (default: region 74's world of whatever school
            year ``clock`` is in, moving to the next year by itself).
        clock: the clock of the default world and of token expiry.
        sso_jwks_url: the JWKS URL of the trusted national SSO issuer; without it the
            ESIA exchange answers 401.
        faults: the faults to start with (also what ``/__admin/reset`` goes back to).
        token_ttl_calls: if set, an ``at`` is refused (401) after this many calls.
    """
    from zoneinfo import ZoneInfo

    worlds: World | Worlds = (
        world if world is not None else Worlds(REGION, clock=clock, zone=ZoneInfo(ZONE))
    )
    emulator = Emulator(
        worlds,
        sso=SsoVerifier(sso_jwks_url) if sso_jwks_url else None,
        token_ttl_calls=token_ttl_calls,
        clock=clock,
    )
    controls = FaultControls(initial=faults or EmulatorFaults(), spared=LOGIN_PATHS)
    app = build_emulator_app(
        emulator.routes(),
        controls=controls,
        answers=FaultAnswers(body=_message, expired=EXPIRED),
        reset=emulator.reset,
        refuse=_refused,
        exception_handlers={
            NetCityError: _on_refusal,
            HTTPException: _on_http_error,
            Exception: _on_crash,
        },
    )
    app.state.emulator = emulator
    return app
