"""Teachers' remarks and praise about a student, by day.

Who sees them (:data:`schema.policy.REMARKS`): the student, their legal representative and
their class teacher see all of them; a subject teacher sees those given in their subjects
(the lessons they teach); nobody else. In a region whose system keeps none, the field is
``null`` with ``NOT_SUPPORTED``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime

import strawberry

from adapters import Remark as RemarkModel
from adapters import RemarkKind as RemarkKindModel

from .ids import encode_id
from .people import Subject, Teacher
from .policy import REMARKS_IN_FULL, Access

__all__ = ["Remark", "RemarkKind", "visible_remarks"]


@strawberry.enum(description="Whether a remark reproaches or praises.")
class RemarkKind(enum.Enum):
    REMARK = strawberry.enum_value("remark", description="A remark (замечание).")
    PRAISE = strawberry.enum_value("praise", description="Praise (похвала, благодарность).")


@strawberry.type(description="A teacher's remark or praise about a student on a day.")
class Remark:
    id: strawberry.ID = strawberry.field(description="The remark's id.")
    date: date = strawberry.field(description="The day it is about.")
    kind: RemarkKind = strawberry.field(description="Remark or praise.")
    text: str = strawberry.field(description="What the teacher wrote.")
    author: Teacher | None = strawberry.field(description="The teacher who wrote it.")
    subject: Subject | None = strawberry.field(
        description="The lesson's subject; null for a remark outside lessons (class teacher)."
    )
    created_at: datetime | None = strawberry.field(description="When it was written.")

    @classmethod
    def from_model(cls, model: RemarkModel, region: str) -> Remark:
        return cls(
            id=strawberry.ID(encode_id("Remark", region, f"{model.student_id}/{model.id}")),
            date=model.day,
            kind=RemarkKind.PRAISE if model.kind is RemarkKindModel.PRAISE else RemarkKind.REMARK,
            text=model.text,
            author=Teacher.from_model(model.author, region) if model.author else None,
            subject=Subject.from_model(model.subject, region) if model.subject else None,
            created_at=model.created_at,
        )


def visible_remarks(models: Iterable[RemarkModel], region: str, access: Access) -> list[Remark]:
    """The remarks the viewer may see, oldest first: all of them for the family and the class
    teacher, a subject teacher's subjects' only (never a remark outside lessons)."""
    in_full = bool(access.relations & REMARKS_IN_FULL)
    return [
        Remark.from_model(m, region)
        for m in models
        if in_full or (m.subject is not None and access.sees_subject(m.subject.id))
    ]
