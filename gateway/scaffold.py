"""``diary-gateway new-adapter SLUG``: a new adapter's package, emulator and harness, generated.

:func:`scaffold` writes, under a checkout of this repository (``--into``, default the
current directory):

- ``adapters/<slug>/`` — ``adapter.py`` (a :class:`~adapters.base.DiaryAdapter` on the HTTP
  adapter base: :class:`~adapters.transport.JsonClient`,
  :class:`~adapters.sessions.ProviderSessions`, :func:`~adapters.batches.per_student`),
  ``client.py`` (one method per provider call), ``parsing.py`` (pure), ``config.py``,
  ``README.md`` (what to fill in);
- ``emulators/diary_gateway_demo/<slug>/`` — an emulator on ``diary_gateway_demo.emulation``
  (the simulators' distribution, never in the gateway's) serving a minimal slice of the seed
  world (the family's profile, student cards, lessons) in an invented JSON shape, to be
  replaced by the real system's;
- ``tests/adapters/harnesses/<slug>.py`` — the contract harness (emulator on uvicorn);

and prints the ``[regions.CODE]`` block and the ``ADAPTERS`` line to add. The output passes
``scripts/check`` and the contract's checks as generated (``tests/gateway/test_scaffold.py``).
"""

from __future__ import annotations

import argparse
import keyword
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

__all__ = ["ScaffoldError", "Scaffolded", "add_parser", "files_for", "scaffold"]

_SLUG = re.compile(r"[a-z][a-z0-9_]{0,29}", re.ASCII)
_REGION = re.compile(r"[0-9]{1,3}", re.ASCII)
DEFAULT_REGION = "99"
"""The region code a new adapter's harness and config block use unless ``--region`` says."""


class ScaffoldError(ValueError):
    """The slug, region or target directory cannot take a new adapter (the message says why)."""


@dataclass(frozen=True, slots=True)
class Scaffolded:
    """What :func:`scaffold` wrote and what to add by hand."""

    files: tuple[Path, ...]
    config_block: str
    registry_line: str


def class_prefix(slug: str) -> str:
    """``my_region`` → ``MyRegion``: the prefix of the generated class names."""
    return "".join(part[:1].upper() + part[1:] for part in slug.split("_") if part)


def check_slug(slug: str, root: Path) -> None:
    """Refuse a slug that is not a lowercase identifier or names something that exists."""
    if not _SLUG.fullmatch(slug) or not slug.isidentifier() or keyword.iskeyword(slug):
        raise ScaffoldError(
            f"invalid adapter slug {slug!r}: use a lowercase Python identifier "
            "of at most 30 characters (a letter, then letters, digits or _), e.g. dnevnik"
        )
    from adapters.registry import available_adapters

    if slug in available_adapters():
        raise ScaffoldError(f"adapter {slug!r} exists already (registered: {slug!r})")
    for taken in (
        root / "adapters" / slug,
        root / "adapters" / f"{slug}.py",
        root / "emulators" / "diary_gateway_demo" / slug,
        root / "tests" / "adapters" / "harnesses" / f"{slug}.py",
    ):
        if taken.exists():
            raise ScaffoldError(f"adapter {slug!r} exists already: {taken} is there")


def files_for(slug: str, region: str) -> dict[str, str]:
    """The generated files: path relative to the checkout → text."""
    cls = class_prefix(slug)
    values = {"slug": slug, "cls": cls, "region": region, "harness_imports": _imports(slug, cls)}
    return {
        path.replace("SLUG", slug): Template(text).substitute(values)
        for path, text in _TEMPLATES.items()
    }


def _imports(slug: str, cls: str) -> str:
    """The harness's first-party imports, in ruff's order (where the slug sorts varies)."""
    lines = {
        "adapters": "AdapterDeps, Caller, Clock, DiaryAdapter, DirectRunner, Fault, RegionInfo",
        "adapters.contract": "Harness as ContractHarness",
        f"adapters.{slug}": f"{cls}Adapter",
        f"adapters.{slug}.config": f"{cls}Config",
        f"diary_gateway_demo.{slug}": "SEED_REGION, ZONE, create_emulator",
        "diary_gateway_demo.seed": "World, national_id",
        "gateway.dev_issuer": "DevIssuer",
        "tests.adapters.harnesses.emulated": "EmulatorAdmin",
        "tests.adapters.harnesses.moscow": "JWKS_PATH, SSO_AUDIENCE, with_jwks",
        "tests.servers": "free_port, serve_app",
    }
    return "\n".join(f"from {module} import {names}" for module, names in sorted(lines.items()))


def config_block(slug: str, region: str) -> str:
    return Template(_CONFIG_BLOCK).substitute(slug=slug, region=region)


def registry_line(slug: str) -> str:
    return f'    "{slug}": "adapters.{slug}:{class_prefix(slug)}Adapter",'


def scaffold(slug: str, *, region: str = DEFAULT_REGION, into: Path | None = None) -> Scaffolded:
    """Write a new adapter's files under ``into`` (a checkout; default: the current directory).

    Raises:
        ScaffoldError: a bad slug or region, a slug that exists, or ``into`` is no checkout.
    """
    root = Path.cwd() if into is None else into
    if not _REGION.fullmatch(region):
        raise ScaffoldError(f"invalid region code {region!r}: one to three digits, e.g. 52")
    if not (root / "adapters").is_dir():
        raise ScaffoldError(
            f"{root} has no adapters/ directory: run from a checkout of diary-gateway or "
            "pass --into CHECKOUT"
        )
    check_slug(slug, root)
    written: list[Path] = []
    for relative, text in files_for(slug, region).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return Scaffolded(tuple(written), config_block(slug, region), registry_line(slug))


def add_parser(sub: Any) -> None:
    """The ``new-adapter`` subcommand."""
    parser = sub.add_parser(
        "new-adapter",
        help="generate a new adapter: package, emulator, contract harness (docs/adapter-guide.md)",
    )
    parser.add_argument("slug", help="the adapter's slug, a lowercase identifier (e.g. dnevnik)")
    parser.add_argument(
        "--region", default=DEFAULT_REGION, help=f"the region code (default {DEFAULT_REGION})"
    )
    parser.add_argument(
        "--into", type=Path, default=None, help="the checkout to write into (default: .)"
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    try:
        done = scaffold(args.slug, region=args.region, into=args.into)
    except ScaffoldError as exc:
        print(f"diary-gateway: {exc}", file=sys.stderr)
        return 2
    root = Path.cwd() if args.into is None else args.into
    print("wrote:")
    for path in done.files:
        print(f"  {path.relative_to(root)}")
    print("\nadd to ADAPTERS in adapters/registry.py:\n")
    print(done.registry_line)
    print("\nadd to your config (TOML):\n")
    print(done.config_block)
    print(
        f"then: .venv/bin/pytest tests/adapters -k {args.slug}   (the contract suite)\n"
        f"      scripts/check\n"
        f"and fill in what adapters/{args.slug}/README.md lists (docs/adapter-guide.md)."
    )
    return 0


_CONFIG_BLOCK = """\
[regions.${region}]
adapter = "${slug}"
name = "FILL IN: the region's name"
timezone = "Asia/Yekaterinburg"  # the region's IANA zone
diary_url = "https://diary.example.invalid"  # FILL IN: the system's public site
# the system's API; the emulator: python -m diary_gateway_demo.${slug} --port 8090
base_url = "http://127.0.0.1:8090"
"""

_TEMPLATES: dict[str, str] = {}

_TEMPLATES["adapters/SLUG/__init__.py"] = '''\
"""${cls}: the adapter over HTTP (its emulator: ``diary_gateway_demo.${slug}``).

FILL IN: the system's name.
"""

from __future__ import annotations

from .adapter import ${cls}Adapter

__all__ = ["${cls}Adapter"]
'''

_TEMPLATES["adapters/SLUG/config.py"] = '''\
"""Settings of a ${cls} region.

The ``[regions.CODE]`` keys the adapter owns.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.settings import SettingsError

__all__ = ["${cls}Config"]


@dataclass(frozen=True, slots=True)
class ${cls}Config:
    """How to reach one installation of the system.

    Attributes:
        base_url: where its API lives; every path of :mod:`.client` is appended. Empty:
            the region's ``diary_url``.
    """

    base_url: str = ""

    def __post_init__(self) -> None:
        if self.base_url and not self.base_url.startswith(("http://", "https://")):
            raise SettingsError("base_url", "an http(s) URL", self.base_url)
'''

_TEMPLATES["adapters/SLUG/client.py"] = '''\
"""The system's calls over the injected ``httpx.AsyncClient``: one method per call.

:class:`~adapters.transport.JsonClient` sends them, maps error answers to the adapter's
error tree (401, 403, 404, 429 with ``Retry-After``, 5xx) and decodes the JSON. Paths are
built with :func:`~adapters.paths.provider_path` only. FILL IN: the real system's paths,
headers and auth; override ``JsonClient.error_detail``/``unwrap`` where it words errors
or wraps answers differently.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from adapters.paths import provider_path
from adapters.transport import JsonClient

__all__ = ["${cls}Client"]

_API = ("api", "v1")


class ${cls}Client:
    """Typed calls; each returns the decoded JSON of a successful answer."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, *, provider: str) -> None:
        self._json = JsonClient(http, base_url, provider=provider)

    @staticmethod
    def _bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    async def exchange(self, sso_token: str) -> Any:
        """The national SSO token for the system's own access token (invented: README)."""
        return await self._json.post(
            provider_path(*_API, "auth", "sso"), headers=self._bearer(sso_token)
        )

    async def schools(self) -> Any:
        return await self._json.get(provider_path(*_API, "schools"))

    async def me(self, token: str) -> Any:
        return await self._json.get(provider_path(*_API, "me"), headers=self._bearer(token))

    async def student(self, token: str, student_id: str) -> Any:
        return await self._json.get(
            provider_path(*_API, "students", student_id), headers=self._bearer(token)
        )

    async def lessons(self, token: str, student_id: str, start: date, end: date) -> Any:
        return await self._json.get(
            provider_path(*_API, "students", student_id, "lessons"),
            params={"from": start.isoformat(), "to": end.isoformat()},
            headers=self._bearer(token),
        )
'''

_TEMPLATES["adapters/SLUG/parsing.py"] = '''\
"""Pure functions from the system's JSON to :mod:`adapters.models`: no I/O here.

A payload missing a field a function needs raises ``KeyError``/``TypeError``/``ValueError``,
which the adapter base turns into :class:`~adapters.errors.ProviderResponseError`. Dates
come as ``YYYY-MM-DD``, lesson times as local ``HH:MM`` of the region (made aware in the zone
passed in). FILL IN: the real system's shapes; marks (``adapters.scales``) when you add
:attr:`~adapters.capabilities.Capability.MARKS`.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from typing import Any

from adapters.models import (
    Child,
    Lesson,
    Person,
    RegionProfile,
    Role,
    RoleGrant,
    School,
    Student,
    Subject,
    Teacher,
)

__all__ = [
    "parse_lessons",
    "parse_person",
    "parse_profile",
    "parse_schools",
    "parse_student",
    "parse_token",
]

_ROLES = {"parent": Role.PARENT}
"""The system's role names → the gateway's (FILL IN: staff and student roles)."""


def parse_token(payload: Any) -> tuple[str, float | None]:
    """``(access token, lifetime in seconds or None)`` of a sign-in answer."""
    token = payload["access_token"]
    if not isinstance(token, str) or not token:
        raise ValueError("no access_token")
    lifetime = payload.get("expires_in")
    return token, None if lifetime is None else float(lifetime)


def parse_person(payload: Any) -> Person:
    return Person(
        id=str(payload["id"]),
        last_name=str(payload["last_name"]),
        first_name=str(payload["first_name"]),
        middle_name=payload.get("middle_name") or None,
    )


def parse_student(payload: Any) -> Student:
    return Student(
        id=str(payload["id"]),
        person=parse_person(payload),
        school_id=str(payload["school_id"]),
        class_unit_id=str(payload["class_id"]),
        class_name=str(payload["class_name"]),
    )


def parse_profile(payload: Any) -> RegionProfile:
    """``/me``: the person, their roles and (for parents) their children."""
    roles = tuple(RoleGrant(_ROLES[name]) for name in payload["roles"] if name in _ROLES)
    children = tuple(
        Child(parse_student(c["student"]), bool(c["legal_representative"]))
        for c in payload.get("children", ())
    )
    return RegionProfile(person=parse_person(payload["person"]), roles=roles, children=children)


def parse_schools(payload: Any) -> list[School]:
    return [
        School(
            id=str(s["id"]),
            name=str(s["name"]),
            short_name=s.get("short_name") or None,
            address=s.get("address") or None,
        )
        for s in payload["schools"]
    ]


def _at(day: date, hhmm: str, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=zone)


def _teacher(payload: Any) -> Teacher | None:
    return None if payload is None else Teacher(str(payload["id"]), parse_person(payload))


def parse_lessons(payload: Any, *, zone: tzinfo) -> list[Lesson]:
    """A student's lessons, sorted by day and number."""
    lessons: list[Lesson] = []
    for item in payload["lessons"]:
        day = date.fromisoformat(item["date"])
        lessons.append(
            Lesson(
                id=str(item["id"]),
                date=day,
                number=int(item["number"]),
                starts_at=_at(day, item["start"], zone),
                ends_at=_at(day, item["end"], zone),
                subject=Subject(str(item["subject"]["id"]), str(item["subject"]["name"])),
                teacher=_teacher(item.get("teacher")),
                room=item.get("room") or None,
                topic=item.get("topic") or None,
                cancelled=bool(item.get("cancelled", False)),
                replaced=bool(item.get("replaced", False)),
                remote=bool(item.get("remote", False)),
            )
        )
    return sorted(lessons, key=lambda le: (le.date, le.number))
'''

_TEMPLATES["adapters/SLUG/adapter.py"] = '''\
"""The adapter of ${cls} regions, on the HTTP adapter base.

It exchanges each caller's national SSO token for the system's own token once
(:class:`~adapters.sessions.ProviderSessions`: kept for its lifetime, renewed once on a 401,
single flight), sends one request per student (:func:`~adapters.batches.per_student`: an
unknown or refused student fails only their slot) and hands the JSON to :mod:`.parsing`.
FILL IN: declare more capabilities as you implement their hooks (``_fetch_marks`` …).
"""

from __future__ import annotations

from typing import ClassVar

from ..base import AdapterDeps, BatchResult, DiaryAdapter, RegionInfo
from ..batches import per_student
from ..capabilities import Capability
from ..errors import AuthenticationError, NotFoundError
from ..models import Caller, DateRange, Lesson, LoginMethod, RegionProfile, School, Student
from ..native_ids import DIGITS, IdKind, NativeIdShapes
from ..sessions import Grant, ProviderSessions
from . import parsing
from .client import ${cls}Client
from .config import ${cls}Config

__all__ = ["${cls}Adapter"]

_TOKEN_MARGIN_S = 60.0


class ${cls}Adapter(DiaryAdapter):
    """FILL IN: one line on the system (who runs it, where)."""

    slug = "${slug}"
    diary_system = "${cls} (FILL IN: the system's name)"
    capabilities = frozenset({Capability.PROFILE, Capability.SCHEDULE})
    login_methods = (LoginMethod.NATIONAL_SSO,)
    config_model = ${cls}Config
    native_ids: ClassVar[NativeIdShapes] = {
        # an undeclared kind of id is always refused before any hook runs
        IdKind.STUDENT: DIGITS,
        IdKind.SCHOOL: DIGITS,
    }

    def __init__(
        self,
        *,
        region: RegionInfo,
        config: ${cls}Config,
        deps: AdapterDeps,
    ) -> None:
        super().__init__(region=region, config=config, deps=deps)
        if deps.http is None:
            raise ValueError(f"the {self.slug} adapter needs deps.http (an httpx.AsyncClient)")
        base_url = config.base_url or region.diary_url
        if not base_url:
            raise ValueError(f"the {self.slug} adapter needs base_url (or the region's diary_url)")
        self._client = ${cls}Client(deps.http, base_url, provider=self.slug)
        self._sessions: ProviderSessions[str] = ProviderSessions(
            provider=self.slug, obtain=self._obtain, expiry_margin=_TOKEN_MARGIN_S
        )

    async def _obtain(self, caller: Caller) -> Grant[str]:
        if caller.person_id is None or not caller.sso_token:
            raise AuthenticationError("the caller is not signed in", provider=self.slug)
        token, lifetime = parsing.parse_token(await self._client.exchange(caller.sso_token))
        return Grant(token, expires_in=lifetime)

    # -- hooks -------------------------------------------------------------------------

    async def _list_schools(self) -> list[School]:
        return parsing.parse_schools(await self._client.schools())

    async def _fetch_profile(self, caller: Caller) -> RegionProfile | None:
        if caller.person_id is None:
            return None
        try:
            payload = await self._sessions.call(caller, self._client.me)
        except NotFoundError:  # the system has no account for this person
            self._sessions.forget(caller)
            return None
        return parsing.parse_profile(payload)

    async def _fetch_students(self, caller: Caller, student_ids: list[str]) -> BatchResult[Student]:
        async def one(student_id: str) -> Student:
            payload = await self._sessions.call(
                caller, lambda token: self._client.student(token, student_id)
            )
            return parsing.parse_student(payload)

        return await per_student(student_ids, one)

    async def _fetch_diaries(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Lesson]]:
        async def one(student_id: str) -> list[Lesson]:
            payload = await self._sessions.call(
                caller, lambda token: self._client.lessons(token, student_id, days.start, days.end)
            )
            return parsing.parse_lessons(payload, zone=self.region.timezone)

        return await per_student(student_ids, one)
'''

_TEMPLATES["adapters/SLUG/README.md"] = """\
# ${slug}

FILL IN: the system (who makes it, which regions run it, where its API is documented).
Generated by `diary-gateway new-adapter ${slug}`; see
[the adapter authoring guide](../../docs/adapter-guide.md).

## What to fill in

1. `client.py`: the real system's paths, headers and sign-in (the generated ones —
   `POST /api/v1/auth/sso`, `GET /api/v1/me`, `/api/v1/schools`, `/api/v1/students/{id}`,
   `/api/v1/students/{id}/lessons?from=&to=` — are **invented**, as is the emulator's JSON).
2. `parsing.py`: the real JSON shapes; the system's role names in `_ROLES`.
3. `adapter.py`: `diary_system`, `native_ids` (the real shapes of its ids), and more
   `capabilities` as you implement their hooks (`_fetch_marks`, `_fetch_journal`, …; see
   `adapters/base.py`). Marks: the system's own conversion where it gives one, else
   `adapters.scales.COMMON_TABLE`; say which here.
4. `emulators/diary_gateway_demo/${slug}/` (the simulators' distribution, not the gateway's):
   the same API as the real system, over the seed world (`diary_gateway_demo.seed`); for every
   call you add, its route, and for staff roles the personas in the harness.
5. `tests/adapters/harnesses/${slug}.py`: `personas` (the generated emulator models the
   family only: `parent`, `parent-not-representative`).
6. This README: auth, quirks, how marks convert, which endpoints are invented.

## Auth

Invented: the national SSO token (Bearer) is exchanged at `POST /api/v1/auth/sso` for
`{access_token, expires_in}`; every call then sends `Authorization: Bearer <access_token>`.

## Marks

Not yet: the adapter declares `profile` and `schedule` only.
"""

_TEMPLATES["emulators/diary_gateway_demo/SLUG/__init__.py"] = '''\
"""An HTTP emulator of ${cls} (simulator code: the adapter never imports it).

``create_emulator()`` returns a Starlette app on :mod:`diary_gateway_demo.emulation`;
``python -m diary_gateway_demo.${slug} --port 8090`` serves it.
"""

from __future__ import annotations

from .app import SEED_REGION, ZONE, create_emulator, emulator_main

__all__ = ["SEED_REGION", "ZONE", "create_emulator", "emulator_main"]
'''

_TEMPLATES["emulators/diary_gateway_demo/SLUG/__main__.py"] = '''\
"""Serve the emulator: ``python -m diary_gateway_demo.${slug}``.

Options: ``--host H``, ``--port N``, ``--sso-jwks URL``.
"""

from __future__ import annotations

import argparse

from .app import emulator_main

parser = argparse.ArgumentParser(prog="python -m diary_gateway_demo.${slug}")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=8090)
parser.add_argument("--sso-jwks", default=None, help="JWKS URL of the trusted SSO issuer")
args = parser.parse_args()
emulator_main(port=args.port, host=args.host, sso_jwks=args.sso_jwks)
'''

_TEMPLATES["emulators/diary_gateway_demo/SLUG/app.py"] = '''\
"""The ${cls} emulator: a slice of the seed world in an invented JSON API.

It serves the family's side of :data:`SEED_REGION`'s demo world (a region of
:mod:`diary_gateway_demo.seed` with the demo family): the sign-in exchange of a national
SSO token, ``/me``, the schools, student cards and lessons. Routes, faults, stats and the
``/__admin`` API come from :mod:`diary_gateway_demo.emulation`; refusals are
``{"message"}`` with the status. FILL IN: the real system's paths and shapes (and its README
says which are invented).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
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
    PersonaTokens,
    SsoVerifier,
    build_emulator_app,
)
from diary_gateway_demo.seed import SeedPerson, SeedStudent, World, Worlds

__all__ = ["SEED_REGION", "ZONE", "create_emulator", "emulator_main"]

SEED_REGION = "74"
"""The seed world served (one with the demo family: 74, 11 or 77)."""
ZONE = "Asia/Yekaterinburg"
"""Its zone (lesson times are local)."""
API = "/api/v1"
SIGN_IN = frozenset({f"{API}/auth/sso"})
"""The calls that sign in: spared the injected 401."""
TOKEN_LIFETIME_S = 3600
MAX_DAYS = 62


class Refused(Exception):
    """An error answer: ``{"message"}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _person(person: SeedPerson) -> dict[str, Any]:
    return {
        "id": person.key,
        "last_name": person.last_name,
        "first_name": person.first_name,
        "middle_name": person.middle_name,
    }


class Emulator:
    """The emulator's state and handlers (one per app)."""

    def __init__(self, worlds: World | Worlds, *, sso: SsoVerifier | None, clock: Clock) -> None:
        self._worlds = worlds
        self.sso = sso
        self.tokens: PersonaTokens[str] = PersonaTokens(lifetime=TOKEN_LIFETIME_S, clock=clock)

    @property
    def world(self) -> World:
        worlds = self._worlds
        return worlds if isinstance(worlds, World) else worlds.current()

    def reset(self) -> None:
        self.tokens.clear()

    # -- helpers -----------------------------------------------------------------------

    @staticmethod
    def _bearer(request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(401, "authorization required")
        return token.strip()

    def _caller(self, request: Request) -> SeedPerson:
        subject = self.tokens.resolve(self._bearer(request))
        person = None if subject is None else self.world.people_by_national_id().get(subject)
        if person is None:
            raise Refused(401, "session ended: sign in again")
        return person

    def _student(self, request: Request, *, legal: bool) -> SeedStudent:
        person = self._caller(request)
        raw = str(request.path_params["student_id"])
        student = self.world.students.get(int(raw)) if raw.isdigit() else None
        if student is None:
            raise Refused(404, "no such student")
        links = {s.id: is_legal for s, is_legal in self.world.children_of(person.key)}
        if student.id not in links or (legal and not links[student.id]):
            raise Refused(403, "not your student")
        return student

    def _card(self, student: SeedStudent) -> dict[str, Any]:
        return {
            **_person(student.person),
            "id": student.id,
            "school_id": student.school_id,
            "class_id": student.class_id,
            "class_name": self.world.classes[student.class_id].name,
        }

    @staticmethod
    def _day(request: Request, name: str) -> date:
        try:
            return date.fromisoformat(request.query_params[name])
        except (KeyError, ValueError):
            raise Refused(400, f"{name}: a date, YYYY-MM-DD") from None

    # -- routes ------------------------------------------------------------------------

    async def sign_in(self, request: Request) -> Response:
        """Invented: a national SSO token (Bearer) for an access token."""
        token = self._bearer(request)
        subject = None if self.sso is None else await self.sso.subject(token)
        if subject is None:
            raise Refused(401, "invalid SSO token")
        person = self.world.people_by_national_id().get(subject)
        if person is None or not self.world.children_of(person.key):
            raise Refused(404, "no account for this person")
        issued = self.tokens.issue(subject)
        return JSONResponse({"access_token": issued, "expires_in": TOKEN_LIFETIME_S})

    async def schools(self, request: Request) -> Response:
        schools = [
            {"id": s.id, "name": s.name, "short_name": s.short_name, "address": s.address}
            for s in self.world.schools
        ]
        return JSONResponse({"schools": schools})

    async def me(self, request: Request) -> Response:
        person = self._caller(request)
        children = [
            {"student": self._card(student), "legal_representative": legal}
            for student, legal in self.world.children_of(person.key)
        ]
        roles = ["parent"] if children else []
        return JSONResponse({"person": _person(person), "roles": roles, "children": children})

    async def student(self, request: Request) -> Response:
        return JSONResponse(self._card(self._student(request, legal=False)))

    async def lessons(self, request: Request) -> Response:
        student = self._student(request, legal=True)
        start, end = self._day(request, "from"), self._day(request, "to")
        if end < start or (end - start).days > MAX_DAYS:
            raise Refused(400, f"from..to: at most {MAX_DAYS} days, in order")
        world = self.world
        lessons: list[dict[str, Any]] = []
        day = start
        while day <= end:
            for lesson in world.lessons(student.class_id, day):
                teacher = world.teachers.get(lesson.teacher_id)
                lessons.append(
                    {
                        "id": lesson.id,
                        "date": lesson.day.isoformat(),
                        "number": lesson.number,
                        "start": lesson.starts.strftime("%H:%M"),
                        "end": lesson.ends.strftime("%H:%M"),
                        "subject": {"id": lesson.subject_id, "name": lesson.subject},
                        "teacher": None
                        if teacher is None
                        else {**_person(teacher.person), "id": teacher.id},
                        "room": lesson.room,
                        "topic": lesson.topic,
                        "cancelled": lesson.cancelled,
                        "replaced": lesson.replaced,
                        "remote": lesson.remote,
                    }
                )
            day += timedelta(days=1)
        return JSONResponse({"lessons": lessons})

    def routes(self) -> list[Route]:
        return [
            Route(f"{API}/auth/sso", self.sign_in, methods=["POST"]),
            Route(f"{API}/schools", self.schools),
            Route(f"{API}/me", self.me),
            Route(f"{API}/students/{{student_id}}", self.student),
            Route(f"{API}/students/{{student_id}}/lessons", self.lessons),
        ]


def _message(kind: str, description: str) -> dict[str, Any]:
    return {"message": description}


async def _on_refusal(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, Refused):
        raise exc
    return JSONResponse({"message": exc.message}, status_code=exc.status)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, HTTPException):
        raise exc
    return JSONResponse({"message": str(exc.detail)}, status_code=exc.status_code)


def create_emulator(
    *,
    world: World | None = None,
    clock: Clock = SYSTEM_CLOCK,
    sso_jwks_url: str | None = None,
    faults: EmulatorFaults | None = None,
) -> Starlette:
    """The emulator app.

    Args:
        world: a fixed world (default: :data:`SEED_REGION`'s of the school year at ``clock``).
        clock: the clock of the default world and of token expiry.
        sso_jwks_url: the JWKS of the trusted national SSO issuer (without: no sign-in).
        faults: the faults to start with (what ``/__admin/reset`` goes back to).
    """
    worlds = world or Worlds(SEED_REGION, clock=clock, zone=ZoneInfo(ZONE))
    emulator = Emulator(
        worlds, sso=SsoVerifier(sso_jwks_url) if sso_jwks_url else None, clock=clock
    )
    app = build_emulator_app(
        emulator.routes(),
        controls=FaultControls(initial=faults or EmulatorFaults(), spared=SIGN_IN),
        answers=FaultAnswers(body=_message, expired="session ended: sign in again"),
        reset=emulator.reset,
        refuse=lambda message: Refused(400, message),
        exception_handlers={Refused: _on_refusal, HTTPException: _on_http_error},
    )
    app.state.emulator = emulator
    return app


def emulator_main(port: int, host: str, sso_jwks: str | None) -> None:
    """Serve the emulator with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_emulator(sso_jwks_url=sso_jwks), host=host, port=port, log_level="info")
'''

_TEMPLATES["tests/adapters/harnesses/SLUG.py"] = '''\
"""Contract-suite harness for ${cls} (region ${region}): the adapter over real HTTP.

``start()`` serves the emulator and a JWKS endpoint for a dev SSO issuer on one uvicorn
server on 127.0.0.1 and builds the adapter over a real ``httpx.AsyncClient``. Faults and
the upstream call count go through the emulator's ``/__admin``. The generated emulator
models the family only: ``personas`` says so, and the staff checks are skipped.
"""

from __future__ import annotations

from contextlib import ExitStack
from zoneinfo import ZoneInfo

import httpx
from joserfc.jwk import ECKey

${harness_imports}

ISSUER = "urn:test:${slug}-sso"
"""The test SSO issuer the emulator trusts."""


class Harness(ContractHarness):
    slug = "${slug}"
    region = "${region}"
    personas = frozenset({"parent", "parent-not-representative"})

    def __init__(self) -> None:
        self.issuer = DevIssuer(ECKey.generate_key("P-256", private=True), issuer=ISSUER)
        self._stack = ExitStack()
        self._world: World | None = None
        self._http: httpx.AsyncClient | None = None
        self._admin: httpx.Client | None = None

    @property
    def world(self) -> World:
        assert self._world is not None, "start() the harness first"
        return self._world

    @property
    def admin(self) -> EmulatorAdmin:
        assert self._admin is not None, "start() the harness first"
        return EmulatorAdmin(self._admin)

    async def start(self, clock: Clock) -> DiaryAdapter:
        self._world = World.build(SEED_REGION, clock=clock, zone=ZoneInfo(ZONE))
        port = free_port()
        app = create_emulator(
            world=self._world, clock=clock, sso_jwks_url=f"http://127.0.0.1:{port}{JWKS_PATH}"
        )
        base_url = self._stack.enter_context(serve_app(with_jwks(app, self.issuer), port=port))
        self._admin = self._stack.enter_context(httpx.Client(base_url=base_url, timeout=5.0))
        self._http = httpx.AsyncClient()
        self.adapter = ${cls}Adapter(
            region=RegionInfo(
                code=self.region,
                name="${cls} (test)",
                timezone=ZoneInfo(ZONE),
                diary_url="https://diary.example.invalid",
                demo=True,
            ),
            config=${cls}Config(base_url=base_url),
            deps=AdapterDeps(http=self._http, runner=DirectRunner(timeout=1.0), clock=clock),
        )
        return self.adapter

    async def stop(self) -> None:
        await super().stop()
        if self._http is not None:
            await self._http.aclose()
        self._stack.close()

    def caller(self, persona: str) -> Caller:
        subject = national_id(persona, SEED_REGION)
        return Caller(person_id=subject, sso_token=self.issuer.mint(subject, audience=SSO_AUDIENCE))

    def canonical_student_id(self) -> str:
        return str(self.world.canonical_student_id)

    def set_fault(self, fault: Fault | None) -> None:
        self.admin.set_fault(fault)

    def upstream_calls(self) -> int:
        return self.admin.upstream_calls()
'''
