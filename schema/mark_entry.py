"""Teachers' marks: ``enterMark`` on a lesson of their group's journal, ``correctMark``.

A teacher enters marks only in the groups they teach (the gateway checks the region's
roster before any write; the region's system checks again). The region's system validates
the value against the lesson's scale: its refusal is ``BAD_USER_INPUT`` with its message.
Each write carries an idempotency key (:mod:`.writes`), is noted in the student's access
log, drops the cached diary of the student, and reaches the family as a live event through
the region's change feed.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from adapters import Capability, MarkInput, Role
from adapters.base import JOURNALS

from .audit import note_read
from .context import Info
from .errors import ErrorCode, coded_error
from .ids import encode_id
from .marks import Mark
from .policy import Relation
from .writes import IdempotencyKey, capable_id, write_once

__all__ = ["MarkEntryInput", "MarkEntryPayload", "correct_mark", "enter_mark"]

_MAX_COMMENT = 1000


@strawberry.input(description="A mark as a teacher enters or corrects it.")
class MarkEntryInput:
    value: str = strawberry.field(
        description="The mark on the scale the region keeps for the lesson (a five-point "
        "«4», a ten-point «9»); the region's system checks it."
    )
    weight: int = strawberry.field(default=1, description="Weight of the mark (1–10).")
    comment: str | None = strawberry.field(
        default=None, description="The teacher's comment for the family (up to 1000 characters)."
    )
    control_form: str | None = strawberry.field(
        default=None,
        description="What it was for («Самостоятельная работа», «Контрольная работа»…); the "
        "region's default when null.",
    )
    is_exam: bool = strawberry.field(default=False, description="A control (exam) mark.")

    def model(self) -> MarkInput:
        """The adapter's input, after the gateway's own bounds."""
        value = self.value.strip()
        if not value or len(value) > 16:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT, "value: 1 to 16 characters", argument="value"
            )
        if not 1 <= self.weight <= 10:
            raise coded_error(ErrorCode.BAD_USER_INPUT, "weight: 1 to 10", argument="weight")
        comment = (self.comment or "").strip() or None
        if comment is not None and len(comment) > _MAX_COMMENT:
            raise coded_error(
                ErrorCode.BAD_USER_INPUT, "comment: up to 1000 characters", argument="comment"
            )
        return MarkInput(
            value=value,
            weight=self.weight,
            comment=comment,
            control_form=(self.control_form or "").strip() or None,
            is_exam=self.is_exam,
        )


@strawberry.type(description="The result of entering or correcting a mark.")
class MarkEntryPayload:
    mark: Mark = strawberry.field(description="The mark as the region's system now has it.")


def _arguments(mark: MarkInput) -> dict[str, object]:
    return {
        "value": mark.value,
        "weight": mark.weight,
        "comment": mark.comment,
        "control_form": mark.control_form,
        "is_exam": mark.is_exam,
    }


async def enter_mark(
    info: Info,
    lesson_id: Annotated[
        strawberry.ID,
        strawberry.argument(description="The lesson: a `JournalLesson` id of the teacher's group."),
    ],
    student_id: Annotated[strawberry.ID, strawberry.argument(description="The student.")],
    mark: Annotated[MarkEntryInput, strawberry.argument(description="The mark.")],
    idempotency_key: IdempotencyKey,
) -> MarkEntryPayload | None:
    from .api import decode_client_id, load_student, profile_in

    lesson, adapter = capable_id(
        info,
        lesson_id,
        expected="JournalLesson",
        capability=Capability.MARK_ENTRY,
        what="entering marks",
    )
    region = lesson.region
    group_native, _day, lesson_native = lesson.parts
    target = decode_client_id(info, student_id, expected="Student")
    if target.region != region:
        raise coded_error(
            ErrorCode.BAD_USER_INPUT, "the student and the lesson are in different regions"
        )
    entry = mark.model()
    caller = info.context.require_caller()
    profile = await profile_in(info, region)
    teaches = profile is not None and any(
        grant.role is Role.TEACHER and group_native in grant.group_ids for grant in profile.roles
    )
    if not teaches:
        raise coded_error(
            ErrorCode.FORBIDDEN, "a teacher enters marks only in the groups they teach"
        )
    student = await load_student(info, target.encode())
    model = await write_once(
        info,
        region=region,
        operation="enterMark",
        key=idempotency_key,
        arguments={"lesson": lesson.native, "student": target.native, **_arguments(entry)},
        write=lambda: adapter.enter_mark(
            caller, lesson_native, target.native, entry, idempotency_key=idempotency_key
        ),
    )
    note_read(info, student, "enterMark", allowed=True)
    await _written(info, region, target.native)
    return MarkEntryPayload(mark=Mark.from_model(model, region, student.access))


async def correct_mark(
    info: Info,
    mark_id: Annotated[strawberry.ID, strawberry.argument(description="The mark to correct.")],
    mark: Annotated[MarkEntryInput, strawberry.argument(description="The mark as it should be.")],
    idempotency_key: IdempotencyKey,
) -> MarkEntryPayload | None:
    from .api import load_student

    gid, adapter = capable_id(
        info,
        mark_id,
        expected="Mark",
        capability=Capability.MARK_ENTRY,
        what="correcting marks",
    )
    region = gid.region
    student_native, _day, mark_native = gid.parts
    entry = mark.model()
    caller = info.context.require_caller()
    student = await load_student(info, encode_id("Student", region, student_native))
    if Relation.GROUP_TEACHER not in student.access.relations:
        raise coded_error(
            ErrorCode.FORBIDDEN, "a teacher corrects marks only in the groups they teach"
        )
    model = await write_once(
        info,
        region=region,
        operation="correctMark",
        key=idempotency_key,
        arguments={"mark": gid.native, **_arguments(entry)},
        write=lambda: adapter.correct_mark(
            caller, mark_native, student_native, entry, idempotency_key=idempotency_key
        ),
    )
    note_read(info, student, "correctMark", allowed=True)
    await _written(info, region, student_native)
    return MarkEntryPayload(mark=Mark.from_model(model, region, student.access))


async def _written(info: Info, region: str, student: str) -> None:
    """Drop what the new mark makes stale: the student's records, the region's journals."""
    written = info.context.on_mutation
    if written is not None:
        await written(region, student)
        await written(region, JOURNALS)
