"""The ЭлЖур adapter: thin hooks over :mod:`.client` (ЭлЖур's API over HTTP) and :mod:`.parsing`.

Every hook asks :class:`~adapters.eljur.client.ElJurClient` for a method's ``result`` and
hands it to :mod:`adapters.eljur.parsing`. Error statuses and non-200 envelope states are
mapped by the client; per-student refusals (403, 404) fill that student's slot
(:func:`adapters.batches.per_student`), everything else fails the call.

National-SSO callers' tokens are exchanged for ЭлЖур tokens (one per school) with
``getusersvendors`` (a refusal is :class:`~adapters.errors.CredentialsRefusedError`); the
tokens are kept per person for a few minutes, and dropped as soon as the provider answers
401. School-login callers carry their token in their
:class:`~adapters.models.ProviderSession`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from adapters.base import AdapterDeps, BatchResult, DiaryAdapter, RegionInfo
from adapters.batches import per_student
from adapters.capabilities import Capability
from adapters.errors import (
    AccessDeniedError,
    AuthenticationError,
    CredentialsRefusedError,
    NotFoundError,
)
from adapters.models import (
    BellSchedule,
    Caller,
    Change,
    DateRange,
    Journal,
    Lesson,
    LoginMethod,
    Mark,
    ProviderSession,
    RegionProfile,
    Roster,
    School,
    Student,
    Term,
)
from adapters.native_ids import DIGITS, IdKind, NativeIdShapes
from adapters.sessions import Grant, ProviderSessions, sso_renewable

from . import parsing
from .client import ElJurClient
from .config import ElJurConfig

__all__ = ["ElJurAdapter"]

SESSION_TTL = 300.0
"""Seconds a person's exchanged tokens are reused before asking ЕСИА exchange again."""
UPDATES_PAGE = 100
MAX_UPDATE_PAGES = 5
BAD_LOGIN = "wrong login or password"


@dataclass
class _Session:
    """A caller's ЭлЖур tokens (one per vendor) and, lazily, their rules per vendor."""

    tokens: tuple[parsing.VendorToken, ...]
    caller: Caller | None = None
    """The national-SSO caller whose exchanged tokens these are (kept by ProviderSessions)."""
    rules: dict[str, parsing.Rules] = field(default_factory=dict)


class ElJurAdapter(DiaryAdapter):
    """ЭлЖур (eljur.ru) regions: ten-point marks, ЕСИА exchange or school logins."""

    slug: ClassVar[str] = "eljur"
    diary_system: ClassVar[str] = "ЭлЖур"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.PROFILE,
            Capability.SCHEDULE,
            Capability.MARKS,
            Capability.HOMEWORK,
            Capability.ATTENDANCE,
            Capability.PROGRESS,
            Capability.CHANGES,
            Capability.JOURNAL,
            Capability.BELLS,
            Capability.TERMS,
            Capability.SCHOOL_LOGIN,
        }
    )
    """No HOMEWORK_DONE: ЭлЖур's API has no call to mark homework done."""
    login_methods: ClassVar[tuple[LoginMethod, ...]] = (
        LoginMethod.NATIONAL_SSO,
        LoginMethod.SCHOOL_LOGIN,
    )
    config_model: ClassVar[type[Any]] = ElJurConfig
    native_ids: ClassVar[NativeIdShapes] = {
        # ЭлЖур's student, group and homework ids are integers; a school is its vendor id
        # (an integer in these regions' vendors).
        IdKind.STUDENT: DIGITS,
        IdKind.SCHOOL: DIGITS,
        IdKind.GROUP: DIGITS,
        IdKind.HOMEWORK: DIGITS,
    }

    def __init__(self, *, region: RegionInfo, config: ElJurConfig, deps: AdapterDeps) -> None:
        super().__init__(region=region, config=config, deps=deps)
        if deps.http is None:
            raise ValueError("the ЭлЖур adapter needs deps.http (an httpx.AsyncClient)")
        self._client = ElJurClient(deps.http, config, provider=self.slug)
        self._sessions: ProviderSessions[_Session | None] = ProviderSessions(
            provider=self.slug,
            obtain=self._exchange,
            renewable=sso_renewable,  # the exchange takes the national SSO token
            expiry_margin=0.0,
        )

    # -- transport ---------------------------------------------------------------------

    async def _sent(
        self, session: _Session, token: parsing.VendorToken, method: str, **params: str
    ) -> Any:
        """One call with a token; a 401 drops the caller's exchanged tokens."""
        try:
            return await self._client.call(method, vendor=token.vendor, token=token.token, **params)
        except AuthenticationError:
            if session.caller is not None:
                self._sessions.forget(session.caller)
            raise

    async def _student_call(
        self, session: _Session, student_id: str, method: str, **params: str
    ) -> Any:
        """A per-student call with the token of the student's school."""
        token = await self._token_for_student(session, student_id)
        return await self._sent(session, token, method, student=student_id, **params)

    # -- sessions ----------------------------------------------------------------------

    async def _session(self, caller: Caller) -> _Session | None:
        """The caller's tokens; ``None`` when the region does not know the person."""
        if caller.session is not None:
            data = dict(caller.session.data)
            vendor = data.get("vendor", self.config.vendor)
            return _Session(
                tokens=(parsing.VendorToken(vendor, data.get("vendor_id"), caller.session.token),),
            )
        if caller.person_id is None:
            raise AuthenticationError("no credentials for this provider", provider=self.slug)
        session = await self._sessions.credentials(caller)
        if session is None:
            self._sessions.forget(caller)  # not remembered: the region may enrol them soon
        return session

    async def _exchange(self, caller: Caller) -> Grant[_Session | None]:
        """The caller's ЭлЖур tokens from ``getusersvendors`` (``None``: no account)."""
        if caller.person_id is None or not caller.sso_token:
            raise AuthenticationError("no credentials for this provider", provider=self.slug)
        try:
            result = await self._client.users_vendors(
                vendor=self.config.vendor, v_token=caller.sso_token
            )
        except AuthenticationError as exc:  # the provider refuses a token the gateway verified
            raise CredentialsRefusedError(exc.message, provider=self.slug) from exc
        tokens = tuple(parsing.parse_vendors(result))
        session = _Session(tokens=tokens, caller=caller) if tokens else None
        return Grant(session, expires_in=SESSION_TTL)

    async def _known_session(self, caller: Caller) -> _Session:
        session = await self._session(caller)
        if session is None:
            raise AccessDeniedError(
                "the region's diary does not know this person", provider=self.slug
            )
        return session

    async def _rules(self, session: _Session, token: parsing.VendorToken) -> parsing.Rules:
        rules = session.rules.get(token.vendor)
        if rules is None:
            rules = parsing.parse_rules(await self._sent(session, token, "getrules"))
            session.rules[token.vendor] = rules
        return rules

    async def _token_for_student(self, session: _Session, student_id: str) -> parsing.VendorToken:
        if len(session.tokens) == 1:
            return session.tokens[0]
        for token in session.tokens:
            if student_id in (await self._rules(session, token)).student_ids:
                return token
        return session.tokens[0]

    async def _token_for_group(self, session: _Session, group_id: str) -> parsing.VendorToken:
        if len(session.tokens) == 1:
            return session.tokens[0]
        for token in session.tokens:
            rules = await self._rules(session, token)
            if any(group.id == group_id for group in rules.groups):
                return token
        return session.tokens[0]

    # -- directory ---------------------------------------------------------------------

    async def _list_schools(self) -> list[School]:
        result = await self._client.call("getschools", vendor=self.config.vendor)
        return parsing.parse_schools(result)

    async def _fetch_bell_schedule(self, school_id: str) -> BellSchedule:
        result = await self._client.call("getrings", vendor=school_id)
        return parsing.parse_bells(result, school_id)

    # -- people ------------------------------------------------------------------------

    async def _fetch_profile(self, caller: Caller) -> RegionProfile | None:
        session = await self._session(caller)
        if session is None:
            return None
        rules = [await self._rules(session, token) for token in session.tokens]
        child_ids = list(dict.fromkeys(sid for rule in rules for sid, _ in rule.children))
        cards = await self._fetch_students_in(session, child_ids)
        children = {
            sid: card
            for sid, card in zip(child_ids, cards, strict=True)
            if isinstance(card, Student)
        }
        return parsing.parse_profile(rules, children)

    async def _fetch_students(self, caller: Caller, student_ids: list[str]) -> BatchResult[Student]:
        session = await self._known_session(caller)
        return await self._fetch_students_in(session, student_ids)

    async def _fetch_students_in(
        self, session: _Session, student_ids: list[str]
    ) -> BatchResult[Student]:
        async def one(student_id: str) -> Student:
            result = await self._student_call(session, student_id, "getprofile")
            return parsing.parse_student_profile(result, student_id)

        return await per_student(student_ids, one)

    async def _fetch_roster(self, caller: Caller) -> Roster:
        session = await self._known_session(caller)
        rules = [await self._rules(session, token) for token in session.tokens]
        classes = {c.id: c for rule in rules for c in rule.classes}
        groups = {g.id: g for rule in rules for g in rule.readable_groups}
        pupils = [
            sid
            for rule in rules
            for _, ids in rule.class_students
            for sid in ids
            if rule.own_student_id is None
        ]
        pupils += [sid for g in groups.values() for sid in g.student_ids]
        ids = list(dict.fromkeys(pupils))
        cards = await self._fetch_students_in(session, ids)
        return Roster(
            classes=tuple(classes.values()),
            groups=tuple(groups.values()),
            students=tuple(card for card in cards if isinstance(card, Student)),
        )

    async def _fetch_terms(self, caller: Caller | None, school_id: str) -> list[Term]:
        # getperiods is asked about a student: any student of the school the caller reads.
        if caller is None:
            return []
        session = await self._known_session(caller)
        for token in session.tokens:
            rules = await self._rules(session, token)
            if rules.school_id != school_id:
                continue
            known = sorted(rules.student_ids)
            for student_id in [s for s in (rules.own_student_id,) if s] + known:
                try:
                    result = await self._student_call(session, student_id, "getperiods")
                except (AccessDeniedError, NotFoundError):
                    continue
                return parsing.parse_periods(result, student_id)
        return []

    # -- the diary ---------------------------------------------------------------------

    @staticmethod
    def _days(days: DateRange) -> str:
        return f"{days.start:%Y%m%d}-{days.end:%Y%m%d}"

    async def _fetch_diaries(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Lesson]]:
        session = await self._known_session(caller)
        tz = self.region.timezone

        async def one(student_id: str) -> list[Lesson]:
            result = await self._student_call(
                session, student_id, "getdiary", days=self._days(days), rings="yes"
            )
            return [
                lesson
                for lesson in parsing.parse_diary(result, student_id, tz)
                if lesson.date in days
            ]

        return await per_student(student_ids, one)

    async def _fetch_marks(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Mark]]:
        session = await self._known_session(caller)
        tz = self.region.timezone

        async def one(student_id: str) -> list[Mark]:
            result = await self._student_call(
                session, student_id, "getmarks", days=self._days(days)
            )
            return [m for m in parsing.parse_marks(result, student_id, tz) if m.lesson_date in days]

        return await per_student(student_ids, one)

    async def _fetch_changes(
        self, caller: Caller, student_ids: list[str], since: datetime
    ) -> BatchResult[list[Change]]:
        session = await self._known_session(caller)
        tz = self.region.timezone

        async def one(student_id: str) -> list[Change]:
            changes: list[Change] = []
            for page in range(1, MAX_UPDATE_PAGES + 1):
                result = await self._student_call(
                    session,
                    student_id,
                    "getupdates",
                    limit=str(UPDATES_PAGE),
                    page=str(page),
                )
                found, more = parsing.parse_updates(result, student_id, tz)
                fresh = [change for change in found if change.at > since]
                changes.extend(fresh)
                if not more or len(fresh) < len(found):
                    break
            changes.sort(key=lambda change: change.at, reverse=True)
            return changes

        return await per_student(student_ids, one)

    # -- staff -------------------------------------------------------------------------

    async def _fetch_journal(self, caller: Caller, group_id: str, days: DateRange) -> Journal:
        session = await self._known_session(caller)
        token = await self._token_for_group(session, group_id)
        result = await self._sent(
            session, token, "getjournal", group=group_id, days=self._days(days)
        )
        return parsing.parse_journal(result, self.region.timezone)

    # -- school login ------------------------------------------------------------------

    async def _login(self, school: str | None, login: str, password: str) -> ProviderSession:
        vendor = school.strip() if school and school.strip() else self.config.vendor
        try:
            result = await self._client.auth(vendor=vendor, login=login, password=password)
        except (AuthenticationError, AccessDeniedError, NotFoundError) as exc:
            raise AuthenticationError(BAD_LOGIN, provider=self.slug) from exc
        token, expires = parsing.parse_auth(result)
        vendor_token = parsing.VendorToken(vendor, None, token, expires)
        session = _Session(tokens=(vendor_token,))
        rules = await self._rules(session, vendor_token)
        if rules.own_student_id is None:
            raise AuthenticationError(BAD_LOGIN, provider=self.slug)
        return ProviderSession(
            student_id=rules.own_student_id,
            token=token,
            data=(("vendor", vendor), ("vendor_id", rules.school_id)),
        )
