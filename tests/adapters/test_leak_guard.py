"""The leak guard: records naming another student than the one asked for never get out.

Two providers that return a sibling's and a stranger's records: the Moscow emulator's
messy notification feed (it ignores ``student_id``), and hand-made «Сетевой город» and
ЭлЖур answers read by the real parsers behind a minimal adapter. Every foreign record is
dropped, counted on the adapter and logged at WARNING without names, marks, ids or tokens.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest

from adapters import (
    AdapterDeps,
    BatchResult,
    Caller,
    Change,
    DateRange,
    DiaryAdapter,
    Lesson,
    RegionInfo,
    RegionProfile,
    School,
    Student,
)
from adapters.capabilities import Capability
from adapters.eljur import parsing as eljur
from adapters.moscow import MoscowAdapter
from adapters.native_ids import DIGITS, IdKind, NativeIdShapes
from adapters.netcity import parsing as netcity
from tests.adapters.harnesses.moscow import Harness
from tests.clock import pinned

TODAY = date(2025, 10, 18)
TZ = ZoneInfo("Asia/Yekaterinburg")
OWN, SIBLING, STRANGER = "740001001", "740001002", "740009001"
NAMES = ("Соколова", "Соколов", "Анна", "Михаил", "Незнакомцев")


def _log_is_clean(caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("leak guard" in r.getMessage() for r in warnings)
    for record in warnings:
        text = record.getMessage()
        for secret in (*secrets, *NAMES):
            assert secret not in text, (secret, text)


# -- the Moscow messy feed ---------------------------------------------------------------


async def test_moscow_feed_of_sibling_and_stranger(
    messy: tuple[Harness, MoscowAdapter], caplog: pytest.LogCaptureFixture
) -> None:
    harness, adapter = messy
    world = harness.world
    caller = harness.caller("parent")
    asked = world.students[world.canonical_student_id]
    others = {str(s.id) for s, _ in world.children_of(asked.parents[0][0]) if s.id != asked.id}
    assert others, "the demo parent has twins in region 77"
    caplog.set_level(logging.WARNING, logger="adapters")
    since = pinned(TODAY).now() - timedelta(days=30)
    (changes,) = await adapter.get_changes(caller, [str(asked.id)], since)
    assert isinstance(changes, list), changes
    assert changes
    assert {c.student_id for c in changes} == {str(asked.id)}
    dropped = adapter.foreign_records_dropped[("changes", "change")]
    assert dropped > 0
    # the feed named the sibling and a stranger: both were among the dropped
    stranger_and_sibling = len(others) + 1
    assert dropped >= stranger_and_sibling
    people = [asked, *(world.students[int(i)] for i in others)]
    _log_is_clean(
        caplog,
        str(asked.id),
        *others,
        *(p.person.last_name for p in people),
        *(p.person.first_name for p in people),
        caller.sso_token or "",
    )


# -- hand-made «Сетевой город» and ЭлЖур answers ----------------------------------------


def _assignment(aid: int, student: str, value: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": aid,
        "typeId": 4,
        "assignmentName": "Самостоятельная работа",
        "dueDate": "2025-10-13T00:00:00",
        "classMeetingId": 7401,
        "weight": 1,
        "mark": {
            "assignmentId": aid,
            "studentId": int(student),
            "mark": value,
            "markDate": "2025-10-13T11:30:00",
        },
        "markComment": None,
        **extra,
    }


NETCITY_DIARY: dict[str, Any] = {
    "studentId": int(OWN),
    "weekDays": [
        {
            "date": "2025-10-13T00:00:00",
            "lessons": [
                {
                    "classmeetingId": 7401,
                    "day": "2025-10-13T00:00:00",
                    "number": 1,
                    "startTime": "08:30",
                    "endTime": "09:15",
                    "subjectId": 7400100,
                    "subjectName": "Алгебра",
                    "attendance": None,
                    "assignments": [
                        _assignment(1, OWN, 5),
                        _assignment(2, SIBLING, 3, x_unknown={"a": 1}),
                        _assignment(3, STRANGER, 2),
                    ],
                }
            ],
        }
    ],
}
"""A diary that carries the sibling's and a stranger's marks next to the student's own."""

ELJUR_UPDATES: dict[str, Any] = {
    "updates": [
        {"id": 11, "type": "mark", "action": "new", "date": "2025-10-13 12:00:00",
         "lesson": "Алгебра", "value": "5", "student": OWN},
        {"id": 12, "type": "mark", "action": "new", "date": "2025-10-13 12:05:00",
         "lesson": "Алгебра", "value": "3", "student": SIBLING},
        {"id": 13, "type": "homework", "action": "new", "date": "2025-10-13 12:10:00",
         "lesson": "Физика", "text": "§ 12", "student": STRANGER},
        {"id": 11, "type": "mark", "action": "new", "date": "2025-10-13 12:00:00",
         "lesson": "Алгебра", "value": "5", "student": OWN},
    ],
    "has_more": False,
}  # fmt: skip
"""An updates page with the sibling's and a stranger's entries (and one sent twice)."""


class Careless(DiaryAdapter):
    """A provider whose answers are the hand-made documents above, read by the real parsers."""

    slug: ClassVar[str] = "careless"
    diary_system: ClassVar[str] = "Тест"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.SCHEDULE, Capability.MARKS, Capability.CHANGES}
    )
    config_model: ClassVar[type[Any]] = dict
    native_ids: ClassVar[NativeIdShapes] = {IdKind.STUDENT: DIGITS}

    async def _list_schools(self) -> list[School]:
        return []

    async def _fetch_profile(self, caller: Caller) -> RegionProfile | None:
        return None

    async def _fetch_students(self, caller: Caller, student_ids: list[str]) -> BatchResult[Student]:
        raise NotImplementedError

    async def _fetch_diaries(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> BatchResult[list[Lesson]]:
        types = netcity.AssignmentTypes(names={4: "Самостоятельная работа"}, homework=frozenset())
        return [
            netcity.parse_diary(NETCITY_DIARY, student_id=s, types=types, tz=TZ)
            for s in student_ids
        ]

    async def _fetch_changes(
        self, caller: Caller, student_ids: list[str], since: datetime
    ) -> BatchResult[list[Change]]:
        return [eljur.parse_updates(ELJUR_UPDATES, s, TZ)[0] for s in student_ids]


@pytest.fixture
def careless() -> Careless:
    region = RegionInfo(code="74", name="Тест", timezone=TZ, diary_url="https://example.test")
    return Careless(region=region, config={}, deps=AdapterDeps())


async def test_handmade_answers_of_sibling_and_stranger(
    careless: Careless, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="adapters")
    caller = Caller(person_id="parent-1", sso_token="secret-token-value")
    week = DateRange(date(2025, 10, 13), date(2025, 10, 19))

    (lessons,) = await careless.get_diaries(caller, [OWN], week)
    assert isinstance(lessons, list)
    assert [m.value for le in lessons for m in le.marks] == ["5"]
    (marks,) = await careless.get_marks(caller, [OWN], week)
    assert isinstance(marks, list)
    assert [m.student_id for m in marks] == [OWN]
    (changes,) = await careless.get_changes(caller, [OWN], datetime(2025, 10, 1, tzinfo=TZ))
    assert isinstance(changes, list)
    assert [(c.student_id, c.mark_value) for c in changes] == [(OWN, "5")]

    assert careless.foreign_records_dropped == {
        ("diary", "mark"): 2,
        ("marks", "mark"): 2,
        ("changes", "change"): 2,
    }
    _log_is_clean(caplog, OWN, SIBLING, STRANGER, "secret-token-value", "parent-1")
    for record in caplog.records:
        if "leak guard" in record.getMessage():
            assert record.levelno == logging.WARNING
            assert "provider=careless" in record.getMessage()
            assert "region=74" in record.getMessage()
