"""Pure functions from «Сетевой город» (NetSchool ``webapi``) payloads to the unified models.

No I/O here: every function takes decoded JSON and returns :mod:`adapters.models` objects.
A payload missing a field the function needs raises ``KeyError``/``TypeError``/``ValueError``,
which the base class turns into :class:`~adapters.errors.ProviderResponseError`.

Dates come as naive ``"YYYY-MM-DDT00:00:00"`` strings and lesson times as ``"HH:MM"`` on
the lesson's ``day``; both are local time of the region and become aware datetimes in the
zone passed in. Marks are integers on the five-point scale. «Сетевой город» sends no
conversion of its own, so the common table (:data:`adapters.scales.COMMON_TABLE`) gives
their ten- and hundred-point values and ``normalized`` is hundred / 100; a ``markText``
such as «зачёт» is a mark with no numeric meaning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from adapters.unmatched import merge_duplicate_lessons

from ..models import (
    Absence,
    Attachment,
    Bell,
    BellSchedule,
    Change,
    ChangeKind,
    Child,
    ClassUnit,
    Grade,
    Group,
    Homework,
    Journal,
    JournalLesson,
    Lesson,
    Mark,
    MarkScale,
    Person,
    RegionProfile,
    Remark,
    RemarkKind,
    Role,
    RoleGrant,
    School,
    Student,
    Subject,
    Teacher,
    Term,
)
from ..paths import provider_path
from ..payload import JsonObject
from ..scales import COMMON_TABLE, FIVE_POINT, NO_GRADE, PASS_FAIL, normalize

__all__ = [
    "ATTENDANCE_REASONS",
    "HOMEWORK_TYPE_NAME",
    "AssignmentTypes",
    "parse_assignment_types",
    "parse_bells",
    "parse_changes",
    "parse_classes",
    "parse_current_student",
    "parse_day",
    "parse_diary",
    "parse_error_message",
    "parse_group",
    "parse_homework",
    "parse_homework_detail",
    "parse_journal",
    "parse_lesson",
    "parse_local_datetime",
    "parse_mark",
    "parse_mark_value",
    "parse_profile",
    "parse_remarks",
    "parse_school_year",
    "parse_schools",
    "parse_student",
    "parse_teacher",
    "parse_token",
]


HOMEWORK_TYPE_NAME = "Домашнее задание"
"""The assignment type whose assignments are homework (the others are graded work)."""

ATTENDANCE_REASONS: dict[str, tuple[str, bool]] = {
    "Б": ("Болезнь", True),
    "УП": ("Уважительная причина", True),
    "Н": ("Без причины", False),
}
"""A lesson's ``attendance`` code → (reason, excused)."""


@dataclass(frozen=True, slots=True)
class AssignmentTypes:
    """The region's assignment types: id → name, and which ids are homework."""

    names: dict[int, str]
    homework: frozenset[int]


# -- scalars -------------------------------------------------------------------------------


def parse_day(text: str) -> date:
    """A native date (``"2025-10-13T00:00:00"`` or ``"2025-10-13"``)."""
    return date.fromisoformat(text[:10])


def parse_local_datetime(text: str, tz: ZoneInfo) -> datetime:
    """A naive local timestamp (``"2025-10-13T11:30:00"``) as an aware datetime in ``tz``."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)


def _at(day: date, clock: str, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=tz)


def _optional_text(value: object) -> str | None:
    return str(value) if value else None


def parse_error_message(body: str) -> str:
    """The ``message`` of a native error body, or ``""`` when it has none."""
    try:
        decoded = json.loads(body)
    except ValueError:
        return ""
    message = decoded.get("message") if isinstance(decoded, dict) else None
    return message if isinstance(message, str) else ""


def parse_token(payload: JsonObject) -> str:
    """The access token (``at``) of a login or partner-exchange answer."""
    token = payload["at"]
    if not isinstance(token, str) or not token:
        raise ValueError("no access token")
    return token


def parse_current_student(payload: JsonObject) -> str | None:
    """The ``currentStudentId`` of ``student/diary/init``, if the user has a diary."""
    current = payload.get("currentStudentId")
    return None if current is None else str(current)


def parse_assignment_types(payload: list[JsonObject]) -> AssignmentTypes:
    """``grade/assignment/types`` → names by id, and the homework type ids."""
    names = {int(item["id"]): str(item["name"]) for item in payload}
    homework = frozenset(i for i, name in names.items() if name == HOMEWORK_TYPE_NAME)
    return AssignmentTypes(names=names, homework=homework)


# -- people --------------------------------------------------------------------------------


def _person(person_id: object, fio: str) -> Person:
    parts = fio.split()
    return Person(
        id=str(person_id),
        last_name=parts[0],
        first_name=parts[1] if len(parts) > 1 else "",
        middle_name=" ".join(parts[2:]) or None,
    )


def parse_remarks(payload: JsonObject, *, student_id: str, tz: ZoneInfo) -> list[Remark]:
    """``student/remarks`` (ours) → remarks oldest first."""
    found: list[Remark] = []
    for item in payload.get("remarks") or ():
        teacher = item.get("teacher")
        subject_id = item.get("subjectId")
        created = item.get("created")
        found.append(
            Remark(
                id=str(item["id"]),
                student_id=str(item.get("studentId", student_id)),
                day=parse_day(str(item["date"])),
                kind=RemarkKind.PRAISE if item.get("kind") == "Похвала" else RemarkKind.REMARK,
                text=str(item["text"]),
                author=parse_teacher(teacher) if isinstance(teacher, dict) else None,
                subject=(
                    Subject(id=str(subject_id), name=str(item.get("subjectName") or ""))
                    if subject_id is not None
                    else None
                ),
                lesson_id=str(item["classMeetingId"]) if item.get("classMeetingId") else None,
                created_at=parse_local_datetime(str(created), tz) if created else None,
            )
        )
    found.sort(key=lambda r: (r.day, r.created_at or datetime.min.replace(tzinfo=tz), r.id))
    return found


def parse_teacher(payload: JsonObject) -> Teacher:
    """``{id, fio}`` («Фамилия Имя Отчество») → a teacher."""
    return Teacher(id=str(payload["id"]), person=_person(payload["id"], payload["fio"]))


def parse_student(card: JsonObject) -> Student:
    """A student card; ``parent_contacts`` are the legal representatives' phones and emails."""
    contacts: list[str] = []
    for parent in card.get("parents") or ():
        if parent.get("isLegalRepresentative"):
            contacts.extend(c for c in (parent.get("mobilePhone"), parent.get("email")) if c)
    birth = card.get("birthDate")
    return Student(
        id=str(card["studentId"]),
        person=Person(
            id=str(card["studentId"]),
            last_name=card["lastName"],
            first_name=card["firstName"],
            middle_name=card.get("middleName") or None,
        ),
        school_id=str(card["schoolId"]),
        class_unit_id=str(card["classId"]),
        class_name=card["className"],
        group_ids=tuple(str(g["id"]) for g in card.get("subjectGroups") or ()),
        birth_date=parse_day(birth) if birth else None,
        parent_contacts=tuple(contacts),
    )


def parse_group(payload: JsonObject) -> Group:
    """A subject group (``teacher_groups`` item or a journal's ``subjectGroup``)."""
    return Group(
        id=str(payload["id"]),
        name=payload["name"],
        subject=Subject(id=str(payload["subjectId"]), name=payload["subjectName"]),
        class_unit_id=str(payload["classId"]),
        school_id=str(payload["schoolId"]),
        teacher_ids=tuple(str(t["id"]) for t in payload.get("teachers") or ()),
        student_ids=tuple(str(s) for s in payload.get("studentIds") or ()),
    )


def parse_classes(payload: JsonObject) -> tuple[list[ClassUnit], list[Group], list[str]]:
    """``school_classes``: the classes and groups a member of staff reads, and their students."""
    classes = [
        ClassUnit(
            id=str(c["id"]),
            school_id=str(c["schoolId"]),
            name=str(c["name"]),
            level=c.get("grade") if isinstance(c.get("grade"), int) else None,
        )
        for c in payload.get("classes") or ()
    ]
    groups = [parse_group(g) for g in payload.get("groups") or ()]
    students = [str(s) for c in payload.get("classes") or () for s in c.get("studentIds") or ()]
    students += [s for g in groups for s in g.student_ids]
    return classes, groups, list(dict.fromkeys(students))


def parse_school_year(context: JsonObject) -> list[Term]:
    """``context.schoolyear``: the only period Сетевой Город states here (the whole year)."""
    year = context.get("schoolyear")
    if not isinstance(year, dict):
        return []
    start, end = parse_day(year["startDate"]), parse_day(year["endDate"])
    name = str(year.get("name") or f"{start.year}–{end.year}")
    return [Term(id=f"{start:%Y%m%d}-{end:%Y%m%d}", name=name, starts_on=start, ends_on=end)]


def parse_profile(
    context: JsonObject, *, cards: list[JsonObject], groups: list[JsonObject]
) -> RegionProfile:
    """``context`` (+ the children's cards for a parent, the taught groups for a teacher).

    A card's ``parents`` entry whose ``userId`` is the context's user says whether that
    user is the child's legal representative.
    """
    user = context["user"]
    user_id = context["userId"]
    school = context.get("schoolId")
    school_id = None if school is None else str(school)
    roles = set(context["roles"])
    grants: list[RoleGrant] = []
    if "Student" in roles:
        student_id = str(user["students"][0]["id"]) if user.get("students") else str(user_id)
        grants.append(RoleGrant(Role.STUDENT, school_id=school_id, student_id=student_id))
    if "Parent" in roles:
        grants.append(RoleGrant(Role.PARENT, school_id=None))
    parsed_groups = tuple(parse_group(g) for g in groups)
    if "Teacher" in roles:
        grants.append(
            RoleGrant(
                Role.TEACHER, school_id=school_id, group_ids=tuple(g.id for g in parsed_groups)
            )
        )
    if "ClassTeacher" in roles:
        classes = tuple(str(c["id"]) for c in user.get("classes") or ())
        grants.append(RoleGrant(Role.CLASS_TEACHER, school_id=school_id, class_unit_ids=classes))
    if "Administrator" in roles:
        grants.append(RoleGrant(Role.SCHOOL_ADMIN, school_id=school_id))
    children = tuple(
        Child(
            student=parse_student(card),
            is_legal_representative=any(
                p.get("userId") == user_id and bool(p.get("isLegalRepresentative"))
                for p in card.get("parents") or ()
            ),
        )
        for card in cards
    )
    return RegionProfile(
        person=Person(
            id=str(user_id),
            last_name=user["lastName"],
            first_name=user["firstName"],
            middle_name=user.get("middleName") or None,
        ),
        roles=tuple(grants),
        children=children,
        groups=parsed_groups,
    )


# -- marks, homework, attendance -----------------------------------------------------------


def parse_mark_value(native: JsonObject) -> tuple[str, MarkScale, Grade, float | None] | None:
    """A native ``mark`` object → (value, scale, grade, normalized).

    ``None`` when the cell holds no mark (a debt "dot", ``dutyMark`` without a mark).
    """
    value = native.get("mark")
    if value is not None:
        five = int(value)
        if not FIVE_POINT.min <= five <= FIVE_POINT.max:
            raise ValueError(f"mark {five} is off the five-point scale")
        grade = COMMON_TABLE.from_five(float(five))
        return str(five), FIVE_POINT, grade, normalize(grade)
    text = native.get("markText")
    if text:
        return str(text), PASS_FAIL, NO_GRADE, None
    return None


def parse_mark(
    assignment: JsonObject,
    *,
    subject: Subject,
    lesson_date: date,
    types: AssignmentTypes,
    tz: ZoneInfo,
) -> Mark | None:
    """The mark of a marked assignment, or ``None`` if the assignment carries none."""
    native = assignment.get("mark")
    if not native:
        return None
    parsed = parse_mark_value(native)
    if parsed is None:
        return None
    value, scale, grade, normalized = parsed
    comment = assignment.get("markComment")
    weight = assignment.get("weight")
    created = native.get("markDate")
    return Mark(
        id=f"{assignment['id']}:{native['studentId']}",
        student_id=str(native["studentId"]),
        subject=subject,
        value=value,
        scale=scale,
        grade=grade,
        normalized=normalized,
        weight=1.0 if weight is None else float(weight),
        lesson_date=lesson_date,
        is_exam=bool(assignment.get("isExam", False)),
        control_form=types.names.get(int(assignment["typeId"])),
        comment=_optional_text(comment["name"]) if comment else None,
        created_at=parse_local_datetime(created, tz) if created else None,
        lesson_id=str(assignment["classMeetingId"]),
    )


def _attachment(payload: JsonObject, base_url: str | None) -> Attachment:
    attachment_id = payload["id"]
    if not isinstance(attachment_id, int | str):
        raise TypeError("an attachment id is neither an integer nor text")
    path = provider_path("webapi", "attachments", attachment_id)
    url = base_url + path if base_url else None
    return Attachment(name=payload["originalFileName"], url=url)


def parse_homework(
    assignment: JsonObject, *, student_id: str, subject: Subject, base_url: str | None
) -> Homework:
    """A homework assignment; attachment URLs are ``{base_url}/webapi/attachments/{id}``."""
    assigned = assignment.get("assignDate")
    done = assignment.get("isDone")
    return Homework(
        id=str(assignment["id"]),
        student_id=student_id,
        subject=subject,
        text=assignment["assignmentName"],
        due_on=parse_day(assignment["dueDate"]),
        assigned_on=parse_day(assigned) if assigned else None,
        done=None if done is None else bool(done),
        attachments=tuple(_attachment(a, base_url) for a in assignment.get("attachments") or ()),
    )


def parse_homework_detail(payload: JsonObject, *, base_url: str | None) -> Homework:
    """The answer of ``set_assignment_done``: the assignment plus its subject and student."""
    return parse_homework(
        payload,
        student_id=str(payload["studentId"]),
        subject=Subject(id=str(payload["subjectId"]), name=payload["subjectName"]),
        base_url=base_url,
    )


def _absence(code: str, *, student_id: str, day: date, lesson_id: str) -> Absence:
    reason, excused = ATTENDANCE_REASONS.get(code, (code, None))
    return Absence(
        student_id=student_id, date=day, reason=reason, excused=excused, lesson_id=lesson_id
    )


# -- the diary -----------------------------------------------------------------------------


def _subject(lesson: JsonObject) -> Subject:
    return Subject(id=str(lesson["subjectId"]), name=lesson["subjectName"])


def parse_lesson(
    lesson: JsonObject,
    *,
    student_id: str,
    types: AssignmentTypes,
    tz: ZoneInfo,
    base_url: str | None = None,
) -> Lesson:
    """One lesson of a student's diary with its homework, marks and attendance.

    The teacher is the substitute when ``replacement`` is set, else ``teacher``.
    """
    day = parse_day(lesson["day"])
    lesson_id = str(lesson["classmeetingId"])
    subject = _subject(lesson)
    homework: list[Homework] = []
    marks: list[Mark] = []
    for assignment in lesson.get("assignments") or ():
        if int(assignment["typeId"]) in types.homework:
            homework.append(
                parse_homework(
                    assignment, student_id=student_id, subject=subject, base_url=base_url
                )
            )
        mark = parse_mark(assignment, subject=subject, lesson_date=day, types=types, tz=tz)
        if mark is not None:
            marks.append(mark)
    replacement = lesson.get("replacement")
    teacher = replacement["teacher"] if replacement else lesson.get("teacher")
    group = lesson.get("subjectGroup")
    code = lesson.get("attendance")
    return Lesson(
        id=lesson_id,
        date=day,
        number=int(lesson["number"]),
        starts_at=_at(day, lesson["startTime"], tz),
        ends_at=_at(day, lesson["endTime"], tz),
        subject=subject,
        teacher=parse_teacher(teacher) if teacher else None,
        room=_optional_text(lesson.get("room")),
        topic=_optional_text(lesson.get("theme")),
        group_id=str(group["id"]) if group else None,
        cancelled=bool(lesson.get("isCanceled", False)),
        replaced=bool(replacement),
        remote=bool(lesson.get("isDistanceLesson", False)),
        homework=tuple(homework),
        marks=tuple(marks),
        absence=(
            _absence(code, student_id=student_id, day=day, lesson_id=lesson_id) if code else None
        ),
    )


def parse_diary(
    payload: JsonObject,
    *,
    student_id: str,
    types: AssignmentTypes,
    tz: ZoneInfo,
    base_url: str | None = None,
) -> list[Lesson]:
    """``student/diary`` → the student's lessons sorted by (date, number).

    A lesson or assignment sent twice is shown once (:func:`merge_duplicate_lessons`).
    """
    lessons = merge_duplicate_lessons(
        parse_lesson(lesson, student_id=student_id, types=types, tz=tz, base_url=base_url)
        for day in payload["weekDays"]
        for lesson in day["lessons"]
    )
    lessons.sort(key=lambda le: (le.date, le.number))
    return lessons


def parse_changes(
    payload: JsonObject,
    *,
    student_id: str,
    types: AssignmentTypes,
    tz: ZoneInfo,
    since: datetime,
    until: datetime,
) -> list[Change]:
    """New marks (``markDate``) and homework (``assignDate``) after ``since``, newest first.

    The diary also lists homework set for lessons still to come today; a change is news only
    once it has happened, so nothing dated after ``until`` (now) is reported.
    """
    changes: list[Change] = []
    for day in payload["weekDays"]:
        for lesson in day["lessons"]:
            lesson_date = parse_day(lesson["day"])
            subject = _subject(lesson)
            for assignment in lesson.get("assignments") or ():
                mark = parse_mark(
                    assignment, subject=subject, lesson_date=lesson_date, types=types, tz=tz
                )
                if (
                    mark is not None
                    and mark.created_at is not None
                    and since < mark.created_at <= until
                ):
                    changes.append(
                        Change(
                            id=f"mark:{mark.id}",
                            student_id=student_id,
                            kind=ChangeKind.MARK_CREATED,
                            at=mark.created_at,
                            subject_name=subject.name,
                            lesson_date=lesson_date,
                            mark_value=mark.value,
                        )
                    )
                assigned = assignment.get("assignDate")
                if int(assignment["typeId"]) in types.homework and assigned:
                    at = parse_local_datetime(assigned, tz)
                    if since < at <= until:
                        changes.append(
                            Change(
                                id=f"homework:{assignment['id']}",
                                student_id=student_id,
                                kind=ChangeKind.HOMEWORK_CREATED,
                                at=at,
                                subject_name=subject.name,
                                lesson_date=lesson_date,
                                homework_text=assignment["assignmentName"],
                            )
                        )
    changes.sort(key=lambda c: (c.at, c.id), reverse=True)
    return changes


# -- the teacher's side and directories ----------------------------------------------------


def parse_journal(payload: JsonObject, *, types: AssignmentTypes, tz: ZoneInfo) -> Journal:
    """The journal grid of a subject group: students × class meetings, marks, absences."""
    group = parse_group(payload["subjectGroup"])
    lessons: list[JournalLesson] = []
    for meeting in payload["classMeetings"]:
        day = parse_day(meeting["day"])
        lessons.append(
            JournalLesson(
                id=str(meeting["classmeetingId"]),
                date=day,
                number=int(meeting["number"]),
                starts_at=_at(day, meeting["startTime"], tz),
                ends_at=_at(day, meeting["endTime"], tz),
                topic=_optional_text(meeting.get("theme")),
                room=_optional_text(meeting.get("room")),
                cancelled=bool(meeting.get("isCanceled", False)),
            )
        )
    lessons.sort(key=lambda le: (le.date, le.number))
    day_of = {le.id: le.date for le in lessons}
    marks = [
        mark
        for assignment in payload["assignments"]
        if (
            mark := parse_mark(
                assignment,
                subject=group.subject,
                lesson_date=day_of[str(assignment["classMeetingId"])],
                types=types,
                tz=tz,
            )
        )
        is not None
    ]
    absences = [
        _absence(
            entry["attendance"],
            student_id=str(entry["studentId"]),
            day=day_of[str(entry["classmeetingId"])],
            lesson_id=str(entry["classmeetingId"]),
        )
        for entry in payload["attendance"]
    ]
    return Journal(
        group=group,
        students=tuple(parse_student(card) for card in payload["students"]),
        lessons=tuple(lessons),
        marks=tuple(marks),
        absences=tuple(absences),
    )


def parse_bells(payload: JsonObject) -> BellSchedule:
    """``schools/{id}/bells`` → the school's bell schedule."""
    bells = sorted(
        (
            Bell(
                number=int(b["number"]),
                starts=time.fromisoformat(b["startTime"]),
                ends=time.fromisoformat(b["endTime"]),
            )
            for b in payload["bells"]
        ),
        key=lambda b: b.number,
    )
    return BellSchedule(school_id=str(payload["schoolId"]), bells=tuple(bells))


def parse_schools(payload: JsonObject) -> list[School]:
    """The login form's school list (``{items: [{id, name, shortName, addressString}]}``)."""
    return [
        School(
            id=str(item["id"]),
            name=item["name"],
            short_name=item.get("shortName") or None,
            address=item.get("addressString") or None,
        )
        for item in payload["items"]
    ]
