"""The ЭлЖур adapter: thin hooks over the (in-memory) ЭлЖур API.

Every hook calls backend methods with query-style keyword arguments, opens the JSON
envelope and hands the ``result`` to :mod:`adapters.eljur.parsing`. HTTP-level failures
(:class:`~adapters.faults.ProviderFault`) and non-200 envelope states are mapped with
:func:`adapters.errors.error_for_status`; per-student refusals (403, 404) fill that
student's slot, everything else fails the call.

National-SSO callers are exchanged for ЭлЖур tokens (one per school) with
``getusersvendors``; the tokens are kept per person for a few minutes, and dropped as soon
as the provider answers 401. School-login callers carry their token in their
:class:`~adapters.models.ProviderSession`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from adapters.base import AdapterDeps, BatchResult, DiaryAdapter, RegionInfo
from adapters.capabilities import Capability
from adapters.errors import (
    AccessDeniedError,
    AdapterError,
    AuthenticationError,
    error_for_status,
)
from adapters.faults import ProviderFault
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
from adapters.seed import Worlds
from adapters.sessions import Grant, ProviderSessions, person_renewable

from . import parsing
from .backend import ElJurBackend
from .config import ElJurConfig

__all__ = ["ElJurAdapter"]

SESSION_TTL = 300.0
"""Seconds a person's exchanged tokens are reused before asking ЕСИА exchange again."""
UPDATES_PAGE = 100
MAX_UPDATE_PAGES = 5
BAD_LOGIN = "wrong login or password"

Envelope = tuple[int, str | None, Any]


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

    def __init__(self, *, region: RegionInfo, config: Any, deps: AdapterDeps) -> None:
        settings = config if isinstance(config, ElJurConfig) else ElJurConfig()
        super().__init__(region=region, config=settings, deps=deps)
        self._worlds = Worlds(region.code, clock=deps.clock, zone=region.timezone)
        self._backend: ElJurBackend | None = None
        self._sessions: ProviderSessions[_Session | None] = ProviderSessions(
            provider=self.slug,
            obtain=self._exchange,
            renewable=person_renewable,  # the exchange needs only the person id
            expiry_margin=0.0,
        )

    @property
    def backend(self) -> ElJurBackend:
        """The in-memory provider of the school year the clock is in (a new one each year)."""
        world = self._worlds.current()
        if self._backend is None or self._backend.world is not world:
            self._backend = ElJurBackend(
                world,
                vendor=self.config.vendor,
                devkey=self.config.devkey,
                latency_ms=self.config.latency_ms,
            )
        return self._backend

    # -- transport ---------------------------------------------------------------------

    async def _send(self, method: Callable[..., Awaitable[bytes]], **params: str) -> Envelope:
        """Call one backend method; HTTP-level faults raise, envelopes are returned."""
        try:
            body = await method(devkey=self.config.devkey, **params)
        except ProviderFault as exc:
            raise error_for_status(
                exc.status, provider=self.slug, retry_after=exc.retry_after
            ) from exc
        return parsing.parse_envelope(json.loads(body))

    def _error(self, envelope: Envelope, session: _Session | None = None) -> AdapterError:
        state, error, _ = envelope
        if state == 401 and session is not None and session.caller is not None:
            self._sessions.forget(session.caller)
        return error_for_status(state, provider=self.slug, detail=error or "")

    def _ok(self, envelope: Envelope, session: _Session | None = None) -> Any:
        if envelope[0] != 200:
            raise self._error(envelope, session)
        return envelope[2]

    async def _sent(
        self,
        session: _Session,
        token: parsing.VendorToken,
        method: Callable[..., Awaitable[bytes]],
        **params: str,
    ) -> Envelope:
        try:
            return await self._send(method, vendor=token.vendor, auth_token=token.token, **params)
        except AuthenticationError:
            if session.caller is not None:
                self._sessions.forget(session.caller)
            raise

    async def _student_call(
        self,
        session: _Session,
        student_id: str,
        method: Callable[..., Awaitable[bytes]],
        **params: str,
    ) -> Any:
        """A per-student call: the result, or the 403/404 error for that student's slot."""
        token = await self._token_for_student(session, student_id)
        envelope = await self._sent(session, token, method, student=student_id, **params)
        if envelope[0] in (403, 404):
            return self._error(envelope, session)
        return self._ok(envelope, session)

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
        if caller.person_id is None:
            raise AuthenticationError("no credentials for this provider", provider=self.slug)
        result = self._ok(
            await self._send(
                self.backend.getusersvendors, vendor=self.config.vendor, v_token=caller.person_id
            )
        )
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
            envelope = await self._sent(session, token, self.backend.getrules)
            rules = parsing.parse_rules(self._ok(envelope, session))
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
        result = self._ok(await self._send(self.backend.getschools, vendor=self.config.vendor))
        return parsing.parse_schools(result)

    async def _fetch_bell_schedule(self, school_id: str) -> BellSchedule:
        result = self._ok(await self._send(self.backend.getrings, vendor=school_id))
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
        async def one(student_id: str) -> Student | AdapterError:
            result = await self._student_call(session, student_id, self.backend.getprofile)
            if isinstance(result, AdapterError):
                return result
            return parsing.parse_student_profile(result, student_id)

        return list(await asyncio.gather(*(one(sid) for sid in student_ids)))

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
                result = await self._student_call(session, student_id, self.backend.getperiods)
                if not isinstance(result, AdapterError):
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

        async def one(student_id: str) -> list[Lesson] | AdapterError:
            result = await self._student_call(
                session, student_id, self.backend.getdiary, days=self._days(days), rings="yes"
            )
            if isinstance(result, AdapterError):
                return result
            return [
                lesson
                for lesson in parsing.parse_diary(result, student_id, tz)
                if lesson.date in days
            ]

        return list(await asyncio.gather(*(one(sid) for sid in student_ids)))

    async def _fetch_marks(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Mark]]:
        session = await self._known_session(caller)
        tz = self.region.timezone

        async def one(student_id: str) -> list[Mark] | AdapterError:
            result = await self._student_call(
                session, student_id, self.backend.getmarks, days=self._days(days)
            )
            if isinstance(result, AdapterError):
                return result
            return [m for m in parsing.parse_marks(result, student_id, tz) if m.lesson_date in days]

        return list(await asyncio.gather(*(one(sid) for sid in student_ids)))

    async def _fetch_changes(
        self, caller: Caller, student_ids: list[str], since: datetime
    ) -> BatchResult[list[Change]]:
        session = await self._known_session(caller)
        tz = self.region.timezone

        async def one(student_id: str) -> list[Change] | AdapterError:
            changes: list[Change] = []
            for page in range(1, MAX_UPDATE_PAGES + 1):
                result = await self._student_call(
                    session,
                    student_id,
                    self.backend.getupdates,
                    limit=str(UPDATES_PAGE),
                    page=str(page),
                )
                if isinstance(result, AdapterError):
                    return result
                found, more = parsing.parse_updates(result, student_id, tz)
                fresh = [change for change in found if change.at > since]
                changes.extend(fresh)
                if not more or len(fresh) < len(found):
                    break
            changes.sort(key=lambda change: change.at, reverse=True)
            return changes

        return list(await asyncio.gather(*(one(sid) for sid in student_ids)))

    # -- staff -------------------------------------------------------------------------

    async def _fetch_journal(self, caller: Caller, group_id: str, days: DateRange) -> Journal:
        session = await self._known_session(caller)
        token = await self._token_for_group(session, group_id)
        envelope = await self._sent(
            session, token, self.backend.getjournal, group=group_id, days=self._days(days)
        )
        return parsing.parse_journal(self._ok(envelope, session), self.region.timezone)

    # -- school login ------------------------------------------------------------------

    async def _login(self, school: str | None, login: str, password: str) -> ProviderSession:
        vendor = school.strip() if school and school.strip() else self.config.vendor
        envelope = await self._send(
            self.backend.auth, login=login, password=password, vendor=vendor
        )
        if envelope[0] in (401, 403, 404):
            raise AuthenticationError(BAD_LOGIN, provider=self.slug)
        token, expires = parsing.parse_auth(self._ok(envelope))
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
