"""Pure functions from ЭлЖур's native JSON to :mod:`adapters.models`.

No I/O here. Inputs are the ``result`` objects of ЭлЖур's ``{"response": {"state", "error",
"result"}}`` envelope (:func:`parse_envelope` opens it). Day keys are ``YYYYMMDD``, lesson
times ``HH:MM:SS`` local to the region, timestamps ``YYYY-MM-DD hh:mm:ss`` local too;
every datetime returned is made aware in the zone passed in.

Marks are on the ten-point scale; :func:`parse_grade` reads them and converts them with
the common table (:data:`adapters.scales.COMMON_TABLE`: ЭлЖур sends no hundred-point
conversion of its own), so ``normalized`` is hundred / 100 (see the README). Absences
sit in the same ``assessments`` list as marks: ``н`` is an absence without a valid
reason, ``Н`` one with a valid reason (the reason text is in ``comment``); ``оп``/``ОП``
(опоздание, late) is not an absence and is skipped.

PHP encodes an empty object as ``[]``; every mapping read here accepts either.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from adapters.models import (
    Absence,
    Attachment,
    Bell,
    BellSchedule,
    Change,
    ChangeKind,
    Child,
    ClassNotice,
    ClassUnit,
    Correspondent,
    Grade,
    Group,
    Homework,
    Journal,
    JournalLesson,
    Lesson,
    Mark,
    MarkScale,
    Meeting,
    Message,
    MessageThread,
    Person,
    RegionProfile,
    Role,
    RoleGrant,
    Rsvp,
    School,
    Student,
    Subject,
    Teacher,
    Term,
)
from adapters.scales import COMMON_TABLE, NO_GRADE, PASS_FAIL, TEN_POINT, normalize
from adapters.unmatched import merge_duplicate_lessons

__all__ = [
    "ABSENCE_VALUES",
    "LATE_VALUES",
    "PASS_VALUES",
    "RSVP_VALUES",
    "UNKNOWN_ROLE",
    "MessageEntry",
    "Rules",
    "VendorToken",
    "parse_assessment",
    "parse_auth",
    "parse_bells",
    "parse_datetime",
    "parse_day_key",
    "parse_diary",
    "parse_envelope",
    "parse_grade",
    "parse_journal",
    "parse_local_time",
    "parse_marks",
    "parse_meeting",
    "parse_meetings",
    "parse_message",
    "parse_message_list",
    "parse_notices",
    "parse_periods",
    "parse_profile",
    "parse_receivers",
    "parse_rules",
    "parse_schools",
    "parse_student",
    "parse_student_profile",
    "parse_teacher",
    "parse_ten",
    "parse_threads",
    "parse_updates",
    "parse_vendors",
    "role_of",
]

PASS_VALUES = frozenset({"зч", "зач", "зачёт", "зачет", "нзч", "незачёт", "незачет", "нз"})
"""«зачёт» / «незачёт» as journals write them (compared lower-cased)."""
ABSENCE_VALUES: Mapping[str, bool] = {"н": False, "Н": True}
"""Absence value → excused."""
LATE_VALUES = frozenset({"оп", "ОП"})
"""«опоздание»: the student came late; not an absence."""

_INITIALS = re.compile(r"^(\w\.)(\w\.)?$")
_UPDATE_KINDS = {
    ("mark", "new"): ChangeKind.MARK_CREATED,
    ("mark", "edit"): ChangeKind.MARK_UPDATED,
    ("homework", "new"): ChangeKind.HOMEWORK_CREATED,
    ("homework", "edit"): ChangeKind.HOMEWORK_UPDATED,
}


# -- envelope and formats --------------------------------------------------------------


def parse_envelope(payload: Any) -> tuple[int, str | None, Any]:
    """``(state, error, result)`` of an ЭлЖур answer."""
    response = payload["response"]
    state = int(response["state"])
    error = response.get("error")
    return state, (str(error) if error else None), response.get("result")


def parse_day_key(key: str) -> date:
    """A ``YYYYMMDD`` day key as a date."""
    return datetime.strptime(key, "%Y%m%d").date()


def parse_local_time(day: date, text: str, tz: ZoneInfo) -> datetime:
    """``HH:MM:SS`` (or ``HH:MM``) on ``day`` in the region's zone."""
    return datetime.combine(day, time.fromisoformat(text.strip()), tzinfo=tz)


def parse_datetime(text: str, tz: ZoneInfo) -> datetime:
    """``YYYY-MM-DD hh:mm:ss`` local time, made aware in the region's zone."""
    return datetime.fromisoformat(text.strip()).replace(tzinfo=tz)


def _mapping(value: Any) -> Mapping[str, Any]:
    if isinstance(value, Mapping):
        return value
    if value is None or value == []:
        return {}
    raise TypeError(f"expected an object, got {type(value).__name__}")


def _entries(value: Any) -> list[Any]:
    """The values of an object, or the items of a list (ЭлЖур uses both)."""
    if isinstance(value, list):
        return value
    return list(_mapping(value).values())


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# -- marks -----------------------------------------------------------------------------


def parse_ten(value: str) -> float | None:
    """The ten-point number of a mark string («9», «8-», «3/5»: the mean), else ``None``."""
    parts = [p.strip().rstrip("+-").strip() for p in value.split("/")]
    numbers: list[float] = []
    for part in parts:
        try:
            number = float(part.replace(",", "."))
        except ValueError:
            return None
        if not 0 < number <= 10:
            return None
        numbers.append(number)
    return sum(numbers) / len(numbers) if numbers else None


def parse_grade(value: str) -> tuple[MarkScale, Grade, float | None]:
    """A native value → (scale, grade, normalized), by the common table.

    ================  ======  =======  ==========
    ten-point value   five    hundred  normalized
    ================  ======  =======  ==========
    10, 9             5       100, 90  1.0, 0.9
    8, 7              4       80, 70   0.8, 0.7
    6, 5              3       60, 50   0.6, 0.5
    4, 3              2       30, 20   0.3, 0.2
    2, 1              1       10, 0    0.1, 0.0
    «зч» (зачёт)      —       —        —  (PASS_FAIL)
    ================  ======  =======  ==========

    five = ⌈ten / 2⌉, which also places double marks («3/5» counts as 4); fractional
    values interpolate the hundred column; normalized = hundred / 100. A value with no
    known meaning keeps the ten-point scale and no grade.
    """
    text = value.strip()
    if text.lower() in PASS_VALUES:
        return PASS_FAIL, NO_GRADE, None
    ten = parse_ten(text)
    if ten is None:
        return TEN_POINT, NO_GRADE, None
    grade = COMMON_TABLE.from_ten(ten)  # NO_GRADE for a value below 1
    return TEN_POINT, grade, normalize(grade)


def _weight(entry: Mapping[str, Any]) -> float:
    for key in ("weight_float", "weight"):
        raw = entry.get(key)
        if raw is not None and raw != "":
            return float(raw)
    return 1.0


def parse_assessment(
    entry: Mapping[str, Any],
    *,
    student_id: str,
    subject: Subject,
    lesson_date: date,
    lesson_id: str | None,
    tz: ZoneInfo,
) -> Mark | Absence | None:
    """One entry of an ``assessments``/``marks`` list: a mark, an absence, or ``None``."""
    value = str(entry["value"]).strip()
    day = date.fromisoformat(entry["date"]) if entry.get("date") else lesson_date
    lesson = _text(entry.get("lesson_id")) or lesson_id
    if value in LATE_VALUES:
        return None
    if value in ABSENCE_VALUES:
        return Absence(
            student_id=student_id,
            date=day,
            reason=_text(entry.get("comment")) or _text(entry.get("lesson_comment")),
            excused=ABSENCE_VALUES[value],
            lesson_id=lesson,
        )
    scale, grade, normalized = parse_grade(value)
    mtype = _mapping(entry.get("mtype"))
    created = _text(entry.get("created"))
    mark_id = _text(entry.get("id")) or f"{lesson}:{student_id}:{entry.get('nm', 1)}"
    return Mark(
        id=mark_id,
        student_id=student_id,
        subject=subject,
        value=value,
        scale=scale,
        grade=grade,
        normalized=normalized,
        weight=_weight(entry),
        lesson_date=day,
        is_exam=bool(entry.get("is_exam", False)),
        control_form=_text(entry.get("control_type")) or _text(mtype.get("type")),
        comment=_text(entry.get("comment")),
        created_at=parse_datetime(created, tz) if created else None,
        lesson_id=lesson,
    )


# -- people ----------------------------------------------------------------------------


def parse_teacher(name: Any, teacher_id: Any = None) -> Teacher | None:
    """A teacher from «Фамилия Имя Отчество» or «Фамилия И.О.» (``None`` when empty)."""
    text = _text(name)
    if text is None:
        return None
    parts = text.split()
    last = parts[0]
    first = parts[1] if len(parts) > 1 else ""
    middle: str | None = parts[2] if len(parts) > 2 else None
    initials = _INITIALS.match(first) if len(parts) == 2 else None
    if initials is not None:
        first, middle = initials.group(1), initials.group(2)
    native_id = _text(teacher_id) or text
    return Teacher(id=native_id, person=Person(native_id, last, first, middle))


def parse_student(card: Mapping[str, Any]) -> Student:
    """A student card (``getprofile`` / journal ``students[]``) as a :class:`Student`."""
    student_id = str(card["name"])
    contacts: list[str] = []
    for parent in _entries(card.get("parents")):
        if parent.get("rel") != "parent":
            continue
        for key in ("phone", "email"):
            value = _text(parent.get(key))
            if value is not None:
                contacts.append(value)
    groups = tuple(
        str(g["id"]) if isinstance(g, Mapping) else str(g) for g in _entries(card.get("groups"))
    )
    birthday = _text(card.get("birthday"))
    return Student(
        id=student_id,
        person=Person(
            student_id,
            str(card["lastname"]),
            str(card["firstname"]),
            _text(card.get("middlename")),
        ),
        school_id=str(card["vendor_id"]),
        class_unit_id=str(card["class_id"]),
        class_name=str(card["class"]),
        group_ids=groups,
        birth_date=date.fromisoformat(birthday) if birthday else None,
        parent_contacts=tuple(contacts),
    )


def _by_student(result: Any, student_id: str) -> Mapping[str, Any] | None:
    students = _mapping(result).get("students")
    if isinstance(students, list):
        return next((s for s in students if str(s.get("name")) == student_id), None)
    entry = _mapping(students).get(student_id)
    return None if entry is None else _mapping(entry)


def parse_periods(result: Any, student_id: str) -> list[Term]:
    """The ``getperiods`` answer: the school year's periods (``disabled`` ones left out)."""
    card = _by_student(result, student_id) or _mapping(result)
    terms: list[Term] = []
    for entry in _entries(card.get("periods")):
        if entry.get("disabled") is True:
            continue
        start, end = parse_day_key(str(entry["start"])), parse_day_key(str(entry["end"]))
        name = str(entry.get("name") or entry.get("fullname") or "")
        terms.append(
            Term(id=f"{start:%Y%m%d}-{end:%Y%m%d}", name=name, starts_on=start, ends_on=end)
        )
    return terms


def parse_student_profile(result: Any, student_id: str) -> Student:
    """The ``getprofile`` answer for one student."""
    card = _by_student(result, student_id)
    if card is None:
        raise KeyError("student missing from getprofile answer")
    return parse_student(card)


@dataclass(frozen=True, slots=True)
class Rules:
    """What ``getrules`` says about the caller in one school (vendor)."""

    user_id: str
    person: Person
    vendor: str
    school_id: str
    roles: tuple[str, ...]
    children: tuple[tuple[str, bool], ...]
    """(student id, is legal representative) for a parent."""
    own_student_id: str | None
    groups: tuple[Group, ...]
    """The subject groups the caller teaches here."""
    led_class_ids: tuple[str, ...]
    student_ids: frozenset[str]
    """Every student id the rules mention (the caller's children, self, or pupils)."""
    classes: tuple[ClassUnit, ...] = ()
    """The classes the rules relate the caller to (taught, led or administered)."""
    class_students: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """(class id, its students' ids) where the rules list a class's students."""
    readable_groups: tuple[Group, ...] = ()
    """Every subject group the rules list (an administrator's whole school)."""


def parse_rules(result: Any) -> Rules:
    """A ``getrules`` answer."""
    data = _mapping(result)
    relations = _mapping(data.get("relations"))
    user_id = str(data["name"] if data.get("name") is not None else data["id"])
    school_id = str(data["vendor_id"])
    children: list[tuple[str, bool]] = []
    own: str | None = None
    mentioned: set[str] = set()
    for key, entry in _mapping(relations.get("students")).items():
        student_id = str(_mapping(entry).get("name") or key)
        mentioned.add(student_id)
        rel = entry.get("rel")
        if rel == "self" or student_id == user_id:
            own = student_id
        elif rel in ("child", "relative"):
            children.append((student_id, rel == "child"))
    groups: list[Group] = []
    readable: list[Group] = []
    led: list[str] = []
    classes: list[ClassUnit] = []
    class_students: list[tuple[str, tuple[str, ...]]] = []
    for entry in _entries(relations.get("groups")):
        class_id = str(entry["id"])
        if entry.get("rel") == "hometeacher":
            led.append(class_id)
        level = entry.get("parallel")
        classes.append(
            ClassUnit(
                id=class_id,
                school_id=str(entry.get("vendor_id") or school_id),
                name=str(entry.get("name") or ""),
                level=level if isinstance(level, int) and not isinstance(level, bool) else None,
            )
        )
        if "students" in entry:
            pupils = tuple(str(s) for s in _entries(entry.get("students")))
            mentioned.update(pupils)
            class_students.append((class_id, pupils))
        for subject in _entries(entry.get("subjects")):
            students = tuple(str(s) for s in _entries(subject.get("students")))
            mentioned.update(students)
            teacher = _text(subject.get("teacher_id"))
            target = readable if entry.get("rel") == "administrator" else groups
            target.append(
                Group(
                    id=str(subject["id"]),
                    name=str(subject["name"]),
                    subject=Subject(
                        str(subject.get("subject_id") or subject["name"]), str(subject["name"])
                    ),
                    class_unit_id=class_id,
                    school_id=str(entry.get("vendor_id") or school_id),
                    teacher_ids=(teacher,) if teacher else (),
                    student_ids=students,
                )
            )
    return Rules(
        user_id=user_id,
        person=Person(
            user_id,
            str(data.get("lastname") or ""),
            str(data.get("firstname") or ""),
            _text(data.get("middlename")),
        ),
        vendor=str(data.get("vendor") or ""),
        school_id=school_id,
        roles=tuple(str(r) for r in data.get("roles") or ()),
        children=tuple(children),
        own_student_id=own,
        groups=tuple(groups),
        led_class_ids=tuple(led),
        student_ids=frozenset(mentioned),
        classes=tuple(classes),
        class_students=tuple(class_students),
        readable_groups=tuple(groups + readable),
    )


def parse_profile(rules: Sequence[Rules], children: Mapping[str, Student]) -> RegionProfile:
    """The caller's region profile from their rules in each school.

    ``children`` holds the parsed cards of the children the rules name; a child missing
    from it is left out.
    """
    if not rules:
        raise ValueError("no rules to build a profile from")
    grants: list[RoleGrant] = []
    kids: dict[str, Child] = {}
    groups: dict[str, Group] = {}
    for rule in rules:
        roles = set(rule.roles)
        if "parent" in roles and RoleGrant(Role.PARENT) not in grants:
            grants.append(RoleGrant(Role.PARENT))
        if "student" in roles and rule.own_student_id is not None:
            grants.append(
                RoleGrant(Role.STUDENT, school_id=rule.school_id, student_id=rule.own_student_id)
            )
        if rule.groups and roles & {"teacher", "hometeacher"}:
            grants.append(
                RoleGrant(
                    Role.TEACHER,
                    school_id=rule.school_id,
                    group_ids=tuple(g.id for g in rule.groups),
                )
            )
            groups.update((g.id, g) for g in rule.groups)
        if "hometeacher" in roles and rule.led_class_ids:
            grants.append(
                RoleGrant(
                    Role.CLASS_TEACHER,
                    school_id=rule.school_id,
                    class_unit_ids=rule.led_class_ids,
                )
            )
        if "administrator" in roles:
            grants.append(RoleGrant(Role.SCHOOL_ADMIN, school_id=rule.school_id))
        for student_id, legal in rule.children:
            student = children.get(student_id)
            if student is not None:
                kids[student_id] = Child(student=student, is_legal_representative=legal)
    return RegionProfile(
        person=rules[0].person,
        roles=tuple(grants),
        children=tuple(kids.values()),
        groups=tuple(groups.values()),
    )


# -- the diary -------------------------------------------------------------------------


def _homework(
    item: Mapping[str, Any], *, student_id: str, subject: Subject, day: date
) -> tuple[Homework, ...]:
    files = _entries(item.get("files"))
    result: list[Homework] = []
    for entry in _entries(item.get("homework")):
        homework_id = str(entry["id"])
        deadline = _text(entry.get("deadline"))
        attachments = tuple(
            Attachment(name=str(f["filename"]), url=_text(f.get("link")))
            for f in files
            if f.get("toid") is None or str(f["toid"]) == homework_id
        )
        result.append(
            Homework(
                id=homework_id,
                student_id=student_id,
                subject=subject,
                text=str(entry["value"]),
                # With a deadline the homework was set at this lesson; without one it is
                # listed, as ЭлЖур lists homework, on the lesson it is due for.
                due_on=date.fromisoformat(deadline) if deadline else day,
                assigned_on=day if deadline else None,
                done=None,
                attachments=attachments,
            )
        )
    return tuple(result)


def _lesson(item: Mapping[str, Any], *, day: date, student_id: str, tz: ZoneInfo) -> Lesson:
    name = str(item["name"])
    subject = Subject(str(item.get("subject_id") or name), name)
    lesson_id = str(item["lesson_id"])
    marks: list[Mark] = []
    absence: Absence | None = None
    for entry in _entries(item.get("assessments")):
        parsed = parse_assessment(
            entry,
            student_id=student_id,
            subject=subject,
            lesson_date=day,
            lesson_id=lesson_id,
            tz=tz,
        )
        if isinstance(parsed, Mark):
            marks.append(parsed)
        elif isinstance(parsed, Absence) and absence is None:
            absence = parsed
    return Lesson(
        id=lesson_id,
        date=day,
        number=int(item["num"]),
        starts_at=parse_local_time(day, str(item["starttime"]), tz),
        ends_at=parse_local_time(day, str(item["endtime"]), tz),
        subject=subject,
        teacher=parse_teacher(item.get("teacher"), item.get("teacher_id")),
        room=_text(item.get("room")),
        topic=_text(item.get("topic")),
        group_id=_text(item.get("grp_id")),
        cancelled=bool(item.get("is_cancelled", False)),
        replaced=bool(item.get("is_replaced", False)),
        remote=bool(item.get("is_distant", False)),
        homework=_homework(item, student_id=student_id, subject=subject, day=day),
        marks=tuple(marks),
        absence=absence,
    )


def parse_diary(result: Any, student_id: str, tz: ZoneInfo) -> list[Lesson]:
    """A ``getdiary`` answer (asked with ``rings=yes``): the student's lessons, sorted."""
    entry = _by_student(result, student_id)
    if entry is None:
        return []
    lessons: list[Lesson] = []
    for key, day_entry in _mapping(entry.get("days")).items():
        day = parse_day_key(str(_mapping(day_entry).get("name") or key))
        for item in _entries(_mapping(day_entry).get("items")):
            lessons.append(_lesson(item, day=day, student_id=student_id, tz=tz))
    lessons = merge_duplicate_lessons(lessons)  # a lesson or record sent twice: once
    lessons.sort(key=lambda lesson: (lesson.date, lesson.number))
    return lessons


def parse_marks(result: Any, student_id: str, tz: ZoneInfo) -> list[Mark]:
    """A ``getmarks`` answer: the student's marks (absences left out), by date."""
    entry = _by_student(result, student_id)
    if entry is None:
        return []
    marks: list[Mark] = []
    for subject_entry in _entries(entry.get("lessons")):
        name = str(subject_entry["name"])
        subject = Subject(str(subject_entry.get("lesson_id") or name), name)
        for mark_entry in _entries(subject_entry.get("marks")):
            parsed = parse_assessment(
                mark_entry,
                student_id=student_id,
                subject=subject,
                lesson_date=date.fromisoformat(mark_entry["date"]),
                lesson_id=None,
                tz=tz,
            )
            if isinstance(parsed, Mark):
                marks.append(parsed)
    marks.sort(key=lambda mark: (mark.lesson_date, mark.subject.name, mark.id))
    return marks


# -- staff -----------------------------------------------------------------------------


def parse_journal(result: Any, tz: ZoneInfo) -> Journal:
    """A ``getjournal`` answer: one subject group's students × lessons."""
    journal = _mapping(_mapping(result)["journal"])
    info = _mapping(journal["group"])
    students = tuple(parse_student(card) for card in _entries(journal.get("students")))
    subject = Subject(str(info.get("subject_id") or info["subject"]), str(info["subject"]))
    group = Group(
        id=str(info["id"]),
        name=str(info["name"]),
        subject=subject,
        class_unit_id=str(info["class_id"]),
        school_id=str(info["vendor_id"]),
        teacher_ids=tuple(str(t) for t in _entries(info.get("teachers"))),
        student_ids=tuple(s.id for s in students),
    )
    lessons: list[JournalLesson] = []
    marks: list[Mark] = []
    absences: list[Absence] = []
    for entry in _entries(journal.get("lessons")):
        day = parse_day_key(str(entry["date"]))
        lesson_id = str(entry["lesson_id"])
        lessons.append(
            JournalLesson(
                id=lesson_id,
                date=day,
                number=int(entry["num"]),
                starts_at=parse_local_time(day, str(entry["starttime"]), tz),
                ends_at=parse_local_time(day, str(entry["endtime"]), tz),
                topic=_text(entry.get("topic")),
                room=_text(entry.get("room")),
                cancelled=bool(entry.get("is_cancelled", False)),
            )
        )
        for student_id, items in _mapping(entry.get("assessments")).items():
            for item in _entries(items):
                parsed = parse_assessment(
                    item,
                    student_id=str(student_id),
                    subject=subject,
                    lesson_date=day,
                    lesson_id=lesson_id,
                    tz=tz,
                )
                if isinstance(parsed, Mark):
                    marks.append(parsed)
                elif isinstance(parsed, Absence):
                    absences.append(parsed)
    lessons.sort(key=lambda lesson: (lesson.date, lesson.number))
    return Journal(
        group=group,
        students=students,
        lessons=tuple(lessons),
        marks=tuple(marks),
        absences=tuple(absences),
    )


# -- feed, directory, sign-in ----------------------------------------------------------


def parse_updates(result: Any, student_id: str, tz: ZoneInfo) -> tuple[list[Change], bool]:
    """A ``getupdates`` page: its changes (newest first) and whether more pages follow."""
    data = _mapping(result)
    changes: list[Change] = []
    seen: set[str] = set()
    for entry in _entries(data.get("updates")):
        kind = _UPDATE_KINDS.get((str(entry.get("type")), str(entry.get("action"))))
        if kind is None or str(entry["id"]) in seen:
            continue  # an unknown kind, or the same update twice
        seen.add(str(entry["id"]))
        lesson_date = _text(entry.get("lesson_date"))
        changes.append(
            Change(
                id=str(entry["id"]),
                student_id=str(entry.get("student") or student_id),
                kind=kind,
                at=parse_datetime(str(entry["date"]), tz),
                subject_name=str(entry.get("lesson") or ""),
                lesson_date=date.fromisoformat(lesson_date) if lesson_date else None,
                mark_value=_text(entry.get("value")),
                previous_mark_value=_text(entry.get("old_value")),
                homework_text=_text(entry.get("text")),
            )
        )
    changes.sort(key=lambda change: change.at, reverse=True)
    return changes, bool(data.get("has_more", False))


def parse_bells(result: Any, school_id: str) -> BellSchedule:
    """A ``getrings`` answer."""
    bells = [
        Bell(
            number=int(ring["num"]),
            starts=time.fromisoformat(str(ring["starttime"])),
            ends=time.fromisoformat(str(ring["endtime"])),
        )
        for ring in _entries(_mapping(result).get("rings"))
    ]
    bells.sort(key=lambda bell: bell.number)
    return BellSchedule(school_id=school_id, bells=tuple(bells))


def parse_schools(result: Any) -> list[School]:
    """A ``schools/mobileapp`` answer: the region's schools by ``vendor_id``."""
    return [
        School(
            id=str(entry["vendor_id"]),
            name=str(entry["title"]),
            short_name=_text(entry.get("title_full")),
            address=_text(entry.get("address")),
        )
        for entry in _entries(_mapping(result).get("schools"))
    ]


@dataclass(frozen=True, slots=True)
class VendorToken:
    """An ЭлЖур token valid for one vendor (school or region)."""

    vendor: str
    vendor_id: str | None
    token: str
    expires: str | None = None


def parse_vendors(result: Any) -> list[VendorToken]:
    """A ``getusersvendors`` answer: one token per school."""
    return [
        VendorToken(
            vendor=str(entry["vendor"]),
            vendor_id=_text(entry.get("vendor_id")),
            token=str(entry["token"]),
            expires=_text(entry.get("expires")),
        )
        for entry in _entries(_mapping(result).get("vendors"))
    ]


def parse_auth(result: Any) -> tuple[str, str | None]:
    """An ``auth`` answer: ``(token, expires)``."""
    data = _mapping(result)
    return str(data["token"]), _text(data.get("expires"))


# -- messages, board notices, parent meetings ------------------------------------------

RSVP_VALUES: Mapping[Rsvp, str] = {
    Rsvp.ATTENDING: "yes",
    Rsvp.NOT_ATTENDING: "no",
    Rsvp.MAYBE: "maybe",
}
"""Our answers as ``setmeetingresponse`` takes them (``response``)."""
_RSVPS = {value: rsvp for rsvp, value in RSVP_VALUES.items()}
_RECEIVER_ROLES = {
    "classteachers": "class_teacher",
    "teachers": "teacher",
    "administration": "admin",
    "parents": "parent",
}
"""``getmessagereceivers`` group keys → what the person is to the caller."""
UNKNOWN_ROLE = "other"
"""The role of a message's party the caller may no longer write to (ЭлЖур says nothing)."""


def role_of(rules: Rules) -> str:
    """What the caller is to the people they write to (their own messages' author)."""
    roles = set(rules.roles)
    if "parent" in roles:
        return "parent"
    if "hometeacher" in roles:
        return "class_teacher"
    if "teacher" in roles:
        return "teacher"
    if "administrator" in roles:
        return "admin"
    return "student"


def _user(card: Any, roles: Mapping[str, str], subjects: Sequence[str] = ()) -> Correspondent:
    data = _mapping(card)
    user_id = str(data["name"])
    return Correspondent(
        id=user_id,
        person=Person(
            user_id,
            str(data.get("lastname") or ""),
            str(data.get("firstname") or ""),
            _text(data.get("middlename")),
        ),
        role=roles.get(user_id, UNKNOWN_ROLE),
        subject_names=tuple(subjects),
    )


def parse_receivers(result: Any) -> list[Correspondent]:
    """A ``getmessagereceivers`` answer: whom the caller may write to (each person once,
    in the group of their strongest role)."""
    found: dict[str, Correspondent] = {}
    for group in _entries(_mapping(result).get("groups")):
        role = _RECEIVER_ROLES.get(str(group.get("key")), UNKNOWN_ROLE)
        for card in _entries(group.get("users")):
            subjects = [str(s) for s in _entries(card.get("subjects"))]
            person = _user(card, {str(card["name"]): role}, subjects)
            found.setdefault(person.id, person)
    return list(found.values())


@dataclass(frozen=True, slots=True)
class MessageEntry:
    """A ``getmessages`` entry: who wrote it to whom and when, and its reply chain."""

    id: str
    thread_id: str
    """The first message of the reply chain (ЭлЖур has no thread object)."""
    subject: str
    sent_at: datetime
    unread: bool
    author_id: str
    party_cards: tuple[Mapping[str, Any], ...]
    """The author's and recipients' user cards."""


def parse_message_list(result: Any, tz: ZoneInfo) -> tuple[list[MessageEntry], int]:
    """A ``getmessages`` page: its entries and the folder's ``total``."""
    data = _mapping(result)
    entries: list[MessageEntry] = []
    for entry in _entries(data.get("messages")):
        message_id = str(entry["id"])
        author = _mapping(entry.get("user_from"))
        cards = (author, *(_mapping(c) for c in _entries(entry.get("user_to"))))
        entries.append(
            MessageEntry(
                id=message_id,
                thread_id=_text(entry.get("thread")) or message_id,
                subject=str(entry.get("subject") or ""),
                sent_at=parse_datetime(str(entry["date"]), tz),
                unread=bool(entry.get("unread", False)),
                author_id=str(author["name"]),
                party_cards=tuple(c for c in cards if c.get("name") is not None),
            )
        )
    total = data.get("total")
    return entries, int(total) if total is not None else len(entries)


def parse_threads(
    entries: Sequence[MessageEntry], me: str, roles: Mapping[str, str]
) -> list[MessageThread]:
    """The caller's threads from their inbox and sent entries, the latest message first.

    A thread's subject is its first message's; its participants everyone but the caller;
    ``unread`` the messages of others the caller has not read.
    """
    chains: dict[str, list[MessageEntry]] = {}
    for entry in {e.id: e for e in entries}.values():
        chains.setdefault(entry.thread_id, []).append(entry)
    threads: list[MessageThread] = []
    for thread_id, chain in chains.items():
        chain.sort(key=lambda e: (e.sent_at, int(e.id) if e.id.isdigit() else 0))
        people: dict[str, Correspondent] = {}
        for entry in chain:
            for card in entry.party_cards:
                if str(card["name"]) != me:
                    people.setdefault(str(card["name"]), _user(card, roles))
        threads.append(
            MessageThread(
                id=thread_id,
                subject=chain[0].subject,
                participants=tuple(people.values()),
                last_message_at=chain[-1].sent_at,
                unread=sum(1 for e in chain if e.unread and e.author_id != me),
            )
        )
    threads.sort(key=lambda t: t.last_message_at, reverse=True)
    return threads


def parse_message(result: Any, tz: ZoneInfo, me: str, roles: Mapping[str, str]) -> Message:
    """A ``getmessageinfo`` (or ``sendmessage``/``sendreplymessage``) answer.

    The sender's view names each recipient's ``read_date``: ``read_by`` lists who has read
    it, ``read_at`` is when the last of them did (``None`` until all have).
    """
    data = _mapping(_mapping(result).get("message"))
    message_id = str(data["id"])
    author = _user(data.get("user_from"), roles)
    reads: list[tuple[str, datetime | None]] = []
    for card in _entries(data.get("user_to")):
        read = _text(_mapping(card).get("read_date"))
        reads.append((str(card["name"]), parse_datetime(read, tz) if read else None))
    read_by = tuple(user for user, at in reads if at is not None)
    times = [at for _, at in reads if at is not None]
    own = author.id == me
    files = [
        Attachment(name=str(f.get("filename") or f.get("name") or ""), url=_text(f.get("link")))
        for f in _entries(data.get("files"))
    ]
    return Message(
        id=message_id,
        thread_id=_text(data.get("thread")) or message_id,
        author=author,
        sent_at=parse_datetime(str(data["date"]), tz),
        text=str(data.get("text") or ""),
        attachments=tuple(files),
        read_at=max(times) if reads and len(times) == len(reads) else None,
        read_by=read_by,
        is_own=own,
        is_read=own or not bool(data.get("unread", False)),
    )


def parse_notices(result: Any, tz: ZoneInfo) -> tuple[list[ClassNotice], int]:
    """A ``getboardnotices`` page (newest first) and the ``total``."""
    data = _mapping(result)
    notices: list[ClassNotice] = []
    for entry in _entries(data.get("notices")):
        author = _mapping(entry.get("author"))
        files = [
            Attachment(name=str(f.get("filename") or ""), url=_text(f.get("link")))
            for f in _entries(entry.get("files"))
        ]
        notices.append(
            ClassNotice(
                id=str(entry["id"]),
                class_id=str(entry.get("class_id") or ""),
                author=_user(author, {str(author.get("name")): "class_teacher"}),
                posted_at=parse_datetime(str(entry["date"]), tz),
                title=str(entry.get("title") or ""),
                text=str(entry.get("text") or entry.get("short_text") or ""),
                attachments=tuple(files),
            )
        )
    notices.sort(key=lambda n: n.posted_at, reverse=True)
    total = data.get("total")
    return notices, int(total) if total is not None else len(notices)


def parse_meeting(entry: Any, tz: ZoneInfo) -> Meeting:
    """One meeting of ``getmeetings`` / ``setmeetingresponse`` (ours: see the README)."""
    data = _mapping(entry)
    organizer = data.get("organizer")
    ends = _text(data.get("date_end"))
    response = _text(data.get("response"))
    return Meeting(
        id=str(data["id"]),
        class_id=str(data.get("class_id") or ""),
        title=str(data.get("title") or ""),
        starts_at=parse_datetime(str(data["date"]), tz),
        ends_at=parse_datetime(ends, tz) if ends else None,
        place=_text(data.get("place")),
        link=_text(data.get("link")),
        agenda=tuple(str(item) for item in _entries(data.get("agenda"))),
        organizer=(
            _user(organizer, {str(_mapping(organizer).get("name")): "class_teacher"})
            if organizer
            else None
        ),
        rsvp=_RSVPS.get(response) if response else None,
    )


def parse_meetings(result: Any, tz: ZoneInfo) -> list[Meeting]:
    """A ``getmeetings`` answer, the earliest first."""
    meetings = [parse_meeting(m, tz) for m in _entries(_mapping(result).get("meetings"))]
    meetings.sort(key=lambda m: m.starts_at)
    return meetings
