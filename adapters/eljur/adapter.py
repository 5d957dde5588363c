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

Messages: ЭлЖур has no thread object, so a thread is a reply chain named by its first
message's id; the adapter reads the inbox and sent folders and groups them. Reading a
thread asks ``getmessageinfo`` with ``markread=no``; marking read asks it plainly (which is
what marks a message read in ЭлЖур). What is read before a write (the caller's tokens, the
thread to reply in) fails as ``NOT_APPLIED``: nothing was sent. Texts and names are never
logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from adapters.base import AdapterDeps, BatchResult, DiaryAdapter, RegionInfo
from adapters.batches import per_student
from adapters.capabilities import Capability
from adapters.errors import (
    AccessDeniedError,
    AdapterError,
    AuthenticationError,
    CredentialsRefusedError,
    NotFoundError,
    WriteOutcome,
)
from adapters.models import (
    Attachment,
    BellSchedule,
    Caller,
    Change,
    ClassNotice,
    Correspondent,
    DateRange,
    Journal,
    Lesson,
    LoginMethod,
    Mark,
    Meeting,
    Message,
    MessageThread,
    ProviderSession,
    RegionProfile,
    Roster,
    Rsvp,
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
MESSAGES_PAGE = 100
MAX_MESSAGE_PAGES = 10
"""A folder is read up to this many pages (the newest 1000 messages)."""
NOTICES_PAGE = 50
MAX_NOTICE_PAGES = 4
SUBJECT_LENGTH = 60


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
            Capability.MESSAGES,
            Capability.CLASS_NOTICES,
            Capability.MEETINGS,
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
        # messages, their reply chains (a thread is its first message's id), users and
        # meetings are integers too
        IdKind.THREAD: DIGITS,
        IdKind.MESSAGE: DIGITS,
        IdKind.CORRESPONDENT: DIGITS,
        IdKind.MEETING: DIGITS,
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

    # -- messages, board notices, parent meetings --------------------------------------

    async def _posted(
        self, session: _Session, token: parsing.VendorToken, method: str, **form: str
    ) -> Any:
        """One write with a token (form fields); a 401 drops the caller's exchanged tokens."""
        try:
            return await self._client.send(method, vendor=token.vendor, token=token.token, **form)
        except AuthenticationError:
            if session.caller is not None:
                self._sessions.forget(session.caller)
            raise

    async def _receivers(
        self, session: _Session, token: parsing.VendorToken
    ) -> list[Correspondent]:
        return parsing.parse_receivers(await self._sent(session, token, "getmessagereceivers"))

    async def _roles(self, session: _Session, token: parsing.VendorToken) -> dict[str, str]:
        """What each person the caller may write to is to them, and the caller themself."""
        rules = await self._rules(session, token)
        roles = {c.id: c.role for c in await self._receivers(session, token)}
        roles[rules.user_id] = parsing.role_of(rules)
        return roles

    async def _message_entries(
        self, session: _Session, token: parsing.VendorToken
    ) -> list[parsing.MessageEntry]:
        """Every message of the caller's inbox and sent folders in one school."""
        found: list[parsing.MessageEntry] = []
        for folder in ("inbox", "sent"):
            for page in range(1, MAX_MESSAGE_PAGES + 1):
                result = await self._sent(
                    session,
                    token,
                    "getmessages",
                    folder=folder,
                    limit=str(MESSAGES_PAGE),
                    page=str(page),
                )
                entries, total = parsing.parse_message_list(result, self.region.timezone)
                found.extend(entries)
                if not entries or page * MESSAGES_PAGE >= total:
                    break
        return found

    async def _thread(
        self, session: _Session, thread_id: str
    ) -> tuple[parsing.VendorToken, list[parsing.MessageEntry]]:
        """The school and entries (oldest first) of one of the caller's threads."""
        for token in session.tokens:
            chain = [
                e for e in await self._message_entries(session, token) if e.thread_id == thread_id
            ]
            if chain:
                unique = {e.id: e for e in chain}.values()
                return token, sorted(unique, key=lambda e: (e.sent_at, int(e.id)))
        raise NotFoundError("no such thread of the caller", provider=self.slug)

    async def _fetch_correspondents(self, caller: Caller) -> list[Correspondent]:
        session = await self._known_session(caller)
        found: dict[str, Correspondent] = {}
        for token in session.tokens:
            for person in await self._receivers(session, token):
                found.setdefault(person.id, person)
        return list(found.values())

    async def _fetch_threads(self, caller: Caller) -> list[MessageThread]:
        session = await self._known_session(caller)
        threads: list[MessageThread] = []
        for token in session.tokens:
            rules = await self._rules(session, token)
            roles = await self._roles(session, token)
            entries = await self._message_entries(session, token)
            threads.extend(parsing.parse_threads(entries, rules.user_id, roles))
        threads.sort(key=lambda t: t.last_message_at, reverse=True)
        return threads

    async def _fetch_messages(self, caller: Caller, thread_id: str) -> list[Message]:
        session = await self._known_session(caller)
        token, chain = await self._thread(session, thread_id)
        me = (await self._rules(session, token)).user_id
        roles = await self._roles(session, token)
        messages: list[Message] = []
        for entry in chain:  # markread=no (ours): reading a thread does not mark it read
            result = await self._sent(session, token, "getmessageinfo", id=entry.id, markread="no")
            messages.append(parsing.parse_message(result, self.region.timezone, me, roles))
        return messages

    async def _send_message(
        self,
        caller: Caller,
        to: str | None,
        thread_id: str | None,
        subject: str | None,
        text: str,
        attachments: tuple[Attachment, ...],
        idempotency_key: str,
    ) -> Message:
        # ЭлЖур takes no idempotency key: the base never retries a write.
        try:  # what is read before the write: a failure here sent nothing
            session = await self._known_session(caller)
            if thread_id is not None:
                token, chain = await self._thread(session, thread_id)
                rules = await self._rules(session, token)
                others = [e for e in chain if e.author_id != rules.user_id]
                replyto = (others or chain)[-1].id  # the latest message of the others
                method, form = "sendreplymessage", {"replyto": replyto, "text": text}
            else:  # the base passes exactly one of to and thread_id
                receiver = to or ""
                token = await self._token_for_receiver(session, receiver)
                rules = await self._rules(session, token)
                title = (subject or "").strip() or _subject_of(text)
                method = "sendmessage"
                form = {"subject": title, "text": text, "users_to": receiver}
        except AdapterError as exc:
            exc.write_outcome = WriteOutcome.NOT_APPLIED
            raise
        if attachments:  # links, as the emulator's `files` takes them
            form["files"] = json.dumps(
                [{"filename": a.name, "link": a.url} for a in attachments], ensure_ascii=False
            )
        result = await self._posted(session, token, method, **form)
        roles = {rules.user_id: parsing.role_of(rules)}
        return parsing.parse_message(result, self.region.timezone, rules.user_id, roles)

    async def _token_for_receiver(self, session: _Session, user_id: str) -> parsing.VendorToken:
        if len(session.tokens) == 1:
            return session.tokens[0]
        for token in session.tokens:
            if any(c.id == user_id for c in await self._receivers(session, token)):
                return token
        return session.tokens[0]  # the provider refuses whom the caller may not write to

    async def _mark_messages_read(self, caller: Caller, message_ids: list[str]) -> None:
        session = await self._known_session(caller)
        for message_id in message_ids:  # getmessageinfo marks a received message read
            for n, token in enumerate(session.tokens, start=1):
                try:
                    await self._sent(session, token, "getmessageinfo", id=message_id)
                    break
                except NotFoundError:
                    if n == len(session.tokens):
                        raise

    async def _fetch_class_notices(
        self, caller: Caller, student_ids: list[str]
    ) -> BatchResult[list[ClassNotice]]:
        session = await self._known_session(caller)
        tz = self.region.timezone

        async def one(student_id: str) -> list[ClassNotice]:
            notices: list[ClassNotice] = []
            for page in range(1, MAX_NOTICE_PAGES + 1):
                result = await self._student_call(
                    session,
                    student_id,
                    "getboardnotices",
                    limit=str(NOTICES_PAGE),
                    page=str(page),
                )
                found, total = parsing.parse_notices(result, tz)
                notices.extend(found)
                if not found or page * NOTICES_PAGE >= total:
                    break
            unique = {n.id: n for n in notices}.values()
            return sorted(unique, key=lambda n: n.posted_at, reverse=True)

        return await per_student(student_ids, one)

    async def _fetch_meetings(
        self, caller: Caller, student_ids: list[str]
    ) -> BatchResult[list[Meeting]]:
        session = await self._known_session(caller)

        async def one(student_id: str) -> list[Meeting]:
            result = await self._student_call(session, student_id, "getmeetings")
            return parsing.parse_meetings(result, self.region.timezone)

        return await per_student(student_ids, one)

    async def _rsvp_meeting(self, caller: Caller, meeting_id: str, rsvp: Rsvp) -> Meeting:
        try:
            session = await self._known_session(caller)
        except AdapterError as exc:
            exc.write_outcome = WriteOutcome.NOT_APPLIED
            raise
        answer = parsing.RSVP_VALUES[rsvp]
        for n, token in enumerate(session.tokens, start=1):
            try:  # a meeting of another school's class is refused there: nothing applied
                result = await self._posted(
                    session, token, "setmeetingresponse", id=meeting_id, response=answer
                )
            except (AccessDeniedError, NotFoundError):
                if n == len(session.tokens):
                    raise
                continue
            return parsing.parse_meeting(result["meeting"], self.region.timezone)
        raise NotFoundError("no such meeting", provider=self.slug)  # pragma: no cover


def _subject_of(text: str) -> str:
    """A subject for a message sent without one (ЭлЖур requires one): its first line."""
    line = next((x.strip() for x in text.splitlines() if x.strip()), "")
    return line if len(line) <= SUBJECT_LENGTH else line[: SUBJECT_LENGTH - 1] + "…"
