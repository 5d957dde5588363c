"""A legal representative's advance notice that a child will be absent (``notifyAbsence``).

The notice goes to the region's system where it takes planned absences (the Moscow-style
one), which keeps it and shows it to the class teacher; elsewhere the gateway keeps it in
its own database (:class:`.context.AbsenceNoticeStore`) with its own list of reasons.
``Student.absenceNotices`` lists them for the child's legal representatives and class
teacher either way. Only today and later days may be given (in the region's own date); the
reason comes from ``Student.absenceReasons``. Without the gateway's store, a region whose
system takes no notices answers ``NOT_SUPPORTED``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import strawberry

from adapters import AbsenceNotice as AbsenceNoticeModel
from adapters import AbsenceReason as AbsenceReasonModel
from adapters import AdapterError, Capability, DateRange

from .audit import note_read
from .context import AbsenceNoticeStore, Info
from .errors import ErrorCode, coded_error
from .ids import decode_id, encode_id
from .policy import GUARDIAN
from .writes import IdempotencyKey, capable_adapter, write_once

if TYPE_CHECKING:
    from .students import Student

__all__ = [
    "AbsenceNotice",
    "AbsenceNoticePayload",
    "AbsenceReason",
    "absence_notices_of",
    "absence_reasons_of",
    "notify_absence",
]

MAX_NOTICE_DAYS = 31
"""The longest absence one notice may announce."""
MAX_NOTICE_AHEAD_DAYS = 366
"""How far ahead a notice may start."""


@strawberry.type(description="A reason for an absence, from the region's list.")
class AbsenceReason:
    id: strawberry.ID = strawberry.field(description="Opaque id (`notifyAbsence(reasonId:)`).")
    name: str = strawberry.field(description="The reason («Болезнь», «Семейные обстоятельства»).")

    @classmethod
    def from_model(cls, model: AbsenceReasonModel, region: str) -> AbsenceReason:
        return cls(id=strawberry.ID(encode_id("AbsenceReason", region, model.id)), name=model.name)


@strawberry.type(description="A legal representative's advance notice of a student's absence.")
class AbsenceNotice:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    starts_on: date = strawberry.field(description="The first day the student will miss.")
    ends_on: date = strawberry.field(description="The last day the student will miss.")
    reason: AbsenceReason = strawberry.field(description="Why.")
    comment: str | None = strawberry.field(description="The representative's note.")
    created_at: datetime | None = strawberry.field(description="When it was sent.")

    @classmethod
    def from_model(cls, model: AbsenceNoticeModel, region: str) -> AbsenceNotice:
        return cls(
            id=strawberry.ID(encode_id("AbsenceNotice", region, f"{model.student_id}/{model.id}")),
            starts_on=model.days.start,
            ends_on=model.days.end,
            reason=AbsenceReason.from_model(model.reason, region),
            comment=model.comment,
            created_at=model.created_at,
        )


@strawberry.type(description="The result of an advance absence notice.")
class AbsenceNoticePayload:
    notice: AbsenceNotice = strawberry.field(description="The notice as the region recorded it.")


async def absence_notices_of(info: Info, student: Student) -> list[AbsenceNotice]:
    """``student``'s advance absence notices (the policy was checked by the caller): the
    region's, or the gateway's where the region's system takes none."""
    region = student.region_code
    book = _gateway_book(info, region)
    info.context.cacheable = False
    if book is not None:
        return [
            AbsenceNotice.from_model(n, region)
            for n in await book.of_student(region, student.model.id)
        ]
    notices = await info.context.loaders.absence_notices.load((region, student.model.id))
    return [AbsenceNotice.from_model(n, region) for n in notices]


async def absence_reasons_of(info: Info, student: Student) -> list[AbsenceReason]:
    """The reasons the region accepts for ``student`` (the gateway's own list where it keeps
    the notices)."""
    region = student.region_code
    book = _gateway_book(info, region)
    if book is not None:
        return [AbsenceReason.from_model(r, region) for r in book.reasons()]
    caller = info.context.require_caller()
    try:
        models = await info.context.registry[region].get_absence_reasons(caller, student.model.id)
    except AdapterError as exc:
        raise await info.context.adapter_error(exc, region=region) from exc
    return [AbsenceReason.from_model(r, region) for r in models]


def _gateway_book(info: Info, region: str) -> AbsenceNoticeStore | None:
    """The gateway's book when the region's system takes no notices (``None``: the region
    keeps them; ``NOT_SUPPORTED`` when neither does)."""
    book = info.context.absence_notices
    if info.context.registry[region].supports(Capability.ABSENCE_NOTICES) or book is None:
        capable_adapter(info, region, Capability.ABSENCE_NOTICES, "absence notices")
        return None
    return book


async def notify_absence(
    info: Info,
    student_id: Annotated[strawberry.ID, strawberry.argument(description="The student.")],
    starts_on: Annotated[
        date, strawberry.argument(name="from", description="First day missed (today or later).")
    ],
    ends_on: Annotated[date, strawberry.argument(name="to", description="Last day missed.")],
    reason_id: Annotated[
        strawberry.ID, strawberry.argument(description="A reason from `Student.absenceReasons`.")
    ],
    idempotency_key: IdempotencyKey,
    comment: Annotated[
        str | None, strawberry.argument(description="A note for the school (up to 500).")
    ] = None,
) -> AbsenceNoticePayload | None:
    from .api import decode_client_id, load_student, profile_in

    student = await load_student(info, student_id)
    region = student.region_code
    if not student.access.allows(GUARDIAN):
        raise coded_error(
            ErrorCode.FORBIDDEN, "only the student's legal representative sends absence notices"
        )
    book = _gateway_book(info, region)
    adapter = info.context.registry[region]
    if book is None:
        reason = decode_client_id(info, reason_id, expected="AbsenceReason")
    else:  # the gateway's own reasons: matched against its list, never sent anywhere
        reason = decode_id(reason_id, expected="AbsenceReason")
        if reason.native not in {r.id for r in book.reasons()}:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT, "not one of `Student.absenceReasons`", argument="reasonId"
            )
    if reason.region != region:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT, "the reason is from another region", argument="reasonId"
        )
    today = info.context.today_in(region)
    if starts_on < today:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT,
            f"an advance notice starts today ({today.isoformat()}) or later",
            argument="from",
        )
    if ends_on < starts_on or (ends_on - starts_on).days >= MAX_NOTICE_DAYS:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT, "to: from `from` up to 31 days later", argument="to"
        )
    if starts_on > today + timedelta(days=MAX_NOTICE_AHEAD_DAYS):
        raise coded_error(ErrorCode.BAD_USER_INPUT, "from: within a year", argument="from")
    note = (comment or "").strip() or None
    if note is not None and len(note) > 500:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT, "comment: up to 500 characters", argument="comment"
        )
    caller = info.context.require_caller()
    days = DateRange(starts_on, ends_on)

    async def write() -> AbsenceNoticeModel:
        if book is None:
            return await adapter.notify_absence(
                caller,
                student.model.id,
                days,
                reason.native,
                comment=note,
                idempotency_key=idempotency_key,
            )
        profile = await profile_in(info, region)
        author = profile.person.id if profile is not None else caller.scope
        return await book.add(
            region=region,
            student=student.model.id,
            days=days,
            reason_id=reason.native,
            comment=note,
            author=author,
        )

    model = await write_once(
        info,
        region=region,
        operation="notifyAbsence",
        key=idempotency_key,
        arguments={
            "student": student.model.id,
            "from": starts_on.isoformat(),
            "to": ends_on.isoformat(),
            "reason": reason.native,
            "comment": note,
        },
        write=write,
    )
    note_read(info, student, "notifyAbsence", allowed=True)
    if info.context.on_mutation is not None:
        await info.context.on_mutation(region, student.model.id)
    return AbsenceNoticePayload(notice=AbsenceNotice.from_model(model, region))
