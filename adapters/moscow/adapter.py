"""The Moscow-style (МЭШ) adapter: thin hooks over :mod:`.client` and :mod:`.parsing`.

Who may see what is decided by the provider (403 answers) and the gateway; the adapter
maps ids (a student's integer id for the family API, their GUID for the event calendar),
keeps one МЭШ token per person (:class:`adapters.sessions.ProviderSessions`: the national
SSO exchange as ``obtain``, renewed single-flight on expiry or a 401; a school login's
session token as it is, ended at its first 401) and batches: a diary costs, per student,
one events call, one homework call and one attendance call (plus the person's profile and
the absence reasons, cached).

Writes — a teacher's marks (call 15 and its ``PUT``), a parent's advance absence notices —
carry the caller's idempotency key as ``Idempotency-Key``; the provider checks the value
against the lesson's scale and the caller's right (``ProviderRejectedError``,
``AccessDeniedError``). What fails before the write is sent (the token exchange) leaves it
``NOT_APPLIED``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from cachetools import LRUCache

from adapters.base import AdapterDeps, BatchResult, DiaryAdapter, RegionInfo
from adapters.batches import per_student
from adapters.capabilities import Capability
from adapters.errors import (
    AccessDeniedError,
    AdapterError,
    AuthenticationError,
    CredentialsRefusedError,
    NotFoundError,
    ProviderRejectedError,
    ProviderResponseError,
    Reauthentication,
    WriteOutcome,
    map_httpx_errors,
)
from adapters.models import (
    AbsenceNotice,
    AbsenceReason,
    BellSchedule,
    Caller,
    Change,
    Child,
    ClassUnit,
    DateRange,
    Group,
    Homework,
    Journal,
    Lesson,
    LoginMethod,
    Mark,
    MarkInput,
    Person,
    ProviderSession,
    RegionProfile,
    Remark,
    Role,
    RoleGrant,
    Roster,
    School,
    Student,
    Subject,
    SubjectProgress,
    Teacher,
    Term,
)
from adapters.native_ids import DIGITS, GUID, IdKind, NativeIdShapes
from adapters.sessions import Grant, ProviderSessions

from .client import Credentials, MoscowClient
from .config import MoscowConfig
from .parsing import (
    FIVE_POINT_SYSTEM,
    MOSCOW_BELLS,
    FamilyProfile,
    NativeStudent,
    ShortHomework,
    StaffProfile,
    UnknownControlForm,
    build_absence_notice,
    build_lessons,
    build_mark_body,
    build_progress,
    parse_absence_notice,
    parse_absence_notices,
    parse_absence_reasons,
    parse_attendance,
    parse_class_member,
    parse_events,
    parse_family_profile,
    parse_groups,
    parse_homework_short,
    parse_journal_lessons,
    parse_lesson_scales,
    parse_mark,
    parse_marks,
    parse_notifications,
    parse_profile_info,
    parse_reasons,
    parse_remarks,
    parse_school_info,
    parse_schools,
    parse_session_user,
    parse_subject_marks_short,
    parse_teacher_marks,
    parse_token_grant,
)

__all__ = ["ExchangeRefused", "MoscowAdapter"]

T = TypeVar("T")

_PROFILE_TTL = 300.0
_REASONS_TTL = 3600.0
_HOMEWORK_LOOKAHEAD = timedelta(days=35)
"""Homework set in a range may be due up to this long after it (homeworks/short filters
on the due date): a subject taught once a week, set before a two-week break, is due three
weeks later; with a margin. (Too short and homework the events do not carry is lost.)"""
_HOMEWORK_SEARCH = (timedelta(days=120), timedelta(days=60))
"""Where to look for a homework entry whose due date is unknown (before, after today)."""
_REMEMBERED_HOMEWORK = 4096
_REMEMBERED_LESSONS = 8192
"""Lessons' grade systems (from journals read) and marks' lessons kept for mark writes."""
_FAMILY_ROLES = frozenset({"parent", "student"})


class ExchangeRefused(CredentialsRefusedError):
    """The provider does not accept this person's national SSO token (``/v3/auth/sudir/auth``
    answered 401): an unknown person, or a provider refusing the exchange."""


class MoscowAdapter(DiaryAdapter):
    """МЭШ and the systems that speak its family API (``moscow-protocol.md``)."""

    slug: ClassVar[str] = "moscow"
    diary_system: ClassVar[str] = "МЭШ (Московская электронная школа)"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability) - {
        Capability.INVITATIONS,  # identities are bound in mos.ru, never by a school's invitation
        # no messages, class notices or meetings in the protocol this adapter speaks
        Capability.MESSAGES,
        Capability.CLASS_NOTICES,
        Capability.MEETINGS,
    }
    login_methods: ClassVar[tuple[LoginMethod, ...]] = (
        LoginMethod.NATIONAL_SSO,
        LoginMethod.SCHOOL_LOGIN,
    )
    config_model: ClassVar[type[Any]] = MoscowConfig
    native_ids: ClassVar[NativeIdShapes] = {
        # A student's two ids: the integer (family API ``student_id``, teacher API
        # ``student_profile_id``) is the adapter's id; the GUID (``contingent_guid``) is
        # only ever read from the provider and sent back as the calendar's ``person_ids``.
        IdKind.STUDENT: DIGITS,
        IdKind.CONTINGENT_GUID: GUID,
        IdKind.SCHOOL: DIGITS,
        IdKind.GROUP: DIGITS,
        IdKind.HOMEWORK: DIGITS,  # homework_entry_student_id: a path segment when marked done
        IdKind.LESSON: DIGITS,  # schedule_item_id
        IdKind.MARK: DIGITS,  # a path segment when corrected
        IdKind.ABSENCE_REASON: DIGITS,  # nonattendance_reasons id
    }

    def __init__(self, *, region: RegionInfo, config: MoscowConfig, deps: AdapterDeps) -> None:
        super().__init__(region=region, config=config, deps=deps)
        if deps.http is None:
            raise ValueError("the Moscow adapter needs deps.http (an httpx.AsyncClient)")
        self._client = MoscowClient(deps.http, config, provider=self.slug)
        self._sessions: ProviderSessions[Credentials] = ProviderSessions(
            provider=self.slug, obtain=self._obtain
        )
        self._schools: dict[str, School] = {}
        self._homework_due: LRUCache[str, date] = LRUCache(_REMEMBERED_HOMEWORK)
        self._lesson_scales: LRUCache[str, int] = LRUCache(_REMEMBERED_LESSONS)
        """Lesson id → ``grade_system_id``, from the schedule items of journals read."""
        self._mark_lessons: LRUCache[str, str] = LRUCache(_REMEMBERED_LESSONS)
        """Mark id → its lesson id, from marks written and journals read."""
        self._lesson_subjects: LRUCache[str, Subject] = LRUCache(_REMEMBERED_LESSONS)
        """Lesson id → its group's subject, from journals read."""

    # -- shared look-ups ---------------------------------------------------------------

    def _today(self) -> date:
        return self.deps.clock.today(self.region.timezone)

    async def _obtain(self, caller: Caller) -> Grant[Credentials]:
        """A caller's first (or next) МЭШ credentials (see :class:`ProviderSessions`)."""
        if caller.session is not None and not caller.sso_token:
            # a school login: its session token is the credential (the gateway keeps it)
            student = caller.session.student_id
            return Grant(Credentials(caller.session.token, student, "student"))
        if not caller.sso_token:
            raise AuthenticationError("the caller has no national SSO token", provider=self.slug)
        try:
            document = await self._client.exchange(caller.sso_token)
        except AuthenticationError as exc:
            raise ExchangeRefused(
                exc.message, provider=self.slug, action=Reauthentication.RETRY_LATER
            ) from exc
        grant = parse_token_grant(document)
        credentials = Credentials(grant.token, grant.profile_id, grant.profile_type)
        return Grant(credentials, grant.expires_in)

    async def _with(
        self,
        caller: Caller,
        fetch: Callable[[Credentials], Awaitable[T]],
        *,
        idempotent: bool = True,
    ) -> T:
        return await self._sessions.call(caller, fetch, idempotent=idempotent)

    async def _family(self, caller: Caller) -> FamilyProfile:
        async def fetch(creds: Credentials) -> FamilyProfile:
            return parse_family_profile(await self._client.family_profile(creds))

        ttl = self.config.profile_ttl_seconds
        profile = await self._sessions.cached(caller, "family", ttl, fetch)
        for child in profile.children:
            if child.school is not None:
                self._remember_school(child.school)
        return profile

    async def _reasons(self, caller: Caller) -> dict[int, tuple[str, bool | None]]:
        async def fetch(creds: Credentials) -> dict[int, tuple[str, bool | None]]:
            return parse_reasons(await self._client.nonattendance_reasons(creds))

        return await self._sessions.cached(caller, "reasons", _REASONS_TTL, fetch)

    async def _staff(self, caller: Caller) -> StaffProfile:
        async def fetch(creds: Credentials) -> StaffProfile:
            profiles = parse_profile_info(await self._client.profile_info(creds))
            if not profiles:
                raise ValueError("profile_info lists no profile")
            return next((p for p in profiles if p.id == creds.profile_id), profiles[0])

        return await self._sessions.cached(caller, "staff", self.config.profile_ttl_seconds, fetch)

    async def _school_info(
        self, caller: Caller, school_id: str
    ) -> tuple[School, list[Teacher]] | None:
        """The school and its teachers, or ``None`` where the provider will not say."""

        async def fetch(creds: Credentials) -> tuple[School, list[Teacher]]:
            return parse_school_info(await self._client.school_info(creds, school_id))

        try:
            school, teachers = await self._sessions.cached(
                caller, f"school:{school_id}", _PROFILE_TTL, fetch
            )
        except (AccessDeniedError, NotFoundError):
            return None
        self._remember_school(school)
        return school, teachers

    async def _taught_groups(self, caller: Caller, staff: StaffProfile) -> list[Group]:
        if staff.roles and "teacher" not in staff.roles:
            return []

        async def fetch(creds: Credentials) -> list[Group]:
            document = await self._client.teacher_groups(creds)
            return parse_groups(document, school_id=staff.school_id, teacher_id=staff.id)

        return await self._sessions.cached(caller, "groups", _PROFILE_TTL, fetch)

    async def _readable_groups(self, caller: Caller, staff: StaffProfile) -> list[Group]:
        """Groups taught, plus those of the classes led and of the school administered."""

        async def widen(creds: Credentials, **scope: str) -> list[Group]:
            try:
                document = await self._client.teacher_groups(creds, **scope)
            except (AccessDeniedError, NotFoundError, ProviderResponseError):
                return []  # a server that does not widen call 12
            return parse_groups(document, school_id=staff.school_id)

        async def fetch(creds: Credentials) -> list[Group]:
            scopes: list[dict[str, str]] = [{"class_unit_id": c} for c in staff.class_unit_ids]
            if "school_admin" in staff.roles and staff.school_id is not None:
                scopes.append({"school_id": staff.school_id})
            wider = await asyncio.gather(*(widen(creds, **scope) for scope in scopes))
            return [g for found in wider for g in found]

        taught = await self._taught_groups(caller, staff)
        others = await self._sessions.cached(caller, "readable-groups", _PROFILE_TTL, fetch)
        groups = {g.id: g for g in others}
        groups.update((g.id, g) for g in taught)
        return list(groups.values())

    async def _directory(self, caller: Caller) -> dict[str, NativeStudent]:
        """The students this caller can name: their children, themself, or their classes."""
        creds = await self._sessions.credentials(caller)
        if creds.role in _FAMILY_ROLES:
            family = await self._family(caller)
            return {c.student.id: c for c in family.children}
        staff = await self._staff(caller)
        groups = await self._readable_groups(caller, staff)

        async def fetch(creds: Credentials) -> dict[str, NativeStudent]:
            classes = sorted({g.class_unit_id for g in groups if g.class_unit_id})
            classes += [c for c in staff.class_unit_ids if c not in classes]
            lists = await asyncio.gather(
                *(self._client.class_members(creds, class_id) for class_id in classes)
            )
            found: dict[str, NativeStudent] = {}
            for members in lists:
                for item in members:
                    native = parse_class_member(item, school_id=staff.school_id)
                    if not native.student.group_ids:
                        ids = tuple(g.id for g in groups if native.student.id in g.student_ids)
                        native = replace(native, student=replace(native.student, group_ids=ids))
                    found[native.student.id] = native
            return found

        return await self._sessions.cached(caller, "directory", _PROFILE_TTL, fetch)

    def _known(self, directory: dict[str, NativeStudent], student_id: str) -> NativeStudent:
        native = directory.get(student_id)
        if native is None:
            raise NotFoundError(f"no student {student_id} for this caller", provider=self.slug)
        return native

    def _remember_school(self, school: School) -> None:
        known = self._schools.get(school.id)
        if known is None or (school.address and not known.address):
            self._schools[school.id] = school

    def _remember_homework(self, items: Iterable[ShortHomework]) -> None:
        for item in items:
            self._homework_due[item.homework.id] = item.homework.due_on

    # -- hooks -------------------------------------------------------------------------

    async def _list_schools(self) -> list[School]:
        # Not on the protocol page: a server may publish GET /core/api/schools; without
        # it, the schools seen in profiles so far.
        try:
            for school in parse_schools(await self._client.schools()):
                self._remember_school(school)
        except (AuthenticationError, AccessDeniedError, NotFoundError):
            pass
        return sorted(self._schools.values(), key=lambda s: s.id)

    async def _fetch_profile(self, caller: Caller) -> RegionProfile | None:
        try:
            creds = await self._sessions.credentials(caller)
        except ExchangeRefused:
            if self._sessions.known(caller):
                raise  # it knew this person a moment ago: a refusal, not a stranger
            return None  # the provider does not know this person
        if creds.role in _FAMILY_ROLES:
            family = await self._family(caller)
            if creds.role == "parent":
                return RegionProfile(
                    person=family.person,
                    roles=(RoleGrant(Role.PARENT),),
                    children=tuple(
                        Child(c.student, c.is_legal_representative) for c in family.children
                    ),
                )
            me = next(
                (c.student for c in family.children if c.student.id == creds.profile_id),
                family.children[0].student if family.children else None,
            )
            if me is None:
                raise ProviderResponseError(
                    "a student profile without the student", provider=self.slug
                )
            grant = RoleGrant(Role.STUDENT, school_id=me.school_id, student_id=me.id)
            return RegionProfile(person=me.person, roles=(grant,))
        staff = await self._staff(caller)
        groups = await self._taught_groups(caller, staff)
        school = staff.school_id
        learn = school is not None and (staff.person is None or school not in self._schools)
        info = await self._school_info(caller, school) if learn and school is not None else None
        person = staff.person
        if person is None:
            teacher = next((t for t in info[1] if t.id == staff.id), None) if info else None
            person = teacher.person if teacher else Person(id=staff.id, last_name="", first_name="")
        roles: list[RoleGrant] = []
        if groups or "teacher" in staff.roles:
            roles.append(RoleGrant(Role.TEACHER, school, group_ids=tuple(g.id for g in groups)))
        if "class_teacher" in staff.roles:
            roles.append(RoleGrant(Role.CLASS_TEACHER, school, class_unit_ids=staff.class_unit_ids))
        if "school_admin" in staff.roles:
            roles.append(RoleGrant(Role.SCHOOL_ADMIN, school))
        return RegionProfile(person=person, roles=tuple(roles), groups=tuple(groups))

    async def _fetch_roster(self, caller: Caller) -> Roster:
        creds = await self._sessions.credentials(caller)
        if creds.role in _FAMILY_ROLES:
            return Roster()
        staff = await self._staff(caller)
        groups = await self._readable_groups(caller, staff)
        directory = await self._directory(caller)
        students = [native.student for native in directory.values()]
        names = {s.class_unit_id: s.class_name for s in students if s.class_name}
        class_ids = dict.fromkeys(
            [*staff.class_unit_ids, *(g.class_unit_id for g in groups if g.class_unit_id)]
        )
        classes = tuple(
            ClassUnit(
                id=class_id,
                school_id=staff.school_id or "",
                name=names.get(class_id, ""),
                level=_class_level(names.get(class_id, "")),
            )
            for class_id in class_ids
        )
        return Roster(classes=classes, groups=tuple(groups), students=tuple(students))

    async def _fetch_terms(self, caller: Caller | None, school_id: str) -> list[Term]:
        # The protocol has no periods call: the periods subject_marks/short states (МЭШ's
        # current half-year), read for a student of the school the caller may read.
        if caller is None:
            return []
        directory = await self._directory(caller)
        student = next(
            (n.student.id for n in directory.values() if n.student.school_id == school_id), None
        )
        if student is None:
            return []
        document = await self._with(caller, lambda c: self._client.subject_marks_short(c, student))
        found: dict[str, Term] = {}
        for summary in parse_subject_marks_short(document).values():
            official = summary.official
            if official is None or official.starts is None or official.ends is None:
                continue
            term_id = f"{official.starts:%Y%m%d}-{official.ends:%Y%m%d}"
            found[term_id] = Term(
                id=term_id,
                name=official.period_name or term_id,
                starts_on=official.starts,
                ends_on=official.ends,
            )
        return list(found.values())

    async def _fetch_students(self, caller: Caller, student_ids: list[str]) -> BatchResult[Student]:
        directory = await self._directory(caller)
        return [
            directory[i].student
            if i in directory
            else NotFoundError(f"no student {i} for this caller", provider=self.slug)
            for i in student_ids
        ]

    async def _fetch_diaries(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Lesson]]:
        tz = self.region.timezone
        directory, reasons = await asyncio.gather(self._directory(caller), self._reasons(caller))

        async def diary(student_id: str) -> list[Lesson]:
            guid = self._known(directory, student_id).guid
            if guid is None or not self.is_native_id(IdKind.CONTINGENT_GUID, guid):
                raise ProviderResponseError(
                    "the provider gave no well-formed contingent_guid", provider=self.slug
                )
            events, homework, attendance, marks = await asyncio.gather(
                self._with(caller, lambda c: self._client.events(c, guid, days.start, days.end)),
                self._with(
                    caller,
                    lambda c: self._client.homeworks_short(
                        c, student_id, days.start, days.end + _HOMEWORK_LOOKAHEAD
                    ),
                ),
                self._with(
                    caller, lambda c: self._client.attendance(c, student_id, days.start, days.end)
                ),
                # the events' marks are not all of them: a lesson the calendar lost, or an
                # event sent without its marks, still has its marks here
                self._with(
                    caller, lambda c: self._client.marks(c, student_id, days.start, days.end)
                ),
            )
            short = [
                h
                for h in parse_homework_short(homework, student_id=student_id)
                if (h.homework.assigned_on or h.homework.due_on) in days
            ]
            self._remember_homework(short)
            return build_lessons(
                parse_events(events, student_id=student_id, tz=tz),
                student_id=student_id,
                days=days,
                homework=short,
                missed=parse_attendance(attendance),
                reasons=reasons,
                tz=tz,
                marks=self._own(
                    "diary", "mark", student_id, parse_marks(marks, student_id=student_id, tz=tz)
                ),
            )

        return await per_student(student_ids, diary)

    async def _marks(self, caller: Caller, student_id: str, days: DateRange) -> list[Mark]:
        document = await self._with(
            caller, lambda c: self._client.marks(c, student_id, days.start, days.end)
        )
        marks = parse_marks(document, student_id=student_id, tz=self.region.timezone)
        return [m for m in marks if m.lesson_date in days]

    async def _fetch_marks(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Mark]]:
        directory = await self._directory(caller)

        async def marks(student_id: str) -> list[Mark]:
            self._known(directory, student_id)
            return await self._marks(caller, student_id, days)

        return await per_student(student_ids, marks)

    async def _fetch_progress(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[SubjectProgress]]:
        directory = await self._directory(caller)

        async def progress(student_id: str) -> list[SubjectProgress]:
            self._known(directory, student_id)
            marks, summaries = await asyncio.gather(
                self._marks(caller, student_id, days),
                self._with(caller, lambda c: self._client.subject_marks_short(c, student_id)),
            )
            return build_progress(student_id, marks, parse_subject_marks_short(summaries), days)

        return await per_student(student_ids, progress)

    async def _fetch_changes(
        self, caller: Caller, student_ids: list[str], since: datetime
    ) -> BatchResult[list[Change]]:
        tz = self.region.timezone
        since = since.replace(tzinfo=tz) if since.tzinfo is None else since

        directory = await self._directory(caller)

        async def changes(student_id: str) -> list[Change]:
            self._known(directory, student_id)
            document = await self._with(caller, lambda c: self._client.notifications(c, student_id))
            found = parse_notifications(document, student_id=student_id, tz=tz)
            return [c for c in found if c.at > since]

        return await per_student(student_ids, changes)

    async def _fetch_journal(self, caller: Caller, group_id: str, days: DateRange) -> Journal:
        tz = self.region.timezone
        # The provider decides first: 403 for a group the caller may not read.
        items, marks = await asyncio.gather(
            self._with(
                caller, lambda c: self._client.schedule_items(c, group_id, days.start, days.end)
            ),
            self._with(
                caller, lambda c: self._client.teacher_marks(c, group_id, days.start, days.end)
            ),
        )
        self._lesson_scales.update(parse_lesson_scales(items))
        staff = await self._staff(caller)
        groups = await self._readable_groups(caller, staff)
        group = next((g for g in groups if g.id == group_id), None)
        if group is None:
            raise NotFoundError(f"group {group_id} is not among the caller's", provider=self.slug)
        directory, reasons = await asyncio.gather(self._directory(caller), self._reasons(caller))
        members = group.student_ids or tuple(
            s.student.id
            for s in directory.values()
            if s.student.class_unit_id == group.class_unit_id
        )
        students = tuple(directory[i].student for i in members if i in directory)
        lessons, absences = parse_journal_lessons(
            items, student_ids=members, tz=tz, reasons=reasons
        )
        journal_marks = [
            m
            for m in parse_teacher_marks(marks, subject=group.subject, tz=tz)
            if m.lesson_date in days
        ]
        for m in journal_marks:
            if m.lesson_id is not None:
                self._mark_lessons[m.id] = m.lesson_id
        for le in lessons:
            self._lesson_subjects[le.id] = group.subject
        return Journal(
            group=group,
            students=students,
            lessons=tuple(le for le in lessons if le.date in days),
            marks=tuple(journal_marks),
            absences=tuple(absences),
        )

    async def _fetch_bell_schedule(self, school_id: str) -> BellSchedule:
        # The protocol has no bells call; Moscow schools share this day (README).
        return BellSchedule(school_id=school_id, bells=MOSCOW_BELLS)

    async def _fetch_remarks(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Remark]]:
        tz = self.region.timezone
        directory = await self._directory(caller)

        async def remarks(student_id: str) -> list[Remark]:
            self._known(directory, student_id)
            document = await self._with(
                caller, lambda c: self._client.remarks(c, student_id, days.start, days.end)
            )
            return [
                r for r in parse_remarks(document, student_id=student_id, tz=tz) if r.day in days
            ]

        return await per_student(student_ids, remarks)

    async def _acknowledge_week(
        self, caller: Caller, student_id: str, week_of: date, content_hash: str, receipt: str
    ) -> None:
        self._known(await self._directory(caller), student_id)
        # the same week, hash and receipt again records nothing new: safe after a 401
        await self._with(
            caller,
            lambda c: self._client.acknowledge_week(c, student_id, week_of, content_hash, receipt),
            idempotent=True,
        )

    async def _set_homework_done(
        self, caller: Caller, student_id: str, homework_id: str, done: bool
    ) -> Homework:
        self._known(await self._directory(caller), student_id)
        # POST/DELETE …/done sets a state: repeating it after a 401 is safe.
        await self._with(
            caller,
            lambda c: self._client.set_homework_done(c, homework_id, done),
            idempotent=True,
        )
        due = self._homework_due.get(homework_id)
        if due is not None:
            start, end = due, due
        else:
            today = self._today()
            start, end = today - _HOMEWORK_SEARCH[0], today + _HOMEWORK_SEARCH[1]
        document = await self._with(
            caller, lambda c: self._client.homeworks_short(c, student_id, start, end)
        )
        items = parse_homework_short(document, student_id=student_id)
        self._remember_homework(items)
        found = next((h.homework for h in items if h.homework.id == homework_id), None)
        if found is None:
            raise NotFoundError(f"homework {homework_id} not found", provider=self.slug)
        return found

    # -- writes --------------------------------------------------------------------------

    async def _unsent(self, step: Awaitable[T]) -> T:
        """A step before a write is sent (credentials, look-ups): its failure leaves the
        write ``NOT_APPLIED``, whatever the error."""
        try:
            with map_httpx_errors(self.slug):  # an httpx or JSON error: mapped here, not later
                return await step
        except AdapterError as exc:
            exc.write_outcome = WriteOutcome.NOT_APPLIED
            raise

    def _rejected(self, message: str, field: str) -> ProviderRejectedError:
        return ProviderRejectedError(message, provider=self.slug, field=field)

    def _mark_body(
        self,
        mark: MarkInput,
        *,
        student_id: str,
        lesson_id: str | None,
        correcting: bool = False,
    ) -> dict[str, Any]:
        """Call 15's body: on the lesson's grade system where a journal told it, else the
        five-point one (the provider refuses a value outside the lesson's scale)."""
        scale = FIVE_POINT_SYSTEM
        if lesson_id is not None:
            scale = self._lesson_scales.get(lesson_id, FIVE_POINT_SYSTEM)
        try:
            return build_mark_body(
                mark,
                student_id=student_id,
                grade_system_id=scale,
                lesson_id=lesson_id,
                correcting=correcting,
            )
        except UnknownControlForm:
            raise self._rejected("the provider has no such control form", "control_form") from None

    def _written_mark(self, document: Any, student_id: str, lesson_id: str | None) -> Mark:
        if not isinstance(document, dict):
            raise ValueError("a written mark is not an object")
        written = parse_mark(
            document,
            student_id=student_id,
            tz=self.region.timezone,
            # call 13's shape has no subject: the lesson's, where a journal told it
            subject=self._lesson_subjects.get(lesson_id or "", Subject(id="", name="")),
            lesson_id=lesson_id,
        )
        if written.lesson_id is not None:
            self._mark_lessons[written.id] = written.lesson_id
        return written

    async def _enter_mark(
        self,
        caller: Caller,
        lesson_id: str,
        student_id: str,
        mark: MarkInput,
        idempotency_key: str,
    ) -> Mark:
        body = self._mark_body(mark, student_id=student_id, lesson_id=lesson_id)
        await self._unsent(self._sessions.credentials(caller))
        # A 401 means the provider refused it unread; a resend under the same key is safe.
        document = await self._with(
            caller, lambda c: self._client.create_mark(c, body, idempotency_key)
        )
        return self._written_mark(document, student_id, lesson_id)

    async def _correct_mark(
        self,
        caller: Caller,
        mark_id: str,
        student_id: str,
        mark: MarkInput,
        idempotency_key: str,
    ) -> Mark:
        lesson_id = self._mark_lessons.get(mark_id)
        body = self._mark_body(mark, student_id=student_id, lesson_id=lesson_id, correcting=True)
        await self._unsent(self._sessions.credentials(caller))
        document = await self._with(
            caller, lambda c: self._client.correct_mark(c, mark_id, body, idempotency_key)
        )
        return self._written_mark(document, student_id, lesson_id)

    async def _fetch_absence_reasons(self, caller: Caller, student_id: str) -> list[AbsenceReason]:
        self._known(await self._directory(caller), student_id)

        async def fetch(creds: Credentials) -> Any:
            return await self._client.nonattendance_reasons(creds)

        return parse_absence_reasons(await self._with(caller, fetch))

    async def _notify_absence(
        self,
        caller: Caller,
        student_id: str,
        days: DateRange,
        reason_id: str,
        comment: str | None,
        idempotency_key: str,
    ) -> AbsenceNotice:
        body = build_absence_notice(days, reason_id, comment, student_id=student_id)
        reasons = await self._unsent(self._reasons(caller))
        document = await self._with(
            caller, lambda c: self._client.notify_absence(c, body, idempotency_key)
        )
        if isinstance(document, dict) and document.get("notifications"):
            return parse_absence_notice(
                document, student_id=student_id, reasons=reasons, tz=self.region.timezone
            )
        # a server that answers only {"success": true}: the notice as sent
        digest = hashlib.sha256(f"{student_id}|{idempotency_key}".encode()).hexdigest()[:20]
        name = reasons.get(int(reason_id), ("", None))[0]
        return AbsenceNotice(
            id=digest,
            student_id=student_id,
            days=days,
            reason=AbsenceReason(id=reason_id, name=name),
            comment=comment or None,
        )

    async def _fetch_absence_notices(
        self, caller: Caller, student_ids: list[str]
    ) -> BatchResult[list[AbsenceNotice]]:
        tz = self.region.timezone
        directory, reasons = await asyncio.gather(self._directory(caller), self._reasons(caller))

        async def notices(student_id: str) -> list[AbsenceNotice]:
            self._known(directory, student_id)
            document = await self._with(
                caller, lambda c: self._client.absence_notices(c, student_id)
            )
            return parse_absence_notices(document, student_id=student_id, reasons=reasons, tz=tz)

        return await per_student(student_ids, notices)

    async def _login(self, school: str | None, login: str, password: str) -> ProviderSession:
        # МЭШ logins are unique in the region: ``school`` is not needed.
        try:
            document = await self._client.login(login, password)
        except AuthenticationError:
            raise AuthenticationError("wrong login or password", provider=self.slug) from None
        return parse_session_user(document)


def _class_level(name: str) -> int | None:
    """The year of study a class name such as «9-А» starts with."""
    digits = name[: len(name) - len(name.lstrip("0123456789"))]
    return int(digits) if digits else None
