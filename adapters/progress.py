"""Per-subject progress from marks: weighted means per scale, trend and chart series.

The rule is the one МЭШ uses: on each scale separately, the mean of the marks' values
on that scale weighted by the marks' weights; marks without a value on a scale (such as
«зачёт») do not count on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from .models import Mark, ProgressPoint, Subject, SubjectProgress, Trend

__all__ = ["compute_progress", "weighted_mean"]


def weighted_mean(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """The weighted mean of ``(value, weight)`` pairs, skipping ``None`` values, 2 decimals."""
    total = 0.0
    weights = 0.0
    for value, weight in pairs:
        if value is None:
            continue
        total += value * weight
        weights += weight
    if weights == 0:
        return None
    return round(total / weights + 1e-9, 2)


def _trend(series: Sequence[ProgressPoint]) -> Trend:
    if len(series) < 2:
        return Trend.FLAT
    delta = series[-1].average - series[-2].average
    if delta > 0.005:
        return Trend.UP
    if delta < -0.005:
        return Trend.DOWN
    return Trend.FLAT


def compute_progress(student_id: str, marks: Iterable[Mark]) -> list[SubjectProgress]:
    """One :class:`SubjectProgress` per subject with marks, sorted by subject name.

    The series is the running weighted five-point average after each day with marks.
    """
    by_subject: dict[str, list[Mark]] = defaultdict(list)
    subjects: dict[str, Subject] = {}
    for mark in marks:
        by_subject[mark.subject.id].append(mark)
        subjects[mark.subject.id] = mark.subject
    result: list[SubjectProgress] = []
    for subject_id, subject_marks in by_subject.items():
        subject_marks.sort(key=lambda m: m.lesson_date)
        series: list[ProgressPoint] = []
        seen: list[Mark] = []
        for mark in subject_marks:
            seen.append(mark)
            average = weighted_mean((m.grade.five, m.weight) for m in seen)
            if average is None:
                continue
            if series and series[-1].date == mark.lesson_date:
                series[-1] = ProgressPoint(date=mark.lesson_date, average=average)
            else:
                series.append(ProgressPoint(date=mark.lesson_date, average=average))
        result.append(
            SubjectProgress(
                student_id=student_id,
                subject=subjects[subject_id],
                count=len(subject_marks),
                average_five=weighted_mean((m.grade.five, m.weight) for m in subject_marks),
                average_ten=weighted_mean((m.grade.ten, m.weight) for m in subject_marks),
                average_hundred=weighted_mean((m.grade.hundred, m.weight) for m in subject_marks),
                trend=_trend(series),
                series=tuple(series),
            )
        )
    result.sort(key=lambda p: p.subject.name)
    return result
