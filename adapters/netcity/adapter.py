"""The adapter of «Сетевой город. Образование» regions (NetSchool ``webapi``).

It talks HTTP to the region's system (:mod:`.client` over the injected
``httpx.AsyncClient``; in the demo and the tests, the emulator of
:mod:`diary_gateway_demo.netcity`): it signs people in (a partner exchange of the national
SSO token for national SSO callers, the school login form for students), keeps each
person's access token (``at``) for its lifetime (:class:`adapters.sessions.ProviderSessions`),
sends one ``student/diary`` request per student per range (:func:`adapters.batches.per_student`)
and hands the JSON to :mod:`adapters.netcity.parsing`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from ..base import AdapterDeps, BatchResult, DiaryAdapter, RegionInfo
from ..batches import per_student
from ..capabilities import Capability
from ..errors import AccessDeniedError, AuthenticationError, NotFoundError
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
    Remark,
    Roster,
    School,
    Student,
    Term,
)
from ..native_ids import DIGITS, IdKind, NativeIdShapes
from ..sessions import Grant, ProviderSessions
from . import parsing
from .client import ConflictError, NetCityClient
from .config import NetCityConfig

__all__ = ["NetCityAdapter"]

T = TypeVar("T")

CHANGES_LOOKBACK = timedelta(days=366)
"""The changes feed reads at most this far back."""
_BAD_CREDENTIALS = "wrong login or password"
_TOKEN_MARGIN_S = 60.0
_TOKEN_TIMEOUT_MS = 2_700_000
"""An ``at``'s lifetime when the answer does not state one (``timeOut``: 45 minutes)."""


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
            Capability.REMARKS,
            Capability.INVITATIONS,
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
        if deps.http is None:
            raise ValueError("the «Сетевой город» adapter needs deps.http (an httpx.AsyncClient)")
        base_url = config.base_url or region.diary_url
        if not base_url:
            raise ValueError("the «Сетевой город» adapter needs base_url (or the diary_url)")
        self._client = NetCityClient(deps.http, base_url, provider=self.slug)
        self._sessions: ProviderSessions[str | None] = ProviderSessions(
            provider=self.slug, obtain=self._obtain, expiry_margin=_TOKEN_MARGIN_S
        )
        """Each national-SSO caller's access token (``None``: no account in the region)."""
        self._types: parsing.AssignmentTypes | None = None
        self._base_url = region.diary_url.rstrip("/") or None

    # -- talking to the provider -------------------------------------------------------

    async def _obtain(self, caller: Caller) -> Grant[str | None]:
        """Exchange the caller's SSO token for an access token (``None``: no account, 409)."""
        if caller.person_id is None or not caller.sso_token:
            raise AuthenticationError("the caller is not signed in", provider=self.slug)
        try:
            payload = await self._client.esia_exchange(caller.sso_token)
        except ConflictError:
            return Grant(None)
        lifetime = float(payload.get("timeOut") or _TOKEN_TIMEOUT_MS) / 1000
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

    async def _authed(self, caller: Caller, call: Callable[[str], Awaitable[T]]) -> T:
        """A call made with the caller's ``at``; a 401 forgets a national-SSO token."""
        at = await self._token(caller)
        try:
            return await call(at)
        except AuthenticationError:
            if caller.person_id is not None:
                self._sessions.forget(caller)
            raise

    async def _assignment_types(self) -> parsing.AssignmentTypes:
        if self._types is None:
            self._types = parsing.parse_assignment_types(await self._client.assignment_types())
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

        async def one(student_id: str) -> T:
            native = _native_id(student_id)
            if native is None:
                raise NotFoundError("no such student", provider=self.slug)
            payload = await self._authed(
                caller, lambda at: self._client.diary(at, native, days.start, days.end)
            )
            return parse(student_id, payload)

        del at  # signed in once before the fan-out
        return await per_student(student_ids, one)

    # -- hooks -------------------------------------------------------------------------

    async def _bind_parent(self, caller: Caller, student_id: str) -> None:
        native = _native_id(student_id)
        if native is None or not caller.sso_token:
            raise NotFoundError("no such student", provider=self.slug)
        try:
            await self._client.esia_bind(caller.sso_token, native)
        except ConflictError:
            raise AccessDeniedError(
                "the identity belongs to another kind of account", provider=self.slug
            ) from None
        self._sessions.forget(caller)  # exchange the SSO token again: an account exists now

    async def _fetch_remarks(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Remark]]:
        tz = self.region.timezone
        await self._token(caller)

        async def one(student_id: str) -> list[Remark]:
            native = _native_id(student_id)
            if native is None:
                raise NotFoundError("no such student", provider=self.slug)
            payload = await self._authed(
                caller, lambda at: self._client.remarks(at, native, days.start, days.end)
            )
            found = parsing.parse_remarks(payload, student_id=student_id, tz=tz)
            return [r for r in found if r.day in days]

        return await per_student(student_ids, one)

    async def _list_schools(self) -> list[School]:
        return parsing.parse_schools(await self._client.login_form_schools())

    async def _fetch_profile(self, caller: Caller) -> RegionProfile | None:
        if caller.session is None:
            if caller.person_id is None or await self._exchange(caller) is None:
                return None
        context = await self._authed(caller, self._client.context)
        roles = set(context["roles"])
        cards: list[Any] = []
        if "Parent" in roles:
            children = [int(s["id"]) for s in context["user"]["students"]]
            answer = await self._authed(caller, lambda at: self._client.student_cards(at, children))
            cards = answer["students"]
        groups: list[Any] = []
        if "Teacher" in roles:
            groups = await self._authed(caller, self._client.teacher_groups)
        return parsing.parse_profile(context, cards=cards, groups=groups)

    async def _fetch_roster(self, caller: Caller) -> Roster:
        context = await self._authed(caller, self._client.context)
        if not {"Teacher", "ClassTeacher", "Administrator"} & set(context["roles"]):
            return Roster()
        payload = await self._authed(caller, self._client.school_classes)
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
        return parsing.parse_school_year(await self._authed(caller, self._client.context))

    async def _fetch_students(self, caller: Caller, student_ids: list[str]) -> BatchResult[Student]:
        natives = {sid: _native_id(sid) for sid in student_ids}
        wanted = sorted({n for n in natives.values() if n is not None})
        found: dict[int, Student] = {}
        forbidden: set[int] = set()
        if wanted:
            answer = await self._authed(caller, lambda at: self._client.student_cards(at, wanted))
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
        types = await self._assignment_types()
        payload = await self._authed(
            caller, lambda at: self._client.journal(at, native, days.start, days.end)
        )
        return parsing.parse_journal(payload, types=types, tz=self.region.timezone)

    async def _fetch_bell_schedule(self, school_id: str) -> BellSchedule:
        native = _native_id(school_id)
        if native is None:
            raise NotFoundError("no such school", provider=self.slug)
        return parsing.parse_bells(await self._client.bells(native))

    async def _set_homework_done(
        self, caller: Caller, student_id: str, homework_id: str, done: bool
    ) -> Homework:
        student, homework = _native_id(student_id), _native_id(homework_id)
        if student is None or homework is None:
            raise NotFoundError("no such homework", provider=self.slug)
        payload = await self._authed(
            caller, lambda at: self._client.set_assignment_done(at, student, homework, done)
        )
        return parsing.parse_homework_detail(payload, base_url=self._base_url)

    async def _login(self, school: str | None, login: str, password: str) -> ProviderSession:
        try:
            answer = await self._client.login(school, login, password)
        except ConflictError:
            raise AuthenticationError(_BAD_CREDENTIALS, provider=self.slug) from None
        at = parsing.parse_token(answer)
        student_id = parsing.parse_current_student(await self._client.diary_init(at))
        if student_id is None:
            raise AuthenticationError(_BAD_CREDENTIALS, provider=self.slug)
        return ProviderSession(student_id=student_id, token=at)
