"""The adapter contract: one abstract base every regional adapter subclasses.

The public async methods (``get_profile``, ``get_diaries``, …) are written once here and
never overridden. Each one checks the declared capability, runs the protected hook
(``_fetch_*``) through the injected :class:`CallRunner` (where the gateway adds caching,
single flight, retries, circuit breaking and the per-call time bound), translates every
foreign error into the :mod:`adapters.errors` tree, logs one line without personal data,
and checks the hook's invariants (batch results as long as their keys, lessons inside the
requested range and sorted).

Every id a public method takes is checked against the shapes the adapter declares in
``native_ids`` (:mod:`adapters.native_ids`) before any hook runs: a malformed id fails its
slot (or the call) with :class:`~adapters.native_ids.InvalidIdError`, and no hook sees it.

To write an adapter: subclass :class:`DiaryAdapter`, declare ``slug``, ``diary_system``,
``capabilities``, ``login_methods``, ``config_model`` and ``native_ids``, implement the
hooks for the declared capabilities. A hook for an undeclared capability is never called.
Build every provider URL path with :func:`adapters.paths.provider_path`.
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Protocol, TypeVar
from zoneinfo import ZoneInfo

from .capabilities import Capability
from .clock import SYSTEM_CLOCK, Clock
from .errors import (
    AdapterError,
    AuthenticationError,
    NotSupportedError,
    ProviderResponseError,
    ProviderUnavailableError,
    map_httpx_errors,
    write_outcome_of,
)
from .models import (
    AbsenceNotice,
    AbsenceReason,
    Attachment,
    BellSchedule,
    Caller,
    Change,
    ClassNotice,
    Correspondent,
    DateRange,
    Homework,
    Journal,
    Lesson,
    LoginMethod,
    Mark,
    MarkInput,
    Meeting,
    Message,
    MessageThread,
    ProviderSession,
    RegionProfile,
    Remark,
    Roster,
    Rsvp,
    School,
    Student,
    SubjectProgress,
    Term,
)
from .native_ids import IdKind, InvalidIdError, NativeIdShapes, is_native_id
from .progress import compute_progress

__all__ = [
    "JOURNALS",
    "AdapterDeps",
    "BatchResult",
    "CallRunner",
    "DiaryAdapter",
    "DirectRunner",
    "RegionInfo",
    "UpstreamCall",
]

logger = logging.getLogger("adapters")

T = TypeVar("T")
R = TypeVar("R")
BatchResult = list[T | AdapterError]
"""One slot per key: the value, or the error that failed only that key."""


JOURNALS = "journals"
"""The invalidation key every journal read carries (:attr:`UpstreamCall.student_ids`): a
mark entered or corrected in a region drops its cached journals (a mark's group is not
always known to the writer)."""


@dataclass(frozen=True, slots=True)
class UpstreamCall:
    """Describes one call to a provider, for the runner's cache and breaker.

    Attributes:
        provider: the adapter slug.
        region: the region code.
        resource: what is fetched (``profile``, ``diary``, ``marks``…): picks the cache TTL.
        scope: the caller's authorization scope; part of every cache key.
        key: the call's arguments, serialised.
        idempotent: reads are; writes are never retried or cached.
        student_ids: the students whose data the call may return (for invalidation), or
            :data:`JOURNALS` for a group's journal.
    """

    provider: str
    region: str
    resource: str
    scope: str
    key: str
    idempotent: bool = True
    student_ids: tuple[str, ...] = ()


class CallRunner(Protocol):
    """Runs provider calls; the gateway's runner adds cache, retries and breakers."""

    async def run(self, call: UpstreamCall, fetch: Callable[[], Awaitable[T]]) -> T:
        """Return ``await fetch()``, possibly from cache or shared with identical calls."""
        ...


class DirectRunner:
    """A runner that simply calls the provider, bounded by one timeout per call (adapters
    used without the gateway: tools, tests of one adapter, emulators).

    The gateway's runner (:class:`gateway.upstream.UpstreamRunner`) brings its own per-call
    budget instead, so a call is bounded once either way.

    Args:
        timeout: seconds one call may take in total.
    """

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    async def run(self, call: UpstreamCall, fetch: Callable[[], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(self.timeout):
                return await fetch()
        except TimeoutError as exc:
            logger.warning(
                "provider call failed: region=%s provider=%s resource=%s "
                "error=ProviderUnavailableError(timeout) (call timeout %.1fs)",
                call.region,
                call.provider,
                call.resource,
                self.timeout,
            )
            raise ProviderUnavailableError("provider timed out", provider=call.provider) from exc


@dataclass(frozen=True, slots=True)
class RegionInfo:
    """The region an adapter instance serves, from the gateway config."""

    code: str
    name: str
    timezone: ZoneInfo
    diary_url: str
    demo: bool = False
    history_days: int | None = None


@dataclass(frozen=True, slots=True)
class AdapterDeps:
    """Shared services injected into every adapter; adapters never build their own."""

    http: Any = None
    """The shared ``httpx.AsyncClient`` (``None`` for in-memory providers)."""
    runner: CallRunner = field(default_factory=DirectRunner)
    """Runs every provider call and bounds its time (the gateway's runner: its per-call
    budget within the operation budget; :class:`DirectRunner`: its own timeout)."""
    clock: Clock = SYSTEM_CLOCK
    """Every "now" and "today" of the adapter (and of an in-memory provider's world)."""


class DiaryAdapter(abc.ABC):
    """Base of every regional adapter. See the module docstring for how to write one."""

    slug: ClassVar[str]
    """Short provider name (``moscow``, ``netcity``, ``eljur``)."""
    diary_system: ClassVar[str]
    """The name of the region's diary system, as people know it."""
    capabilities: ClassVar[frozenset[Capability]]
    login_methods: ClassVar[tuple[LoginMethod, ...]] = (LoginMethod.NATIONAL_SSO,)
    config_model: ClassVar[type[Any]]
    """A frozen dataclass of the adapter's settings (its ``[regions.CODE]`` keys)."""
    native_ids: ClassVar[NativeIdShapes] = {}
    """The full-match shape of the provider's ids per kind; an undeclared kind has none."""

    def __init__(self, *, region: RegionInfo, config: Any, deps: AdapterDeps) -> None:
        self.region = region
        self.config = config
        self.deps = deps
        self._closed = False
        self.foreign_records_dropped: Counter[tuple[str, str]] = Counter()
        """Leak-guard drops per (resource, record kind): records naming another student."""

    # -- lifecycle ---------------------------------------------------------------------

    async def aclose(self) -> None:
        """Release resources; safe to call twice."""
        self._closed = True

    async def __aenter__(self) -> DiaryAdapter:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- native ids --------------------------------------------------------------------

    def is_native_id(self, kind: IdKind, value: str) -> bool:
        """Whether ``value`` is a well-formed id of ``kind`` for this provider."""
        return is_native_id(self.native_ids, kind, value)

    def _invalid_id(self, kind: IdKind) -> InvalidIdError:
        return InvalidIdError(f"malformed {kind.value} id", provider=self.slug)

    def _check_id(self, kind: IdKind, value: str) -> None:
        if not self.is_native_id(kind, value):
            raise self._invalid_id(kind)

    async def _valid_only(
        self,
        capability: Capability,
        kind: IdKind,
        ids: Sequence[str],
        fetch: Callable[[list[str]], Awaitable[BatchResult[T]]],
    ) -> BatchResult[T]:
        """``fetch`` the well-formed ids; each malformed one fails its own slot."""
        self._require(capability)
        valid = [i for i in ids if self.is_native_id(kind, i)]
        found = iter(await fetch(valid) if valid else [])
        return [next(found) if self.is_native_id(kind, i) else self._invalid_id(kind) for i in ids]

    async def _per_students(
        self,
        capability: Capability,
        resource: str,
        caller: Caller,
        student_ids: Sequence[str],
        key: tuple[object, ...],
        fetch: Callable[[list[str]], Awaitable[BatchResult[T]]],
    ) -> BatchResult[T]:
        """A read of one slot per student: the well-formed ids in one call (cached per
        ``key`` and invalidated per student), the slots checked against the ids; each
        malformed id fails its own slot."""

        async def batch(ids: list[str]) -> BatchResult[T]:
            result = await self._call(
                capability,
                resource,
                caller,
                self._key(ids, *key),
                lambda: fetch(ids),
                student_ids=ids,
            )
            self._check_batch(ids, result)
            return result

        return await self._valid_only(capability, IdKind.STUDENT, student_ids, batch)

    # -- the template ------------------------------------------------------------------

    def supports(self, capability: Capability) -> bool:
        """Whether the region's system can answer ``capability``."""
        return capability in self.capabilities

    def _require(self, capability: Capability) -> None:
        if capability not in self.capabilities:
            raise NotSupportedError(
                f"the {self.diary_system} system of region {self.region.code} "
                f"does not provide {capability.value}",
                provider=self.slug,
            )

    async def _call(
        self,
        capability: Capability,
        resource: str,
        caller: Caller | None,
        key: str,
        fetch: Callable[[], Awaitable[T]],
        *,
        idempotent: bool = True,
        student_ids: Sequence[str] = (),
    ) -> T:
        self._require(capability)
        call = UpstreamCall(
            provider=self.slug,
            region=self.region.code,
            resource=resource,
            scope=caller.scope if caller is not None else "public",
            key=key,
            idempotent=idempotent,
            student_ids=tuple(student_ids),
        )

        async def guarded() -> T:
            with map_httpx_errors(self.slug):
                return await fetch()

        started = time.perf_counter()
        outcome = "ok"
        try:  # the runner bounds the call's time (no second timeout here)
            return await self.deps.runner.run(call, guarded)
        except AdapterError as exc:
            outcome = type(exc).__name__
            if not idempotent and exc.write_outcome is None:
                exc.write_outcome = write_outcome_of(exc)
            raise
        finally:
            logger.info(
                "provider call %s region=%s resource=%s outcome=%s duration_ms=%.1f",
                self.slug,
                self.region.code,
                resource,
                outcome,
                (time.perf_counter() - started) * 1000,
            )

    def _check_batch(self, keys: Sequence[str], results: Sequence[Any]) -> None:
        if len(results) != len(keys):
            raise ProviderResponseError(
                f"adapter returned {len(results)} results for {len(keys)} keys",
                provider=self.slug,
            )

    @staticmethod
    def _key(*parts: object) -> str:
        return "|".join(
            ",".join(map(str, p)) if isinstance(p, list | tuple) else str(p) for p in parts
        )

    # -- the leak guard ----------------------------------------------------------------

    def note_foreign_records(self, resource: str, kind: str, count: int = 1) -> None:
        """Count and log ``count`` records of ``kind`` that named a student not asked for.

        The log line says which provider, region, resource and kind, never whose records
        (no names, marks, ids or tokens). Adapters call it for records they drop while
        parsing (e.g. an event of another person); the template calls it for the rest.
        """
        if count <= 0:
            return
        self.foreign_records_dropped[(resource, kind)] += count
        logger.warning(
            "leak guard dropped %d %s record(s) naming another student: "
            "provider=%s region=%s resource=%s",
            count,
            kind,
            self.slug,
            self.region.code,
            resource,
        )

    def _own(self, resource: str, kind: str, student_id: str, records: Sequence[R]) -> list[R]:
        """The records of ``student_id``; the others are dropped and counted."""
        kept = [r for r in records if getattr(r, "student_id", student_id) == student_id]
        self.note_foreign_records(resource, kind, len(records) - len(kept))
        return kept

    def _own_lesson(self, resource: str, student_id: str, lesson: Lesson) -> Lesson:
        homework = self._own(resource, "homework", student_id, lesson.homework)
        marks = self._own(resource, "mark", student_id, lesson.marks)
        absence = lesson.absence
        if absence is not None and not self._own(resource, "absence", student_id, [absence]):
            absence = None
        if (
            len(homework) == len(lesson.homework)
            and len(marks) == len(lesson.marks)
            and absence is lesson.absence
        ):
            return lesson
        return dataclasses.replace(
            lesson, homework=tuple(homework), marks=tuple(marks), absence=absence
        )

    async def _guarded(
        self,
        resource: str,
        kind: str,
        student_ids: Sequence[str],
        fetch: Awaitable[BatchResult[list[Any]]],
    ) -> BatchResult[list[Any]]:
        """``fetch``'s slots with every record naming another student than the slot's dropped.

        Runs inside the provider call, so a drop is counted once per provider answer and
        the cache only ever holds screened records. Lessons keep their place; their
        homework, marks and absence are screened one by one.
        """
        result = await fetch
        if len(result) != len(student_ids):
            return result  # _check_batch reports it
        screened: BatchResult[list[Any]] = []
        for student_id, slot in zip(student_ids, result, strict=True):
            if isinstance(slot, AdapterError):
                screened.append(slot)
            elif kind == "lesson":
                screened.append([self._own_lesson(resource, student_id, le) for le in slot])
            else:
                screened.append(self._own(resource, kind, student_id, slot))
        return screened

    # -- public methods (never overridden) ---------------------------------------------

    async def list_schools(self) -> list[School]:
        """The region's schools (public directory data)."""
        return await self._call(Capability.PROFILE, "schools", None, "all", self._list_schools)

    async def get_profile(self, caller: Caller) -> RegionProfile | None:
        """Who the caller is in this region, or ``None`` when the region does not know them."""
        return await self._call(
            Capability.PROFILE, "profile", caller, "me", lambda: self._fetch_profile(caller)
        )

    async def get_roster(self, caller: Caller) -> Roster:
        """The classes, groups and students the caller's staff roles reach (empty otherwise).

        A class teacher gets their classes and students, a teacher their groups with their
        classes and students, a school admin every class, group and student of the school.
        """
        return await self._call(
            Capability.PROFILE, "roster", caller, "me", lambda: self._fetch_roster(caller)
        )

    async def get_terms(self, caller: Caller | None, school_id: str) -> list[Term]:
        """The periods of a school's current year, in order."""
        self._require(Capability.TERMS)
        self._check_id(IdKind.SCHOOL, school_id)

        async def fetch() -> list[Term]:
            terms = await self._fetch_terms(caller, school_id)
            return sorted(terms, key=lambda t: t.starts_on)

        return await self._call(Capability.TERMS, "terms", caller, school_id, fetch)

    async def get_students(
        self, caller: Caller, student_ids: Sequence[str]
    ) -> BatchResult[Student]:
        """Students by id; a slot holds ``NotFoundError`` for an unknown id."""
        return await self._per_students(
            Capability.PROFILE,
            "students",
            caller,
            student_ids,
            (),
            lambda ids: self._fetch_students(caller, ids),
        )

    async def get_diaries(
        self, caller: Caller, student_ids: Sequence[str], days: DateRange
    ) -> BatchResult[list[Lesson]]:
        """Each student's lessons in ``days``, with their marks, homework and absences."""
        result = await self._per_students(
            Capability.SCHEDULE,
            "diary",
            caller,
            student_ids,
            (days.start, days.end),
            lambda ids: self._guarded(
                "diary", "lesson", ids, self._fetch_diaries(caller, ids, days)
            ),
        )
        for slot in result:
            if isinstance(slot, list):
                self._check_lessons(slot, days)
        return result

    async def get_marks(
        self, caller: Caller, student_ids: Sequence[str], days: DateRange
    ) -> BatchResult[list[Mark]]:
        """Each student's marks for lessons in ``days`` (filtered on the lesson date)."""
        return await self._per_students(
            Capability.MARKS,
            "marks",
            caller,
            student_ids,
            (days.start, days.end),
            lambda ids: self._guarded("marks", "mark", ids, self._fetch_marks(caller, ids, days)),
        )

    async def get_progress(
        self, caller: Caller, student_ids: Sequence[str], days: DateRange
    ) -> BatchResult[list[SubjectProgress]]:
        """Per-subject weighted averages over ``days``."""
        return await self._per_students(
            Capability.PROGRESS,
            "progress",
            caller,
            student_ids,
            (days.start, days.end),
            lambda ids: self._guarded(
                "progress", "progress", ids, self._fetch_progress(caller, ids, days)
            ),
        )

    async def get_changes(
        self, caller: Caller, student_ids: Sequence[str], since: datetime
    ) -> BatchResult[list[Change]]:
        """Each student's recent changes (new or updated marks and homework) since ``since``.

        A naive ``since`` is taken as the region's local time.
        """
        if since.tzinfo is None:
            since = since.replace(tzinfo=self.region.timezone)
        return await self._per_students(
            Capability.CHANGES,
            "changes",
            caller,
            student_ids,
            (since.isoformat(),),
            lambda ids: self._guarded(
                "changes", "change", ids, self._fetch_changes(caller, ids, since)
            ),
        )

    async def get_journal(self, caller: Caller, group_id: str, days: DateRange) -> Journal:
        """A group's journal over ``days`` (staff only; the provider checks it too)."""
        self._require(Capability.JOURNAL)
        self._check_id(IdKind.GROUP, group_id)
        return await self._call(
            Capability.JOURNAL,
            "journal",
            caller,
            self._key(group_id, days.start, days.end),
            lambda: self._fetch_journal(caller, group_id, days),
            student_ids=[JOURNALS],  # a mark entered anywhere in the region drops it
        )

    async def get_bell_schedule(self, caller: Caller | None, school_id: str) -> BellSchedule:
        """A school's lesson times."""
        self._require(Capability.BELLS)
        self._check_id(IdKind.SCHOOL, school_id)
        return await self._call(
            Capability.BELLS,
            "bells",
            None,
            school_id,
            lambda: self._fetch_bell_schedule(school_id),
        )

    async def set_homework_done(
        self, caller: Caller, student_id: str, homework_id: str, done: bool
    ) -> Homework:
        """Mark a student's homework done or not done; never retried, never cached."""
        self._require(Capability.HOMEWORK_DONE)
        self._check_id(IdKind.STUDENT, student_id)
        self._check_id(IdKind.HOMEWORK, homework_id)
        return await self._call(
            Capability.HOMEWORK_DONE,
            "homework_done",
            caller,
            self._key(student_id, homework_id, done),
            lambda: self._set_homework_done(caller, student_id, homework_id, done),
            idempotent=False,
            student_ids=[student_id],
        )

    async def get_remarks(
        self, caller: Caller, student_ids: Sequence[str], days: DateRange
    ) -> BatchResult[list[Remark]]:
        """Each student's remarks and praise of ``days``, oldest first (as the caller may
        read them: the provider decides whose they are)."""
        return await self._per_students(
            Capability.REMARKS,
            "remarks",
            caller,
            student_ids,
            (days.start, days.end),
            lambda ids: self._guarded(
                "remarks", "remark", ids, self._fetch_remarks(caller, ids, days)
            ),
        )

    async def acknowledge_week(
        self, caller: Caller, student_id: str, week_of: date, content_hash: str, receipt: str
    ) -> None:
        """Tell the region's system that the caller acknowledged ``student_id``'s week
        (``receipt``: the gateway's signed receipt); never retried, never cached."""
        self._require(Capability.ACKNOWLEDGEMENT)
        self._check_id(IdKind.STUDENT, student_id)
        await self._call(
            Capability.ACKNOWLEDGEMENT,
            "acknowledgement",
            caller,
            self._key(student_id, week_of, content_hash),
            lambda: self._acknowledge_week(caller, student_id, week_of, content_hash, receipt),
            idempotent=False,
            student_ids=[student_id],
        )

    async def bind_parent(self, caller: Caller, student_id: str) -> None:
        """Ask the region's system to bind the caller's national SSO identity to a legal
        representative's record of ``student_id`` (an invitation being redeemed); never
        retried, never cached. The caller's cached profile is dropped: they are known now."""
        self._require(Capability.INVITATIONS)
        self._check_id(IdKind.STUDENT, student_id)
        if caller.person_id is None or not caller.sso_token:
            raise AuthenticationError("sign in with the national SSO first", provider=self.slug)
        await self._call(
            Capability.INVITATIONS,
            "invitation",
            caller,
            self._key(student_id),
            lambda: self._bind_parent(caller, student_id),
            idempotent=False,
            student_ids=[student_id],
        )
        forget = getattr(self.deps.runner, "forget", None)
        if forget is not None:
            for resource in ("profile", "roster"):
                await forget(self._profile_call(caller, resource))

    # -- the two-way half: messages, notices, meetings, absence notices, marks ---------
    # Reads are never cached (a message read, an answer given, must show at once); writes
    # are never retried (``idempotent=False``) and carry the caller's idempotency key to
    # providers that honour one; a failed write's error says whether it may have been
    # applied (``AdapterError.write_outcome``).

    async def list_correspondents(self, caller: Caller) -> list[Correspondent]:
        """Who the caller may write to (a parent: their children's teachers and class
        teachers; staff: the families of their classes), as the provider decides."""
        return await self._call(
            Capability.MESSAGES,
            "correspondents",
            caller,
            "me",
            lambda: self._fetch_correspondents(caller),
        )

    async def list_message_threads(self, caller: Caller) -> list[MessageThread]:
        """The caller's threads, the latest message first."""
        return await self._call(
            Capability.MESSAGES, "threads", caller, "me", lambda: self._fetch_threads(caller)
        )

    async def get_messages(self, caller: Caller, thread_id: str) -> list[Message]:
        """A thread's messages, oldest first (reading them does not mark them read)."""
        self._require(Capability.MESSAGES)
        self._check_id(IdKind.THREAD, thread_id)
        return await self._call(
            Capability.MESSAGES,
            "messages",
            caller,
            thread_id,
            lambda: self._fetch_messages(caller, thread_id),
        )

    async def send_message(
        self,
        caller: Caller,
        *,
        text: str,
        idempotency_key: str,
        to: str | None = None,
        thread_id: str | None = None,
        subject: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Message:
        """Send a message: a new thread to ``to`` (a correspondent id) or a reply in
        ``thread_id``; never retried, never cached."""
        self._require(Capability.MESSAGES)
        if (to is None) == (thread_id is None):
            raise ValueError("send_message takes either to or thread_id")
        if to is not None:
            self._check_id(IdKind.CORRESPONDENT, to)
        if thread_id is not None:
            self._check_id(IdKind.THREAD, thread_id)
        return await self._call(
            Capability.MESSAGES,
            "send_message",
            caller,
            self._key(idempotency_key),
            lambda: self._send_message(
                caller, to, thread_id, subject, text, tuple(attachments), idempotency_key
            ),
            idempotent=False,
        )

    async def mark_messages_read(self, caller: Caller, message_ids: Sequence[str]) -> None:
        """Mark the caller's received messages read (their authors see the receipt)."""
        self._require(Capability.MESSAGES)
        for message_id in message_ids:
            self._check_id(IdKind.MESSAGE, message_id)
        await self._call(
            Capability.MESSAGES,
            "messages_read",
            caller,
            self._key(list(message_ids)),
            lambda: self._mark_messages_read(caller, list(message_ids)),
            idempotent=False,
        )

    async def get_class_notices(
        self, caller: Caller, student_ids: Sequence[str]
    ) -> BatchResult[list[ClassNotice]]:
        """Each student's class notices, the latest first."""
        return await self._per_students(
            Capability.CLASS_NOTICES,
            "notices",
            caller,
            student_ids,
            (),
            lambda ids: self._fetch_class_notices(caller, ids),
        )

    async def get_meetings(
        self, caller: Caller, student_ids: Sequence[str]
    ) -> BatchResult[list[Meeting]]:
        """Each student's class's parent meetings, the earliest first, with the caller's
        answers."""
        return await self._per_students(
            Capability.MEETINGS,
            "meetings",
            caller,
            student_ids,
            (),
            lambda ids: self._fetch_meetings(caller, ids),
        )

    async def rsvp_meeting(self, caller: Caller, meeting_id: str, rsvp: Rsvp) -> Meeting:
        """Give the caller's answer to a meeting (a later answer replaces it); the meeting
        as it now is. Setting the same answer twice changes nothing."""
        self._require(Capability.MEETINGS)
        self._check_id(IdKind.MEETING, meeting_id)
        return await self._call(
            Capability.MEETINGS,
            "rsvp",
            caller,
            self._key(meeting_id, rsvp.value),
            lambda: self._rsvp_meeting(caller, meeting_id, rsvp),
            idempotent=False,
        )

    async def get_absence_reasons(self, caller: Caller, student_id: str) -> list[AbsenceReason]:
        """The reasons the region's system accepts for a notice about ``student_id``."""
        self._require(Capability.ABSENCE_NOTICES)
        self._check_id(IdKind.STUDENT, student_id)
        return await self._call(
            Capability.ABSENCE_NOTICES,
            "absence_reasons",
            caller,
            student_id,
            lambda: self._fetch_absence_reasons(caller, student_id),
        )

    async def notify_absence(
        self,
        caller: Caller,
        student_id: str,
        days: DateRange,
        reason_id: str,
        *,
        comment: str | None,
        idempotency_key: str,
    ) -> AbsenceNotice:
        """Tell the school that ``student_id`` will miss ``days`` (future days only: the
        provider refuses others with ``ProviderRejectedError``); never retried."""
        self._require(Capability.ABSENCE_NOTICES)
        self._check_id(IdKind.STUDENT, student_id)
        self._check_id(IdKind.ABSENCE_REASON, reason_id)
        return await self._call(
            Capability.ABSENCE_NOTICES,
            "absence_notice",
            caller,
            self._key(idempotency_key),
            lambda: self._notify_absence(
                caller, student_id, days, reason_id, comment, idempotency_key
            ),
            idempotent=False,
            student_ids=[student_id],
        )

    async def get_absence_notices(
        self, caller: Caller, student_ids: Sequence[str]
    ) -> BatchResult[list[AbsenceNotice]]:
        """Each student's advance absence notices (a representative's own children; the
        class teacher's class), the earliest day first."""
        return await self._per_students(
            Capability.ABSENCE_NOTICES,
            "absence_notices",
            caller,
            student_ids,
            (),
            lambda ids: self._fetch_absence_notices(caller, ids),
        )

    async def enter_mark(
        self,
        caller: Caller,
        lesson_id: str,
        student_id: str,
        mark: MarkInput,
        *,
        idempotency_key: str,
    ) -> Mark:
        """A teacher enters a mark on a lesson of their group's journal; the provider checks
        the value against the lesson's scale (``ProviderRejectedError``) and the teacher's
        right to the group (``AccessDeniedError``); never retried."""
        self._require(Capability.MARK_ENTRY)
        self._check_id(IdKind.LESSON, lesson_id)
        self._check_id(IdKind.STUDENT, student_id)
        return await self._call(
            Capability.MARK_ENTRY,
            "enter_mark",
            caller,
            self._key(idempotency_key),
            lambda: self._enter_mark(caller, lesson_id, student_id, mark, idempotency_key),
            idempotent=False,
            student_ids=[student_id],
        )

    async def correct_mark(
        self,
        caller: Caller,
        mark_id: str,
        student_id: str,
        mark: MarkInput,
        *,
        idempotency_key: str,
    ) -> Mark:
        """A teacher corrects a mark of their group (value, weight, comment); never
        retried."""
        self._require(Capability.MARK_ENTRY)
        self._check_id(IdKind.MARK, mark_id)
        self._check_id(IdKind.STUDENT, student_id)
        return await self._call(
            Capability.MARK_ENTRY,
            "correct_mark",
            caller,
            self._key(idempotency_key),
            lambda: self._correct_mark(caller, mark_id, student_id, mark, idempotency_key),
            idempotent=False,
            student_ids=[student_id],
        )

    def _profile_call(self, caller: Caller, resource: str) -> UpstreamCall:
        """The call :meth:`get_profile` / :meth:`get_roster` make (to drop it from a cache)."""
        return UpstreamCall(
            provider=self.slug,
            region=self.region.code,
            resource=resource,
            scope=caller.scope,
            key="me",
            idempotent=True,
            student_ids=(),
        )

    async def login(self, *, school: str | None, login: str, password: str) -> ProviderSession:
        """Sign a student in with their school-issued login; never cached."""
        return await self._call(
            Capability.SCHOOL_LOGIN,
            "login",
            None,
            f"login:{school}:{login}",
            lambda: self._login(school, login, password),
            idempotent=False,
        )

    # -- invariants --------------------------------------------------------------------

    def _check_lessons(self, lessons: list[Lesson], days: DateRange) -> None:
        previous: tuple[date, int] | None = None
        for lesson in lessons:
            if lesson.date not in days:
                raise ProviderResponseError(
                    f"lesson on {lesson.date} outside {days.start}..{days.end}",
                    provider=self.slug,
                )
            order = (lesson.date, lesson.number)
            if previous is not None and order < previous:
                raise ProviderResponseError("lessons are not sorted", provider=self.slug)
            previous = order

    # -- hooks -------------------------------------------------------------------------

    @abc.abstractmethod
    async def _list_schools(self) -> list[School]:
        """Return every school of the region."""

    @abc.abstractmethod
    async def _fetch_profile(self, caller: Caller) -> RegionProfile | None:
        """Return the caller's person, roles and children here; ``None`` if unknown."""

    @abc.abstractmethod
    async def _fetch_students(self, caller: Caller, student_ids: list[str]) -> BatchResult[Student]:
        """Return one slot per id: the student, or ``NotFoundError``/``AccessDeniedError``."""

    @abc.abstractmethod
    async def _fetch_diaries(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Lesson]]:
        """Return, per student, the lessons of ``days`` sorted by (date, number)."""

    async def _fetch_marks(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Mark]]:
        """Return, per student, the marks of lessons in ``days``.

        The default collects them from the diary; override where the provider has a
        cheaper marks call.
        """
        diaries = await self._fetch_diaries(caller, student_ids, days)
        return [
            slot
            if isinstance(slot, AdapterError)
            else [mark for lesson in slot for mark in lesson.marks]
            for slot in diaries
        ]

    async def _fetch_progress(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[SubjectProgress]]:
        """Return, per student, the subjects' averages.

        The default computes them from the marks with the common weighted-mean rule;
        override to use the provider's own averages.
        """
        marks = await self._fetch_marks(caller, student_ids, days)
        return [
            slot if isinstance(slot, AdapterError) else compute_progress(student_id, slot)
            for student_id, slot in zip(student_ids, marks, strict=True)
        ]

    async def _fetch_changes(
        self, caller: Caller, student_ids: list[str], since: datetime
    ) -> BatchResult[list[Change]]:
        """Return, per student, changes newer than ``since``, newest first."""
        raise NotSupportedError("changes", provider=self.slug)  # pragma: no cover

    async def _fetch_journal(self, caller: Caller, group_id: str, days: DateRange) -> Journal:
        """Return the group's journal; raise ``AccessDeniedError`` if not the caller's."""
        raise NotSupportedError("journal", provider=self.slug)  # pragma: no cover

    async def _fetch_roster(self, caller: Caller) -> Roster:
        """Return the classes, groups and students the caller's staff roles reach.

        The default lists the groups of the caller's profile and nothing more; providers
        override it with their class lists.
        """
        profile = await self._fetch_profile(caller)
        return Roster(groups=profile.groups) if profile is not None else Roster()

    async def _fetch_terms(self, caller: Caller | None, school_id: str) -> list[Term]:
        """Return the periods of the school's current year."""
        raise NotSupportedError("terms", provider=self.slug)  # pragma: no cover

    async def _fetch_bell_schedule(self, school_id: str) -> BellSchedule:
        """Return the school's bells."""
        raise NotSupportedError("bells", provider=self.slug)  # pragma: no cover

    async def _set_homework_done(
        self, caller: Caller, student_id: str, homework_id: str, done: bool
    ) -> Homework:
        """Mark homework done; return it as it now is."""
        raise NotSupportedError("homework_done", provider=self.slug)  # pragma: no cover

    async def _fetch_remarks(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Remark]]:
        """Return, per student, the remarks of ``days`` oldest first."""
        raise NotSupportedError("remarks", provider=self.slug)  # pragma: no cover

    async def _acknowledge_week(
        self, caller: Caller, student_id: str, week_of: date, content_hash: str, receipt: str
    ) -> None:
        """Record the acknowledgement in the region's system."""
        raise NotSupportedError("acknowledgement", provider=self.slug)  # pragma: no cover

    async def _bind_parent(self, caller: Caller, student_id: str) -> None:
        """Bind the caller's SSO identity to the student's legal representative's record."""
        raise NotSupportedError("invitations", provider=self.slug)  # pragma: no cover

    async def _login(self, school: str | None, login: str, password: str) -> ProviderSession:
        """Check a school login; raise ``AuthenticationError`` on wrong credentials."""
        raise NotSupportedError("school_login", provider=self.slug)  # pragma: no cover

    async def _fetch_correspondents(self, caller: Caller) -> list[Correspondent]:
        """Return whom the caller may write to."""
        raise NotSupportedError("messages", provider=self.slug)  # pragma: no cover

    async def _fetch_threads(self, caller: Caller) -> list[MessageThread]:
        """Return the caller's threads, the latest message first."""
        raise NotSupportedError("messages", provider=self.slug)  # pragma: no cover

    async def _fetch_messages(self, caller: Caller, thread_id: str) -> list[Message]:
        """Return a thread's messages, oldest first (``NotFoundError`` if not the caller's)."""
        raise NotSupportedError("messages", provider=self.slug)  # pragma: no cover

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
        """Send a new thread's first message (``to``) or a reply (``thread_id``)."""
        raise NotSupportedError("messages", provider=self.slug)  # pragma: no cover

    async def _mark_messages_read(self, caller: Caller, message_ids: list[str]) -> None:
        """Mark received messages read."""
        raise NotSupportedError("messages", provider=self.slug)  # pragma: no cover

    async def _fetch_class_notices(
        self, caller: Caller, student_ids: list[str]
    ) -> BatchResult[list[ClassNotice]]:
        """Return, per student, their class's notices, the latest first."""
        raise NotSupportedError("class_notices", provider=self.slug)  # pragma: no cover

    async def _fetch_meetings(
        self, caller: Caller, student_ids: list[str]
    ) -> BatchResult[list[Meeting]]:
        """Return, per student, their class's parent meetings, the earliest first."""
        raise NotSupportedError("meetings", provider=self.slug)  # pragma: no cover

    async def _rsvp_meeting(self, caller: Caller, meeting_id: str, rsvp: Rsvp) -> Meeting:
        """Record the caller's answer; return the meeting as it now is."""
        raise NotSupportedError("meetings", provider=self.slug)  # pragma: no cover

    async def _fetch_absence_reasons(self, caller: Caller, student_id: str) -> list[AbsenceReason]:
        """Return the region's absence reasons."""
        raise NotSupportedError("absence_notices", provider=self.slug)  # pragma: no cover

    async def _notify_absence(
        self,
        caller: Caller,
        student_id: str,
        days: DateRange,
        reason_id: str,
        comment: str | None,
        idempotency_key: str,
    ) -> AbsenceNotice:
        """Send an advance absence notice; return it as recorded."""
        raise NotSupportedError("absence_notices", provider=self.slug)  # pragma: no cover

    async def _fetch_absence_notices(
        self, caller: Caller, student_ids: list[str]
    ) -> BatchResult[list[AbsenceNotice]]:
        """Return, per student, their advance absence notices, the earliest day first."""
        raise NotSupportedError("absence_notices", provider=self.slug)  # pragma: no cover

    async def _enter_mark(
        self,
        caller: Caller,
        lesson_id: str,
        student_id: str,
        mark: MarkInput,
        idempotency_key: str,
    ) -> Mark:
        """Enter a mark; return it as the provider recorded it."""
        raise NotSupportedError("mark_entry", provider=self.slug)  # pragma: no cover

    async def _correct_mark(
        self,
        caller: Caller,
        mark_id: str,
        student_id: str,
        mark: MarkInput,
        idempotency_key: str,
    ) -> Mark:
        """Correct a mark; return it as the provider now has it."""
        raise NotSupportedError("mark_entry", provider=self.slug)  # pragma: no cover
