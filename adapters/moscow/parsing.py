"""Pure translation of МЭШ JSON (``moscow-protocol.md``) into :mod:`adapters.models`.

No I/O here. Every function tolerates what a real server sends: unknown extra fields,
``null`` or missing optional fields, averages as strings, non-numeric mark values («зачёт»,
«н/а»), a missing ``weight`` (1), timestamps with and without a zone (without: Moscow local
time, i.e. the region's zone). A payload that lacks what cannot be guessed (an id, a date)
raises ``KeyError``/``ValueError``/``TypeError``, which the adapter base turns into
:class:`~adapters.errors.ProviderResponseError`.

Marks: the provider's own ``values[].grade`` wins where it is given; the common table
(:data:`adapters.scales.COMMON_TABLE`, whose five-point column is МЭШ's own lookup,
2 → 30) fills what is missing, and ``normalized`` is the hundred-point value / 100.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from adapters.models import (
    Absence,
    AbsenceNotice,
    AbsenceReason,
    Attachment,
    Bell,
    Change,
    ChangeKind,
    DateRange,
    Grade,
    Group,
    Homework,
    JournalLesson,
    Lesson,
    Mark,
    MarkInput,
    MarkScale,
    OfficialAverage,
    Person,
    ProviderSession,
    Remark,
    RemarkKind,
    School,
    Student,
    Subject,
    SubjectProgress,
    Teacher,
)
from adapters.progress import compute_progress
from adapters.scales import (
    COMMON_TABLE,
    FIVE_POINT,
    HUNDRED_POINT,
    NO_GRADE,
    PASS_FAIL,
    TEN_POINT,
    normalize,
    parse_number,
)
from adapters.unmatched import LooseAbsence, dedupe_by_id, place_records

from ..payload import ReadOnlyJson

__all__ = [
    "CONTROL_FORMS",
    "DEFAULT_CONTROL_FORM",
    "FIVE_POINT_SYSTEM",
    "MOSCOW_BELLS",
    "EventHomework",
    "EventLesson",
    "FamilyProfile",
    "NativeStudent",
    "ShortHomework",
    "StaffProfile",
    "SubjectSummary",
    "TokenGrant",
    "UnknownControlForm",
    "build_absence_notice",
    "build_lessons",
    "build_mark_body",
    "build_progress",
    "lesson_numbers",
    "parse_absence_notice",
    "parse_absence_notices",
    "parse_absence_reasons",
    "parse_attendance",
    "parse_child",
    "parse_class_member",
    "parse_datetime",
    "parse_events",
    "parse_family_profile",
    "parse_groups",
    "parse_homework_short",
    "parse_journal_lessons",
    "parse_lesson_scales",
    "parse_mark",
    "parse_marks",
    "parse_notifications",
    "parse_profile_info",
    "parse_reasons",
    "parse_school",
    "parse_school_info",
    "parse_schools",
    "parse_session_user",
    "parse_subject_marks_short",
    "parse_teacher_marks",
    "parse_token_grant",
]


MOSCOW_BELLS: tuple[Bell, ...] = tuple(
    Bell(number, time.fromisoformat(starts), time.fromisoformat(ends))
    for number, starts, ends in (
        (1, "08:30", "09:15"),
        (2, "09:25", "10:10"),
        (3, "10:30", "11:15"),
        (4, "11:35", "12:20"),
        (5, "12:30", "13:15"),
        (6, "13:25", "14:10"),
        (7, "14:20", "15:05"),
        (8, "15:15", "16:00"),
    )
)
"""The common Moscow school day (eight bells); the protocol has no bell-schedule call."""

_SCALES: dict[str, MarkScale] = {"five": FIVE_POINT, "ten": TEN_POINT, "hundred": HUNDRED_POINT}
_MOSCOW = ZoneInfo("Europe/Moscow")

_CHANGE_KINDS = {
    "create_mark": ChangeKind.MARK_CREATED,
    "update_mark": ChangeKind.MARK_UPDATED,
    "create_homework": ChangeKind.HOMEWORK_CREATED,
    "update_homework": ChangeKind.HOMEWORK_UPDATED,
}


# -- small readers -----------------------------------------------------------------------


def _id(value: Any) -> str:
    """A native id as a string; ``None`` or an empty id is an error."""
    if value is None or value == "":
        raise ValueError("missing id")
    return str(value)


def _opt_id(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _text(value: Any) -> str | None:
    """A non-empty string, else ``None``."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _items(value: Any) -> list[ReadOnlyJson]:
    """The objects of a JSON array (``null`` or a missing array: none)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def _payload(document: Any) -> list[ReadOnlyJson]:
    """``{"payload": [...]}`` or a bare array."""
    if isinstance(document, Mapping):
        return _items(document.get("payload"))
    return _items(document)


def _float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return parse_number(str(value))


def parse_date(value: Any) -> date | None:
    """``YYYY-MM-DD`` (possibly followed by a time) or ``DD.MM.YYYY``; ``None`` if absent."""
    text = _text(value)
    if text is None:
        return None
    if len(text) >= 10 and text[2] == "." and text[5] == ".":
        return date(int(text[6:10]), int(text[3:5]), int(text[0:2]))
    return date.fromisoformat(text[:10])


def parse_datetime(value: Any, tz: ZoneInfo) -> datetime | None:
    """An ISO timestamp in ``tz``: zoned ones are converted, unzoned ones are local time."""
    text = _text(value)
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def _person(item: ReadOnlyJson, person_id: str) -> Person:
    return Person(
        id=person_id,
        last_name=_text(item.get("last_name")) or "",
        first_name=_text(item.get("first_name")) or "",
        middle_name=_text(item.get("middle_name")),
    )


def _subject(item: ReadOnlyJson, fallback: Subject | None = None) -> Subject:
    subject_id = _opt_id(item.get("subject_id"))
    name = _text(item.get("subject_name"))
    if subject_id is None and fallback is not None:
        return fallback
    if subject_id is None:
        raise ValueError("missing subject")
    return Subject(id=subject_id, name=name or (fallback.name if fallback else ""))


# -- identity ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """The answer of ``/v3/auth/sudir/auth``."""

    token: str
    profile_id: str
    profile_type: str
    expires_in: float | None = None


def parse_token_grant(document: ReadOnlyJson) -> TokenGrant:
    token = _text(document.get("token"))
    if token is None:
        raise ValueError("no token in the exchange answer")
    return TokenGrant(
        token=token,
        profile_id=_id(document.get("profile_id")),
        profile_type=_text(document.get("profile_type")) or "parent",
        expires_in=_float(document.get("expires_in")),
    )


def parse_session_user(document: ReadOnlyJson) -> ProviderSession:
    """``/lms/api/sessions`` → the student's session (the student profile's id)."""
    token = _text(document.get("authentication_token"))
    if token is None:
        raise ValueError("no authentication_token in the session")
    profiles = _items(document.get("profiles"))
    student = next((p for p in profiles if p.get("type") == "student"), None)
    chosen = student or (profiles[0] if profiles else None)
    if chosen is None:
        raise ValueError("the session has no profile")
    return ProviderSession(student_id=_id(chosen.get("id")), token=token)


@dataclass(frozen=True, slots=True)
class NativeStudent:
    """A student with МЭШ's second id (the GUID the event calendar takes)."""

    student: Student
    guid: str | None
    is_legal_representative: bool = False
    school: School | None = None


@dataclass(frozen=True, slots=True)
class FamilyProfile:
    """``/api/family/mobile/v1/profile``: who the profile is and their children."""

    person: Person
    type: str
    children: tuple[NativeStudent, ...]


def _contacts(item: ReadOnlyJson) -> tuple[str, ...]:
    found: list[str] = []
    for rep in _items(item.get("representatives")):
        if rep.get("is_legal_representative") is False:
            continue
        for key in ("phone", "email"):
            value = _text(rep.get(key))
            if value and value not in found:
                found.append(value)
    return tuple(found)


def _group_ids(item: ReadOnlyJson) -> tuple[str, ...]:
    return tuple(str(g["id"]) for g in _items(item.get("groups")) if g.get("id") is not None)


def parse_child(item: ReadOnlyJson) -> NativeStudent:
    """A ``children[]`` entry of the family profile."""
    student_id = _id(item.get("id"))
    school_item = item.get("school")
    if not isinstance(school_item, Mapping):
        school_item = {}
    school_id = _opt_id(school_item.get("id"))
    school = None
    if school_id is not None:
        school = School(
            id=school_id,
            name=_text(school_item.get("name")) or _text(school_item.get("short_name")) or "",
            short_name=_text(school_item.get("short_name")),
            address=_text(school_item.get("address")),
        )
    student = Student(
        id=student_id,
        person=_person(item, student_id),
        school_id=school_id or "",
        class_unit_id=_opt_id(item.get("class_unit_id")) or "",
        class_name=_text(item.get("class_name")) or "",
        group_ids=_group_ids(item),
        birth_date=parse_date(item.get("birth_date")),
        parent_contacts=_contacts(item),
    )
    return NativeStudent(
        student=student,
        guid=_text(item.get("contingent_guid")),
        is_legal_representative=item.get("is_legal_representative") is True,
        school=school,
    )


def parse_family_profile(document: ReadOnlyJson) -> FamilyProfile:
    profile = document.get("profile")
    if not isinstance(profile, Mapping):
        raise ValueError("no profile in the family profile")
    return FamilyProfile(
        person=_person(profile, _id(profile.get("id"))),
        type=_text(profile.get("type")) or "parent",
        children=tuple(parse_child(c) for c in _items(document.get("children"))),
    )


def parse_class_member(
    item: ReadOnlyJson, *, school_id: str | None = None, class_name: str | None = None
) -> NativeStudent:
    """An entry of ``/core/api/profiles`` (a class list)."""
    student_id = _id(item.get("id"))
    student = Student(
        id=student_id,
        person=_person(item, student_id),
        school_id=_opt_id(item.get("school_id")) or school_id or "",
        class_unit_id=_opt_id(item.get("class_unit_id")) or "",
        class_name=_text(item.get("class_name")) or class_name or "",
        group_ids=_group_ids(item),
        birth_date=parse_date(item.get("birth_date")),
        parent_contacts=_contacts(item),
    )
    return NativeStudent(student=student, guid=_text(item.get("contingent_guid")))


@dataclass(frozen=True, slots=True)
class StaffProfile:
    """An entry of ``/acl/api/users/profile_info``."""

    id: str
    type: str
    roles: frozenset[str]
    school_id: str | None = None
    class_unit_ids: tuple[str, ...] = ()
    person: Person | None = None
    """Only when the server sends names (the protocol does not promise them)."""


def parse_profile_info(document: Any) -> list[StaffProfile]:
    found: list[StaffProfile] = []
    for item in _items(document):
        profile_id = _id(item.get("id"))
        roles = item.get("roles")
        named = _text(item.get("last_name")) or _text(item.get("first_name"))
        found.append(
            StaffProfile(
                id=profile_id,
                type=_text(item.get("type")) or "",
                roles=frozenset(str(r) for r in roles) if isinstance(roles, list) else frozenset(),
                school_id=_opt_id(item.get("school_id")),
                class_unit_ids=tuple(
                    str(c) for c in item.get("class_unit_ids") or () if c is not None
                ),
                person=_person(item, profile_id) if named else None,
            )
        )
    return found


def parse_groups(
    document: Any, *, school_id: str | None, teacher_id: str | None = None
) -> list[Group]:
    """``/api/ej/core/teacher/v1/groups``: subject groups with their students."""
    found: list[Group] = []
    for item in _items(document):
        teacher = _opt_id(item.get("teacher_profile_id")) or teacher_id
        found.append(
            Group(
                id=_id(item.get("id")),
                name=_text(item.get("name")) or _text(item.get("subject_name")) or "",
                subject=_subject(item, Subject(id="", name=_text(item.get("name")) or "")),
                class_unit_id=_opt_id(item.get("class_unit_id")) or "",
                school_id=_opt_id(item.get("school_id")) or school_id or "",
                teacher_ids=(teacher,) if teacher else (),
                student_ids=tuple(
                    str(s) for s in item.get("student_profile_ids") or () if s is not None
                ),
            )
        )
    return found


def parse_school(item: ReadOnlyJson) -> School:
    """A school: ``{id, name, short_name, address}``."""
    return School(
        id=_id(item.get("id")),
        name=_text(item.get("name")) or _text(item.get("short_name")) or "",
        short_name=_text(item.get("short_name")),
        address=_text(item.get("address")),
    )


def parse_schools(document: Any) -> list[School]:
    """The public school directory (a bare array or ``{"payload": [...]}``)."""
    return [parse_school(item) for item in _payload(document)]


def parse_school_info(document: ReadOnlyJson) -> tuple[School, list[Teacher]]:
    """``school_info``: the school and its teachers."""
    school = document.get("school")
    if not isinstance(school, Mapping):
        raise ValueError("no school in school_info")
    teachers = []
    for item in _items(document.get("teachers")):
        teacher_id = _id(item.get("id"))
        names = item.get("subject_names")
        teachers.append(
            Teacher(
                id=teacher_id,
                person=_person(item, teacher_id),
                subject_names=tuple(str(n) for n in names) if isinstance(names, list) else (),
            )
        )
    return parse_school(school), teachers


# -- marks -------------------------------------------------------------------------------


def _guess_scale(value: float) -> MarkScale:
    if value <= 5:
        return FIVE_POINT
    return TEN_POINT if value <= 10 else HUNDRED_POINT


def parse_mark(
    item: ReadOnlyJson,
    *,
    student_id: str,
    tz: ZoneInfo,
    subject: Subject | None = None,
    lesson_date: date | None = None,
    lesson_id: str | None = None,
) -> Mark:
    """One mark (family API, event or teacher API shape).

    ``subject``, ``lesson_date`` and ``lesson_id`` fill in what the item lacks (marks
    inside an event, or in a group's journal).
    """
    values = _items(item.get("values"))
    entry = values[0] if values else {}
    grade_item = entry.get("grade")
    if not isinstance(grade_item, Mapping):
        grade_item = {}
    origin = item.get("value")
    if origin is None:
        origin = grade_item.get("origin")
    value = _text(origin) or ""
    number = parse_number(value)
    if number is None:
        scale, grade, normalized = PASS_FAIL, NO_GRADE, None
    else:
        system = _text(entry.get("grade_system_type")) or _text(
            item.get("original_grade_system_type")
        )
        scale = _SCALES.get(system or "") or _guess_scale(number)
        # МЭШ's own figures win member by member; the common table fills the gaps
        table = COMMON_TABLE.convert(number, scale)
        given = (_float(grade_item.get(k)) for k in ("five", "ten", "hundred"))
        five, ten, hundred = (
            g if g is not None else t
            for g, t in zip(given, (table.five, table.ten, table.hundred), strict=True)
        )
        grade = Grade(five=five, ten=ten, hundred=hundred)
        normalized = normalize(grade)
    weight = _float(item.get("weight"))
    day = parse_date(item.get("date")) or lesson_date
    if day is None:
        raise ValueError("a mark without a lesson date")
    return Mark(
        id=_id(item.get("id")),
        student_id=_opt_id(item.get("student_profile_id")) or student_id,
        subject=_subject(item, subject),
        value=value,
        scale=scale,
        grade=grade,
        normalized=normalized,
        weight=weight if weight is not None and weight > 0 else 1.0,
        lesson_date=day,
        is_exam=item.get("is_exam") is True,
        control_form=_text(item.get("control_form_name")),
        comment=_text(item.get("comment")),
        created_at=parse_datetime(item.get("created_at"), tz),
        lesson_id=_opt_id(item.get("schedule_item_id")) or lesson_id,
    )


def parse_marks(document: Any, *, student_id: str, tz: ZoneInfo) -> list[Mark]:
    """``/api/family/mobile/v1/marks`` → marks sorted by lesson date, each id once."""
    marks = dedupe_by_id(
        parse_mark(item, student_id=student_id, tz=tz) for item in _payload(document)
    )
    marks.sort(key=lambda m: (m.lesson_date, m.created_at or datetime.min.replace(tzinfo=tz)))
    return marks


def parse_remarks(document: Any, *, student_id: str, tz: ZoneInfo) -> list[Remark]:
    """``/api/family/mobile/v1/remarks`` (ours) → remarks oldest first, each id once."""
    found: list[Remark] = []
    for item in _payload(document):
        day = parse_date(item.get("date"))
        text = _text(item.get("text"))
        if day is None or text is None:
            continue
        teacher = item.get("teacher")
        author = None
        if isinstance(teacher, Mapping) and teacher.get("id") is not None:
            author = Teacher(id=_id(teacher.get("id")), person=_person(teacher, _id(teacher["id"])))
        subject = _subject(item) if item.get("subject_id") is not None else None
        found.append(
            Remark(
                id=_id(item.get("id")),
                student_id=_opt_id(item.get("student_id")) or student_id,
                day=day,
                kind=RemarkKind.PRAISE if item.get("type") == "praise" else RemarkKind.REMARK,
                text=text,
                author=author,
                subject=subject,
                lesson_id=_opt_id(item.get("schedule_item_id")),
                created_at=parse_datetime(item.get("created_at"), tz),
            )
        )
    remarks = list({r.id: r for r in reversed(found)}.values())[::-1]  # each id once, first wins
    remarks.sort(key=lambda r: (r.day, r.created_at or datetime.min.replace(tzinfo=tz), r.id))
    return remarks


def parse_teacher_marks(document: Any, *, subject: Subject, tz: ZoneInfo) -> list[Mark]:
    """``/api/ej/core/teacher/v1/marks``: a group's marks (each names its student)."""
    return [
        parse_mark(
            item,
            student_id=_id(item.get("student_profile_id")),
            tz=tz,
            subject=subject,
        )
        for item in _items(document)
    ]


# -- homework, attendance ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ShortHomework:
    """A ``homeworks/short`` entry, with what joins it to its lesson."""

    homework: Homework
    entry_id: str | None
    """``homework_entry_id``: the class's homework (the id events use), if sent."""


def _attachments(item: ReadOnlyJson) -> tuple[Attachment, ...]:
    found = []
    for a in _items(item.get("attachments")):
        name = _text(a.get("file_name")) or _text(a.get("title")) or _text(a.get("name"))
        if name is not None:
            found.append(Attachment(name=name, url=_text(a.get("link")) or _text(a.get("url"))))
    return tuple(found)


def parse_homework_short(document: Any, *, student_id: str) -> list[ShortHomework]:
    """``homeworks/short`` → the student's homework entries, each id once."""
    found = []
    seen: set[str] = set()
    for item in _payload(document):
        due = parse_date(item.get("date"))
        if due is None:
            raise ValueError("homework without a date")
        entry_student_id = _id(item.get("homework_entry_student_id"))
        if entry_student_id in seen:
            continue
        seen.add(entry_student_id)
        found.append(
            ShortHomework(
                homework=Homework(
                    id=entry_student_id,
                    student_id=student_id,
                    subject=_subject(item),
                    text=_text(item.get("description")) or "",
                    due_on=due,
                    assigned_on=parse_date(item.get("date_assigned_on")),
                    done=item.get("is_done") if isinstance(item.get("is_done"), bool) else None,
                    attachments=_attachments(item),
                ),
                entry_id=_opt_id(item.get("homework_entry_id")),
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class MissedLesson:
    """One lesson of the ``attendance`` call, as the provider names it."""

    date: date
    subject: Subject | None
    schedule_item_id: str | None
    reason_id: int | None


class MissedLessons(dict[str, int | None]):
    """``attendance``: reason id per missed lesson (``schedule_item_id``), and ``records``:
    every missed lesson listed, also those with no or an unknown ``schedule_item_id``."""

    def __init__(self, records: Iterable[MissedLesson] = ()) -> None:
        self.records = list(records)
        super().__init__(
            (r.schedule_item_id, r.reason_id)
            for r in self.records
            if r.schedule_item_id is not None
        )


def parse_attendance(document: Any) -> MissedLessons:
    """``attendance`` → the missed lessons (see :class:`MissedLessons`)."""
    records: list[MissedLesson] = []
    days = document.get("attendance") if isinstance(document, Mapping) else document
    for day in _items(days):
        day_reason = day.get("reason_id")
        when = parse_date(day.get("date"))
        for lesson in _items(day.get("lessons")):
            item_id = _opt_id(lesson.get("schedule_item_id"))
            subject_id = _opt_id(lesson.get("subject_id"))
            name = _text(lesson.get("subject_name"))
            subject = Subject(id=subject_id or "", name=name or "") if subject_id or name else None
            if when is None and item_id is None:
                continue  # neither a lesson nor a day: nothing to show it on
            records.append(
                MissedLesson(
                    date=when or date.min,
                    subject=subject,
                    schedule_item_id=item_id,
                    reason_id=_reason_id(lesson.get("reason_id", day_reason)),
                )
            )
    return MissedLessons(records)


def _reason_id(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    return int(value) if str(value).isdigit() else None


def _reason(
    reasons: Mapping[int, tuple[str, bool | None]], reason_id: int | None
) -> tuple[str | None, bool | None]:
    """(name, excused) of an absence reason; unknown parts are ``None``."""
    name, excused = reasons.get(reason_id, ("", None)) if reason_id is not None else ("", None)
    return name or None, excused


def parse_reasons(document: Any) -> dict[int, tuple[str, bool | None]]:
    """``nonattendance_reasons`` → id → (name, excused).

    МЭШ does not say "excused"; the reasons a parent may give (``is_parent_available``)
    are the excused ones (illness, family reasons), the others are not.
    """
    reasons: dict[int, tuple[str, bool | None]] = {}
    for item in _items(document):
        parent_available = item.get("is_parent_available")
        reasons[int(item["id"])] = (
            _text(item.get("name")) or "",
            parent_available if isinstance(parent_available, bool) else None,
        )
    return reasons


# -- events → lessons --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventHomework:
    """A homework entry inside an event."""

    entry_id: str | None
    entry_student_id: str | None
    text: str
    assigned_on: date | None
    due_on: date | None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class EventLesson:
    """A ``PLAN`` event of the event calendar (a lesson), before it is numbered."""

    id: str
    date: date
    starts_at: datetime
    ends_at: datetime
    subject: Subject
    teacher: Teacher | None
    room: str | None
    topic: str | None
    group_id: str | None
    cancelled: bool
    replaced: bool
    remote: bool
    missed: bool
    absence_reason_id: int | None
    marks: tuple[Mark, ...]
    homework: tuple[EventHomework, ...]


def _teacher(item: Any) -> Teacher | None:
    if not isinstance(item, Mapping):
        return None
    person_id = _opt_id(item.get("id"))
    if person_id is None:
        full = " ".join(
            filter(None, (_text(item.get(k)) for k in ("last_name", "first_name", "middle_name")))
        )
        if not full:
            return None
        person_id = "name-" + hashlib.sha256(full.encode()).hexdigest()[:16]
    return Teacher(id=person_id, person=_person(item, person_id))


def _event_homework(item: Any) -> tuple[EventHomework, ...]:
    if not isinstance(item, Mapping):
        return ()
    entries = _items(item.get("entries"))
    if entries:
        return tuple(
            EventHomework(
                entry_id=_opt_id(e.get("homework_entry_id")),
                entry_student_id=_opt_id(e.get("homework_entry_student_id")),
                text=_text(e.get("description")) or "",
                assigned_on=parse_date(e.get("date_assigned_on")),
                due_on=parse_date(e.get("date_prepared_for")),
                attachments=_attachments(e),
            )
            for e in entries
        )
    descriptions = item.get("descriptions")
    if not isinstance(descriptions, list):
        return ()
    return tuple(
        EventHomework(None, None, text, None, None) for d in descriptions if (text := _text(d))
    )


def parse_events(document: Any, *, student_id: str, tz: ZoneInfo) -> list[EventLesson]:
    """The event calendar's lessons (``source`` ``PLAN``; other events are skipped)."""
    items = document.get("response") if isinstance(document, Mapping) else document
    lessons: list[EventLesson] = []
    seen: set[str] = set()
    for item in _items(items):
        source = item.get("source")
        if source is not None and source != "PLAN":
            continue
        if _id(item.get("id")) in seen:
            continue  # the same event twice
        seen.add(_id(item.get("id")))
        starts = parse_datetime(item.get("start_at"), tz)
        ends = parse_datetime(item.get("finish_at"), tz)
        if starts is None:
            raise ValueError("an event without start_at")
        subject = _subject(item)
        lesson_id = _id(item.get("id"))
        lessons.append(
            EventLesson(
                id=lesson_id,
                date=starts.date(),
                starts_at=starts,
                ends_at=ends or starts,
                subject=subject,
                teacher=_teacher(item.get("teacher")),
                room=_text(item.get("room_number")),
                topic=_text(item.get("lesson_theme")),
                group_id=_opt_id(item.get("group_id")),
                cancelled=item.get("cancelled") is True,
                replaced=item.get("replaced") is True,
                remote=item.get("lesson_type") == "REMOTE",
                missed=item.get("is_missed_lesson") is True,
                absence_reason_id=_reason_id(item.get("absence_reason_id")),
                marks=tuple(
                    parse_mark(
                        m,
                        student_id=student_id,
                        tz=tz,
                        subject=subject,
                        lesson_date=starts.date(),
                        lesson_id=lesson_id,
                    )
                    for m in _items(item.get("marks"))
                ),
                homework=_event_homework(item.get("homework")),
            )
        )
    return lessons


def lesson_numbers(days_and_starts: Sequence[tuple[date, time]]) -> list[int]:
    """Lesson numbers for lessons given as (day, local start time).

    A day whose lessons all start on distinct :data:`MOSCOW_BELLS` gets the bells' numbers;
    any other day is numbered in order of start time from 1.
    """
    bells = {bell.starts: bell.number for bell in MOSCOW_BELLS}
    by_day: dict[date, list[int]] = {}
    for index, (day, _) in enumerate(days_and_starts):
        by_day.setdefault(day, []).append(index)
    numbers = [0] * len(days_and_starts)
    for indexes in by_day.values():
        ordered = sorted(indexes, key=lambda i: days_and_starts[i][1])
        matched = [
            bells.get(days_and_starts[i][1].replace(second=0, microsecond=0)) for i in ordered
        ]
        use_bells = all(n is not None for n in matched) and len(set(matched)) == len(matched)
        for position, i in enumerate(ordered, start=1):
            bell = matched[position - 1]
            numbers[i] = bell if use_bells and bell is not None else position
    return numbers


def _same_lesson(item: ShortHomework, lesson: EventLesson) -> bool:
    hw = item.homework
    return hw.subject.id == lesson.subject.id and hw.assigned_on == lesson.date


def _rank(item: ShortHomework, hint: EventHomework, lesson: EventLesson) -> int | None:
    """How surely a ``homeworks/short`` entry is the event's homework (lower: surer)."""
    if hint.entry_id is not None and item.entry_id == hint.entry_id:
        return 0
    if hint.entry_student_id is not None and item.homework.id == hint.entry_student_id:
        return 1
    if _same_lesson(item, lesson):
        return 2 if item.homework.text == hint.text else 3
    return None


def _match_homework(
    lesson: EventLesson, short: list[ShortHomework], used: set[str], student_id: str
) -> list[Homework]:
    """The student's homework set at ``lesson``: event entries joined to ``homeworks/short``."""
    found: list[Homework] = []
    for hint in lesson.homework:
        ranked = [
            (rank, index)
            for index, item in enumerate(short)
            if item.homework.id not in used and (rank := _rank(item, hint, lesson)) is not None
        ]
        if ranked:
            match = short[min(ranked)[1]].homework
            used.add(match.id)
            found.append(
                match if match.attachments else replace(match, attachments=hint.attachments)
            )
        else:
            # the event knows the homework but homeworks/short did not list it; with no
            # due date given (descriptions only) it is shown as due at its own lesson
            found.append(
                Homework(
                    id=hint.entry_student_id or f"{lesson.id}-{len(found) + 1}",
                    student_id=student_id,
                    subject=lesson.subject,
                    text=hint.text,
                    due_on=hint.due_on or lesson.date,
                    assigned_on=hint.assigned_on or lesson.date,
                    done=None,
                    attachments=hint.attachments,
                )
            )
    if not lesson.homework:
        for item in short:
            if item.homework.id not in used and _same_lesson(item, lesson):
                used.add(item.homework.id)
                found.append(item.homework)
    return found


def build_lessons(
    events: Iterable[EventLesson],
    *,
    student_id: str,
    days: DateRange,
    homework: Sequence[ShortHomework] = (),
    missed: Mapping[str, int | None] | None = None,
    reasons: Mapping[int, tuple[str, bool | None]] | None = None,
    tz: ZoneInfo | None = None,
    marks: Iterable[Mark] = (),
) -> list[Lesson]:
    """A student's diary: events in ``days`` with homework, marks and absences joined.

    Homework is attached to the lesson where it was set (``date_assigned_on``);
    ``missed`` (from ``attendance``) fills absences the events do not mark; ``marks``
    (from the ``marks`` call) adds the marks the events do not carry (an event the
    calendar lost, or one sent without its marks), joined by ``schedule_item_id``. Nothing
    the provider said is dropped (:mod:`adapters.unmatched`): homework no event names,
    marks and missed lessons whose ``schedule_item_id`` is absent or names no event go to
    the lesson of their day and subject, else to the day's unscheduled holder.
    """
    chosen = sorted((e for e in events if e.date in days), key=lambda e: e.starts_at)
    zone = tz or (chosen[0].starts_at.tzinfo if chosen else None) or _MOSCOW
    numbers = lesson_numbers([(e.date, e.starts_at.time()) for e in chosen])
    short = list(homework)
    used: set[str] = set()
    # not ``missed or {}``: a MissedLessons whose records all lack a schedule_item_id is an
    # empty dict, yet its records are absences to place
    missed = missed if missed is not None else {}
    reasons = reasons or {}
    held = {m.id for e in chosen for m in e.marks}
    extra_marks: dict[str, list[Mark]] = {}
    loose_marks: list[Mark] = []
    event_days = {e.id: e.date for e in chosen}
    for mark in dedupe_by_id(marks):
        if mark.id in held:
            continue
        held.add(mark.id)
        if mark.lesson_id is not None and event_days.get(mark.lesson_id) == mark.lesson_date:
            extra_marks.setdefault(mark.lesson_id, []).append(mark)
        else:
            loose_marks.append(mark)
    lessons: list[Lesson] = []
    for event, number in zip(chosen, numbers, strict=True):
        absence = None
        reason_id = event.absence_reason_id
        if reason_id is None:
            reason_id = missed.get(event.id)
        if event.missed or event.id in missed or event.absence_reason_id is not None:
            name, excused = _reason(reasons, reason_id)
            absence = Absence(
                student_id=student_id,
                date=event.date,
                reason=name,
                excused=excused,
                lesson_id=event.id,
            )
        lesson_homework = tuple(_match_homework(event, short, used, student_id))
        lessons.append(
            Lesson(
                id=event.id,
                date=event.date,
                number=number,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                subject=event.subject,
                teacher=event.teacher,
                room=event.room,
                topic=event.topic,
                group_id=event.group_id,
                cancelled=event.cancelled,
                replaced=event.replaced,
                remote=event.remote,
                homework=lesson_homework,
                marks=(*event.marks, *extra_marks.pop(event.id, ())),
                absence=absence,
            )
        )
    event_ids = set(event_days)
    records = missed.records if isinstance(missed, MissedLessons) else []
    loose_absences = []
    for record in records:
        if record.schedule_item_id in event_ids:
            continue
        name, excused = _reason(reasons, record.reason_id)
        loose_absences.append(
            LooseAbsence(
                Absence(
                    student_id=student_id,
                    date=record.date,
                    reason=name,
                    excused=excused,
                    lesson_id=record.schedule_item_id,
                ),
                record.subject,
            )
        )
    return place_records(
        lessons,
        days=days,
        tz=zone,
        homework=[item.homework for item in short if item.homework.id not in used],
        marks=loose_marks,
        absences=loose_absences,
        absent_unclaimed=[
            le.id for le in lessons if le.absence is not None and le.id not in missed
        ],
    )


# -- journal -----------------------------------------------------------------------------


def parse_journal_lessons(
    document: Any,
    *,
    student_ids: Iterable[str],
    tz: ZoneInfo,
    reasons: Mapping[int, tuple[str, bool | None]] | None = None,
) -> tuple[list[JournalLesson], list[Absence]]:
    """``schedule_items`` → the journal's columns, and absences where the server sends them."""
    items = _items(document)
    parsed: list[tuple[ReadOnlyJson, date, time, time | None]] = []
    for item in items:
        day = parse_date(item.get("date"))
        begin_text = _text(item.get("begin_time"))
        if day is None or begin_text is None:
            raise ValueError("a schedule item without date or begin_time")
        end_text = _text(item.get("end_time"))
        parsed.append(
            (
                item,
                day,
                time.fromisoformat(begin_text),
                time.fromisoformat(end_text) if end_text else None,
            )
        )
    parsed.sort(key=lambda p: (p[1], p[2]))
    numbers = lesson_numbers([(day, begin) for _, day, begin, _ in parsed])
    wanted = set(student_ids)
    reasons = reasons or {}
    lessons: list[JournalLesson] = []
    absences: list[Absence] = []
    for (item, day, begin, end), number in zip(parsed, numbers, strict=True):
        lesson_id = _id(item.get("id"))
        starts = datetime.combine(day, begin, tzinfo=tz)
        lessons.append(
            JournalLesson(
                id=lesson_id,
                date=day,
                number=number,
                starts_at=starts,
                ends_at=datetime.combine(day, end, tzinfo=tz) if end else starts,
                topic=_text(item.get("lesson_theme")),
                room=_text(item.get("room_number")),
                cancelled=item.get("cancelled") is True,
            )
        )
        for entry in _items(item.get("absences")):
            student = _opt_id(entry.get("student_profile_id"))
            if student is None or student not in wanted:
                continue
            name, excused = _reason(reasons, _reason_id(entry.get("reason_id")))
            absences.append(Absence(student, day, name, excused, lesson_id))
    lessons.sort(key=lambda le: (le.date, le.number))
    return lessons, absences


# -- progress ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubjectSummary:
    """A ``subject_marks/short`` entry: the provider's own average over its own period."""

    subject_id: str
    official: OfficialAverage | None
    """The provider's figure (``None`` when the entry states no readable average)."""


def _official_value(item: Mapping[str, Any]) -> tuple[float, MarkScale] | None:
    """The provider's average and its scale: ``avg_five`` or ``average`` (МЭШ's five-point
    figure; a larger ``average`` is read on the ten- or hundred-point scale, as marks are),
    else ``avg_ten``, else ``avg_hundred``."""
    five = _float(item.get("avg_five"))
    if five is not None:
        return five, FIVE_POINT
    given = _float(item.get("average"))
    if given is not None:
        scale = FIVE_POINT if given <= 5 else TEN_POINT if given <= 10 else HUNDRED_POINT
        return given, scale
    ten = _float(item.get("avg_ten"))
    if ten is not None:
        return ten, TEN_POINT
    hundred = _float(item.get("avg_hundred"))
    if hundred is not None:
        return hundred, HUNDRED_POINT
    return None


def parse_subject_marks_short(document: Any) -> dict[str, SubjectSummary]:
    """``subject_marks/short``: per subject, the average МЭШ itself states for its period."""
    found: dict[str, SubjectSummary] = {}
    for item in _payload(document):
        subject_id = _opt_id(item.get("subject_id"))
        if subject_id is None:
            continue
        figure = _official_value(item)
        found[subject_id] = SubjectSummary(
            subject_id=subject_id,
            official=(
                OfficialAverage(
                    value=figure[0],
                    scale=figure[1],
                    period_name=_text(item.get("period")) or _text(item.get("title")),
                    starts=parse_date(item.get("start_iso", item.get("start"))),
                    ends=parse_date(item.get("end_iso", item.get("end"))),
                )
                if figure is not None
                else None
            ),
        )
    return found


def _overlaps(official: OfficialAverage, days: DateRange) -> bool:
    """Whether the provider's period meets the range asked about (unknown bounds do)."""
    starts_before_end = official.starts is None or official.starts <= days.end
    ends_after_start = official.ends is None or official.ends >= days.start
    return starts_before_end and ends_after_start


def build_progress(
    student_id: str,
    marks: Sequence[Mark],
    summaries: Mapping[str, SubjectSummary],
    days: DateRange,
) -> list[SubjectProgress]:
    """Per-subject progress: our own weighted means (per scale), trend and series over the
    marks returned, and beside them, never mixed in, the provider's official average for a
    period that meets ``days``."""
    result: list[SubjectProgress] = []
    for progress in compute_progress(student_id, marks):
        summary = summaries.get(progress.subject.id)
        official = summary.official if summary is not None else None
        if official is not None and _overlaps(official, days):
            progress = replace(progress, official_average=official)
        result.append(progress)
    return result


# -- changes -----------------------------------------------------------------------------


def _change_lesson_date(item: Mapping[str, Any], kind: ChangeKind) -> date | None:
    """The lesson a change is about: where the mark was given or the homework was set.

    МЭШ dates a homework notification by the lesson it is *for*; when it also says when the
    homework was set (``new_date_assigned_on``), that lesson is used, as every region does.
    """
    if kind in (ChangeKind.HOMEWORK_CREATED, ChangeKind.HOMEWORK_UPDATED):
        assigned = parse_date(item.get("new_date_assigned_on"))
        if assigned is not None:
            return assigned
    return parse_date(item.get("lesson_date"))


def parse_notifications(document: Any, *, student_id: str, tz: ZoneInfo) -> list[Change]:
    """``notifications/search`` → the changes, newest first, each once.

    Each change keeps the student its record names (``student_profile_id``), else the one
    asked for: a feed that ignores its filter is screened by the leak guard, not here.
    """
    changes: list[Change] = []
    seen: set[str] = set()
    for item in _items(document):
        kind = _CHANGE_KINDS.get(str(item.get("event_type")))
        at = parse_datetime(item.get("datetime") or item.get("created_at"), tz)
        if kind is None or at is None:
            continue
        subject = _text(item.get("subject_name")) or ""
        mark = _text(item.get("new_mark_value"))
        text = _text(item.get("new_hw_description"))
        owner = _opt_id(item.get("student_profile_id")) or student_id
        key = "|".join((owner, kind.value, at.isoformat(), subject, mark or "", text or ""))
        change_id = hashlib.sha256(key.encode()).hexdigest()[:20]
        if change_id in seen:
            continue
        seen.add(change_id)
        changes.append(
            Change(
                id=change_id,
                student_id=owner,
                kind=kind,
                at=at,
                subject_name=subject,
                lesson_date=_change_lesson_date(item, kind),
                mark_value=mark,
                previous_mark_value=_text(item.get("old_mark_value")),
                homework_text=text,
            )
        )
    changes.sort(key=lambda c: c.at, reverse=True)
    return changes


# -- writes: a teacher's marks, a parent's advance absence notices -----------------------

FIVE_POINT_SYSTEM = 4140000
"""``grade_system_id`` of МЭШ's five-point scale (the demo's, and a lesson's by default)."""

CONTROL_FORMS: dict[str, int] = {
    "ответ на уроке": 4600001,
    "самостоятельная работа": 4600002,
    "домашняя работа": 4600003,
    "контрольная работа": 4600004,
    "диктант": 4600005,
    "тест": 4600006,
}
"""Control form name (lower case) → ``control_form_id``, as the protocol's server numbers
them; English aliases below."""
_CONTROL_FORM_ALIASES: dict[str, int] = {
    "answer": 4600001,
    "oral": 4600001,
    "classwork": 4600001,
    "independent": 4600002,
    "independent work": 4600002,
    "homework": 4600003,
    "test": 4600006,
    "control": 4600004,
    "control work": 4600004,
    "dictation": 4600005,
}
DEFAULT_CONTROL_FORM = CONTROL_FORMS["ответ на уроке"]
"""The form of a mark entered without one: an answer in class."""


class UnknownControlForm(ValueError):
    """A control form the provider has no id for."""


def _control_form_id(name: str | None) -> int | None:
    if name is None:
        return None
    key = " ".join(name.lower().replace("ё", "е").split())
    found = CONTROL_FORMS.get(key) or _CONTROL_FORM_ALIASES.get(key)
    if found is None:
        raise UnknownControlForm(name)
    return found


def build_mark_body(
    mark: MarkInput,
    *,
    student_id: str,
    grade_system_id: int,
    lesson_id: str | None,
    correcting: bool = False,
) -> dict[str, Any]:
    """Call 15's body for ``mark``: ``value`` as the one ``grade_origins`` entry on the
    lesson's grade system; the control form by name (default: an answer in class; a
    correction without one keeps the mark's). Raises :class:`UnknownControlForm`."""
    form = _control_form_id(mark.control_form)
    body: dict[str, Any] = {
        "student_profile_id": int(student_id),
        "grade_origins": [{"grade_origin": mark.value.strip(), "grade_system_id": grade_system_id}],
        "weight": mark.weight,
        "is_exam": mark.is_exam,
        "comment": mark.comment,
    }
    if lesson_id is not None:
        body["schedule_item_id"] = int(lesson_id)
    if form is not None or not correcting:
        body["control_form_id"] = form if form is not None else DEFAULT_CONTROL_FORM
    return body


def parse_lesson_scales(document: Any) -> dict[str, int]:
    """``schedule_items`` → lesson id → ``grade_system_id``, where a server says (ours)."""
    found: dict[str, int] = {}
    for item in _items(document):
        lesson_id, system = _opt_id(item.get("id")), item.get("grade_system_id")
        if lesson_id is not None and isinstance(system, int) and not isinstance(system, bool):
            found[lesson_id] = system
    return found


def parse_absence_reasons(document: Any) -> list[AbsenceReason]:
    """``nonattendance_reasons`` → the reasons a parent may give (``is_parent_available``
    true, or not said), in the provider's order."""
    return [
        AbsenceReason(id=_id(item.get("id")), name=_text(item.get("name")) or "")
        for item in _items(document)
        if item.get("is_parent_available") is not False
    ]


def build_absence_notice(
    days: DateRange, reason_id: str, comment: str | None, *, student_id: str
) -> dict[str, Any]:
    """``POST …/attendance``'s body: one notification per day of ``days``."""
    return {
        "student_id": int(student_id),
        "notifications": [
            {"date": day.isoformat(), "reason_id": int(reason_id), "description": comment or ""}
            for day in days.dates()
        ],
    }


def parse_absence_notice(
    item: ReadOnlyJson,
    *,
    student_id: str,
    reasons: Mapping[int, tuple[str, bool | None]],
    tz: ZoneInfo,
) -> AbsenceNotice:
    """One notice (the emulator's shape: ``{id, student_id, notifications[{date,
    reason_id, description}], reason_id, reason_name, description, author_profile_id,
    created_at}``); its days run from the first date named to the last."""
    notifications = _items(item.get("notifications"))
    dates = sorted(d for d in (parse_date(n.get("date")) for n in notifications) if d)
    if not dates:
        raise ValueError("an absence notice without dates")
    first = notifications[0]
    reason_id = _reason_id(item.get("reason_id"))
    if reason_id is None:
        reason_id = _reason_id(first.get("reason_id"))
    if reason_id is None:
        raise ValueError("an absence notice without a reason")
    name = _text(item.get("reason_name")) or _text(first.get("reason_name"))
    comment = _text(item.get("description")) or _text(first.get("description"))
    return AbsenceNotice(
        id=_id(item.get("id")),
        student_id=_opt_id(item.get("student_id")) or student_id,
        days=DateRange(dates[0], dates[-1]),
        reason=AbsenceReason(id=str(reason_id), name=name or _reason(reasons, reason_id)[0] or ""),
        comment=comment,
        created_at=parse_datetime(item.get("created_at"), tz),
        author_id=_opt_id(item.get("author_profile_id")),
    )


def parse_absence_notices(
    document: Any,
    *,
    student_id: str,
    reasons: Mapping[int, tuple[str, bool | None]],
    tz: ZoneInfo,
) -> list[AbsenceNotice]:
    """``…/attendance/notifications`` → the student's notices, the earliest day first."""
    found: dict[str, AbsenceNotice] = {}
    for item in _payload(document):
        notice = parse_absence_notice(item, student_id=student_id, reasons=reasons, tz=tz)
        found.setdefault(notice.id, notice)  # each id once, the first wins
    notices = list(found.values())
    notices.sort(key=lambda n: (n.days.start, n.days.end, n.id))
    return notices
