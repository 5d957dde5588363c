"""Numbers that agree: every conversion table, every scale pair, normalized = hundred / 100.

The tables under test: the common one (:data:`adapters.scales.COMMON_TABLE`) and each
provider's conversion path: МЭШ (whose own ``values[].grade`` wins, the common table
filling gaps), «Сетевой город» (five-point marks, common table) and ЭлЖур (ten-point marks,
common table). For each, every direction the code converts is checked on every whole
value of the source scale, and ``normalized`` must be the hundred-point value / 100.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters import Mark, Subject, compute_progress
from adapters.eljur import parsing as eljur
from adapters.models import Grade, MarkScale
from adapters.moscow import parsing as moscow
from adapters.netcity import parsing as netcity
from adapters.scales import (
    COMMON_TABLE,
    FIVE_POINT,
    HUNDRED_POINT,
    NO_GRADE,
    PASS_FAIL,
    TEN_POINT,
    MarkTable,
    convert,
    normalize,
)

MSK = ZoneInfo("Europe/Moscow")

FIVES = list(range(1, 6))
TENS = list(range(1, 11))
HUNDREDS = list(range(101))

FIVE_TO_HUNDRED = {5: 100.0, 4: 80.0, 3: 60.0, 2: 30.0, 1: 10.0}
"""МЭШ's lookup (2 → 30, not 40), the common table's five-point column."""
TEN_TO_HUNDRED = {
    10: 100.0,
    9: 90.0,
    8: 80.0,
    7: 70.0,
    6: 60.0,
    5: 50.0,
    4: 30.0,
    3: 20.0,
    2: 10.0,
    1: 0.0,
}
TEN_TO_FIVE = {10: 5.0, 9: 5.0, 8: 4.0, 7: 4.0, 6: 3.0, 5: 3.0, 4: 2.0, 3: 2.0, 2: 1.0, 1: 1.0}


def _five_of_hundred(hundred: float) -> float:
    """The documented thresholds: ≥ 90 → 5, ≥ 70 → 4, ≥ 50 → 3, ≥ 20 → 2, lower → 1."""
    for threshold, five in ((90, 5.0), (70, 4.0), (50, 3.0), (20, 2.0)):
        if hundred >= threshold:
            return five
    return 1.0


def _ten_of_hundred(hundred: float) -> float:
    """The highest ten-point mark whose hundred-point value the mark reaches."""
    return float(max(t for t, h in TEN_TO_HUNDRED.items() if h <= hundred))


def _agrees(grade: Grade, normalized: float | None) -> None:
    assert grade.hundred is not None
    assert normalized == grade.hundred / 100


# -- the common table ------------------------------------------------------------------


@pytest.mark.parametrize("five", FIVES)
def test_common_five_to_ten_and_hundred(five: int) -> None:
    grade = COMMON_TABLE.from_five(float(five))
    assert grade == Grade(five=float(five), ten=2.0 * five, hundred=FIVE_TO_HUNDRED[five])
    _agrees(grade, normalize(grade))


@pytest.mark.parametrize("ten", TENS)
def test_common_ten_to_five_and_hundred(ten: int) -> None:
    grade = COMMON_TABLE.from_ten(float(ten))
    assert grade == Grade(five=TEN_TO_FIVE[ten], ten=float(ten), hundred=TEN_TO_HUNDRED[ten])
    _agrees(grade, normalize(grade))


@pytest.mark.parametrize("hundred", HUNDREDS)
def test_common_hundred_to_five_and_ten(hundred: int) -> None:
    grade = COMMON_TABLE.from_hundred(float(hundred))
    ten = _ten_of_hundred(hundred)
    assert grade == Grade(five=_five_of_hundred(hundred), ten=ten, hundred=float(hundred))
    assert grade.five == TEN_TO_FIVE[int(ten)]  # five and ten agree with each other too
    _agrees(grade, normalize(grade))


def test_common_round_trips() -> None:
    for five in FIVES:
        assert COMMON_TABLE.from_ten(2.0 * five).five == five  # five → ten → five
        hundred = COMMON_TABLE.from_five(float(five)).hundred
        assert hundred is not None
        assert COMMON_TABLE.from_hundred(hundred).five == five  # five → hundred → five
    for ten in TENS:
        hundred = COMMON_TABLE.from_ten(float(ten)).hundred
        assert hundred is not None
        assert COMMON_TABLE.from_hundred(hundred).ten == ten  # ten → hundred → ten


def test_common_rows_cover_every_value_of_every_scale() -> None:
    for scale, values in ((FIVE_POINT, FIVES), (TEN_POINT, TENS), (HUNDRED_POINT, HUNDREDS)):
        rows = COMMON_TABLE.rows(scale)
        assert sorted(rows) == values
        for grade in rows.values():
            _agrees(grade, normalize(grade))
            assert None not in (grade.five, grade.ten, grade.hundred)


def test_issue_9_ten_point_eight_is_point_eight() -> None:
    grade = convert(8.0, TEN_POINT)
    assert (grade.hundred, normalize(grade)) == (80.0, 0.8)  # not (8 − 1) / 9 = 0.7778


def test_fractional_values_interpolate_the_hundred_column() -> None:
    assert COMMON_TABLE.from_ten(4.5) == Grade(five=3.0, ten=4.5, hundred=40.0)
    assert COMMON_TABLE.from_five(4.5) == Grade(five=4.5, ten=9.0, hundred=90.0)
    assert normalize(COMMON_TABLE.from_ten(4.5)) == 0.4


@pytest.mark.parametrize(
    ("value", "scale"),
    [
        (0.0, FIVE_POINT),
        (6.0, FIVE_POINT),
        (0.5, TEN_POINT),
        (11.0, TEN_POINT),
        (-1.0, HUNDRED_POINT),
        (101.0, HUNDRED_POINT),
        (1.0, PASS_FAIL),
    ],
)
def test_values_off_the_table_have_no_equivalents(value: float, scale: MarkScale) -> None:
    assert convert(value, scale) == NO_GRADE
    assert normalize(convert(value, scale)) is None


def test_normalize_is_hundred_over_a_hundred() -> None:
    assert normalize(None) is None
    assert normalize(NO_GRADE) is None
    assert normalize(61.0) == 0.61
    assert normalize(Grade(five=3.0, ten=6.0, hundred=61.0)) == 0.61


def test_a_table_must_be_complete_and_rising() -> None:
    with pytest.raises(ValueError, match="every ten-point mark"):
        MarkTable(name="short", hundred_of_ten={10: 100.0})
    falling = {t: 100.0 - 10 * t for t in TENS}
    with pytest.raises(ValueError, match="rise"):
        MarkTable(name="falling", hundred_of_ten=falling)


# -- МЭШ (Moscow) ----------------------------------------------------------------------


def _moscow_item(value: str, system: str, grade: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": 1,
        "value": value,
        "values": [{"grade_system_type": system, "grade": grade or {"origin": value}}],
        "weight": 1,
        "date": "2025-10-15",
        "subject_id": 33000001,
        "subject_name": "Физика",
    }


@pytest.mark.parametrize("five", FIVES)
def test_moscow_five_to_ten_and_hundred(five: int) -> None:
    mark = moscow.parse_mark(_moscow_item(str(five), "five"), student_id="1", tz=MSK)
    assert mark.scale is FIVE_POINT
    assert mark.grade == Grade(five=float(five), ten=2.0 * five, hundred=FIVE_TO_HUNDRED[five])
    _agrees(mark.grade, mark.normalized)


def test_moscow_five_point_two_is_point_three() -> None:
    mark = moscow.parse_mark({**_moscow_item("2", "five"), "values": None}, student_id="1", tz=MSK)
    assert (mark.grade.hundred, mark.normalized) == (30.0, 0.3)


@pytest.mark.parametrize("ten", TENS)
def test_moscow_ten_to_five_and_hundred(ten: int) -> None:
    mark = moscow.parse_mark(_moscow_item(str(ten), "ten"), student_id="1", tz=MSK)
    assert mark.scale is TEN_POINT
    assert mark.grade == Grade(five=TEN_TO_FIVE[ten], ten=float(ten), hundred=TEN_TO_HUNDRED[ten])
    _agrees(mark.grade, mark.normalized)


@pytest.mark.parametrize("hundred", HUNDREDS)
def test_moscow_hundred_to_five_and_ten(hundred: int) -> None:
    mark = moscow.parse_mark(_moscow_item(str(hundred), "hundred"), student_id="1", tz=MSK)
    assert mark.scale is HUNDRED_POINT
    expected = Grade(_five_of_hundred(hundred), _ten_of_hundred(hundred), float(hundred))
    assert mark.grade == expected
    _agrees(mark.grade, mark.normalized)


@pytest.mark.parametrize(
    ("value", "system", "given"),
    [
        ("4", "ten", {"five": 2.0, "ten": 4.0, "hundred": 40.0}),  # its own ten → hundred
        ("3", "five", {"five": 3.0, "ten": None, "hundred": 61.0}),
        ("87", "hundred", {"five": 4.0, "ten": 9.0, "hundred": 87.0}),
    ],
)
def test_moscow_own_figures_win_and_normalized_follows_them(
    value: str, system: str, given: dict[str, float | None]
) -> None:
    item = _moscow_item(value, system, {"origin": value, **given})
    mark = moscow.parse_mark(item, student_id="1", tz=MSK)
    for member in ("five", "ten", "hundred"):
        if given[member] is not None:
            assert getattr(mark.grade, member) == given[member]
    _agrees(mark.grade, mark.normalized)
    assert mark.normalized == (given["hundred"] or 0) / 100


def test_moscow_pass_marks_have_no_normalized_value() -> None:
    for value in ("зачёт", "н/а"):
        mark = moscow.parse_mark(
            {**_moscow_item(value, "five"), "values": None}, student_id="1", tz=MSK
        )
        assert (mark.scale, mark.grade, mark.normalized) == (PASS_FAIL, NO_GRADE, None)


# -- «Сетевой город» (NetCity) ---------------------------------------------------------


@pytest.mark.parametrize("five", FIVES)
def test_netcity_five_to_ten_and_hundred(five: int) -> None:
    parsed = netcity.parse_mark_value({"mark": five})
    assert parsed is not None
    value, scale, grade, normalized = parsed
    assert (value, scale) == (str(five), FIVE_POINT)
    assert grade == Grade(five=float(five), ten=2.0 * five, hundred=FIVE_TO_HUNDRED[five])
    _agrees(grade, normalized)


def test_netcity_pass_mark_has_no_normalized_value() -> None:
    parsed = netcity.parse_mark_value({"mark": None, "markText": "зачёт"})
    assert parsed == ("зачёт", PASS_FAIL, NO_GRADE, None)


# -- ЭлЖур (eljur) ---------------------------------------------------------------------


@pytest.mark.parametrize("ten", TENS)
def test_eljur_ten_to_five_and_hundred(ten: int) -> None:
    scale, grade, normalized = eljur.parse_grade(str(ten))
    assert scale is TEN_POINT
    assert grade == Grade(five=TEN_TO_FIVE[ten], ten=float(ten), hundred=TEN_TO_HUNDRED[ten])
    _agrees(grade, normalized)


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        ("3/5", Grade(five=2.0, ten=4.0, hundred=30.0)),
        ("4/5", Grade(five=3.0, ten=4.5, hundred=40.0)),
        ("8-", Grade(five=4.0, ten=8.0, hundred=80.0)),
    ],
)
def test_eljur_double_and_signed_marks(value: str, grade: Grade) -> None:
    _, parsed, normalized = eljur.parse_grade(value)
    assert parsed == grade
    _agrees(parsed, normalized)


def test_eljur_pass_mark_has_no_normalized_value() -> None:
    assert eljur.parse_grade("зч") == (PASS_FAIL, NO_GRADE, None)


# -- averages --------------------------------------------------------------------------


def test_progress_averages_follow_the_same_rule() -> None:
    subject = Subject("1", "Алгебра")

    def mark(mark_id: str, grade: Grade, weight: float) -> Mark:
        return Mark(
            id=mark_id,
            student_id="s",
            subject=subject,
            value=str(grade.five),
            scale=FIVE_POINT,
            grade=grade,
            normalized=normalize(grade),
            weight=weight,
            lesson_date=date(2025, 10, 13),
        )

    marks = [
        mark("a", COMMON_TABLE.from_five(5.0), 2.0),
        mark("b", COMMON_TABLE.from_five(4.0), 1.0),
        mark("c", COMMON_TABLE.from_five(2.0), 1.0),
    ]
    (progress,) = compute_progress("s", marks)
    assert progress.average_hundred == 77.5  # (100×2 + 80 + 30) / 4
    weighted_normalized = sum((m.normalized or 0) * m.weight for m in marks) / 4
    assert progress.average_hundred / 100 == pytest.approx(weighted_normalized)
