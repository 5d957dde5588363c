"""The demo world in МЭШ's own terms: profiles, ids, marks on three scales, native JSON.

:class:`MoscowData` wraps a :class:`~diary_gateway_demo.seed.World` and renders what the emulator
serves in the shapes of ``moscow-protocol.md``. It also holds the provider's mutable state:
homework marked done (``world.homework_done``), marks created and corrected through the
teacher API, parents' advance absence notices and the answers remembered per idempotency key.

Ids follow МЭШ: a student has an integer id (their student profile id, ``student_id``) and
a GUID (``contingent_guid``, used by the event calendar). Ids the world does not keep small
(marks, per-student homework entries) are re-encoded compactly so they stay exact in
JavaScript clients (below 2**53).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from adapters.payload import JsonObject
from adapters.scales import COMMON_TABLE, HUNDRED_POINT, TEN_POINT
from diary_gateway_demo.seed import (
    REASONS,
    SeedAbsence,
    SeedGroup,
    SeedHomework,
    SeedLesson,
    SeedMark,
    SeedPerson,
    SeedStudent,
    World,
    school_year_of,
)

__all__ = [
    "CONTROL_FORMS",
    "GRADE_SYSTEMS",
    "MOSCOW",
    "AbsenceNotice",
    "MesProfile",
    "MoscowData",
    "NativeMark",
    "average_text",
    "grade_of",
]


MOSCOW = ZoneInfo("Europe/Moscow")

GRADE_SYSTEMS: dict[str, tuple[int, str, float]] = {
    "five": (4140000, "5-балльная", 5.0),
    "ten": (4140001, "10-балльная", 10.0),
    "hundred": (4140002, "100-балльная", 100.0),
}
"""grade_system_type → (grade_system_id, name, nmax)."""

_FIVE_TABLE: dict[int, tuple[float, float]] = {
    5: (10.0, 100.0),
    4: (8.0, 80.0),
    3: (6.0, 60.0),
    2: (4.0, 30.0),
    1: (2.0, 10.0),
}
"""Five-point mark → (ten, hundred): МЭШ's lookup table (not a formula)."""

TEN_POINT_SUBJECT = "Информатика"
"""Teachers of this subject grade on the ten-point scale in the demo."""
HUNDRED_POINT_SUBJECT = "Химия"
"""Teachers of this subject grade on the hundred-point scale in the demo."""
_TEN_FROM_FIVE = {5: (10, 9), 4: (8, 7), 3: (6, 5), 2: (4, 3)}
_HUNDRED_FROM_FIVE = {5: (90, 100), 4: (70, 89), 3: (50, 69), 2: (20, 49)}

CONTROL_FORMS: dict[int, str] = {
    4600001: "Ответ на уроке",
    4600002: "Самостоятельная работа",
    4600003: "Домашняя работа",
    4600004: "Контрольная работа",
    4600005: "Диктант",
    4600006: "Тест",
}

_EPOCH = date(2000, 1, 1).toordinal()
_PARENT_OFFSET = 9000
_ADMIN_OFFSET = 5000
_USER_OFFSET = 10_000_000
CREATED_MARK_BASE = 9_000_000_000
"""Ids of marks created through the teacher API start here."""
_CLASS_HOUR = (time(14, 20), time(15, 5))
_NOTIFICATION_DAYS = 30


def grade_of(system: str, origin: int) -> tuple[float, float, float]:
    """A numeric mark on its scale → (five, ten, hundred), as the provider converts it."""
    if system == "five":
        ten, hundred = _FIVE_TABLE[origin]
        return float(origin), ten, hundred
    # ten- and hundred-point marks by the common table (adapters.scales), which agrees with
    # МЭШ's five-point lookup: ten-point 4 is 30, like five-point 2, not 40
    scale = TEN_POINT if system == "ten" else HUNDRED_POINT
    grade = COMMON_TABLE.convert(float(origin), scale)
    if grade.five is None or grade.ten is None or grade.hundred is None:
        raise ValueError(f"{origin} is not a {system}-point mark")
    return grade.five, grade.ten, grade.hundred


def _hash(*parts: object) -> int:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def _local(moment: datetime) -> str:
    """A local timestamp without a zone, as МЭШ writes ``created_at``."""
    return moment.replace(tzinfo=None, microsecond=0).isoformat()


def _zoned(day: date, at: time) -> str:
    """A zoned timestamp, as МЭШ writes ``start_at``."""
    return datetime.combine(day, at, tzinfo=MOSCOW).isoformat()


def average_text(pairs: list[tuple[float, int]]) -> str | None:
    """A weighted mean with two decimals, half up, as a string (МЭШ's averages)."""
    weights = sum(w for _, w in pairs)
    if not weights:
        return None
    mean = Decimal(str(sum(v * w for v, w in pairs))) / Decimal(weights)
    return str(mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _short_name(person: SeedPerson) -> str:
    return f"{person.last_name} {person.first_name[0]}. {person.middle_name[0]}."


@dataclass(frozen=True, slots=True)
class MesProfile:
    """One МЭШ profile (a user acting in one role)."""

    id: int
    type: str
    """``parent``, ``student`` or ``teacher`` (staff, including school admins)."""
    person: SeedPerson
    school_id: int | None = None
    roles: tuple[str, ...] = ()
    class_unit_ids: tuple[int, ...] = ()
    teacher_id: int | None = None
    student_id: int | None = None
    parent_key: str | None = None
    admin_of: int | None = None

    @property
    def user_id(self) -> int:
        return self.id + _USER_OFFSET


@dataclass(frozen=True, slots=True)
class NativeMark:
    """A mark as МЭШ keeps it: the original value on its own scale."""

    id: int
    student_id: int
    lesson: SeedLesson
    origin: str
    system: str | None
    """``five``, ``ten``, ``hundred``; ``None`` for a non-numeric mark («зачёт», «н/а»)."""
    weight: int
    control_form: str
    comment: str | None
    is_exam: bool
    created_at: datetime
    updated_at: datetime
    values_absent: bool = False
    """For a non-numeric mark: leave ``values`` out instead of sending ``null``."""
    corrections: tuple[tuple[datetime, str, str], ...] = ()
    """The mark's corrections, oldest first: (when, old value, new value)."""

    def grade(self) -> tuple[float, float, float] | None:
        if self.system is None:
            return None
        return grade_of(self.system, int(self.origin))


@dataclass(frozen=True, slots=True)
class AbsenceNotice:
    """A legal representative's advance notice that a student will miss ``dates``."""

    id: int
    student_id: int
    dates: tuple[date, ...]
    reason_id: int
    description: str | None
    author_profile_id: int
    created_at: datetime


class MoscowData:
    """The world rendered as МЭШ serves it. See the module docstring."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._classes = sorted(world.classes)
        self._class_index = {cid: i for i, cid in enumerate(self._classes)}
        self.profiles: dict[int, MesProfile] = {}
        self._by_person_key: dict[str, MesProfile] = {}
        self._logins = {s.login: s for s in world.students.values()}
        self._by_guid = {s.guid: s for s in world.students.values()}
        self._native: dict[tuple[int, date], tuple[NativeMark, ...]] = {}
        self.created_marks: dict[tuple[int, date], list[NativeMark]] = defaultdict(list)
        self.corrected_marks: dict[int, NativeMark] = {}
        """Seeded marks as corrected through the teacher API, by mark id."""
        self._next_mark_id = CREATED_MARK_BASE
        self.added_absences: dict[tuple[int, date], list[SeedAbsence]] = defaultdict(list)
        """Absences added through ``POST /__admin/absences`` (ours), by (class, day)."""
        self.changed_lessons: dict[int, SeedLesson] = {}
        self.unlinked: set[int] = set()
        """Students whose parents' profiles no longer list them (``POST /__admin/families``)."""
        self.absence_notices: dict[int, list[AbsenceNotice]] = defaultdict(list)
        """Advance absence notices by student id (``POST …/attendance``)."""
        self._next_notice_id = 0
        self.idempotent_answers: dict[tuple[int, str], tuple[str, int, JsonObject]] = {}
        """(profile id, ``Idempotency-Key``) → (request fingerprint, status, answer)."""
        """Lessons changed through ``POST /__admin/lessons`` (ours), by lesson id."""
        self._build_profiles()

    # -- the world, with what the admin API added or changed ----------------------------

    def lessons(self, class_id: int, day: date) -> tuple[SeedLesson, ...]:
        """The class's lessons of ``day``, as changed through the admin API."""
        found = self.world.lessons(class_id, day)
        if not self.changed_lessons:
            return found
        return tuple(self.changed_lessons.get(le.id, le) for le in found)

    def absences(self, class_id: int, day: date) -> tuple[SeedAbsence, ...]:
        """The class's absences of ``day`` (begun lessons), with those added."""
        found = self.world.absences(class_id, day)
        added = self.added_absences.get((class_id, day))
        return (*found, *added) if added else found

    def add_absence(self, student: SeedStudent, lesson: SeedLesson, reason_id: int) -> SeedAbsence:
        """Mark ``student`` absent from ``lesson`` (replacing an absence there)."""
        key = (lesson.class_id, lesson.day)
        kept = [
            a
            for a in self.added_absences[key]
            if (a.student_id, a.lesson_id) != (student.id, lesson.id)
        ]
        absence = SeedAbsence(student.id, lesson.id, lesson.day, reason_id)
        self.added_absences[key] = [*kept, absence]
        return absence

    def change_lesson(self, lesson: SeedLesson, **changes: object) -> SeedLesson:
        """Change ``lesson`` (room, cancelled, replaced, topic, teacher_id, starts, ends)."""
        changed = replace(self.changed_lessons.get(lesson.id, lesson), **changes)  # type: ignore[arg-type]
        self.changed_lessons[lesson.id] = changed
        return changed

    # -- people ------------------------------------------------------------------------

    def _add(self, profile: MesProfile) -> None:
        self.profiles[profile.id] = profile
        self._by_person_key[profile.person.key] = profile

    def _build_profiles(self) -> None:
        world = self.world
        for student in world.students.values():
            self._add(
                MesProfile(
                    student.id,
                    "student",
                    student.person,
                    school_id=student.school_id,
                    student_id=student.id,
                )
            )
        for i, key in enumerate(sorted(world.parents)):
            self._add(
                MesProfile(
                    world.base + _PARENT_OFFSET + i, "parent", world.parents[key], parent_key=key
                )
            )
        for teacher in world.teachers.values():
            led = tuple(
                sorted(c.id for c in world.classes.values() if c.class_teacher_id == teacher.id)
            )
            self._add(
                MesProfile(
                    teacher.id,
                    "teacher",
                    teacher.person,
                    school_id=teacher.school_id,
                    roles=("teacher", "class_teacher") if led else ("teacher",),
                    class_unit_ids=led,
                    teacher_id=teacher.id,
                )
            )
        for i, school in enumerate(world.schools):
            self._add(
                MesProfile(
                    world.base + _ADMIN_OFFSET + i,
                    "teacher",
                    world.admins[school.id],
                    school_id=school.id,
                    roles=("school_admin",),
                    admin_of=school.id,
                )
            )

    def profile_for_national_id(self, national_id: str) -> MesProfile | None:
        person = self.world.people_by_national_id().get(national_id)
        return None if person is None else self._by_person_key.get(person.key)

    def student_by_login(self, login: str) -> SeedStudent | None:
        return self._logins.get(login)

    def student_by_guid(self, guid: str) -> SeedStudent | None:
        return self._by_guid.get(guid)

    # -- access ------------------------------------------------------------------------

    def may_read_student(self, profile: MesProfile, student: SeedStudent) -> bool:
        if profile.type == "student":
            return profile.student_id == student.id
        if profile.type == "parent":
            return any(key == profile.parent_key for key, _ in student.parents)
        return self.may_read_class(profile, student.class_id)

    def may_write_homework(self, profile: MesProfile, student: SeedStudent) -> bool:
        if profile.type == "student":
            return profile.student_id == student.id
        if profile.type == "parent":
            return (profile.parent_key, True) in student.parents
        return False

    def may_read_class(self, profile: MesProfile, class_id: int) -> bool:
        unit = self.world.classes[class_id]
        return (
            profile.admin_of == unit.school_id
            or class_id in profile.class_unit_ids
            or any(g.teacher_id == profile.teacher_id for g in self.world.groups_of_class(class_id))
        )

    def is_classmate(self, profile: MesProfile, class_id: int) -> bool:
        """A student of the class, or a parent of one."""
        return profile.type in ("student", "parent") and any(
            self.may_read_student(profile, s) for s in self.world.class_students(class_id)
        )

    def may_read_group(self, profile: MesProfile, group: SeedGroup) -> bool:
        return (
            (profile.teacher_id is not None and profile.teacher_id == group.teacher_id)
            or group.class_id in profile.class_unit_ids
            or profile.admin_of == group.school_id
        )

    def may_write_group(self, profile: MesProfile, group: SeedGroup) -> bool:
        return profile.teacher_id is not None and profile.teacher_id == group.teacher_id

    # -- compact ids -------------------------------------------------------------------

    def _lesson_key(self, lesson: SeedLesson) -> int:
        offset = lesson.day.toordinal() - _EPOCH
        return (self._class_index[lesson.class_id] * 100_000 + offset) * 10 + lesson.number

    def homework_entry_student_id(self, lesson: SeedLesson, student_id: int) -> int:
        return self._lesson_key(lesson) * 100 + student_id % 100

    def find_homework_entry(self, entry_id: int) -> tuple[SeedStudent, SeedHomework] | None:
        """The (student, homework) behind a ``homework_entry_student_id``."""
        rest, student_index = divmod(entry_id, 100)
        rest, number = divmod(rest, 10)
        class_index, offset = divmod(rest, 100_000)
        if not 0 <= class_index < len(self._classes):
            return None
        class_id = self._classes[class_index]
        student = self.world.students.get(class_id * 100 + student_index)
        try:
            day = date.fromordinal(offset + _EPOCH)
        except ValueError:
            return None
        if student is None or student.class_id != class_id:
            return None
        lesson = next((le for le in self.lessons(class_id, day) if le.number == number), None)
        if lesson is None:
            return None
        homework = next(
            (h for h in self.world.homework(class_id, day) if h.lesson_id == lesson.id), None
        )
        return None if homework is None else (student, homework)

    # -- marks -------------------------------------------------------------------------

    def _is_canonical(self, mark: SeedMark) -> bool:
        return mark.student_id == self.world.canonical_student_id and (
            self.world.in_canonical_week(mark.day)
        )

    def _native_mark(self, mark: SeedMark, lesson: SeedLesson) -> NativeMark:
        h = _hash(self.world.region, mark.id)
        canonical = self._is_canonical(mark)
        five = mark.five
        system: str | None = "five"
        corrections: tuple[tuple[datetime, str, str], ...] = ()
        updated = mark.created_at
        if five is None:
            system, origin = None, "н/а" if not canonical and h % 10 == 0 else "зачёт"
        elif not canonical and mark.subject == TEN_POINT_SUBJECT and five in _TEN_FROM_FIVE:
            system, origin = "ten", str(_TEN_FROM_FIVE[five][h % 2])
        elif not canonical and mark.subject == HUNDRED_POINT_SUBJECT and five in _HUNDRED_FROM_FIVE:
            low, high = _HUNDRED_FROM_FIVE[five]
            system, origin = "hundred", str(low + h % (high - low + 1))
        else:
            origin = str(five)
            corrected_at = mark.created_at + timedelta(minutes=20 + h % 100)
            if not canonical and h % 12 == 0 and corrected_at <= self.world.now():
                # the teacher corrected this mark later the same day
                corrections = ((corrected_at, str(five + 1 if five < 5 else five - 1), origin),)
                updated = corrected_at
        return NativeMark(
            id=self._lesson_key(lesson) * 1000 + (mark.student_id % 100) * 10 + mark.id % 10,
            student_id=mark.student_id,
            lesson=lesson,
            origin=origin,
            system=system,
            weight=mark.weight,
            control_form=mark.control_form,
            comment=mark.comment,
            is_exam=mark.is_exam,
            created_at=mark.created_at,
            updated_at=updated,
            corrections=corrections,
            values_absent=system is None and h % 2 == 0,
        )

    def class_marks(self, class_id: int, day: date) -> list[NativeMark]:
        """Every mark of the class's lessons of ``day`` given by now, seeded and created.

        Days before today are final and memoised; today's marks appear as they are given.
        """
        key = (class_id, day)
        seeded = self._native.get(key)
        if seeded is None:
            lessons = {le.id: le for le in self.lessons(class_id, day)}
            seeded = tuple(
                self._native_mark(m, lessons[m.lesson_id]) for m in self.world.marks(class_id, day)
            )
            if day < self.world.today:
                self._native[key] = seeded
        if self.corrected_marks:
            seeded = tuple(self.corrected_marks.get(m.id, m) for m in seeded)
        return [*seeded, *self.created_marks.get(key, ())]

    def student_marks(self, student: SeedStudent, start: date, end: date) -> list[NativeMark]:
        """The student's marks for lessons dated ``start``..``end`` (the lesson date)."""
        return [
            m
            for day in self.world.days(start, end)
            for m in self.class_marks(student.class_id, day)
            if m.student_id == student.id
        ]

    def create_mark(
        self,
        *,
        student: SeedStudent,
        lesson: SeedLesson,
        origin: str,
        system: str | None,
        weight: int,
        control_form: str,
        comment: str | None,
        is_exam: bool,
    ) -> NativeMark:
        self._next_mark_id += 1
        now = self.world.now().replace(microsecond=0)
        mark = NativeMark(
            id=self._next_mark_id,
            student_id=student.id,
            lesson=lesson,
            origin=origin,
            system=system,
            weight=weight,
            control_form=control_form,
            comment=comment,
            is_exam=is_exam,
            created_at=now,
            updated_at=now,
        )
        self.created_marks[(lesson.class_id, lesson.day)].append(mark)
        return mark

    def find_mark(self, mark_id: int) -> NativeMark | None:
        """A mark given by now, seeded or created through the API, or ``None``."""
        for marks in self.created_marks.values():
            for mark in marks:
                if mark.id == mark_id:
                    return mark
        # a seeded mark's id starts with its lesson's key (see _native_mark)
        rest, _ = divmod(mark_id // 1000, 10)
        class_index, offset = divmod(rest, 100_000)
        if not 0 <= class_index < len(self._classes):
            return None
        try:
            day = date.fromordinal(offset + _EPOCH)
        except (ValueError, OverflowError):
            return None
        marks = self.class_marks(self._classes[class_index], day)
        return next((m for m in marks if m.id == mark_id), None)

    def change_mark(self, mark_id: int, origin: str, **changes: object) -> NativeMark | None:
        """Change a mark (``None``: no such mark) to ``origin`` and any other ``changes``
        (system, weight, control_form, comment, is_exam): the change feed reports it as
        ``update_mark`` with the old value."""
        mark = self.find_mark(mark_id)
        if mark is None:
            return None
        now = self.world.now().replace(microsecond=0)
        changed = replace(
            mark,
            origin=origin,
            updated_at=now,
            corrections=(*mark.corrections, (now, mark.origin, origin)),
            **changes,  # type: ignore[arg-type]
        )
        created = self.created_marks.get((mark.lesson.class_id, mark.lesson.day), [])
        for index, known in enumerate(created):
            if known.id == mark_id:
                created[index] = changed
                break
        else:
            self.corrected_marks[mark_id] = changed
        return changed

    @staticmethod
    def lesson_scale(lesson: SeedLesson) -> str:
        """The grade system a lesson's new marks go on: its subject's in the demo (ten
        points for Информатика, a hundred for Химия, five otherwise)."""
        if lesson.subject == TEN_POINT_SUBJECT:
            return "ten"
        if lesson.subject == HUNDRED_POINT_SUBJECT:
            return "hundred"
        return "five"

    def add_absence_notice(
        self,
        *,
        student: SeedStudent,
        dates: tuple[date, ...],
        reason_id: int,
        description: str | None,
        author: MesProfile,
    ) -> AbsenceNotice:
        """Record a parent's advance absence notice."""
        self._next_notice_id += 1
        notice = AbsenceNotice(
            id=self.world.base * 10 + self._next_notice_id,
            student_id=student.id,
            dates=dates,
            reason_id=reason_id,
            description=description,
            author_profile_id=author.id,
            created_at=self.world.now().replace(microsecond=0),
        )
        self.absence_notices[student.id].append(notice)
        return notice

    def withdraw_absence(self, student: SeedStudent, dates: set[date]) -> int:
        """Take ``dates`` out of the student's notices (a notice left without days goes);
        answers how many days were taken out."""
        kept: list[AbsenceNotice] = []
        removed = 0
        for notice in self.absence_notices.get(student.id, ()):
            left = tuple(d for d in notice.dates if d not in dates)
            removed += len(notice.dates) - len(left)
            if left:
                kept.append(replace(notice, dates=left))
        self.absence_notices[student.id] = kept
        return removed

    def absence_notice_json(self, notice: AbsenceNotice) -> JsonObject:
        """A notice as ``POST …/attendance`` answers it and ``…/attendance/notifications``
        lists it (ours: the protocol shows only the request)."""
        return {
            "id": notice.id,
            "student_id": notice.student_id,
            "notifications": [
                {
                    "date": day.isoformat(),
                    "reason_id": notice.reason_id,
                    "reason_name": REASONS[notice.reason_id][0],
                    "description": notice.description,
                }
                for day in notice.dates
            ],
            "reason_id": notice.reason_id,
            "reason_name": REASONS[notice.reason_id][0],
            "description": notice.description,
            "author_profile_id": notice.author_profile_id,
            "created_at": _local(notice.created_at),
        }

    def reset(self) -> None:
        """Forget homework marked done, and marks, absences, notices and lesson changes made
        so, and the answers kept for idempotency keys."""
        self.world.homework_done.clear()
        self.created_marks.clear()
        self.corrected_marks.clear()
        self.added_absences.clear()
        self.changed_lessons.clear()
        self.unlinked.clear()
        self.absence_notices.clear()
        self.idempotent_answers.clear()

    def _values(self, mark: NativeMark) -> list[JsonObject] | None:
        grade = mark.grade()
        if grade is None or mark.system is None:
            return None
        system_id, name, nmax = GRADE_SYSTEMS[mark.system]
        five, ten, hundred = grade
        return [
            {
                "name": name,
                "nmax": nmax,
                "grade_system_id": system_id,
                "grade_system_type": mark.system,
                "grade": {"origin": mark.origin, "five": five, "ten": ten, "hundred": hundred},
            }
        ]

    def mark_json(self, mark: NativeMark) -> JsonObject:
        """A mark in the family API's shape (call 2, and inside events)."""
        lesson = mark.lesson
        item: JsonObject = {
            "id": mark.id,
            "value": mark.origin,
            "values": self._values(mark),
            "comment": mark.comment,
            "comment_exists": mark.comment is not None,
            "weight": mark.weight,
            "is_exam": mark.is_exam,
            "is_point": False,
            "point_date": None,
            "control_form_name": mark.control_form,
            "criteria": None,
            "date": lesson.day.isoformat(),
            "subject_id": lesson.subject_id,
            "subject_name": lesson.subject,
            "schedule_item_id": lesson.id,
            "has_files": False,
            "original_grade_system_type": mark.system,
            "created_at": _local(mark.created_at),
            "updated_at": _local(mark.updated_at),
        }
        if mark.system is None and mark.values_absent:
            del item["values"]
        return item

    def teacher_mark_json(self, mark: NativeMark) -> JsonObject:
        """A mark in the teacher API's shape (calls 13 and 15)."""
        return {
            "id": mark.id,
            "student_profile_id": mark.student_id,
            "value": mark.origin,
            "values": self._values(mark),
            "weight": mark.weight,
            "is_exam": mark.is_exam,
            "control_form_name": mark.control_form,
            "comment": mark.comment,
            "date": mark.lesson.day.isoformat(),
            "schedule_item_id": mark.lesson.id,
            "subject_id": mark.lesson.subject_id,
            "subject_name": mark.lesson.subject,
            "created_at": _local(mark.created_at),
            "updated_at": _local(mark.updated_at),
        }

    # -- people in native shape --------------------------------------------------------

    def _school_json(self, school_id: int) -> JsonObject:
        school = next(s for s in self.world.schools if s.id == school_id)
        return {
            "id": school.id,
            "name": school.name,
            "short_name": school.short_name,
            "county": "Центральный",
            "principal": None,
            "phone": None,
            "global_school_id": school.id + 1_000_000,
        }

    def schools(self) -> list[JsonObject]:
        """The region's schools (a public directory)."""
        return [
            {"id": s.id, "name": s.name, "short_name": s.short_name, "address": s.address}
            for s in self.world.schools
        ]

    def _groups_brief(self, class_id: int) -> list[JsonObject]:
        return [
            {"id": g.id, "name": g.name, "subject_id": g.subject_id, "is_fake": False}
            for g in self.world.groups_of_class(class_id)
        ]

    def _representatives(self, student: SeedStudent) -> list[JsonObject]:
        found: list[JsonObject] = []
        for key, legal in student.parents:
            parent = self.world.parents.get(key)
            if parent is not None:
                names = (parent.last_name, parent.first_name, parent.middle_name)
                phone, email = parent.phone, parent.email
            else:  # a parent who never signs in: contacts only
                names = (student.person.last_name, "", "")
                phone = (
                    f"+7 900 {student.id % 1000:03d}-{student.id % 97:02d}-{student.id % 89:02d}"
                )
                email = f"{key}@example.test"
            found.append(
                {
                    "last_name": names[0],
                    "first_name": names[1] or None,
                    "middle_name": names[2] or None,
                    "type": "parent",
                    "phone": phone,
                    "email": email,
                    "is_legal_representative": legal,
                }
            )
        return found

    def child_json(self, student: SeedStudent, legal: bool) -> JsonObject:
        """A child of the family profile (call 1)."""
        unit = self.world.classes[student.class_id]
        person = student.person
        return {
            "id": student.id,
            "user_id": student.id + _USER_OFFSET,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "middle_name": person.middle_name,
            "birth_date": person.birth_date.isoformat(),
            "sex": person.sex,
            "contract_id": None,
            "school": self._school_json(student.school_id),
            "class_name": unit.name,
            "class_level_id": unit.level,
            "class_unit_id": unit.id,
            "groups": self._groups_brief(unit.id),
            "sections": [],
            "representatives": self._representatives(student),
            "contingent_guid": student.guid,
            "is_legal_representative": legal,
            "sudir_account_exists": person.national_id is not None,
            "enrollment_date": f"{unit.school_id % 7 + 2015}-09-01",
        }

    def family_profile(self, profile: MesProfile) -> JsonObject:
        """Call 1: the profile and its children (a student's profile lists themself)."""
        person = profile.person
        children: list[tuple[SeedStudent, bool]] = []
        if profile.type == "parent" and profile.parent_key is not None:
            children = [
                (child, legal)
                for child, legal in self.world.children_of(profile.parent_key)
                if child.id not in self.unlinked
            ]
        elif profile.student_id is not None:
            children = [(self.world.students[profile.student_id], False)]
        body = {
            "profile": {
                "id": profile.id,
                "user_id": profile.user_id,
                "type": profile.type,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "middle_name": person.middle_name,
                "birth_date": person.birth_date.isoformat(),
                "sex": person.sex,
                "phone": person.phone,
                "email": person.email,
                "snils": None,
            },
            "children": [self.child_json(s, legal) for s, legal in children],
        }
        body["hash"] = hashlib.sha256(repr(body).encode()).hexdigest()[:32]
        return body

    def profile_info(self, profile: MesProfile) -> list[JsonObject]:
        """``/acl/api/users/profile_info``: the token user's profiles."""
        person = profile.person
        item: JsonObject = {
            "id": profile.id,
            "type": profile.type,
            "roles": list(profile.roles),
            "user_id": profile.user_id,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "middle_name": person.middle_name,
            "agree_pers_data": True,
        }
        if profile.school_id is not None:
            item["school_id"] = profile.school_id
        if profile.class_unit_ids:
            item["class_unit_ids"] = list(profile.class_unit_ids)
        if profile.teacher_id is not None:
            subjects = self.world.teachers[profile.teacher_id].subjects
            item["subject_ids"] = [self.world.subject_ids[s] for s in subjects]
        return [item]

    def session_user(self, student: SeedStudent, token: str) -> JsonObject:
        """``/lms/api/sessions``: the signed-in student's session."""
        person = student.person
        school = next(s for s in self.world.schools if s.id == student.school_id)
        return {
            "id": student.id + _USER_OFFSET,
            "guid": student.guid,
            "person_id": student.guid,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "middle_name": person.middle_name,
            "sex": person.sex,
            "date_of_birth": person.birth_date.isoformat(),
            "authentication_token": token,
            "password_change_required": False,
            "regional_auth": None,
            "profiles": [
                {
                    "id": student.id,
                    "type": "student",
                    "school_id": student.school_id,
                    "school_shortname": school.short_name,
                    "user_id": student.id + _USER_OFFSET,
                    "organization_id": None,
                    "agree_pers_data": True,
                    "roles": [],
                    "subject_ids": [],
                }
            ],
        }

    # -- diary -------------------------------------------------------------------------

    def _teacher_json(self, teacher_id: int) -> JsonObject:
        person = self.world.teachers[teacher_id].person
        return {
            "id": teacher_id,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "middle_name": person.middle_name,
        }

    def remarks_json(self, student: SeedStudent, start: date, end: date) -> list[JsonObject]:
        """The student's remarks and praise (an endpoint of ours: МЭШ shows them in its
        app, the family API has no documented call for them)."""
        found: list[JsonObject] = []
        for day in self.world.days(start, end):
            for remark in self.world.remarks(student.class_id, day):
                if remark.student_id != student.id:
                    continue
                found.append(
                    {
                        "id": remark.id,
                        "student_id": remark.student_id,
                        "date": remark.day.isoformat(),
                        "type": "praise" if remark.kind == "praise" else "remark",
                        "text": remark.text,
                        "teacher": self._teacher_json(remark.author_id),
                        "subject_id": remark.subject_id,
                        "subject_name": remark.subject,
                        "schedule_item_id": remark.lesson_id,
                        "created_at": remark.created_at.isoformat(timespec="seconds"),
                    }
                )
        return found

    def _attachments(self, homework: SeedHomework) -> list[JsonObject]:
        return [
            {
                "file_name": name,
                "link": f"https://school.mos.ru/ej/attachments/{homework.id}/{name}",
            }
            for name in homework.attachments
        ]

    def _event_homework(self, homework: SeedHomework | None, student: SeedStudent) -> JsonObject:
        if homework is None:
            return {
                "presence_status_id": 0,
                "total_count": 0,
                "execute_count": 0,
                "descriptions": [],
                "entries": [],
            }
        lesson = self.world.find_lesson(homework.lesson_id)
        assert lesson is not None
        done = (student.id, homework.id) in self.world.homework_done
        return {
            "presence_status_id": 1,
            "total_count": 1,
            "execute_count": int(done),
            "descriptions": [homework.text],
            "entries": [
                {
                    "homework_entry_id": homework.id,
                    "homework_entry_student_id": self.homework_entry_student_id(lesson, student.id),
                    "description": homework.text,
                    "date_assigned_on": homework.assigned_on.isoformat(),
                    "date_prepared_for": homework.due_on.isoformat(),
                    "attachments": self._attachments(homework),
                }
            ],
        }

    def events(
        self, student: SeedStudent, start: date, end: date, expand: set[str]
    ) -> list[JsonObject]:
        """Call 5: the student's lessons (``PLAN``) and class hours (``ORGANIZER``)."""
        world = self.world
        found: list[JsonObject] = []
        for day in world.days(start, end):
            lessons = self.lessons(student.class_id, day)
            if not lessons:
                continue
            marks = [
                m for m in self.class_marks(student.class_id, day) if m.student_id == student.id
            ]
            absences = {
                a.lesson_id: a
                for a in self.absences(student.class_id, day)
                if a.student_id == student.id
            }
            homework = {h.lesson_id: h for h in world.homework(student.class_id, day)}
            groups = {g.id: g for g in world.groups_of_class(student.class_id)}
            for lesson in lessons:
                start_at, finish_at = lesson.starts, lesson.ends
                absence = absences.get(lesson.id)
                event: JsonObject = {
                    "id": lesson.id,
                    "source": "PLAN",
                    "source_id": str(lesson.id),
                    "person_id": student.guid,
                    "start_at": _zoned(day, start_at),
                    "finish_at": _zoned(day, finish_at),
                    "subject_id": lesson.subject_id,
                    "subject_name": lesson.subject,
                    "room_number": lesson.room or None,
                    "room_name": f"Кабинет {lesson.room}" if lesson.room else None,
                    "lesson_type": "REMOTE" if lesson.remote else "NORMAL",
                    "lesson_education_type": "OO",
                    "lesson_theme": lesson.topic,
                    "group_id": lesson.group_id,
                    "group_name": groups[lesson.group_id].name,
                    "replaced": lesson.replaced,
                    "cancelled": lesson.cancelled,
                    "is_missed_lesson": absence is not None,
                    "nonattendance_reason_id": None,
                    "health_status": None,
                    "link_to_join": f"https://my.mts-link.ru/j/{lesson.id}"
                    if lesson.remote
                    else None,
                    "teacher": self._teacher_json(lesson.teacher_id),
                }
                if "absence_reason_id" in expand:
                    event["absence_reason_id"] = absence.reason_id if absence else None
                if "homework" in expand:
                    event["homework"] = self._event_homework(homework.get(lesson.id), student)
                if "marks" in expand:
                    event["marks"] = [self.mark_json(m) for m in marks if m.lesson.id == lesson.id]
                found.append(event)
            if day.weekday() == 3:
                class_hour_id = student.class_id * 10_000_000 + (day.toordinal() - 730_000) * 10 + 9
                found.append(
                    {
                        "id": class_hour_id,
                        "source": "ORGANIZER",
                        "source_id": f"org-{class_hour_id}",
                        "person_id": student.guid,
                        "title": "Классный час",
                        "start_at": _zoned(day, _CLASS_HOUR[0]),
                        "finish_at": _zoned(day, _CLASS_HOUR[1]),
                        "subject_id": None,
                        "subject_name": None,
                        "room_number": None,
                        "lesson_type": None,
                        "group_id": None,
                        "replaced": False,
                        "cancelled": False,
                    }
                )
        return found

    def homeworks_short(self, student: SeedStudent, start: date, end: date) -> list[JsonObject]:
        """Call 3: homework due (``date``) within ``start``..``end``."""
        world = self.world
        found: list[tuple[date, int, JsonObject]] = []
        for day in world.days(start - timedelta(days=14), end):
            for homework in world.homework(student.class_id, day):
                if not start <= homework.due_on <= end:
                    continue
                lesson = world.find_lesson(homework.lesson_id)
                assert lesson is not None
                attachments = self._attachments(homework)
                found.append(
                    (
                        homework.due_on,
                        lesson.id,
                        {
                            "description": homework.text,
                            "subject_id": homework.subject_id,
                            "subject_name": homework.subject,
                            "date": homework.due_on.isoformat(),
                            "date_assigned_on": homework.assigned_on.isoformat(),
                            "homework_entry_student_id": self.homework_entry_student_id(
                                lesson, student.id
                            ),
                            "homework_entry_id": homework.id,
                            "is_done": (student.id, homework.id) in world.homework_done,
                            "type": "OO",
                            "has_teacher_answer": False,
                            "has_written_answer": False,
                            "materials_count": (
                                [{"selected_mode": "execute", "amount": len(attachments)}]
                                if attachments
                                else []
                            ),
                            "attachments": attachments,
                            "group_id": lesson.group_id,
                            "lesson_date_time": _zoned(lesson.day, lesson.starts),
                        },
                    )
                )
        found.sort(key=lambda item: item[:2])
        return [item for _, _, item in found]

    def attendance(self, student: SeedStudent, start: date, end: date) -> JsonObject:
        """Call 6: the days the student missed lessons."""
        world = self.world
        days: list[JsonObject] = []
        for day in world.days(start, end):
            absences = [
                a for a in self.absences(student.class_id, day) if a.student_id == student.id
            ]
            if not absences:
                continue
            lessons = {le.id: le for le in self.lessons(student.class_id, day)}
            days.append(
                {
                    "date": day.isoformat(),
                    "summary": f"Пропущено уроков: {len(absences)}",
                    "notified": False,
                    "reason_id": absences[0].reason_id,
                    "description": absences[0].reason,
                    "is_system": False,
                    "lessons": [
                        {
                            "subject_id": lessons[a.lesson_id].subject_id,
                            "subject_name": lessons[a.lesson_id].subject,
                            "bell_id": lessons[a.lesson_id].number,
                            "schedule_item_id": a.lesson_id,
                            "reason_id": a.reason_id,
                            "notified": False,
                            "description": a.reason,
                        }
                        for a in absences
                    ],
                }
            )
        return {"days_count": len(days), "year_description": None, "attendance": days}

    @staticmethod
    def nonattendance_reasons() -> list[JsonObject]:
        """Call 7: the reasons dictionary; parents may pick the excused ones."""
        return [
            {
                "id": rid,
                "name": name,
                "is_parent_available": excused,
                "ae_only": False,
                "attachment_needed": False,
            }
            for rid, (name, excused) in sorted(REASONS.items())
        ]

    def period(self) -> tuple[str, date, date]:
        """The current half-year: (title, start, end)."""
        today = self.world.today
        year = school_year_of(today)
        if today.month >= 9:
            return "1 полугодие", date(year, 9, 1), date(year, 12, 31)
        return "2 полугодие", date(year + 1, 1, 1), date(year + 1, 5, 31)

    def subject_marks_short(self, student: SeedStudent) -> list[JsonObject]:
        """Call 8: per-subject averages over the current period, per scale."""
        title, start, end = self.period()
        marks = self.student_marks(student, start, min(end, self.world.today))
        by_subject: dict[int, list[NativeMark]] = defaultdict(list)
        for mark in marks:
            by_subject[mark.lesson.subject_id].append(mark)
        found: list[JsonObject] = []
        for subject_id, subject_marks in sorted(by_subject.items()):
            graded = [(m.grade(), m.weight) for m in subject_marks]
            numeric = [(g, w) for g, w in graded if g is not None]
            averages = [average_text([(g[i], w) for g, w in numeric]) for i in range(3)]
            found.append(
                {
                    "subject_id": subject_id,
                    "subject_name": subject_marks[0].lesson.subject,
                    "average": averages[0],
                    "avg_five": averages[0],
                    "avg_ten": averages[1],
                    "avg_hundred": averages[2],
                    "dynamic": self._dynamic(subject_marks),
                    "period": title,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "count": len(subject_marks),
                    "fixed_value": None,
                    "target": None,
                    "marks": [
                        {
                            "id": m.id,
                            "value": m.origin,
                            "weight": m.weight,
                            "date": m.lesson.day.isoformat(),
                            "control_form_name": m.control_form,
                            "is_exam": m.is_exam,
                        }
                        for m in subject_marks
                    ],
                }
            )
        return found

    @staticmethod
    def _dynamic(marks: list[NativeMark]) -> str:
        """UP/DOWN/NONE: the five-point average after the last day with marks vs before."""
        days = sorted({m.lesson.day for m in marks if m.grade() is not None})
        if len(days) < 2:
            return "NONE"

        def until(day: date) -> Decimal:
            pairs = [(g[0], m.weight) for m in marks if m.lesson.day <= day and (g := m.grade())]
            return Decimal(average_text(pairs) or "0")

        delta = until(days[-1]) - until(days[-2])
        return "UP" if delta > 0 else "DOWN" if delta < 0 else "NONE"

    def notifications(self, student: SeedStudent) -> list[JsonObject]:
        """Call 9: the last month's new and changed marks and homework, newest first."""
        world = self.world
        start = world.today - timedelta(days=_NOTIFICATION_DAYS)
        found: list[tuple[datetime, JsonObject]] = []
        for mark in self.student_marks(student, start, world.today):
            lesson = mark.lesson
            base: JsonObject = {
                "student_profile_id": student.id,
                "author_profile_id": lesson.teacher_id,
                "teacher_name": _short_name(world.teachers[lesson.teacher_id].person),
                "subject_name": lesson.subject,
                "lesson_date": f"{lesson.day.isoformat()} 00:00:00",
                "control_form_name": mark.control_form,
                "new_mark_weight": mark.weight,
                "new_is_exam": mark.is_exam,
            }
            first = mark.corrections[0][1] if mark.corrections else mark.origin
            found.append(
                (
                    mark.created_at,
                    {
                        **base,
                        "event_type": "create_mark",
                        "new_mark_value": first,
                        "old_mark_value": None,
                    },
                )
            )
            for at, old, new in mark.corrections:
                found.append(
                    (
                        at,
                        {
                            **base,
                            "event_type": "update_mark",
                            "new_mark_value": new,
                            "old_mark_value": old,
                            "old_mark_weight": mark.weight,
                            "old_is_exam": mark.is_exam,
                        },
                    )
                )
        now = world.now()
        for day in world.days(start, world.today):
            for homework in world.homework(student.class_id, day):
                set_at = world.find_lesson(homework.lesson_id)
                assert set_at is not None
                at = datetime.combine(day, set_at.ends) + timedelta(minutes=10)
                if at > now:
                    continue  # set at a lesson still to come: not news yet
                found.append(
                    (
                        at,
                        {
                            "event_type": "create_homework",
                            "student_profile_id": student.id,
                            "author_profile_id": set_at.teacher_id,
                            "teacher_name": _short_name(world.teachers[set_at.teacher_id].person),
                            "subject_name": set_at.subject,
                            "lesson_date": f"{homework.due_on.isoformat()} 00:00:00",
                            "new_hw_description": homework.text,
                            "new_date_assigned_on": homework.assigned_on.isoformat(),
                            "new_date_prepared_for": homework.due_on.isoformat(),
                        },
                    )
                )
        found.sort(key=lambda item: item[0], reverse=True)
        result: list[JsonObject] = []
        for at, item in found:
            stamp = at.strftime("%Y-%m-%d %H:%M:%S.") + f"{at.microsecond // 1000:03d}"
            result.append({"datetime": stamp, "created_at": _local(at), **item})
        return result

    def school_info(self, school_id: int, class_id: int | None) -> JsonObject | None:
        """Call 10: the school, the class's class teacher and the school's teachers."""
        school = next((s for s in self.world.schools if s.id == school_id), None)
        if school is None:
            return None
        unit = self.world.classes.get(class_id) if class_id is not None else None
        if class_id is not None and (unit is None or unit.school_id != school_id):
            return None
        classroom: list[JsonObject] = []
        if unit is not None:
            teacher = self._teacher_json(unit.class_teacher_id)
            del teacher["id"]
            classroom.append(teacher)
        return {
            "school": {
                "id": school.id,
                "name": school.name,
                "short_name": school.short_name,
                "address": school.address,
            },
            "classroom_teachers": classroom,
            "teachers": [
                {**self._teacher_json(t.id), "subject_names": list(t.subjects)}
                for t in self.world.teachers.values()
                if t.school_id == school_id
            ],
            "branches": [],
        }

    # -- teacher side ------------------------------------------------------------------

    def class_list(self, class_id: int) -> list[JsonObject]:
        """Call 11: the students of a class."""
        unit = self.world.classes[class_id]
        return [
            {
                "id": s.id,
                "user_id": s.id + _USER_OFFSET,
                "type": "student",
                "first_name": s.person.first_name,
                "last_name": s.person.last_name,
                "middle_name": s.person.middle_name,
                "birth_date": s.person.birth_date.isoformat(),
                "sex": s.person.sex,
                "class_unit_id": unit.id,
                "class_name": unit.name,
                "school_id": unit.school_id,
                "contingent_guid": s.guid,
                "groups": self._groups_brief(unit.id),
                "representatives": self._representatives(s),
            }
            for s in self.world.class_students(class_id)
        ]

    def group_json(self, group: SeedGroup) -> JsonObject:
        """Call 12: a subject group with its students."""
        unit = self.world.classes[group.class_id]
        return {
            "id": group.id,
            "name": group.name,
            "subject_id": group.subject_id,
            "subject_name": group.subject,
            "class_unit_id": unit.id,
            "class_name": unit.name,
            "school_id": group.school_id,
            "teacher_profile_id": group.teacher_id,
            "student_profile_ids": [s.id for s in self.world.class_students(unit.id)],
        }

    def group_lessons(self, group: SeedGroup, start: date, end: date) -> list[SeedLesson]:
        return [
            le
            for day in self.world.days(start, end)
            for le in self.lessons(group.class_id, day)
            if le.group_id == group.id
        ]

    def group_marks(self, group: SeedGroup, start: date, end: date) -> list[NativeMark]:
        return [
            m
            for day in self.world.days(start, end)
            for m in self.class_marks(group.class_id, day)
            if m.lesson.group_id == group.id
        ]

    def schedule_item_json(self, lesson: SeedLesson) -> JsonObject:
        """Call 14: a lesson of a group, with who missed it."""
        begin, end = lesson.starts, lesson.ends
        return {
            "id": lesson.id,
            "date": lesson.day.isoformat(),
            "begin_time": begin.strftime("%H:%M"),
            "end_time": end.strftime("%H:%M"),
            "lesson_theme": lesson.topic,
            "room_number": lesson.room or None,
            "cancelled": lesson.cancelled,
            "replaced": lesson.replaced,
            "lesson_type": "REMOTE" if lesson.remote else "NORMAL",
            "teacher_profile_id": lesson.teacher_id,
            "grade_system_id": GRADE_SYSTEMS[self.lesson_scale(lesson)][0],
            "grade_system_type": self.lesson_scale(lesson),
            "absences": [
                {"student_profile_id": a.student_id, "reason_id": a.reason_id}
                for a in self.absences(lesson.class_id, lesson.day)
                if a.lesson_id == lesson.id
            ],
        }
