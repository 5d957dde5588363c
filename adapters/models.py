"""The unified diary models every adapter returns.

Frozen, slotted dataclasses with no provider-specific types in them. Identifiers are the
provider's own ids as strings ("native ids"); the schema turns them into opaque global
ids that also carry the region. Dates are ``datetime.date``; instants are timezone-aware
``datetime.datetime`` in the region's zone.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

__all__ = [
    "Absence",
    "AbsenceNotice",
    "AbsenceReason",
    "Attachment",
    "Bell",
    "BellSchedule",
    "Caller",
    "Change",
    "ChangeKind",
    "Child",
    "ClassNotice",
    "ClassUnit",
    "Correspondent",
    "DateRange",
    "Grade",
    "Group",
    "Homework",
    "Journal",
    "JournalLesson",
    "Lesson",
    "LoginMethod",
    "Mark",
    "MarkInput",
    "MarkScale",
    "Meeting",
    "Message",
    "MessageThread",
    "OfficialAverage",
    "Person",
    "ProgressPoint",
    "ProviderSession",
    "RegionProfile",
    "Remark",
    "RemarkKind",
    "Role",
    "RoleGrant",
    "Roster",
    "Rsvp",
    "School",
    "Student",
    "Subject",
    "SubjectProgress",
    "Teacher",
    "Term",
    "Trend",
]


@dataclass(frozen=True, slots=True)
class DateRange:
    """An inclusive range of calendar days."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"date range ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        """Number of calendar days in the range."""
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def dates(self) -> list[date]:
        """Every day of the range, in order."""
        return [self.start + timedelta(days=i) for i in range(self.days)]


class Role(enum.Enum):
    """A role a person holds in a region's diary system."""

    PARENT = "parent"
    STUDENT = "student"
    TEACHER = "teacher"
    CLASS_TEACHER = "class_teacher"
    SCHOOL_ADMIN = "school_admin"


class LoginMethod(enum.Enum):
    """How people sign in to a region's own diary system."""

    NATIONAL_SSO = "national_sso"
    SCHOOL_LOGIN = "school_login"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking, as the adapter needs to know it.

    Attributes:
        person_id: the national person id (the SSO ``sub``), or ``None`` for a student
            signed in with a school login only.
        sso_token: the verified national SSO access token, for providers that exchange it
            for their own token (never logged).
        session: a provider session obtained by a school login, kept server-side.
    """

    person_id: str | None
    sso_token: str | None = field(default=None, repr=False)
    session: ProviderSession | None = field(default=None, repr=False)

    @property
    def scope(self) -> str:
        """A stable identifier of this caller for cache keys and single-flight."""
        if self.person_id is not None:
            return f"p:{self.person_id}"
        if self.session is not None:
            return f"s:{self.session.student_id}"
        return "anonymous"


@dataclass(frozen=True, slots=True)
class ProviderSession:
    """A provider-side session obtained with a school login (never leaves the server)."""

    student_id: str
    token: str = field(repr=False)
    data: tuple[tuple[str, str], ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class Person:
    """A named person (student, parent or member of staff)."""

    id: str
    last_name: str
    first_name: str
    middle_name: str | None = None

    @property
    def full_name(self) -> str:
        """«Фамилия Имя Отчество», as Russian documents write it."""
        parts = [self.last_name, self.first_name, self.middle_name]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class School:
    """A school of the region."""

    id: str
    name: str
    short_name: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class Subject:
    """A school subject."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class Teacher:
    """A teacher, with the subjects they teach where the provider says."""

    id: str
    person: Person
    subject_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClassUnit:
    """A class of students, such as «9-А»."""

    id: str
    school_id: str
    name: str
    level: int | None = None
    class_teacher: Teacher | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """A subject group of a class (the unit a subject teacher teaches)."""

    id: str
    name: str
    subject: Subject
    class_unit_id: str
    school_id: str
    teacher_ids: tuple[str, ...] = ()
    student_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Student:
    """A student as the region's system knows them.

    ``group_ids`` are the subject groups the student is in; they decide which teachers
    relate to the student. ``parent_contacts`` is sensitive and filtered by the policy.
    """

    id: str
    person: Person
    school_id: str
    class_unit_id: str
    class_name: str
    group_ids: tuple[str, ...] = ()
    birth_date: date | None = None
    parent_contacts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Child:
    """A student related to the caller as their parent."""

    student: Student
    is_legal_representative: bool


@dataclass(frozen=True, slots=True)
class RoleGrant:
    """One role a person holds in one school of a region.

    Attributes:
        role: which role.
        school_id: the school it applies to.
        class_unit_ids: for a class teacher, the classes they lead.
        group_ids: for a teacher, the subject groups they teach.
        student_id: for a student, their own student id.
    """

    role: Role
    school_id: str | None = None
    class_unit_ids: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    student_id: str | None = None


@dataclass(frozen=True, slots=True)
class RegionProfile:
    """What a region's system knows about the caller: who, which roles, which children."""

    person: Person
    roles: tuple[RoleGrant, ...]
    children: tuple[Child, ...] = ()
    groups: tuple[Group, ...] = ()


@dataclass(frozen=True, slots=True)
class Roster:
    """The classes, subject groups and students the caller's staff roles reach.

    A class teacher's classes, a teacher's groups (and their classes), a school admin's
    whole school, as the region's system lists them for the caller; empty for families.
    ``students`` are the students of ``classes`` and of ``groups``.
    """

    classes: tuple[ClassUnit, ...] = ()
    groups: tuple[Group, ...] = ()
    students: tuple[Student, ...] = ()


@dataclass(frozen=True, slots=True)
class Term:
    """A period of a school's year (a quarter, trimester or half), as the region states it."""

    id: str
    name: str
    starts_on: date
    ends_on: date

    def __post_init__(self) -> None:
        if self.ends_on < self.starts_on:
            raise ValueError(f"term {self.name} ends before it starts")


@dataclass(frozen=True, slots=True)
class MarkScale:
    """A grading scale: «five» (1–5), «ten» (1–10), «hundred» (0–100) or «pass» (зачёт)."""

    name: str
    min: float
    max: float


@dataclass(frozen=True, slots=True)
class Grade:
    """One mark's value on the three numeric scales, where it has a numeric meaning.

    The provider's own conversion where it gives one, else :data:`adapters.scales.COMMON_TABLE`.
    """

    five: float | None
    ten: float | None
    hundred: float | None


@dataclass(frozen=True, slots=True)
class Mark:
    """A mark as the teacher gave it, with its equivalents on the common scales.

    ``value`` is the original string («5», «9», «87», «зачёт»). ``grade`` holds the
    adapter's conversion (``None`` members where the mark has no numeric meaning) and
    ``normalized`` is always ``grade.hundred / 100`` (:func:`adapters.scales.normalize`;
    ``None`` when there is no hundred-point value).
    """

    id: str
    student_id: str
    subject: Subject
    value: str
    scale: MarkScale
    grade: Grade
    normalized: float | None
    weight: float
    lesson_date: date
    is_exam: bool = False
    control_form: str | None = None
    comment: str | None = None
    created_at: datetime | None = None
    lesson_id: str | None = None


class RemarkKind(enum.Enum):
    """Whether a remark reproaches or praises."""

    REMARK = "remark"
    PRAISE = "praise"


@dataclass(frozen=True, slots=True)
class Remark:
    """A teacher's remark or praise about a student, as the region's system keeps it."""

    id: str
    student_id: str
    day: date
    kind: RemarkKind
    text: str
    author: Teacher | None
    """Who wrote it (the subject teacher of a lesson, or the class teacher)."""
    subject: Subject | None = None
    """The lesson's subject; ``None`` for a remark outside any lesson."""
    lesson_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file attached to homework."""

    name: str
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Homework:
    """Homework set for a lesson."""

    id: str
    student_id: str
    subject: Subject
    text: str
    due_on: date
    assigned_on: date | None = None
    done: bool | None = None
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class Absence:
    """A missed lesson; ``excused`` is ``None`` when the provider does not say."""

    student_id: str
    date: date
    reason: str | None = None
    excused: bool | None = None
    lesson_id: str | None = None


@dataclass(frozen=True, slots=True)
class Lesson:
    """One lesson of a student's day, with everything the diary shows for it.

    ``unscheduled`` marks a holder, not a lesson: records the provider gave for the day
    (homework, marks, an absence) that match no lesson, neither by id nor by date and
    subject. A holder has ``number`` 0 (it sorts first in its day), the records' subject,
    the day's midnight as ``starts_at``/``ends_at`` and an id ending in ``/unscheduled``;
    nothing takes place. The schema shows its records on the diary day
    (``DiaryDay.homeworkWithoutLesson``, ``absencesWithoutLesson``,
    ``marksWithoutLesson``) and in ``Student.absences``, never as a lesson.
    """

    id: str
    date: date
    number: int
    starts_at: datetime
    ends_at: datetime
    subject: Subject
    teacher: Teacher | None = None
    room: str | None = None
    topic: str | None = None
    group_id: str | None = None
    cancelled: bool = False
    replaced: bool = False
    remote: bool = False
    homework: tuple[Homework, ...] = ()
    marks: tuple[Mark, ...] = ()
    absence: Absence | None = None
    unscheduled: bool = False


class Trend(enum.Enum):
    """Which way a subject's marks are going."""

    UP = "up"
    DOWN = "down"
    FLAT = "flat"


@dataclass(frozen=True, slots=True)
class ProgressPoint:
    """One point of a progress chart: the running weighted average after a day's marks."""

    date: date
    average: float


@dataclass(frozen=True, slots=True)
class OfficialAverage:
    """A subject's average as the region's own system states it, for the system's period.

    Never computed by the gateway: ``value`` is the provider's figure on ``scale`` (the
    scale the provider states it on), over the provider's period ``period_name``
    (``starts``–``ends``; any of them ``None`` where the provider does not say).
    """

    value: float
    scale: MarkScale
    period_name: str | None
    starts: date | None
    ends: date | None


@dataclass(frozen=True, slots=True)
class SubjectProgress:
    """Weighted averages of one subject's marks over a period, per scale.

    The averages, trend and series are always the gateway's own calculation over the marks
    returned (:mod:`adapters.progress`); ``official_average`` is the provider's own figure,
    where it states one, kept beside them and never mixed in.
    The normalized average is ``average_hundred / 100``, the rule of ``Mark.normalized``.
    """

    student_id: str
    subject: Subject
    count: int
    average_five: float | None
    average_ten: float | None
    average_hundred: float | None
    trend: Trend
    series: tuple[ProgressPoint, ...] = ()
    official_average: OfficialAverage | None = None
    """The provider's own average for its period (``None``: the provider states none)."""


@dataclass(frozen=True, slots=True)
class Bell:
    """One lesson slot of the school day."""

    number: int
    starts: time
    ends: time


@dataclass(frozen=True, slots=True)
class BellSchedule:
    """The lesson times of a school."""

    school_id: str
    bells: tuple[Bell, ...]


class ChangeKind(enum.Enum):
    """What happened in a feed entry.

    No region's feed reports absences or lesson changes: the ``ABSENCE_*`` and
    ``LESSON_CHANGED`` kinds come from the gateway's diff of a student's diary between two
    polls (``gateway/live``), never from an adapter's ``get_changes``.
    """

    MARK_CREATED = "mark_created"
    MARK_UPDATED = "mark_updated"
    HOMEWORK_CREATED = "homework_created"
    HOMEWORK_UPDATED = "homework_updated"
    ABSENCE_CREATED = "absence_created"
    ABSENCE_UPDATED = "absence_updated"
    ABSENCE_REMOVED = "absence_removed"
    LESSON_CHANGED = "lesson_changed"


@dataclass(frozen=True, slots=True)
class Change:
    """A recent change to a student's diary."""

    id: str
    student_id: str
    kind: ChangeKind
    at: datetime
    subject_name: str
    lesson_date: date | None = None
    mark_value: str | None = None
    previous_mark_value: str | None = None
    homework_text: str | None = None
    lesson_id: str | None = None
    """The lesson concerned, for the diary diff's absence and lesson changes."""


@dataclass(frozen=True, slots=True)
class JournalLesson:
    """A lesson of a group, as a column of the teacher's journal."""

    id: str
    date: date
    number: int
    starts_at: datetime
    ends_at: datetime
    topic: str | None = None
    room: str | None = None
    cancelled: bool = False


@dataclass(frozen=True, slots=True)
class Journal:
    """One group's journal over a range: students × lessons with marks and absences."""

    group: Group
    students: tuple[Student, ...]
    lessons: tuple[JournalLesson, ...]
    marks: tuple[Mark, ...]
    absences: tuple[Absence, ...]


# -- the diary's two-way half: messages, notices, meetings, absence notices, marks ---------


@dataclass(frozen=True, slots=True)
class Correspondent:
    """Someone a message can go to or come from: a teacher, class teacher, admin or parent.

    ``role`` is what they are to the caller (``teacher``, ``class_teacher``, ``admin``,
    ``parent``); ``subject_names`` the subjects they teach the caller's children, where the
    provider says.
    """

    id: str
    person: Person
    role: str
    subject_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a thread. ``read_at`` is when every recipient had read it (``None``:
    not yet, or the provider does not say); ``read_by`` the recipients who have."""

    id: str
    thread_id: str
    author: Correspondent
    sent_at: datetime
    text: str
    attachments: tuple[Attachment, ...] = ()
    read_at: datetime | None = None
    read_by: tuple[str, ...] = ()
    is_own: bool = False
    """Whether the caller wrote it."""
    is_read: bool = True
    """Whether the caller has read it (their own messages count as read)."""


@dataclass(frozen=True, slots=True)
class MessageThread:
    """A conversation between a legal representative and a teacher (or the class teacher)."""

    id: str
    subject: str
    participants: tuple[Correspondent, ...]
    last_message_at: datetime
    unread: int = 0
    """Messages the caller has not read."""
    student_id: str | None = None
    """The child the conversation is about, where the provider records it."""


@dataclass(frozen=True, slots=True)
class ClassNotice:
    """A class teacher's notice to every family of a class."""

    id: str
    class_id: str
    author: Correspondent
    posted_at: datetime
    title: str
    text: str
    attachments: tuple[Attachment, ...] = ()


class Rsvp(enum.Enum):
    """A parent's answer to a meeting invitation."""

    ATTENDING = "attending"
    NOT_ATTENDING = "not_attending"
    MAYBE = "maybe"


@dataclass(frozen=True, slots=True)
class Meeting:
    """A parent meeting of a class: when, where (a place or a link), what about; and the
    caller's answer (``None``: not given yet)."""

    id: str
    class_id: str
    title: str
    starts_at: datetime
    ends_at: datetime | None = None
    place: str | None = None
    link: str | None = None
    agenda: tuple[str, ...] = ()
    organizer: Correspondent | None = None
    rsvp: Rsvp | None = None


@dataclass(frozen=True, slots=True)
class AbsenceReason:
    """A reason from the region's list (illness, family circumstances…)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class AbsenceNotice:
    """A legal representative's advance notice that a student will miss ``days``."""

    id: str
    student_id: str
    days: DateRange
    reason: AbsenceReason
    comment: str | None = None
    created_at: datetime | None = None
    author_id: str | None = None
    """The person id of the representative who sent it."""


@dataclass(frozen=True, slots=True)
class MarkInput:
    """A mark as a teacher enters or corrects it: ``value`` on the scale the provider keeps
    for the lesson (a five-point «4», a ten-point «9»), checked by the provider."""

    value: str
    weight: int = 1
    comment: str | None = None
    control_form: str | None = None
    is_exam: bool = False
