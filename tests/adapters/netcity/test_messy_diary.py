"""«Сетевой город» parsing over a hand-made messy diary: duplicates, unknown fields, missing
weights. Nothing the provider said is lost, and nothing is shown twice."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from adapters.netcity import parsing

TZ = ZoneInfo("Asia/Yekaterinburg")
STUDENT = "740001001"
TYPES = parsing.AssignmentTypes(names={3: "Домашнее задание", 4: "Ответ на уроке"},
                                homework=frozenset({3}))  # fmt: skip


def _lesson(meeting: int, number: int, assignments: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "classmeetingId": meeting,
        "day": "2025-10-13T00:00:00",
        "number": number,
        "startTime": "08:30" if number == 1 else "09:25",
        "endTime": "09:15" if number == 1 else "10:10",
        "subjectId": 7400100,
        "subjectName": "Алгебра",
        "attendance": "Б" if number == 2 else None,
        "assignments": assignments,
        "x_vendor_extension": {"flags": [1, 2], "nested": {"deep": None}},
    }


HOMEWORK = {"id": 91, "typeId": 3, "assignmentName": "№ 245", "dueDate": "2025-10-15T00:00:00",
            "assignDate": "2025-10-13T09:15:00", "classMeetingId": 7401, "mark": None,
            "attachments": [], "isDone": None, "x_unknown": "ignored"}  # fmt: skip
MARK = {"id": 92, "typeId": 4, "assignmentName": "Ответ", "dueDate": "2025-10-13T00:00:00",
        "classMeetingId": 7401,  # no "weight" at all: counts as 1
        "mark": {"assignmentId": 92, "studentId": int(STUDENT), "mark": 4,
                 "markDate": "2025-10-13T11:30:00", "x_extra": True}}  # fmt: skip

MESSY: dict[str, Any] = {
    "studentId": int(STUDENT),
    "x_server": "messy",
    "weekDays": [
        {"date": "2025-10-13T00:00:00",
         "lessons": [
             _lesson(7402, 2, []),
             _lesson(7401, 1, [HOMEWORK, MARK, dict(HOMEWORK)]),
             _lesson(7401, 1, [MARK]),  # the same lesson sent twice
         ]},
    ],
}  # fmt: skip


def test_messy_diary_keeps_every_record_once() -> None:
    lessons = parsing.parse_diary(MESSY, student_id=STUDENT, types=TYPES, tz=TZ)
    assert [(le.id, le.number) for le in lessons] == [("7401", 1), ("7402", 2)]
    first, second = lessons
    assert [h.id for h in first.homework] == ["91"]
    assert [(m.id, m.value, m.weight) for m in first.marks] == [(f"92:{STUDENT}", "4", 1.0)]
    assert second.absence is not None
    assert second.absence.lesson_id == "7402"
