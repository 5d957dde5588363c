"""Parent meetings of a class, and a parent's answer to them (``rsvpMeeting``).

Meetings live in the region's system (the ЭлЖур-style region carries them); elsewhere
``Student.meetings`` is ``NOT_SUPPORTED``. A legal representative answers for themself;
answering again replaces the answer.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from adapters import Capability, Rsvp
from adapters import Meeting as MeetingModel

from .audit import note_read
from .context import Info
from .errors import ErrorCode, coded_error
from .ids import encode_id
from .messaging import Correspondent
from .policy import GUARDIAN
from .writes import IdempotencyKey, capable_adapter, capable_id, write_once

if TYPE_CHECKING:
    from .students import Student

__all__ = ["Meeting", "MeetingRsvpPayload", "RsvpAnswer", "meetings_of", "rsvp_meeting"]


@strawberry.enum(description="A parent's answer to a meeting.")
class RsvpAnswer(enum.Enum):
    ATTENDING = strawberry.enum_value(Rsvp.ATTENDING.value, description="Will come.")
    NOT_ATTENDING = strawberry.enum_value(Rsvp.NOT_ATTENDING.value, description="Will not come.")
    MAYBE = strawberry.enum_value(Rsvp.MAYBE.value, description="Not sure yet.")


@strawberry.type(description="A parent meeting of the student's class.")
class Meeting:
    id: strawberry.ID = strawberry.field(description="Opaque id (`rsvpMeeting`).")
    title: str = strawberry.field(description="What the meeting is.")
    starts_at: datetime = strawberry.field(description="Start, with the region's offset.")
    ends_at: datetime | None = strawberry.field(description="End, where known.")
    place: str | None = strawberry.field(description="Where (a room), for a meeting in person.")
    link: str | None = strawberry.field(description="A link to join, for a meeting online.")
    agenda: list[str] = strawberry.field(description="The agenda's items, in order.")
    organizer: Correspondent | None = strawberry.field(description="Who called it.")
    my_answer: RsvpAnswer | None = strawberry.field(
        description="The viewer's answer; null until they give one."
    )

    @classmethod
    def from_model(cls, model: MeetingModel, region: str, student_id: str) -> Meeting:
        return cls(
            id=strawberry.ID(encode_id("Meeting", region, f"{student_id}/{model.id}")),
            title=model.title,
            starts_at=model.starts_at,
            ends_at=model.ends_at,
            place=model.place,
            link=model.link,
            agenda=list(model.agenda),
            organizer=(
                Correspondent.from_model(model.organizer, region)
                if model.organizer is not None
                else None
            ),
            my_answer=RsvpAnswer(model.rsvp.value) if model.rsvp is not None else None,
        )


@strawberry.type(description="The result of answering a meeting.")
class MeetingRsvpPayload:
    meeting: Meeting = strawberry.field(description="The meeting, with the answer given.")


async def meetings_of(info: Info, student: Student) -> list[Meeting]:
    """The parent meetings of ``student``'s class (the policy was checked by the caller)."""
    region = student.region_code
    capable_adapter(info, region, Capability.MEETINGS, "parent meetings")
    info.context.cacheable = False  # answers change them
    meetings = await info.context.loaders.meetings.load((region, student.model.id))
    return [Meeting.from_model(m, region, student.model.id) for m in meetings]


async def rsvp_meeting(
    info: Info,
    meeting_id: Annotated[strawberry.ID, strawberry.argument(description="The meeting.")],
    answer: Annotated[RsvpAnswer, strawberry.argument(description="The answer.")],
    idempotency_key: IdempotencyKey,
) -> MeetingRsvpPayload | None:
    from .api import load_student

    gid, adapter = capable_id(
        info,
        meeting_id,
        expected="Meeting",
        capability=Capability.MEETINGS,
        what="parent meetings",
    )
    region = gid.region
    student_native, meeting_native = gid.parts
    student = await load_student(info, encode_id("Student", region, student_native))
    if not student.access.allows(GUARDIAN):
        raise coded_error(
            ErrorCode.FORBIDDEN, "only the student's legal representative answers meetings"
        )
    caller = info.context.require_caller()
    rsvp = Rsvp(answer.value)
    model = await write_once(
        info,
        region=region,
        operation="rsvpMeeting",
        key=idempotency_key,
        arguments={"meeting": gid.native, "answer": rsvp.value},
        write=lambda: adapter.rsvp_meeting(caller, meeting_native, rsvp),
    )
    note_read(info, student, "rsvpMeeting", allowed=True)
    return MeetingRsvpPayload(meeting=Meeting.from_model(model, region, student_native))
