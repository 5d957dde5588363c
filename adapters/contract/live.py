"""The contract's read-only checks for a live system (and for replays of its recordings).

A live system holds real people, not the canonical week, so these checks assert what must
hold for any data: the parent's profile lists children, a week's diary is sorted and
zone-aware, every mark's ``normalized`` is its hundred-point value / 100, an unknown student
fails only its own slot, feeds are newest first, results are unified models only. Nothing
is written: ``set_homework_done`` and school logins are never called.

Each check is ``async def check(ctx: LiveContext) -> None``: it raises ``AssertionError``
when the system (or the adapter) breaks the contract and :class:`CheckSkipped` when it does
not apply (a capability not declared, a persona not given).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import adapters.models as models
from adapters.base import DiaryAdapter
from adapters.capabilities import Capability
from adapters.errors import AccessDeniedError, AdapterError, NotFoundError
from adapters.models import Caller, DateRange, Lesson, Role

__all__ = [
    "LIVE_CHECKS",
    "CheckSkipped",
    "LiveContext",
    "LiveOutcome",
    "run_live_checks",
]

UNKNOWN_STUDENT = "987654321"


class CheckSkipped(Exception):
    """The check does not apply to this region or these credentials."""


@dataclass
class LiveContext:
    """What the checks run with: the adapter, the personas' callers, one student and week."""

    adapter: DiaryAdapter
    callers: dict[str, Caller]
    week: DateRange
    student_id: str | None = None
    """The parent's child whose diary is read (default: the first child of ``parent``)."""
    _profile: Any = field(default=None, repr=False)

    def caller(self, persona: str) -> Caller:
        if persona not in self.callers:
            raise CheckSkipped(f"no credentials for persona {persona!r}")
        return self.callers[persona]

    def require(self, capability: Capability) -> None:
        if not self.adapter.supports(capability):
            raise CheckSkipped(f"{self.adapter.slug} does not declare {capability.value}")

    async def parent_profile(self) -> models.RegionProfile:
        if self._profile is None:
            self._profile = await self.adapter.get_profile(self.caller("parent"))
        assert self._profile is not None, "the parent is unknown to the region's system"
        profile: models.RegionProfile = self._profile
        return profile

    async def student(self) -> str:
        if self.student_id is None:
            profile = await self.parent_profile()
            if not profile.children:
                raise CheckSkipped("the parent has no children here")
            self.student_id = profile.children[0].student.id
        return self.student_id

    async def week_lessons(self) -> list[Lesson]:
        (slot,) = await self.adapter.get_diaries(
            self.caller("parent"), [await self.student()], self.week
        )
        assert isinstance(slot, list), slot
        return slot


async def check_profile(ctx: LiveContext) -> None:
    ctx.require(Capability.PROFILE)
    profile = await ctx.parent_profile()
    assert any(g.role is Role.PARENT for g in profile.roles), "the parent has no PARENT grant"
    assert profile.children, "the parent has no children"
    for child in profile.children:
        assert child.student.id
        assert child.student.person.full_name.strip()
    students = await ctx.adapter.get_students(ctx.caller("parent"), [await ctx.student()])
    assert not isinstance(students[0], AdapterError), students[0]


async def check_diary(ctx: LiveContext) -> None:
    ctx.require(Capability.SCHEDULE)
    lessons = await ctx.week_lessons()
    assert lessons == sorted(lessons, key=lambda le: (le.date, le.number)), "lessons unsorted"
    zone = ctx.adapter.region.timezone
    for lesson in lessons:
        assert lesson.date in ctx.week, lesson.date
        assert lesson.starts_at.tzinfo is not None, "a naive lesson time"
        assert lesson.ends_at >= lesson.starts_at
        if not lesson.unscheduled:
            assert lesson.starts_at.astimezone(zone).date() == lesson.date
    _only_unified_models(lessons)


async def check_marks(ctx: LiveContext) -> None:
    ctx.require(Capability.MARKS)
    (marks,) = await ctx.adapter.get_marks(ctx.caller("parent"), [await ctx.student()], ctx.week)
    assert isinstance(marks, list), marks
    for mark in marks:
        hundred = mark.grade.hundred
        assert mark.normalized == (None if hundred is None else hundred / 100)
        assert mark.weight > 0
        assert mark.lesson_date is None or mark.lesson_date in ctx.week
    _only_unified_models(marks)


async def check_progress(ctx: LiveContext) -> None:
    ctx.require(Capability.PROGRESS)
    (progress,) = await ctx.adapter.get_progress(
        ctx.caller("parent"), [await ctx.student()], ctx.week
    )
    assert isinstance(progress, list), progress
    for item in progress:
        assert item.count >= 0
        if item.average_five is not None:
            assert 0 <= item.average_five <= 5
        if item.average_hundred is not None:
            assert 0 <= item.average_hundred <= 100


async def check_unknown_student(ctx: LiveContext) -> None:
    ctx.require(Capability.SCHEDULE)
    result = await ctx.adapter.get_diaries(
        ctx.caller("parent"), [await ctx.student(), UNKNOWN_STUDENT], ctx.week
    )
    assert isinstance(result[0], list), result[0]
    assert isinstance(result[1], NotFoundError | AccessDeniedError), result[1]


async def check_changes(ctx: LiveContext) -> None:
    ctx.require(Capability.CHANGES)
    since = datetime.combine(ctx.week.start, time.min)
    (changes,) = await ctx.adapter.get_changes(ctx.caller("parent"), [await ctx.student()], since)
    assert isinstance(changes, list), changes
    assert all(c.at.tzinfo is not None for c in changes)
    assert [c.at for c in changes] == sorted((c.at for c in changes), reverse=True)


async def check_staff(ctx: LiveContext) -> None:
    ctx.require(Capability.PROFILE)
    expected = {
        "teacher": Role.TEACHER,
        "class-teacher": Role.CLASS_TEACHER,
        "school-admin": Role.SCHOOL_ADMIN,
        "student": Role.STUDENT,
    }
    given = [p for p in expected if p in ctx.callers]
    if not given:
        raise CheckSkipped("no staff or student credentials")
    for persona in given:
        profile = await ctx.adapter.get_profile(ctx.callers[persona])
        assert profile is not None, f"{persona} is unknown to the region's system"
        assert any(g.role is expected[persona] for g in profile.roles), persona


async def check_journal(ctx: LiveContext) -> None:
    ctx.require(Capability.JOURNAL)
    caller = ctx.caller("teacher")
    profile = await ctx.adapter.get_profile(caller)
    assert profile is not None
    groups = [gid for g in profile.roles if g.role is Role.TEACHER for gid in g.group_ids]
    if not groups:
        raise CheckSkipped("the teacher has no groups")
    journal = await ctx.adapter.get_journal(caller, groups[0], ctx.week)
    assert journal.group.id == groups[0]
    assert all(le.date in ctx.week for le in journal.lessons)


async def check_terms(ctx: LiveContext) -> None:
    ctx.require(Capability.TERMS)
    profile = await ctx.parent_profile()
    wanted = await ctx.student()
    student = next(c.student for c in profile.children if c.student.id == wanted)
    terms = await ctx.adapter.get_terms(ctx.caller("parent"), student.school_id)
    assert terms, "no terms"
    assert [t.starts_on for t in terms] == sorted(t.starts_on for t in terms)
    assert all(t.starts_on <= t.ends_on for t in terms)


def _only_unified_models(value: Any) -> None:
    allowed = {getattr(models, n) for n in models.__all__ if isinstance(getattr(models, n), type)}

    def walk(item: Any) -> None:
        if isinstance(item, tuple | list):
            for x in item:
                walk(x)
        elif dataclasses.is_dataclass(item):
            assert type(item) in allowed, type(item)
            for f in dataclasses.fields(item):
                walk(getattr(item, f.name))
        else:
            assert isinstance(
                item, str | int | float | bool | date | time | type(None) | models.Role
            ) or type(item).__module__ in ("datetime", "zoneinfo"), type(item)

    walk(value)


LiveCheck = Callable[[LiveContext], Awaitable[None]]

LIVE_CHECKS: dict[str, LiveCheck] = {
    "profile": check_profile,
    "diary": check_diary,
    "marks": check_marks,
    "progress": check_progress,
    "unknown_student": check_unknown_student,
    "changes": check_changes,
    "staff": check_staff,
    "journal": check_journal,
    "terms": check_terms,
}
"""The read-only checks by name, in the order they run."""


@dataclass(frozen=True, slots=True)
class LiveOutcome:
    name: str
    status: str
    """``passed``, ``failed`` or ``skipped``."""
    detail: str = ""

    def line(self) -> str:
        return f"{self.name}: {self.status}" + (f" ({self.detail})" if self.detail else "")


async def run_live_check(name: str, ctx: LiveContext) -> LiveOutcome:
    try:
        await LIVE_CHECKS[name](ctx)
    except CheckSkipped as exc:
        return LiveOutcome(name, "skipped", str(exc))
    except AssertionError as exc:
        return LiveOutcome(name, "failed", str(exc) or "assertion failed")
    except AdapterError as exc:
        return LiveOutcome(name, "failed", f"{type(exc).__name__}: {exc}")
    return LiveOutcome(name, "passed")


async def run_live_checks(ctx: LiveContext) -> list[LiveOutcome]:
    """Every check in order (each one's failure is reported, the others still run)."""
    return [await run_live_check(name, ctx) for name in LIVE_CHECKS]


def last_full_week(today: date) -> DateRange:
    """Monday to Sunday of the last week that has ended before ``today``."""
    monday = today - timedelta(days=today.weekday() + 7)
    return DateRange(monday, monday + timedelta(days=6))
