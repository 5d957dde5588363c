"""The root types (Query, Mutation) and :func:`build_schema`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Annotated, Any, NoReturn

import strawberry
from graphql import GraphQLError

from adapters import (
    AccessDeniedError,
    AdapterError,
    AuthenticationError,
    Caller,
    Capability,
    NotFoundError,
    RegionProfile,
    Role,
)

from . import absence_notices, mark_entry, meetings, messaging
from .audit import note_read, viewer_label
from .context import AuditEvent, Info
from .diary import Diary, Homework
from .directory import Region, School
from .documents import DocumentCache, documents_extension
from .errors import ErrorCode, coded_error, from_adapter_error
from .execution import PlannedExecutor
from .extensions import AuditTrail, masked_errors
from .ids import GlobalId, NonCanonicalIdError, day_of, decode_id, encode_id
from .journal import Journal, staff_relation
from .limits import ArgumentCaps, QueryLimits
from .live import Subscription
from .nodes import resolve_node
from .onboarding import AccessRequest, Invitation, OnboardingDesk
from .policy import FAMILY, GUARDIAN, Access, Relation, relations_to_student
from .receipts import (
    AcknowledgementReceipt,
    ReceiptVerification,
    content_hash,
    monday_of,
    verify_receipt,
    week_content,
)
from .relay import Node
from .scalars import SCALAR_OVERRIDES
from .students import Student, check_range
from .viewer import Viewer

__all__ = [
    "Mutation",
    "Query",
    "build_schema",
    "decode_client_id",
    "load_journal",
    "load_student",
    "profile_in",
]


async def load_student(info: Info, student_id: str) -> Student:
    """A student by global id, with the viewer's access decided from the region's data.

    Raises ``FORBIDDEN`` when the viewer has no relationship to the student at all, and
    ``BAD_USER_INPUT`` for an id that is malformed or not spelled the one way.
    """
    gid = decode_client_id(info, student_id, expected="Student")
    context = info.context
    context.require_caller()
    if gid.region not in context.registry:
        raise coded_error(ErrorCode.NOT_FOUND, f"unknown region {gid.region}")
    if context.session_region is not None and gid.region != context.session_region:
        raise coded_error(ErrorCode.FORBIDDEN, "not allowed to see this student")
    session_student = (
        context.caller.session.student_id
        if context.caller is not None and context.caller.session is not None
        else None
    )
    profile = await profile_in(info, gid.region)
    if profile is None and session_student is None:
        # the region's system does not know this person: no relationship to anyone there
        _refused(info, gid)
    try:
        model = await context.loaders.students.load((gid.region, gid.native))
    except GraphQLError as error:
        # A signed-in viewer learns nothing from the provider's "no such student" or
        # "not yours": both are the same refusal, so ids cannot be probed.
        if (error.extensions or {}).get("code") in (
            ErrorCode.NOT_FOUND.value,
            ErrorCode.FORBIDDEN.value,
        ):
            _refused(info, gid)
        raise
    access = relations_to_student(model, profile, session_student_id=session_student)
    if not access.relations - {Relation.PUBLIC, Relation.SIGNED_IN}:
        _refused(info, gid)
    return Student.build(model, gid.region, access)


STUDENT_RECORDS = {
    "Student": "student",
    "Homework": "homework",
    "Diary": "diary",
    "DiaryDay": "diary",
    "Lesson": "diary",
    "Mark": "diary",
    "Absence": "diary",
    "Change": "changes",
}
"""Id types whose first part is a student: a refused other spelling is noted against them."""


def decode_client_id(info: Info, value: str, *, expected: str | tuple[str, ...]) -> GlobalId:
    """Decode a client's id, validated by its region's adapter before any provider call.

    Another spelling of a child's id (``=`` padding, leading zeros…) is refused with
    ``BAD_USER_INPUT``, and a signed-in viewer's attempt is recorded against the child's
    canonical id (a homework's student is that child).
    """
    try:
        return decode_id(value, expected=expected, adapters=info.context.registry)
    except NonCanonicalIdError as error:
        canonical = error.canonical
        if (
            info.context.caller is not None
            and canonical.region in info.context.registry
            and canonical.type in STUDENT_RECORDS
        ):
            child = GlobalId("Student", canonical.region, canonical.parts[0])
            _note_refused(info, child, STUDENT_RECORDS[canonical.type])
        raise


def _refused(info: Info, gid: GlobalId) -> NoReturn:
    """Record a refused attempt at a student's records in the audit trail, then refuse."""
    _note_refused(info, gid, "student")
    raise coded_error(ErrorCode.FORBIDDEN, "not allowed to see this student")


def _note_refused(info: Info, gid: GlobalId, field: str) -> None:
    """Record a refused attempt at a student's records, under their canonical id."""
    context = info.context
    context.pending_audit.append(
        AuditEvent(
            at=context.clock.now().isoformat(timespec="seconds"),
            viewer=viewer_label(info),
            role="none",
            relation="none",
            region=gid.region,
            student=encode_id("Student", gid.region, gid.native),
            fields=(field,),
            allowed=False,
            request_id=context.request_id,
        )
    )


async def profile_in(info: Info, region: str) -> RegionProfile | None:
    context = info.context
    if context.caller is not None and context.caller.person_id is None:
        return None  # a school-login session: the session itself says who this is
    return await context.loaders.profile.load(region)


@strawberry.type(description="Entry points for reading diaries.")
class Query:
    @strawberry.field(description="Refetch any object that implements Node by its global id.")
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Global id.")],
    ) -> Node | None:
        return await resolve_node(info, id)

    @strawberry.field(description="The signed-in viewer: person, roles per region, children.")
    def me(self, info: Info) -> Viewer | None:
        return Viewer.for_context(info)

    @strawberry.field(description="The signed-in viewer (an alias of `me`, as Relay expects).")
    def viewer(self, info: Info) -> Viewer | None:
        return Viewer.for_context(info)

    @strawberry.field(description="A student the viewer is related to.")
    async def student(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="Student id.")],
    ) -> Student | None:
        return await load_student(info, id)

    @strawberry.field(description="A student's diary over a date range.")
    async def diary(
        self,
        info: Info,
        student_id: Annotated[strawberry.ID, strawberry.argument(description="Student id.")],
        start: Annotated[date, strawberry.argument(name="from", description="First day.")],
        end: Annotated[date, strawberry.argument(name="to", description="Last day.")],
    ) -> Diary | None:
        student = await load_student(info, student_id)
        return await student.read_diary(info, start, end)

    @strawberry.field(description="A group's journal over a date range (staff only).")
    async def journal(
        self,
        info: Info,
        group_id: Annotated[strawberry.ID, strawberry.argument(description="Group id.")],
        start: Annotated[date, strawberry.argument(name="from", description="First day.")],
        end: Annotated[date, strawberry.argument(name="to", description="Last day.")],
    ) -> Journal | None:
        return await load_journal(info, group_id, start, end)

    verify_receipt: ReceiptVerification = strawberry.field(
        resolver=verify_receipt,
        description="Check an acknowledgement receipt (anyone, signed in or not): whether "
        "this gateway signed it and its payload is unchanged, and what it says.",
    )

    @strawberry.field(
        description="Access requests: with `schoolId`, those filed at that school (its "
        "admins only); without, the signed-in person's own, with each decision and reason."
    )
    async def access_requests(
        self,
        info: Info,
        school_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="A school (its admins).")
        ] = None,
    ) -> list[AccessRequest] | None:
        desk = _onboarding(info)
        caller = _sso_caller(info)
        if school_id is None:
            return [AccessRequest.from_issued(r) for r in await desk.requests_of(caller)]
        region, school = await _admin_of(info, school_id)
        found = await desk.requests_of_school(region, school)
        return [AccessRequest.from_issued(r) for r in found]

    @strawberry.field(description="Every region the gateway serves (public).")
    def regions(self, info: Info) -> list[Region]:
        return [Region.from_adapter(a) for a in info.context.registry.values()]

    @strawberry.field(description="One region by code (public).")
    def region(
        self, info: Info, code: Annotated[str, strawberry.argument(description="Region code.")]
    ) -> Region | None:
        if code not in info.context.registry:
            return None
        return Region.from_adapter(info.context.registry[code])


async def load_journal(info: Info, group_id: str, start: date, end: date) -> Journal:
    """A group's journal by the group's global id, for staff who relate to the group."""
    gid = decode_client_id(info, group_id, expected="Group")
    context = info.context
    caller = context.require_caller()
    if gid.region not in context.registry:
        raise coded_error(ErrorCode.NOT_FOUND, f"unknown region {gid.region}")
    profile = await profile_in(info, gid.region)
    if profile is None or not any(
        g.role.value in ("teacher", "class_teacher", "school_admin") for g in profile.roles
    ):
        raise coded_error(ErrorCode.FORBIDDEN, "the journal is for school staff only")
    days = check_range(info, start, end, region=gid.region, access=STAFF_ACCESS)
    adapter = context.registry[gid.region]
    try:
        model = await adapter.get_journal(caller, gid.native, days)
    except (NotFoundError, AccessDeniedError):
        raise coded_error(ErrorCode.FORBIDDEN, "not allowed to see this group's journal") from None
    except AdapterError as exc:
        raise from_adapter_error(exc, region=gid.region) from exc
    access = staff_relation(model, profile)
    if not access.relations & {
        Relation.GROUP_TEACHER,
        Relation.CLASS_TEACHER,
        Relation.SCHOOL_ADMIN,
    }:
        raise coded_error(ErrorCode.FORBIDDEN, "not allowed to see this group's journal")
    journal, students = Journal.build(model, gid.region, profile, access)
    journal.starts_on, journal.ends_on = days.start, days.end
    for student in students:
        note_read(info, student, "journal", allowed=True)
    return journal


@strawberry.type(description="The result of marking homework done or not done.")
class HomeworkDonePayload:
    homework: Homework = strawberry.field(description="The homework as it now is.")


@strawberry.type(description="A gateway session for a student signed in with a school login.")
class Session:
    token: str = strawberry.field(description="Bearer token for the gateway (short-lived).")
    expires_in: int = strawberry.field(description="Seconds until the token expires.")
    refresh_token: str = strawberry.field(description="Exchange it for a new token.")
    student: Student | None = strawberry.field(description="The signed-in student.")


@strawberry.type(description="Changes to diary data.")
class Mutation:
    @strawberry.mutation(
        description="Mark homework done or not done (the student or their legal representative)."
    )
    async def set_homework_done(
        self,
        info: Info,
        homework_id: Annotated[strawberry.ID, strawberry.argument(description="Homework id.")],
        done: Annotated[bool, strawberry.argument(description="Done (true) or not (false).")],
    ) -> HomeworkDonePayload | None:
        # Both halves are in the provider's shape (digits only for these providers): nothing
        # of a client's text reaches the provider's URL path.
        gid = decode_client_id(info, homework_id, expected="Homework")
        if gid.region not in info.context.registry:
            raise coded_error(ErrorCode.NOT_FOUND, f"unknown region {gid.region}")
        student_native, homework_native, day = gid.parts
        student = await load_student(info, encode_id("Student", gid.region, student_native))
        if not student.access.relations & FAMILY:
            raise coded_error(
                ErrorCode.FORBIDDEN, "only the student or their legal representative may do this"
            )
        adapter = info.context.registry[gid.region]
        if not adapter.supports(Capability.HOMEWORK_DONE):
            raise coded_error(
                ErrorCode.NOT_SUPPORTED,
                f"the {adapter.diary_system} system of region {gid.region} cannot record "
                "homework as done",
                provider=adapter.slug,
                region=gid.region,
            )
        caller = info.context.require_caller()
        try:
            model = await adapter.set_homework_done(caller, student_native, homework_native, done)
        except AdapterError as exc:
            raise await info.context.adapter_error(exc, region=gid.region) from exc
        if info.context.on_mutation is not None:
            await info.context.on_mutation(gid.region, student_native)
        return HomeworkDonePayload(
            homework=Homework.from_model(model, gid.region, student.access, day_of(day))
        )

    enter_mark = strawberry.mutation(
        resolver=mark_entry.enter_mark,
        description="Enter a mark on a lesson of a group the teacher teaches (its "
        "`JournalLesson` id). The region's system checks the value against the lesson's scale "
        "(BAD_USER_INPUT with its message); the family sees it in the diary and as a live "
        "event. NOT_SUPPORTED where the region's system takes no marks from the gateway.",
    )
    correct_mark = strawberry.mutation(
        resolver=mark_entry.correct_mark,
        description="Correct a mark of a group the teacher teaches (value, weight, comment); "
        "the family sees the change as a live event.",
    )
    notify_absence = strawberry.mutation(
        resolver=absence_notices.notify_absence,
        description="Tell the school in advance that a child will be absent (their legal "
        "representative): days from today on, a reason from `Student.absenceReasons`. The "
        "class teacher sees it in `Student.absenceNotices`.",
    )
    rsvp_meeting = strawberry.mutation(
        resolver=meetings.rsvp_meeting,
        description="Answer a parent meeting's invitation (the student's legal "
        "representative); a later answer replaces it.",
    )
    send_message = strawberry.mutation(
        resolver=messaging.send_message,
        description="Send a message: a new thread to a correspondent (`to`, one of "
        "`Viewer.correspondents`) or a reply in a thread (`threadId`). The region's system "
        "refuses anyone the viewer may not write to (FORBIDDEN).",
    )
    mark_messages_read = strawberry.mutation(
        resolver=messaging.mark_messages_read,
        description="Mark received messages read: their authors see the read receipt.",
    )

    @strawberry.mutation(
        description="Acknowledge having seen a week of a student's diary (their legal "
        "representative); returns the gateway's signed receipt. `contentHash` is the hash of "
        "the week as it was shown (see `AcknowledgementReceipt.contentHash`): if the diary "
        "changed since, BAD_USER_INPUT; without it the receipt covers the week as it is now."
    )
    async def acknowledge_diary(
        self,
        info: Info,
        student_id: Annotated[strawberry.ID, strawberry.argument(description="Student id.")],
        week_of: Annotated[
            date, strawberry.argument(description="Any day of the week (its Monday is kept).")
        ],
        content_hash: Annotated[
            str | None,
            strawberry.argument(description="SHA-256 (hex) of the week as it was shown."),
        ] = None,
    ) -> AcknowledgementReceipt | None:
        book = info.context.receipts
        if book is None:
            raise coded_error(ErrorCode.NOT_SUPPORTED, "receipts are not configured")
        if content_hash is not None and len(content_hash) != 64:
            raise coded_error(ErrorCode.BAD_USER_INPUT, "contentHash is a hex SHA-256")
        student = await load_student(info, student_id)
        if not student.access.allows(GUARDIAN):
            raise coded_error(
                ErrorCode.FORBIDDEN, "only the student's legal representative may acknowledge"
            )
        region = student.region_code
        monday = monday_of(week_of)
        diary = await student.read_diary(info, monday, monday + timedelta(days=6))
        served = content_hash_of(diary)
        if content_hash is not None and content_hash.lower() != served:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT,
                "the diary changed since it was shown: show the week again, then acknowledge",
            )
        profile = await profile_in(info, region)
        if profile is None:  # pragma: no cover - load_student refused them already
            raise coded_error(ErrorCode.FORBIDDEN, "not allowed to see this student")
        receipt = await book.issue(
            region=region,
            student=encode_id("Student", region, student.model.id),
            week_of=monday,
            content_hash=served,
            parent=profile.person.id,
        )
        answer = AcknowledgementReceipt.from_issued(receipt)
        adapter = info.context.registry[region]
        if adapter.supports(Capability.ACKNOWLEDGEMENT):  # the region's system is told too
            caller = info.context.require_caller()
            try:
                await adapter.acknowledge_week(
                    caller, student.model.id, monday, served, receipt.jws
                )
            except AdapterError:  # logged by the runner; the signed receipt stands
                answer.is_recorded_by_region = False
            else:
                answer.is_recorded_by_region = True
        return answer

    @strawberry.mutation(
        description="Invite a student's parent (a school admin of the student's school): a "
        "single-use code, valid `validDays` days, that the parent redeems signed in through "
        "the national SSO. NOT_SUPPORTED where the region's system cannot bind identities."
    )
    async def create_invitation(
        self,
        info: Info,
        student_id: Annotated[strawberry.ID, strawberry.argument(description="Student id.")],
        valid_days: Annotated[
            int, strawberry.argument(description="Days it stays valid (1–60).")
        ] = 14,
    ) -> Invitation | None:
        desk = _onboarding(info)
        if not 1 <= valid_days <= 60:
            raise coded_error(ErrorCode.BAD_USER_INPUT, "validDays: 1 to 60", argument="validDays")
        student = await load_student(info, student_id)
        if Relation.SCHOOL_ADMIN not in student.access.relations:
            raise coded_error(ErrorCode.FORBIDDEN, "only the school's admins invite parents")
        region = student.region_code
        _require_invitations(info, region)
        profile = await profile_in(info, region)
        issued = await desk.create_invitation(
            region=region,
            student=encode_id("Student", region, student.model.id),
            school=student.model.school_id,
            created_by=profile.person.id if profile is not None else "",
            valid_days=valid_days,
        )
        return Invitation.from_issued(issued)

    @strawberry.mutation(
        description="Redeem an invitation, signed in through the national SSO: the region's "
        "system binds this identity to the parent's record, and the child appears in `me`. "
        "An unknown, used or expired code is BAD_USER_INPUT (the same answer for each)."
    )
    async def redeem_invitation(
        self,
        info: Info,
        code: Annotated[str, strawberry.argument(description="The invitation's code.")],
    ) -> Invitation | None:
        desk = _onboarding(info)
        person = _sso_caller(info)
        if len(code) > 64:
            raise coded_error(ErrorCode.BAD_USER_INPUT, "not an invitation code")
        found = await desk.find_invitation(code)
        refused = coded_error(
            ErrorCode.BAD_USER_INPUT, "this invitation is unknown, used or expired"
        )
        if found is None:
            raise refused
        invitation, reserved = found
        if invitation.redeemed_at is not None or invitation.expired:
            raise refused
        if reserved is not None and reserved != desk.pseudonym(person):
            raise refused  # an approved access request's invitation: its requester only
        _require_invitations(info, invitation.region)
        if not await desk.redeem(invitation.id, person=person):
            raise refused  # redeemed meanwhile (another instance, another tab)
        adapter = info.context.registry[invitation.region]
        native = decode_id(invitation.student, expected="Student").native
        caller = info.context.require_caller()
        try:
            await adapter.bind_parent(caller, native)
        except AdapterError as exc:
            await desk.release(invitation.id)
            raise await info.context.adapter_error(exc, region=invitation.region) from exc
        desk.identity_bound(caller.scope)
        found = await desk.find_invitation(code)
        return Invitation.from_issued(found[0] if found else invitation)

    @strawberry.mutation(
        description="Ask a school for access (a parent signed in through the national SSO "
        "whom the region's system does not know); the school's admins decide."
    )
    async def request_access(
        self,
        info: Info,
        school_id: Annotated[strawberry.ID, strawberry.argument(description="The school.")],
        child_name: Annotated[str, strawberry.argument(description="The child's full name.")],
        message: Annotated[
            str, strawberry.argument(description="A note for the school (class, relation).")
        ] = "",
    ) -> AccessRequest | None:
        desk = _onboarding(info)
        person = _sso_caller(info)
        gid = decode_client_id(info, school_id, expected="School")
        if gid.region not in info.context.registry:
            raise coded_error(ErrorCode.NOT_FOUND, f"unknown region {gid.region}")
        if not child_name.strip() or len(child_name) > 200 or len(message) > 2000:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT, "childName (1–200) and message (up to 2000) characters"
            )
        _require_invitations(info, gid.region)
        if await profile_in(info, gid.region) is not None:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT,
                f"region {gid.region} already knows you: ask the school for an invitation",
            )
        issued = await desk.request_access(
            person=person,
            region=gid.region,
            school=gid.native,
            child_name=child_name.strip(),
            message=message.strip(),
        )
        return AccessRequest.from_issued(issued)

    @strawberry.mutation(
        description="Decide an access request (an admin of its school): approve, issuing an "
        "invitation for `studentId` that only the requester can redeem, or refuse with a "
        "`reason` the parent sees. A request decided already is BAD_USER_INPUT."
    )
    async def decide_access_request(
        self,
        info: Info,
        request_id: Annotated[strawberry.ID, strawberry.argument(description="The request.")],
        approve: Annotated[bool, strawberry.argument(description="Approve (or refuse).")],
        student_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The child (to approve).")
        ] = None,
        reason: Annotated[
            str | None, strawberry.argument(description="Why not (to refuse).")
        ] = None,
    ) -> AccessRequest | None:
        desk = _onboarding(info)
        _sso_caller(info)
        if len(str(request_id)) > 64:
            raise coded_error(ErrorCode.BAD_USER_INPUT, "not an access request id")
        request = await desk.access_request(str(request_id))
        if request is None:
            raise coded_error(ErrorCode.NOT_FOUND, "no such access request")
        region, _ = await _admin_of(info, encode_id("School", request.region, request.school))
        profile = await profile_in(info, region)
        by = profile.person.id if profile is not None else ""
        student = None
        if approve:
            if student_id is None:
                raise coded_error(ErrorCode.BAD_USER_INPUT, "approving needs the child: studentId")
            loaded = await load_student(info, student_id)
            if (
                loaded.region_code != region
                or loaded.model.school_id != request.school
                or Relation.SCHOOL_ADMIN not in loaded.access.relations
            ):
                raise coded_error(ErrorCode.FORBIDDEN, "not a student of this school")
            student = encode_id("Student", region, loaded.model.id)
        elif not (reason or "").strip() or len(reason or "") > 2000:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT, "refusing needs a reason the parent will see"
            )
        decided = await desk.decide(
            request.id,
            approve=approve,
            reason=(reason or "").strip() or None,
            by=by,
            student=student,
            valid_days=14,
        )
        if decided is None:
            raise coded_error(ErrorCode.BAD_USER_INPUT, "this request was decided already")
        return AccessRequest.from_issued(decided)

    @strawberry.mutation(
        description="Sign a student in with their school-issued login; returns a gateway "
        "session (the provider's token stays on the server)."
    )
    async def login(
        self,
        info: Info,
        region: Annotated[str, strawberry.argument(description="Region code.")],
        login: Annotated[str, strawberry.argument(description="The school-issued login.")],
        password: Annotated[str, strawberry.argument(description="The password.")],
        school: Annotated[
            str | None,
            strawberry.argument(description="School, where the region's system needs it."),
        ] = None,
    ) -> Session:
        context = info.context
        sessions = context.sessions
        if sessions is None:
            raise coded_error(ErrorCode.NOT_SUPPORTED, "school logins are not configured")
        if region not in context.registry:
            raise coded_error(ErrorCode.NOT_FOUND, f"unknown region {region}")
        if len(login) > 200 or len(password) > 200 or (school and len(school) > 200):
            raise coded_error(ErrorCode.BAD_USER_INPUT, "login or password too long")
        adapter = context.registry[region]
        if not adapter.supports(Capability.SCHOOL_LOGIN):
            raise coded_error(
                ErrorCode.NOT_SUPPORTED, f"region {region} has no school logins", region=region
            )
        address = context.client_address
        # Counted before the provider is asked (atomically): concurrent guesses cannot all pass.
        wait = await sessions.attempt(region, login, address=address)
        if wait is not None:
            raise coded_error(
                ErrorCode.RATE_LIMITED,
                "too many failed attempts; try again later",
                retryAfter=round(wait, 1),
            )
        try:
            provider_session = await adapter.login(school=school, login=login, password=password)
        except AuthenticationError:
            raise coded_error(
                ErrorCode.UNAUTHENTICATED, "wrong login or password", region=region
            ) from None
        except AdapterError as exc:
            await sessions.inconclusive(region, login, address=address)
            raise from_adapter_error(exc, region=region) from exc
        await sessions.succeeded(region, login, address=address)
        issued = await sessions.open(region, provider_session)
        caller = Caller(person_id=None, session=provider_session)
        student: Student | None = None
        try:
            (model,) = await adapter.get_students(caller, [provider_session.student_id])
        except AdapterError:
            model = None
        if model is not None and not isinstance(model, AdapterError):
            student = Student.build(
                model, region, Access(frozenset({Relation.SELF, Relation.SIGNED_IN}))
            )
        return Session(
            token=issued.token,
            expires_in=issued.expires_in,
            refresh_token=issued.refresh_token,
            student=student,
        )

    @strawberry.mutation(description="Exchange a session's refresh token for new tokens.")
    async def refresh_session(
        self,
        info: Info,
        refresh_token: Annotated[str, strawberry.argument(description="The refresh token.")],
    ) -> Session:
        sessions = info.context.sessions
        if sessions is None:
            raise coded_error(ErrorCode.NOT_SUPPORTED, "school logins are not configured")
        issued = await sessions.refresh(refresh_token)
        if issued is None:
            raise coded_error(ErrorCode.UNAUTHENTICATED, "invalid or expired refresh token")
        return Session(
            token=issued.token,
            expires_in=issued.expires_in,
            refresh_token=issued.refresh_token,
            student=None,
        )


def _onboarding(info: Info) -> OnboardingDesk:
    desk = info.context.onboarding
    if desk is None:
        raise coded_error(ErrorCode.NOT_SUPPORTED, "onboarding is not configured")
    return desk


def _sso_caller(info: Info) -> str:
    """The national id of a caller signed in through the national SSO (not a school login)."""
    caller = info.context.require_caller()
    if caller.person_id is None or not caller.sso_token:
        raise coded_error(ErrorCode.FORBIDDEN, "sign in through the national SSO for this")
    return caller.person_id


def _require_invitations(info: Info, region: str) -> None:
    adapter = info.context.registry[region]
    if not adapter.supports(Capability.INVITATIONS):
        raise coded_error(
            ErrorCode.NOT_SUPPORTED,
            f"the {adapter.diary_system} system of region {region} cannot bind a national SSO "
            "identity to a parent's record: ask the school",
            provider=adapter.slug,
            region=region,
        )


async def _admin_of(info: Info, school_id: str) -> tuple[str, str]:
    """(region, school's native id) when the viewer is an admin of that school."""
    gid = decode_client_id(info, school_id, expected="School")
    if gid.region not in info.context.registry:
        raise coded_error(ErrorCode.NOT_FOUND, f"unknown region {gid.region}")
    profile = await profile_in(info, gid.region)
    if profile is None or not any(
        g.role is Role.SCHOOL_ADMIN and g.school_id == gid.native for g in profile.roles
    ):
        raise coded_error(ErrorCode.FORBIDDEN, "for the school's admins only")
    return gid.region, gid.native


def content_hash_of(diary: Diary) -> str:
    """The content hash of a week as served (see :mod:`schema.receipts`)."""
    return content_hash(week_content(diary))


STAFF_ACCESS = Access(frozenset({Relation.SIGNED_IN}))
"""Staff reading a journal: no parental data window applies."""


class GatewaySchema(strawberry.Schema):
    """Strawberry's schema with the gateway's document cache, minus its logging of every
    error with a traceback.

    Coded errors are expected outcomes (a forbidden field, a provider down) and must not
    flood the log; unexpected ones are logged once by the error-masking extension.
    """

    documents: DocumentCache
    """Parsed and validated documents, shared with the HTTP pipeline."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        return None


PARSE_CACHE_SIZE = 1_000
"""Distinct documents whose parse and validation are kept; least recent dropped."""


def build_schema(
    *,
    extensions: Iterable[Any] = (),
    limits: QueryLimits | None = None,
    introspection: bool = True,
    check_arguments: bool = True,
) -> GatewaySchema:
    """The gateway's schema with its standard extensions plus ``extensions``.

    Query limits (:mod:`schema.limits`, defaults when ``limits`` is ``None``) refuse hostile
    operations before any provider call. Parsing and validation happen once per document in
    the schema's :class:`~schema.documents.DocumentCache` (bounded LRU of
    :data:`PARSE_CACHE_SIZE`), which the gateway's pipeline shares. ``introspection=False``
    refuses introspection queries; ``check_arguments=False`` leaves the argument caps to a
    caller that checks them before executing (the gateway's pipeline does).
    """
    chosen = limits or QueryLimits()
    documents = DocumentCache(chosen, introspection=introspection, size=PARSE_CACHE_SIZE)
    standard: list[Any] = [documents_extension(documents)]
    if check_arguments:
        standard.append(type("ArgumentCaps", (ArgumentCaps,), {"limits": chosen}))
    schema = GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        scalar_overrides=SCALAR_OVERRIDES,
        types=[Student, Region, School],
        extensions=[*standard, AuditTrail, masked_errors, *extensions],
        execution_context_class=PlannedExecutor,
    )
    documents.bind(schema)
    schema.documents = documents
    return schema
