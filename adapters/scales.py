"""The mark scales, the one common conversion table, and the normalisation rule.

Every :class:`~adapters.models.Mark` carries its value on the five-, ten- and
hundred-point scales (:class:`~adapters.models.Grade`) and a ``normalized`` figure.
Two rules keep these numbers in agreement everywhere:

1. **The provider's own conversion wins.** Where a provider converts a mark itself (МЭШ
   sends ``values[].grade{five, ten, hundred}`` with every mark), its figures are used
   as given. Only where it gives none does :data:`COMMON_TABLE` fill the gaps.
2. **normalized = hundred / 100.** ``Mark.normalized`` is the hundred-point value divided
   by 100 (:func:`normalize`), never a separate linear map of the native scale; a mark
   without a hundred-point value («зачёт», «н/а», an unreadable value) has ``None``.

The common table
----------------

No provider here publishes a table of its own except МЭШ, whose five-point lookup
(seen in real data, reference ``regional-diary-apis.md`` §1.6) is **not linear at the
bottom**: a «2» is 30 on the hundred scale, not 40. The common table adopts it and
extends it to the ten-point scale so that a five-point mark *v* is the ten-point mark
*2v* and both land on the same hundred-point value:

======  ==========  =======
ten     five        hundred
======  ==========  =======
10      5           100
9       5           90
8       4           80
7       4           70
6       3           60
5       3           50
4       2           **30**
3       2           20
2       1           10
1       1           0
======  ==========  =======

Conversions, all from that one table:

* five → ten: ten = 2 × five; five → hundred: the hundred of ten 2 × five, so
  5 / 4 / 3 / 2 / 1 → 100 / 80 / 60 / 30 / 10 (МЭШ's lookup; 1 → 10 is ours).
* ten → five: five = ⌈ten / 2⌉; ten → hundred: the table's hundred column.
* hundred → ten: the highest ten-point mark whose hundred value the mark reaches
  (87 → 8, 90 → 9, 45 → 4); hundred → five: ⌈that ten / 2⌉, i.e. ≥ 90 → 5, ≥ 70 → 4,
  ≥ 50 → 3, ≥ 20 → 2, lower → 1.
* A fractional five- or ten-point value (a double mark «3/5» = 4, «4/5» = 4.5) keeps its
  own value and interpolates the hundred column linearly (ten 4.5 → 40).
* A value off its scale (five outside 1–5, ten outside 1–10, hundred outside 0–100) has
  no numeric meaning the table can vouch for: :data:`NO_GRADE`, ``normalized`` ``None``.

Each round trip through the table gives the value back (five → ten → five, five →
hundred → five, ten → hundred → ten). Averages follow the same rule: progress is the
weighted mean on each scale separately (:mod:`adapters.progress`), so a subject's
normalised average is ``average_hundred / 100``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .models import Grade, MarkScale

__all__ = [
    "COMMON_TABLE",
    "FIVE_POINT",
    "HUNDRED_POINT",
    "NO_GRADE",
    "PASS_FAIL",
    "TEN_POINT",
    "MarkTable",
    "convert",
    "normalize",
    "parse_number",
]

FIVE_POINT = MarkScale(name="five", min=1.0, max=5.0)
"""The classic Russian scale, 1–5 (2 is the lowest mark given in practice)."""
TEN_POINT = MarkScale(name="ten", min=1.0, max=10.0)
HUNDRED_POINT = MarkScale(name="hundred", min=0.0, max=100.0)
PASS_FAIL = MarkScale(name="pass", min=0.0, max=1.0)
"""«зачёт» / «незачёт»: no numeric meaning on the other scales."""

NO_GRADE = Grade(five=None, ten=None, hundred=None)


@dataclass(frozen=True, slots=True)
class MarkTable:
    """A conversion table between the five-, ten- and hundred-point scales.

    ``hundred_of_ten`` gives each ten-point mark 1–10 its hundred-point value (non-
    decreasing, within 0–100); a five-point mark *v* is the ten-point mark *2v*. The
    module docstring states how each direction is derived.
    """

    name: str
    hundred_of_ten: Mapping[int, float]

    def __post_init__(self) -> None:
        if sorted(self.hundred_of_ten) != list(range(1, 11)):
            raise ValueError(f"table {self.name!r} must give every ten-point mark 1–10")
        column = [self.hundred_of_ten[ten] for ten in range(1, 11)]
        if column != sorted(column) or column[0] < 0 or column[-1] > 100:
            raise ValueError(f"table {self.name!r}: hundreds must rise within 0–100")

    def _hundred(self, ten: float) -> float:
        low = math.floor(ten)
        if low == ten:
            return self.hundred_of_ten[low]
        start, end = self.hundred_of_ten[low], self.hundred_of_ten[low + 1]
        return round(start + (end - start) * (ten - low), 2)

    @staticmethod
    def _five(ten: float) -> float:
        return float(min(5, max(1, math.ceil(ten / 2 - 1e-9))))

    def from_five(self, five: float) -> Grade:
        """A five-point value's grade (:data:`NO_GRADE` off the 1–5 scale)."""
        if not FIVE_POINT.min <= five <= FIVE_POINT.max:
            return NO_GRADE
        return Grade(five=five, ten=five * 2, hundred=self._hundred(five * 2))

    def from_ten(self, ten: float) -> Grade:
        """A ten-point value's grade (:data:`NO_GRADE` off the 1–10 scale)."""
        if not TEN_POINT.min <= ten <= TEN_POINT.max:
            return NO_GRADE
        return Grade(five=self._five(ten), ten=ten, hundred=self._hundred(ten))

    def from_hundred(self, hundred: float) -> Grade:
        """A hundred-point value's grade: the highest ten-point mark it reaches, and so on.

        :data:`NO_GRADE` off the 0–100 scale.
        """
        if not HUNDRED_POINT.min <= hundred <= HUNDRED_POINT.max:
            return NO_GRADE
        ten = max(t for t, h in self.hundred_of_ten.items() if h <= hundred)
        return Grade(five=self._five(ten), ten=float(ten), hundred=hundred)

    def convert(self, value: float, scale: MarkScale) -> Grade:
        """A numeric mark on ``scale`` → its grade; :data:`NO_GRADE` for another scale."""
        if scale.name == FIVE_POINT.name:
            return self.from_five(value)
        if scale.name == TEN_POINT.name:
            return self.from_ten(value)
        if scale.name == HUNDRED_POINT.name:
            return self.from_hundred(value)
        return NO_GRADE

    def rows(self, scale: MarkScale) -> dict[int, Grade]:
        """Every whole mark of ``scale`` with its grade (hundred: 0, 1, …, 100)."""
        low, high = int(scale.min), int(scale.max)
        return {value: self.convert(float(value), scale) for value in range(low, high + 1)}


COMMON_TABLE = MarkTable(
    name="common",
    hundred_of_ten={
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
    },
)
"""The one table for providers that give no conversion of their own (module docstring)."""


def convert(value: float, scale: MarkScale, table: MarkTable = COMMON_TABLE) -> Grade:
    """A numeric mark on ``scale`` → its grade by ``table`` (the common one by default)."""
    return table.convert(value, scale)


def normalize(mark: Grade | float | None) -> float | None:
    """``normalized`` of a grade (or of a hundred-point value): hundred / 100.

    ``None`` when there is no hundred-point value (non-numeric marks such as «зачёт»).
    """
    hundred = mark.hundred if isinstance(mark, Grade) else mark
    return None if hundred is None else hundred / 100


def parse_number(text: str | None) -> float | None:
    """A numeric mark string («5», «4.5», «4,5») as a float; ``None`` for «зачёт», «н/а»…"""
    if text is None:
        return None
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None
