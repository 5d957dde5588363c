"""The adapter of «Сетевой город. Образование» regions (NetSchool ``webapi``).

It talks to its in-memory provider, :class:`~adapters.netcity.backend.NetCityBackend`,
exactly as it would to the real one: it signs people in (a partner token exchange for
national SSO callers, the school login form for students), keeps each person's access
token (``at``) for the session's lifetime, sends one ``student/diary`` request per
student per range, and hands the JSON bytes to :mod:`adapters.netcity.parsing`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from ..base import AdapterDeps, BatchResult, DiaryAdapter, RegionInfo
from ..capabilities import Capability
from ..errors import (
    AccessDeniedError,
    AdapterError,
    AuthenticationError,
    NotFoundError,
    error_for_status,
)
from ..faults import ProviderFault
from ..models import (
    BellSchedule,
    Caller,
    Change,
    DateRange,
    Homework,
    Journal,
    Lesson,
    LoginMethod,
    ProviderSession,
    RegionProfile,
    Roster,
    School,
    Student,
    Term,
)
from ..native_ids import DIGITS, IdKind, NativeIdShapes
from ..seed import Worlds
from ..sessions import Grant, ProviderSessions, person_renewable
from . import parsing
from .backend import TOKEN_TIMEOUT_MS, NetCityBackend
from .config import NetCityConfig

__all__ = ["NetCityAdapter"]

T = TypeVar("T")

CHANGES_LOOKBACK = timedelta(days=366)
"""The changes feed reads at most this far back."""
_BAD_CREDENTIALS = "wrong login or password"
_TOKEN_MARGIN_S = 60.0


def _native_id(value: str) -> int | None:
    """A native numeric id from its string form (``None`` for anything else)."""
    return int(value) if value.isascii() and value.isdigit() else None


class NetCityAdapter(DiaryAdapter):
    """«Сетевой город. Образование»: a weekly diary of assignments with 5-point marks."""

    slug = "netcity"
    diary_system = "Сетевой город. Образование"
    capabilities = frozenset(
        {
            Capability.PROFILE,
            Capability.SCHEDULE,
            Capability.MARKS,
            Capability.HOMEWORK,
            Capability.HOMEWORK_DONE,
            Capability.ATTENDANCE,
            Capability.PROGRESS,
            Capability.CHANGES,
            Capability.JOURNAL,
            Capability.BELLS,
            Capability.TERMS,
            Capability.SCHOOL_LOGIN,
        }
    )
    login_methods = (LoginMethod.NATIONAL_SSO, LoginMethod.SCHOOL_LOGIN)
    config_model = NetCityConfig
    native_ids: ClassVar[NativeIdShapes] = {
        # NetSchool's ids are integers throughout (studentId, schoolId, classId,
        # assignmentId); the gateway's group is the class-subject pair's integer id.
        IdKind.STUDENT: DIGITS,
        IdKind.SCHOOL: DIGITS,
        IdKind.GROUP: DIGITS,
        IdKind.HOMEWORK: DIGITS,
    }

    def __init__(self, *, region: RegionInfo, config: NetCityConfig, deps: AdapterDeps) -> None:
        super().__init__(region=region, config=config, deps=deps)
        self._worlds = Worlds(region.code, clock=deps.clock, zone=region.timezone)
        self._backend: NetCityBackend | None = None
        self._sessions: ProviderSessions[str | None] = ProviderSessions(
            provider=self.slug,
            obtain=self._obtain,
            renewable=person_renewable,  # the exchange needs only the person id
            expiry_margin=_TOKEN_MARGIN_S,
        )
        """Each national-SSO caller's access token (``None``: no account in the region)."""
        self._types: parsing.AssignmentTypes | None = None
        self._base_url = region.diary_url.rstrip("/") or None

    @property
    def backend(self) -> NetCityBackend:
        """The in-memory provider of the school year the clock is in (a new one each year)."""
        world = self._worlds.current()
        if self._backend is None or self._backend.world is not world:
            self._backend = NetCityBackend(world, latency_ms=self.config.latency_ms)
        return self._backend

    # -- talking to the provider -------------------------------------------------------

    def _error(self, fault: ProviderFault) -> AdapterError:
        return error_for_status(
            fault.status,
            provider=self.slug,
            detail=parsing.parse_error_message(fault.body),
            retry_after=fault.retry_after,
        )

    async def _request(self, call: Awaitable[bytes]) -> Any:
        """Await one provider call and decode its JSON (errors mapped to the adapter tree)."""
        try:
            raw = await call
        except ProviderFault as fault:
            raise self._error(fault) from fault
        return json.loads(raw)

    async def _obtain(self, caller: Caller) -> Grant[str | None]:
        """Exchange the caller's SSO identity for an access token (``None``: no account, 409)."""
        if caller.person_id is None:
            raise AuthenticationError("the caller is not signed in", provider=self.slug)
        try:
            raw = await self.backend.esia_login(caller.person_id)
        except ProviderFault as fault:
            if fault.status == 409:
                return Grant(None)
            raise self._error(fault) from fault
        payload = json.loads(raw)
        lifetime = float(payload.get("timeOut") or TOKEN_TIMEOUT_MS) / 1000
        return Grant(parsing.parse_token(payload), expires_in=lifetime)

    async def _exchange(self, caller: Caller) -> str | None:
        """The caller's access token, exchanged once and kept by :class:`ProviderSessions`.

        ``None`` when the region's diary has no account for that person (not remembered).
        """
        token = await self._sessions.credentials(caller)
        if token is None:
            self._sessions.forget(caller)
        return token

    async def _token(self, caller: Caller) -> str:
        if caller.session is not None:
            return caller.session.token
        if caller.person_id is None:
            raise AuthenticationError("the caller is not signed in", provider=self.slug)
        token = await self._exchange(caller)
        if token is None:
            raise AuthenticationError(
                "the region's diary has no account for this person", provider=self.slug
            )
        return token

    async def _authed(self, caller: Caller, call: Awaitable[bytes]) -> Any:
        """A call made with the caller's token; a 401 forgets the token."""
        try:
            return await self._request(call)
        except AuthenticationError:
            if caller.person_id is not None:
                self._sessions.forget(caller)
            raise

    async def _assignment_types(self) -> parsing.AssignmentTypes:
        if self._types is None:
            payload = await self._request(self.backend.assignment_types())
            self._types = parsing.parse_assignment_types(payload)
        return self._types

    async def _per_student(
        self,
        caller: Caller,
        student_ids: list[str],
        days: DateRange,
        parse: Callable[[str, Any], T],
    ) -> BatchResult[T]:
        """One ``student/diary`` request per student over ``days``, each parsed by ``parse``.

        An unknown or refused student fails only their slot.
        """
        at = await self._token(caller)
        start, end = days.start.isoformat(), days.end.isoformat()

        async def one(student_id: str) -> T | AdapterError:
            native = _native_id(student_id)
            if native is None:
                return NotFoundError("no such student", provider=self.slug)
            try:
                payload = await self._authed(
                    caller, self.backend.student_diary(at, native, start, end)
                )
            except (NotFoundError, AccessDeniedError) as error:
                return error
            return parse(student_id, payload)

        return list(await asyncio.gather(*(one(sid) for sid in student_ids)))

    # -- hooks -------------------------------------------------------------------------

    async def _list_schools(self) -> list[School]:
        return parsing.parse_schools(await self._request(self.backend.login_form_schools()))

    async def _fetch_profile(self, caller: Caller) -> RegionProfile | None:
        if caller.session is None:
            if caller.person_id is None or await self._exchange(caller) is None:
                return None
        at = await self._token(caller)
        context = await self._authed(caller, self.backend.context(at))
        roles = set(context["roles"])
        cards: list[Any] = []
        if "Parent" in roles:
            children = [int(s["id"]) for s in context["user"]["students"]]
            answer = await self._authed(caller, self.backend.student_cards(at, children))
            cards = answer["students"]
        groups: list[Any] = []
        if "Teacher" in roles:
            groups = await self._authed(caller, self.backend.teacher_groups(at))
        return parsing.parse_profile(context, cards=cards, groups=groups)

    async def _fetch_roster(self, caller: Caller) -> Roster:
        at = await self._token(caller)
        context = await self._authed(caller, self.backend.context(at))
        if not {"Teacher", "ClassTeacher", "Administrator"} & set(context["roles"]):
            return Roster()
        payload = await self._authed(caller, self.backend.school_classes(at))
        classes, groups, student_ids = parsing.parse_classes(payload)
        cards = await self._fetch_students(caller, student_ids) if student_ids else []
        return Roster(
            classes=tuple(classes),
            groups=tuple(groups),
            students=tuple(c for c in cards if isinstance(c, Student)),
        )

    async def _fetch_terms(self, caller: Caller | None, school_id: str) -> list[Term]:
        # Сетевой Город states the school year (context.schoolyear), not its quarters.
        if caller is None:
            return []
        at = await self._token(caller)
        return parsing.parse_school_year(await self._authed(caller, self.backend.context(at)))

    async def _fetch_students(self, caller: Caller, student_ids: list[str]) -> BatchResult[Student]:
        natives = {sid: _native_id(sid) for sid in student_ids}
        wanted = sorted({n for n in natives.values() if n is not None})
        found: dict[int, Student] = {}
        forbidden: set[int] = set()
        if wanted:
            at = await self._token(caller)
            answer = await self._authed(caller, self.backend.student_cards(at, wanted))
            found = {int(c["studentId"]): parsing.parse_student(c) for c in answer["students"]}
            forbidden = {int(i) for i in answer["forbidden"]}
        result: BatchResult[Student] = []
        for sid in student_ids:
            native = natives[sid]
            if native is not None and native in found:
                result.append(found[native])
            elif native is not None and native in forbidden:
                result.append(AccessDeniedError("not your student", provider=self.slug))
            else:
                result.append(NotFoundError("no such student", provider=self.slug))
        return result

    async def _fetch_diaries(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Lesson]]:
        types = await self._assignment_types()

        def parse(student_id: str, payload: Any) -> list[Lesson]:
            return parsing.parse_diary(
                payload,
                student_id=student_id,
                types=types,
                tz=self.region.timezone,
                base_url=self._base_url,
            )

        return await self._per_student(caller, student_ids, days, parse)

    async def _fetch_changes(
        self, caller: Caller, student_ids: list[str], since: datetime
    ) -> BatchResult[list[Change]]:
        tz = self.region.timezone
        since = since.replace(tzinfo=tz) if since.tzinfo is None else since
        end = self.deps.clock.today(self.region.timezone)
        start = max(since.astimezone(tz).date(), end - CHANGES_LOOKBACK)
        if start > end:
            return [[] for _ in student_ids]
        types = await self._assignment_types()

        def parse(student_id: str, payload: Any) -> list[Change]:
            return parsing.parse_changes(
                payload,
                student_id=student_id,
                types=types,
                tz=tz,
                since=since,
                until=self.deps.clock.now(),
            )

        return await self._per_student(caller, student_ids, DateRange(start, end), parse)

    async def _fetch_journal(self, caller: Caller, group_id: str, days: DateRange) -> Journal:
        native = _native_id(group_id)
        if native is None:
            raise NotFoundError("no such group", provider=self.slug)
        at = await self._token(caller)
        types = await self._assignment_types()
        payload = await self._authed(
            caller,
            self.backend.journal(at, native, days.start.isoformat(), days.end.isoformat()),
        )
        return parsing.parse_journal(payload, types=types, tz=self.region.timezone)

    async def _fetch_bell_schedule(self, school_id: str) -> BellSchedule:
        native = _native_id(school_id)
        if native is None:
            raise NotFoundError("no such school", provider=self.slug)
        return parsing.parse_bells(await self._request(self.backend.bell_schedule(native)))

    async def _set_homework_done(
        self, caller: Caller, student_id: str, homework_id: str, done: bool
    ) -> Homework:
        student, homework = _native_id(student_id), _native_id(homework_id)
        if student is None or homework is None:
            raise NotFoundError("no such homework", provider=self.slug)
        at = await self._token(caller)
        payload = await self._authed(
            caller, self.backend.set_assignment_done(at, student, homework, done)
        )
        return parsing.parse_homework_detail(payload, base_url=self._base_url)

    async def _login(self, school: str | None, login: str, password: str) -> ProviderSession:
        try:
            raw = await self.backend.login(school, login, password)
        except ProviderFault as fault:
            if fault.status == 409:
                raise AuthenticationError(_BAD_CREDENTIALS, provider=self.slug) from None
            raise self._error(fault) from fault
        at = parsing.parse_token(json.loads(raw))
        student_id = parsing.parse_current_student(await self._request(self.backend.diary_init(at)))
        if student_id is None:
            raise AuthenticationError(_BAD_CREDENTIALS, provider=self.slug)
        return ProviderSession(student_id=student_id, token=at)
