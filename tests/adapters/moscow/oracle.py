"""What the МЭШ emulator should answer, read off the world (the tests' oracle)."""

from __future__ import annotations

from datetime import date

from diary_gateway_demo.seed import World

__all__ = ["HUNDRED_BANDS", "TEN_TO_FIVE", "scales_of"]

HUNDRED_BANDS = {5: (90, 100), 4: (70, 89), 3: (50, 69), 2: (20, 49)}
"""The emulator's hundred-point marks by the five-point quality they render."""
TEN_TO_FIVE = {10: 5.0, 9: 5.0, 8: 4.0, 7: 4.0, 6: 3.0, 5: 3.0, 4: 2.0, 3: 2.0}
"""МЭШ's five-point reading of a ten-point mark."""


def scales_of(world: World, student_id: int, start: date, end: date) -> set[str]:
    """The scales of a student's marks from ``start`` to ``end``, as the demo renders them.

    «зачёт» is on the pass/fail scale (``pass``); numeric marks are five-point, except that
    outside the canonical week the demo's Информатика teachers grade on the ten-point scale
    and its Химия teachers on the hundred-point one.
    """
    class_id = world.students[student_id].class_id
    scales: set[str] = set()
    for day in world.days(start, end):
        for m in world.marks(class_id, day):
            if m.student_id != student_id:
                continue
            canonical = student_id == world.canonical_student_id and world.in_canonical_week(day)
            if m.five is None:
                scales.add("pass")
            elif not canonical and m.subject == "Информатика":
                scales.add("ten")
            elif not canonical and m.subject == "Химия":
                scales.add("hundred")
            else:
                scales.add("five")
    return scales
