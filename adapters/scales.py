"""The common mark scales and the helpers adapters use to fill a :class:`Mark`'s grades.

Each adapter owns its region's conversion table (which native value means what on the
5-, 10- and 100-point scales); this module only holds the scale definitions and the
0–1 normalisation every table shares.
"""

from __future__ import annotations

from .models import Grade, MarkScale

__all__ = [
    "FIVE_POINT",
    "HUNDRED_POINT",
    "NO_GRADE",
    "PASS_FAIL",
    "TEN_POINT",
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


def normalize(value: float | None, scale: MarkScale) -> float | None:
    """A value on ``scale`` mapped linearly onto 0–1 (``None`` stays ``None``)."""
    if value is None:
        return None
    span = scale.max - scale.min
    return round(min(1.0, max(0.0, (value - scale.min) / span)), 4)


def parse_number(text: str | None) -> float | None:
    """A numeric mark string («5», «4.5», «4,5») as a float; ``None`` for «зачёт», «н/а»…"""
    if text is None:
        return None
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None
