"""Marks on their native scales with common equivalents, and per-subject progress."""

from __future__ import annotations

import enum
from datetime import date, datetime

import strawberry

from adapters import Mark as MarkModel
from adapters import MarkScale as MarkScaleModel
from adapters import OfficialAverage as OfficialModel
from adapters import SubjectProgress as ProgressModel
from adapters import Trend as TrendModel

from .enforcement import restrict
from .ids import encode_id
from .people import Subject
from .policy import Access
from .relay import Node

__all__ = [
    "Mark",
    "MarkScale",
    "MarkScaleKind",
    "OfficialAverage",
    "ProgressPoint",
    "SubjectProgress",
    "Trend",
]


@strawberry.enum(description="Which grading scale a mark or an average is on.")
class MarkScaleKind(enum.Enum):
    FIVE_POINT = strawberry.enum_value("five", description="1–5.")
    TEN_POINT = strawberry.enum_value("ten", description="1–10.")
    HUNDRED_POINT = strawberry.enum_value("hundred", description="0–100.")
    PASS_FAIL = strawberry.enum_value("pass", description="Зачёт / незачёт.")
    OTHER = strawberry.enum_value("other", description="A scale of the region's own (see min/max).")


@strawberry.type(description="A grading scale.")
class MarkScale:
    kind: MarkScaleKind = strawberry.field(description="Which scale.")
    min: float = strawberry.field(description="Lowest value on the scale.")
    max: float = strawberry.field(description="Highest value on the scale.")

    @classmethod
    def from_model(cls, model: MarkScaleModel) -> MarkScale:
        known = _SCALES.get(model.name)
        if known is not None:
            return known
        try:
            kind = MarkScaleKind(model.name)
        except ValueError:
            kind = MarkScaleKind.OTHER
        return cls(kind=kind, min=model.min, max=model.max)


_SCALES: dict[str, MarkScale] = {}


@strawberry.type(
    description=(
        "A mark as the teacher gave it, with its equivalents on the 5-, 10- and 100-point "
        "scales. The provider's own conversion wins; where it gives none, one common table "
        "applies (5-point 5/4/3/2/1 = 10-point 10/8/6/4/2 = 100-point 100/80/60/30/10). "
        "normalized is always hundredPoint / 100."
    )
)
class Mark(Node):
    value: str = strawberry.field(description="The mark as given: «5», «9», «87», «зачёт».")
    scale: MarkScale = strawberry.field(description="The scale the mark was given on.")
    five_point: float | None = strawberry.field(
        description=(
            "Value on the 5-point scale: the provider's conversion, else the common table "
            "(10-point: ⌈ten / 2⌉; 100-point: ≥90 → 5, ≥70 → 4, ≥50 → 3, ≥20 → 2, else 1). "
            "Null where the mark has no numeric meaning (зачёт)."
        )
    )
    ten_point: float | None = strawberry.field(
        description=(
            "Value on the 10-point scale: the provider's conversion, else the common table "
            "(5-point: five × 2; 100-point: the highest 10-point mark it reaches). "
            "Null where unknown or non-numeric."
        )
    )
    hundred_point: float | None = strawberry.field(
        description=(
            "Value on the 100-point scale: the provider's conversion, else the common table "
            "(5-point 5/4/3/2/1 → 100/80/60/30/10; 10-point 10…5 → ten × 10, 4/3/2/1 → "
            "30/20/10/0). Null where unknown or non-numeric."
        )
    )
    normalized: float | None = strawberry.field(
        description=(
            "hundredPoint / 100 (so a 10-point 8 is 0.8 and a 5-point 2 is 0.3); null when "
            "hundredPoint is null (зачёт and other non-numeric marks)."
        )
    )
    weight: float = strawberry.field(description="Weight in averages (1 when not given).")
    is_exam: bool = strawberry.field(description="True for exam or term-test marks.")
    control_form: str | None = strawberry.field(
        description="Kind of work: «Ответ на уроке», «Контрольная работа», …"
    )
    comment: str | None = strawberry.field(description="The teacher's comment.")
    lesson_on: date = strawberry.field(description="Date of the lesson the mark is for.")
    created_at: datetime | None = strawberry.field(description="When the mark was set.")
    subject: Subject = strawberry.field(description="The subject.")

    @classmethod
    def from_model(cls, model: MarkModel, region: str, access: Access) -> Mark:
        grade = model.grade
        return restrict(
            cls(
                id=strawberry.ID(
                    encode_id(
                        "Mark",
                        region,
                        f"{model.student_id}/{model.lesson_date.isoformat()}/{model.id}",
                    )
                ),
                value=model.value,
                scale=MarkScale.from_model(model.scale),
                five_point=grade.five,
                ten_point=grade.ten,
                hundred_point=grade.hundred,
                normalized=model.normalized,
                weight=model.weight,
                is_exam=model.is_exam,
                control_form=model.control_form,
                comment=model.comment,
                lesson_on=model.lesson_date,
                created_at=model.created_at,
                subject=Subject.from_model(model.subject, region),
            ),
            access,
        )


@strawberry.enum(description="Which way a subject's marks are going.")
class Trend(enum.Enum):
    UP = strawberry.enum_value(TrendModel.UP.value, description="Improving.")
    DOWN = strawberry.enum_value(TrendModel.DOWN.value, description="Getting worse.")
    FLAT = strawberry.enum_value(TrendModel.FLAT.value, description="Steady.")


@strawberry.type(description="One point of a progress chart.")
class ProgressPoint:
    date: date = strawberry.field(description="The day.")
    average: float = strawberry.field(
        description="Weighted mean of fivePoint values of the marks up to that day."
    )


@strawberry.type(
    description=(
        "A subject's average as the school's own diary system states it, for that system's "
        "period (a term or half-year): the figure the school uses. The gateway never "
        "computes or adjusts it, so it can differ from SubjectProgress's computed averages, "
        "which cover only the marks of the range asked about."
    )
)
class OfficialAverage:
    value: float = strawberry.field(
        description="The average as the region's system gives it, on `scale`."
    )
    scale: MarkScale = strawberry.field(
        description="The scale the region's system states the average on (usually «five»)."
    )
    period_name: str | None = strawberry.field(
        description="The system's name for its period («1 полугодие», «2 четверть»), if given."
    )
    starts_on: date | None = strawberry.field(
        description="First day of the system's period, if given."
    )
    ends_on: date | None = strawberry.field(
        description="Last day of the system's period, if given."
    )

    @classmethod
    def from_model(cls, model: OfficialModel, access: Access) -> OfficialAverage:
        return restrict(
            cls(
                value=model.value,
                scale=MarkScale.from_model(model.scale),
                period_name=model.period_name,
                starts_on=model.starts,
                ends_on=model.ends,
            ),
            access,
        )


@strawberry.type(
    description=(
        "A subject's progress over the range asked about. The computed figures "
        "(averageFivePoint, averageTenPoint, averageHundredPoint, trend, series) are always "
        "the gateway's own calculation "
        "from the marks returned for the range: on each scale, the mean of the marks' values "
        "weighted by weight (marks without a value there, such as зачёт, do not count); the "
        "normalized average is averageHundredPoint / 100, by the same rule as Mark.normalized. "
        "officialAverage is the region's own figure for its own period, where its system "
        "states one; it is shown beside the computed figures and never replaces them."
    )
)
class SubjectProgress:
    subject: Subject = strawberry.field(description="The subject.")
    count: int = strawberry.field(description="How many marks of the range count.")
    average_five_point: float | None = strawberry.field(
        description="Computed: weighted mean of the range's marks' fivePoint values."
    )
    average_ten_point: float | None = strawberry.field(
        description="Computed: weighted mean of the range's marks' tenPoint values."
    )
    average_hundred_point: float | None = strawberry.field(
        description=(
            "Computed: weighted mean of the range's marks' hundredPoint values (/ 100: normalized)."
        )
    )
    trend: Trend = strawberry.field(
        description="Computed: direction of the latest change of the running average."
    )
    series: list[ProgressPoint] = strawberry.field(
        description="Computed: running average by day, for a progress chart."
    )
    official_average: OfficialAverage | None = strawberry.field(
        description=(
            "Official: the average as the region's system states it, for its own period "
            "(see startsOn/endsOn; it may cover marks outside the range asked about). Null "
            "where the region's system gives no average of its own (regions 74 and 11 in the "
            "demo) or "
            "its period does not meet the range."
        )
    )

    @classmethod
    def from_model(cls, model: ProgressModel, region: str, access: Access) -> SubjectProgress:
        official = model.official_average
        return restrict(
            cls(
                subject=Subject.from_model(model.subject, region),
                count=model.count,
                average_five_point=model.average_five,
                average_ten_point=model.average_ten,
                average_hundred_point=model.average_hundred,
                trend=Trend(model.trend.value),
                series=[ProgressPoint(date=p.date, average=p.average) for p in model.series],
                official_average=(
                    OfficialAverage.from_model(official, access) if official is not None else None
                ),
            ),
            access,
        )
