"""ЭлЖур parsing over hand-made messy answers: duplicates, unknown fields, missing weights,
an updates page sent with repeats. Nothing the provider said is lost or shown twice."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from adapters.eljur import parsing

TZ = ZoneInfo("Europe/Moscow")
STUDENT = "1101"

ITEM: dict[str, Any] = {
    "name": "Физика", "subject_id": "55", "lesson_id": "8801", "num": "1",
    "starttime": "08:30:00", "endtime": "09:15:00", "x_unknown": {"a": [1, None]},
    "homework": {"1": {"id": 701, "value": "§ 12", "deadline": "2025-10-15", "x": 1},
                 "2": {"id": 701, "value": "§ 12", "deadline": "2025-10-15"}},
    "assessments": [
        {"value": "5", "date": "2025-10-13", "id": "m1"},  # no weight: counts as 1
        {"value": "5", "date": "2025-10-13", "id": "m1", "weight": None},
        {"value": "4", "date": "2025-10-13", "id": "m2", "weight": "2", "x_more": "?"},
    ],
}  # fmt: skip

MESSY: dict[str, Any] = {
    "students": {
        STUDENT: {
            "days": {
                "20251013": {"name": "20251013", "items": {"1": ITEM, "1bis": dict(ITEM)}},
            },
            "x_vendor": True,
        }
    }
}


def test_messy_diary_keeps_every_record_once() -> None:
    (lesson,) = parsing.parse_diary(MESSY, STUDENT, TZ)
    assert [h.id for h in lesson.homework] == ["701"]
    assert [(m.id, m.value, m.weight) for m in lesson.marks] == [("m1", "5", 1.0), ("m2", "4", 2.0)]


def test_messy_updates_once_each() -> None:
    page = {
        "updates": [
            {"id": 1, "type": "mark", "action": "new", "date": "2025-10-13 12:00:00",
             "lesson": "Физика", "value": "5", "x": {}},
            {"id": 1, "type": "mark", "action": "new", "date": "2025-10-13 12:00:00",
             "lesson": "Физика", "value": "5"},
            {"id": 2, "type": "unknown_kind", "action": "new", "date": "2025-10-13 12:00:00"},
        ],
        "has_more": False,
    }  # fmt: skip
    changes, more = parsing.parse_updates(page, STUDENT, TZ)
    assert [(c.id, c.student_id) for c in changes] == [("1", STUDENT)]
    assert more is False
