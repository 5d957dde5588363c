"""The demo world in ЭлЖур's native JSON shapes, one method per API method.

:class:`ElJurData` renders an :class:`diary_gateway_demo.seed.World` the way ЭлЖур's API v1.4 /
apiv3 answers (``/work/shared/reference/regional-diary-apis.md`` §4): methods named after
the real ones (``auth``, ``getrules``, ``getdiary``, ``getmarks``, …) take the query
parameters as keyword strings and return the envelope
``{"response": {"state": 200, "error": null, "result": {…}}}``; a refusal keeps the
envelope with a non-200 ``state``, an ``error`` string and ``result: {}``:

* 400 — bad parameters or a wrong ``devkey`` («не удалось авторизовать разработчика»);
* 401 — missing, unknown or revoked ``auth_token``;
* 403 — wrong login or password at ``auth``; a student, group or journal the user may
  not see; a token used with another ``vendor`` than the one it was issued for;
* 404 — no such student or group in the vendor's school.

* 422 — (ours) a write the provider's validation refuses (an empty or too long message,
  a bad meeting answer, a meeting already begun); the envelope adds ``field``, the
  parameter at fault.

Messages (``getmessages``, ``getmessageinfo``, ``getmessagereceivers``, ``sendmessage``,
``sendreplymessage``) and board notices (``getboardnotices``, ``getboardnoticeinfo``) are
ЭлЖур's methods; what their answers carry beyond the reference is ours: list entries name
``user_to``, ``replyto`` (the message answered) and ``thread`` (the first message of the
reply chain: ЭлЖур has no thread object); ``getmessageinfo`` takes ``markread=no`` to look
without marking read and shows the sender each recipient's ``read_date``; ``sendmessage``
takes ``users_to`` comma-separated and answers the message sent; ``getboardnotices`` takes
``student`` to keep that student's class. **Parent meetings are ours** (not in ЭлЖур's
public API), named in its manner: ``getmeetings`` (``student``) and ``setmeetingresponse``
(``id``, ``response=yes|no|maybe``). Who may write to whom: a parent or student to the
teachers, class teacher and administrator of their (children's) classes; a teacher to the
parents of the classes they teach or lead, and to their administrator; an administrator to
the school's teachers and parents. Seeded: a reply chain between the canonical student's
class teacher and the ``parent`` persona and a message from the ``teacher`` persona (days
before ``world.today``), three notices per class, and per class a parent meeting 8–14 days
back, one 7–13 days ahead and an online one four weeks later, so there is always a past and
a future one. Sent messages, read marks and answers live in memory until
``/__admin/reset``.

:mod:`.app` serves them over HTTP. What the reference does not say and this emulator
chose is listed in the package README.
"""

from __future__ import annotations

import json
import re
import secrets
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

from diary_gateway_demo.emulation import PersonaTokens
from diary_gateway_demo.seed import (
    SeedAbsence,
    SeedGroup,
    SeedHomework,
    SeedLesson,
    SeedMark,
    SeedPerson,
    SeedSchool,
    SeedStudent,
    World,
    school_year_start,
)

__all__ = ["ElJurData", "Envelope", "admin_user_id", "parent_user_id", "ten_point_value"]

Envelope = dict[str, Any]
"""``{"response": {"state", "error", "result"}}``."""

WEEKDAYS = ("Понедельник", "Вторник", "Среда", "Четверг", "Пятница", "Суббота", "Воскресенье")
TOKEN_LIFETIME = timedelta(days=90)
MAX_DAYS = 400
"""The longest ``days`` range one call accepts."""
MAX_BALLS = 10
"""The region grades on a ten-point scale (``balls`` of the class relation)."""

PASS_VALUE = "зч"  # noqa: S105 -- a pass mark («зачёт»), not a password
"""How a «зачёт» is written in the journal."""
ABSENT_UNEXCUSED = "н"
ABSENT_EXCUSED = "Н"

CONTROL_SHORT = {
    "Ответ на уроке": "ОУ",
    "Самостоятельная работа": "СР",
    "Домашняя работа": "ДЗ",
    "Контрольная работа": "КР",
    "Диктант": "Д",
}
CONTROL_TYPE_IDS = {name: i for i, name in enumerate(CONTROL_SHORT, start=1)}

_SPREAD = {5: (9, 10), 4: (7, 8), 3: (5, 6), 2: (3, 4), 1: (1, 2)}
"""Five-point quality → the two ten-point values a teacher may give for it."""

SHORT_TEXT = 100
"""How much of a text a list entry (``short_text``) carries."""
MAX_MESSAGE = 10_000
"""The longest message text ``sendmessage`` takes (ours)."""
MAX_SUBJECT = 200

_RECEIVER_ROLES = ("class_teacher", "teacher", "admin", "parent")
"""What a receiver is to the caller, the strongest first."""
_RECEIVER_GROUPS = {
    "class_teacher": ("classteachers", "Классные руководители"),
    "teacher": ("teachers", "Учителя"),
    "admin": ("administration", "Администрация"),
    "parent": ("parents", "Родители"),
}
_SEED_TEXTS = (
    "Добрый день! В пятницу класс идёт в музей, нужна подпись в согласии.",
    "Здравствуйте! Подпишу и передам в четверг.",
    "Спасибо, жду.",
    "Напоминаю, что в среду контрольная работа по пройденной теме.",
)
_NOTICES = (
    (1, 18, "Сменная обувь", "Уважаемые родители {cls}! Напоминаю о сменной обуви."),
    (8, 17, "Фотографирование", "В {cls} на следующей неделе будет фотографирование класса."),
    (20, 12, "Дежурство", "График дежурства {cls} обновлён, смотрите в классном уголке."),
)
"""(days before today, hour, title, text) of each class teacher's notices."""
_AGENDA = ("Итоги четверти", "Подготовка к экскурсии", "Разное")

_BAD_LOGIN = "Неверный логин или пароль"
_BAD_TOKEN = "Ошибка авторизации: токен недействителен или истёк"  # noqa: S105 -- a message
_BAD_DEVKEY = "не удалось авторизовать разработчика"
_NO_STUDENT = "Ученик не найден"
_NO_ACCESS = "Нет доступа к данным ученика"


def admin_user_id(school_id: int) -> int:
    """The ЭлЖур user id of a school's administrator."""
    return school_id * 10 + 9


def parent_user_id(world: World, key: str) -> int:
    """The ЭлЖур user id of a parent, from the parent's person key."""
    if key == "parent":
        return world.base + 90_001
    if key == "parent-not-representative":
        return world.base + 90_002
    return int(key.removeprefix("p")) * 10 + 7


def ten_point_value(world: World, mark: SeedMark) -> int | None:
    """A world mark as the ten-point value the teacher wrote (``None``: «зачёт»).

    The canonical week's marks are exactly twice their five-point quality; other marks
    spread to the odd value of the pair too, chosen from the mark id.
    """
    if mark.five is None:
        return None
    if mark.student_id == world.canonical_student_id and world.in_canonical_week(mark.day):
        return 2 * mark.five
    low, high = _SPREAD[mark.five]
    return high if zlib.crc32(str(mark.id).encode()) % 2 == 0 else low


class _Fail(Exception):
    """A refusal, rendered as an error envelope (``field``: the parameter a 422 refuses)."""

    def __init__(self, state: int, error: str, *, field: str | None = None) -> None:
        super().__init__(error)
        self.state = state
        self.error = error
        self.field = field


@dataclass(slots=True)
class _Message:
    """A message as the emulator keeps it (``root``: the first message of its reply chain)."""

    id: int
    root: int
    replyto: int | None
    author: int
    recipients: tuple[int, ...]
    subject: str
    text: str
    sent_at: datetime
    school_id: int
    read: dict[int, datetime] = field(default_factory=dict)
    """Recipient → when they read it."""
    files: tuple[tuple[str, str], ...] = ()
    """Linked files: (name, link)."""


@dataclass(frozen=True, slots=True)
class _User:
    """An ЭлЖур account: who, with which roles, in which schools."""

    id: int
    key: str
    person: SeedPerson | None
    roles: tuple[str, ...]
    school_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Token:
    user_id: int
    school_id: int | None
    """The school of the vendor the token was issued for (``None``: the regional vendor)."""
    expires: datetime


def _fmt_dt(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _fmt_time(value: time) -> str:
    return value.strftime("%H:%M:%S")


def _day_key(day: date) -> str:
    return day.strftime("%Y%m%d")


def _full_name(person: SeedPerson) -> str:
    return f"{person.last_name} {person.first_name} {person.middle_name}"


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "yes", "true", "y", "on")


class ElJurData:
    """The demo world behind ЭлЖур's API methods. See the module docstring."""

    def __init__(
        self,
        world: World,
        *,
        vendor: str = "demo",
        devkey: str = "demo-devkey",
    ) -> None:
        self.world = world
        self.vendor = vendor
        self.devkey = devkey
        self._tokens: PersonaTokens[_Token] = PersonaTokens(
            lifetime=TOKEN_LIFETIME.total_seconds(), clock=world.clock
        )
        self._issued: dict[tuple[int, int | None], str] = {}
        self._schools = {school.id: school for school in world.schools}
        self._vendors = {school.login_code: school.id for school in world.schools}
        self._users: dict[int, _User] = {}
        self._users_by_key: dict[str, _User] = {}
        self._students_by_login = {s.login: s for s in world.students.values()}
        self._build_users()
        self._seed_conversation()

    # -- accounts ----------------------------------------------------------------------

    def _add_user(self, user: _User) -> None:
        self._users[user.id] = user
        self._users_by_key[user.key] = user

    def _build_users(self) -> None:
        world = self.world
        for student in world.students.values():
            self._add_user(
                _User(
                    student.id,
                    student.person.key,
                    student.person,
                    ("student",),
                    (student.school_id,),
                )
            )
        leaders = {c.class_teacher_id for c in world.classes.values()}
        for teacher in world.teachers.values():
            roles = ("teacher", "hometeacher") if teacher.id in leaders else ("teacher",)
            self._add_user(
                _User(teacher.id, teacher.person.key, teacher.person, roles, (teacher.school_id,))
            )
        for school_id, admin in world.admins.items():
            self._add_user(
                _User(admin_user_id(school_id), admin.key, admin, ("administrator",), (school_id,))
            )
        parents: dict[str, set[int]] = {}
        for student in world.students.values():
            for key, _legal in student.parents:
                parents.setdefault(key, set()).add(student.school_id)
        for key, schools in parents.items():
            self._add_user(
                _User(
                    parent_user_id(world, key),
                    key,
                    world.parents.get(key),
                    ("parent",),
                    tuple(sorted(schools)),
                )
            )

    def expire_tokens(self) -> None:
        """Revoke every token issued so far (as if they had all expired)."""
        self._tokens.clear()
        self._issued.clear()

    def _issue(self, user: _User, school_id: int | None) -> tuple[str, _Token]:
        existing = self._issued.get((user.id, school_id))
        live = self._tokens.resolve(existing) if existing is not None else None
        if existing is not None and live is not None:
            return existing, live  # ЭлЖур hands out the same token until it expires
        info = _Token(user.id, school_id, self.world.now() + TOKEN_LIFETIME)
        token = self._tokens.issue(info)
        self._issued[(user.id, school_id)] = token
        return token, info

    # -- the envelope ------------------------------------------------------------------

    @staticmethod
    def _serve(build: Callable[[], dict[str, Any]]) -> Envelope:
        try:
            envelope: dict[str, Any] = {"state": 200, "error": None, "result": build()}
        except _Fail as fail:
            envelope = {"state": fail.state, "error": fail.error, "result": {}}
            if fail.field is not None:
                envelope["field"] = fail.field
        return {"response": envelope}

    def _check_devkey(self, devkey: str) -> None:
        if devkey != self.devkey:
            raise _Fail(400, _BAD_DEVKEY)

    def _resolve_vendor(self, vendor: str) -> int | None:
        """The school a vendor names (``None``: the regional vendor)."""
        if vendor == self.vendor:
            return None
        if vendor in self._vendors:
            return self._vendors[vendor]
        if vendor.isdigit() and int(vendor) in self._schools:
            return int(vendor)
        raise _Fail(400, "Неизвестная организация (vendor)")

    def _authorize(self, devkey: str, vendor: str, auth_token: str) -> tuple[_User, _Token]:
        self._check_devkey(devkey)
        school_id = self._resolve_vendor(vendor)
        token = self._tokens.resolve(auth_token)
        if token is None:
            raise _Fail(401, _BAD_TOKEN)
        if token.school_id != school_id:
            raise _Fail(403, "Токен выдан для другой организации")
        return self._users[token.user_id], token

    def _vendor_of(self, school_id: int) -> str:
        return self._schools[school_id].login_code

    # -- access rules ------------------------------------------------------------------

    def _student(self, token: _Token, raw_id: str) -> SeedStudent:
        student = self.world.students.get(int(raw_id)) if raw_id.strip().isdigit() else None
        if student is None or (
            token.school_id is not None and student.school_id != token.school_id
        ):
            raise _Fail(404, _NO_STUDENT)
        return student

    def _teaches_class(self, user: _User, class_id: int) -> bool:
        return any(g.teacher_id == user.id for g in self.world.groups_of_class(class_id))

    def _may_read(self, user: _User, student: SeedStudent) -> bool:
        if user.id == student.id:
            return True
        if "parent" in user.roles and any(key == user.key for key, _ in student.parents):
            return True
        if student.school_id not in user.school_ids:
            return False
        if "administrator" in user.roles:
            return True
        leader = self.world.classes[student.class_id].class_teacher_id == user.id
        if "hometeacher" in user.roles and leader:
            return True
        return "teacher" in user.roles and self._teaches_class(user, student.class_id)

    def _readable_student(
        self, devkey: str, vendor: str, auth_token: str, raw_id: str
    ) -> SeedStudent:
        user, token = self._authorize(devkey, vendor, auth_token)
        student = self._student(token, raw_id)
        if not self._may_read(user, student):
            raise _Fail(403, _NO_ACCESS)
        return student

    def _may_keep_journal(self, user: _User, group: SeedGroup) -> bool:
        if group.school_id not in user.school_ids:
            return False
        if "administrator" in user.roles:
            return True
        if (
            "hometeacher" in user.roles
            and self.world.classes[group.class_id].class_teacher_id == user.id
        ):
            return True
        return "teacher" in user.roles and group.teacher_id == user.id

    # -- parameters --------------------------------------------------------------------

    @staticmethod
    def _days(value: str) -> list[date]:
        try:
            first, _, last = value.partition("-")
            start = datetime.strptime(first.strip(), "%Y%m%d").date()
            end = datetime.strptime(last.strip(), "%Y%m%d").date() if last else start
        except ValueError:
            raise _Fail(400, "Неверный формат параметра days (YYYYMMDD-YYYYMMDD)") from None
        if end < start or (end - start).days >= MAX_DAYS:
            raise _Fail(400, "Недопустимый период days")
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]

    @staticmethod
    def _int(value: str, name: str, *, low: int, high: int) -> int:
        try:
            number = int(value)
        except ValueError:
            raise _Fail(400, f"Неверный параметр {name}") from None
        if not low <= number <= high:
            raise _Fail(400, f"Неверный параметр {name}")
        return number

    # -- rendering ---------------------------------------------------------------------

    def _student_card(self, student: SeedStudent) -> dict[str, Any]:
        person = student.person
        cls = self.world.classes[student.class_id]
        return {
            "name": str(student.id),
            "title": f"{person.last_name} {person.first_name}",
            "lastname": person.last_name,
            "firstname": person.first_name,
            "middlename": person.middle_name,
            "gender": person.sex,
            "class": cls.name,
            "class_id": str(cls.id),
            "parallel": cls.level,
            "vendor_id": student.school_id,
            "city": "",
        }

    def _teacher_name(self, teacher_id: int) -> str:
        return _full_name(self.world.teachers[teacher_id].person)

    def _assessment(self, mark: SeedMark, nm: int) -> dict[str, Any]:
        ten = ten_point_value(self.world, mark)
        value = PASS_VALUE if ten is None else str(ten)
        return {
            "id": str(mark.id),
            "value": value,
            "weight": mark.weight,
            "weight_float": float(mark.weight),
            "convert": 0 if ten is None else ten,
            "count": ten is not None,
            "countas": "0" if ten is None else value,
            "date": mark.day.isoformat(),
            "comment": mark.comment or "",
            "nm": str(nm),
            "lesson_id": str(mark.lesson_id),
            "control_type": mark.control_form,
            "control_type_short": CONTROL_SHORT.get(mark.control_form, ""),
            "is_exam": mark.is_exam,
            "created": _fmt_dt(mark.created_at),
            "color_hex": None,
        }

    @staticmethod
    def _absent(absence: SeedAbsence, nm: int) -> dict[str, Any]:
        return {
            "value": ABSENT_EXCUSED if absence.excused else ABSENT_UNEXCUSED,
            "comment": absence.reason,
            "convert": 0,
            "count": False,
            "countas": 0,
            "date": absence.day.isoformat(),
            "nm": str(nm),
            "lesson_id": str(absence.lesson_id),
            "color_hex": None,
        }

    def _assessments(
        self, lesson: SeedLesson, marks: Iterable[SeedMark], absences: Iterable[SeedAbsence]
    ) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for absence in absences:
            if absence.lesson_id == lesson.id:
                entries.append(self._absent(absence, len(entries) + 1))
        for mark in marks:
            if mark.lesson_id == lesson.id:
                entries.append(self._assessment(mark, len(entries) + 1))
        return entries

    def _file_link(self, school_id: int, homework: SeedHomework, name: str) -> str:
        return (
            f"https://{self._vendor_of(school_id)}.eljur.example/files/{homework.id}/{quote(name)}"
        )

    def _homework(
        self, homework: Iterable[SeedHomework], school_id: int
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        entries: dict[str, Any] = {}
        files: list[dict[str, Any]] = []
        for item in homework:
            entries[str(item.id)] = {
                "id": item.id,
                "value": item.text,
                "individual": False,
                "deadline": item.due_on.isoformat(),
            }
            for name in item.attachments:
                files.append(
                    {
                        "filename": name,
                        "link": self._file_link(school_id, item, name),
                        "toid": item.id,
                    }
                )
        return entries, files

    def _lesson_item(
        self,
        lesson: SeedLesson,
        *,
        rings: bool,
        assessments: list[dict[str, Any]],
        homework: list[SeedHomework],
        control: bool,
    ) -> dict[str, Any]:
        school_id = self.world.classes[lesson.class_id].school_id
        entries, files = self._homework(
            (h for h in homework if h.lesson_id == lesson.id), school_id
        )
        item: dict[str, Any] = {
            "num": str(lesson.number),
            "name": lesson.subject,
            "subject_id": str(lesson.subject_id),
            "room": lesson.room,
            "teacher": self._teacher_name(lesson.teacher_id),
            "teacher_id": str(lesson.teacher_id),
            "topic": lesson.topic,
            "sort": lesson.number * 100,
            "lesson_id": str(lesson.id),
            "grp": lesson.subject,
            "grp_id": str(lesson.group_id),
            "is_control": control,
            "is_cancelled": lesson.cancelled,
            "is_replaced": lesson.replaced,
            "is_distant": lesson.remote,
            "homework": entries,
            "files": files,
            "resources": [],
        }
        if rings:
            starts, ends = lesson.starts, lesson.ends
            item["starttime"] = _fmt_time(starts)
            item["endtime"] = _fmt_time(ends)
        if assessments:
            item["assessments"] = assessments
        return item

    def _diary_days(self, student: SeedStudent, days: list[date], rings: bool) -> dict[str, Any]:
        world = self.world
        rendered: dict[str, Any] = {}
        for day in days:
            lessons = world.lessons(student.class_id, day)
            if not lessons:
                continue
            class_marks = world.marks(student.class_id, day)
            marks = [m for m in class_marks if m.student_id == student.id]
            absences = [
                a for a in world.absences(student.class_id, day) if a.student_id == student.id
            ]
            homework = list(world.homework(student.class_id, day))
            items: dict[str, Any] = {}
            for lesson in lessons:
                items[str(lesson.number)] = self._lesson_item(
                    lesson,
                    rings=rings,
                    assessments=self._assessments(lesson, marks, absences),
                    homework=homework,
                    control=any(
                        m.lesson_id == lesson.id and m.control_form == "Контрольная работа"
                        for m in class_marks
                    ),
                )
            rendered[_day_key(day)] = {
                "name": _day_key(day),
                "title": WEEKDAYS[day.weekday()],
                "items": items,
            }
        return rendered

    def _by_student(self, student: SeedStudent, **fields: Any) -> dict[str, Any]:
        person = student.person
        return {
            "students": {
                str(student.id): {
                    "name": str(student.id),
                    "title": f"{person.last_name} {person.first_name}",
                    **fields,
                }
            }
        }

    # -- public directory --------------------------------------------------------------

    def _school_card(self, school: SeedSchool) -> dict[str, Any]:
        # the school's number alone: «... школа № 25» г. Сыктывкара» -> "25"
        number = re.search(r"№\s*(\d+)", school.name)
        return {
            "vendor": school.login_code,
            "vendor_id": school.id,
            "number": number.group(1) if number else "",
            "title": school.name,
            "title_full": school.short_name,
            "address": school.address,
        }

    def getschools(self, *, devkey: str, vendor: str, value: str = "") -> Envelope:
        """The region's schools (``/api/schools/mobileapp``), optionally filtered by ``value``."""

        def build() -> dict[str, Any]:
            self._check_devkey(devkey)
            self._resolve_vendor(vendor)
            needle = value.strip().lower()
            return {
                "schools": [
                    self._school_card(s)
                    for s in self.world.schools
                    if needle in s.name.lower() or needle in s.short_name.lower()
                ]
            }

        return self._serve(build)

    def getrings(self, *, devkey: str, vendor: str) -> Envelope:
        """A school's bells: ``rings[{num, starttime, endtime}]`` (no token needed)."""

        def build() -> dict[str, Any]:
            self._check_devkey(devkey)
            try:
                school_id = self._resolve_vendor(vendor)
            except _Fail:
                raise _Fail(404, "Организация не найдена") from None
            if school_id is None:
                raise _Fail(400, "Укажите vendor школы")
            return {
                "vendor_id": school_id,
                "rings": [
                    {"num": str(n), "starttime": _fmt_time(s), "endtime": _fmt_time(e)}
                    for n, s, e in self.world.bells(school_id)
                ],
            }

        return self._serve(build)

    # -- sign-in -----------------------------------------------------------------------

    def auth(
        self, *, login: str, password: str, vendor: str, devkey: str, out_format: str = "json"
    ) -> Envelope:
        """Sign in with an ЭлЖур login: ``result{token, expires "YYYY-MM-DD hh:mm:ss"}``.

        A wrong login, a wrong password, a login of another school or an unknown vendor
        all answer ``state`` 403 «Неверный логин или пароль».
        """

        def build() -> dict[str, Any]:
            self._check_devkey(devkey)
            try:
                school_id = self._resolve_vendor(vendor)
            except _Fail:
                raise _Fail(403, _BAD_LOGIN) from None
            student = self._students_by_login.get(login)
            if (
                student is None
                or not secrets.compare_digest(student.password.encode(), password.encode())
                or (school_id is not None and student.school_id != school_id)
            ):
                raise _Fail(403, _BAD_LOGIN)
            token, info = self._issue(self._users[student.id], school_id)
            return {"token": token, "expires": _fmt_dt(info.expires)}

        return self._serve(build)

    def getusersvendors(self, *, devkey: str, vendor: str, v_token: str) -> Envelope:
        """The ЕСИА exchange: one ЭлЖур token per school of the person.

        ``v_token`` is, in this mock, the national person id (the ЕСИА ``sub``) that the
        gateway has already verified. A person the region does not know gets an empty
        ``vendors`` list.
        """

        def build() -> dict[str, Any]:
            self._check_devkey(devkey)
            self._resolve_vendor(vendor)
            person = self.world.people_by_national_id().get(v_token)
            if person is None:
                return {"vendors": []}
            user = self._users_by_key[person.key]
            vendors: list[dict[str, Any]] = []
            for school_id in user.school_ids:
                school = self._schools[school_id]
                token, info = self._issue(user, school_id)
                student = self.world.students.get(user.id)
                vendors.append(
                    {
                        "vendor": school.login_code,
                        "vendor_id": str(school.id),
                        "vendor_title": school.name,
                        "token": token,
                        "expires": _fmt_dt(info.expires),
                        "login": student.login if student is not None else "",
                        "user_title": f"{person.first_name} {person.last_name}",
                    }
                )
            return {"vendors": vendors}

        return self._serve(build)

    # -- who am I ----------------------------------------------------------------------

    def _class_relation(self, user: _User, class_id: int, lead: bool) -> dict[str, Any]:
        world = self.world
        cls = world.classes[class_id]
        leader = world.teachers[cls.class_teacher_id].person
        students = [str(s.id) for s in world.class_students(class_id)]
        admin = "administrator" in user.roles and cls.school_id in user.school_ids
        taught = [g for g in world.groups_of_class(class_id) if admin or g.teacher_id == user.id]
        return {
            "name": cls.name,
            "id": str(cls.id),
            "parallel": cls.level,
            "rel": "hometeacher" if lead else "teacher" if not admin else "administrator",
            "hometeacher_id": str(cls.class_teacher_id),
            "hometeacher_name": _full_name(leader),
            "hometeacher_lastname": leader.last_name,
            "hometeacher_firstname": leader.first_name,
            "hometeacher_middlename": leader.middle_name,
            "balls": MAX_BALLS,
            "rules": ["journal", "diary"],
            "vendor_id": cls.school_id,
            "students": students,
            "subjects": [
                {
                    "id": str(g.id),
                    "name": g.subject,
                    "subject_id": str(g.subject_id),
                    "teacher_id": str(g.teacher_id),
                    "students": students,
                }
                for g in taught
            ],
        }

    def getrules(self, *, devkey: str, vendor: str, auth_token: str) -> Envelope:
        """Who the token's user is: roles, related students, classes and schools."""

        def build() -> dict[str, Any]:
            user, token = self._authorize(devkey, vendor, auth_token)
            world = self.world
            schools = [token.school_id] if token.school_id is not None else list(user.school_ids)
            students: dict[str, Any] = {}
            groups: dict[str, Any] = {}
            if "student" in user.roles:
                students[str(user.id)] = {
                    **self._student_card(world.students[user.id]),
                    "rel": "self",
                    "rules": ["diary", "marks", "homework"],
                }
            if "parent" in user.roles:
                for child, legal in world.children_of(user.key):
                    if child.school_id in schools:
                        students[str(child.id)] = {
                            **self._student_card(child),
                            "rel": "child" if legal else "relative",
                            "rules": ["diary", "marks", "homework"],
                        }
            staff = {"teacher", "hometeacher", "administrator"} & set(user.roles)
            if staff:
                for cls in world.classes.values():
                    if cls.school_id not in schools:
                        continue
                    lead = cls.class_teacher_id == user.id
                    admin = "administrator" in user.roles
                    if admin or lead or self._teaches_class(user, cls.id):
                        groups[cls.name] = self._class_relation(user, cls.id, lead)
            person = user.person
            vendor_id = token.school_id if token.school_id is not None else user.school_ids[0]
            return {
                "id": user.id,
                "name": str(user.id),
                "title": _full_name(person) if person is not None else "",
                "lastname": person.last_name if person is not None else "",
                "firstname": person.first_name if person is not None else "",
                "middlename": person.middle_name if person is not None else "",
                "gender": person.sex if person is not None else "",
                "email": person.email if person is not None else "",
                "roles": list(user.roles),
                "relations": {
                    "students": students,
                    "groups": groups,
                    "schools": [self._school_card(self._schools[s]) for s in schools],
                },
                "vendor": vendor,
                "vendor_id": vendor_id,
                "vuid": f"{vendor_id}#{user.id}",
                "regionCode": world.region,
            }

        return self._serve(build)

    def getprofile(self, *, devkey: str, vendor: str, auth_token: str, student: str) -> Envelope:
        """One student's card: class, birthday, subject groups and parents' contacts."""

        def build() -> dict[str, Any]:
            seed = self._readable_student(devkey, vendor, auth_token, student)
            world = self.world
            parents: list[dict[str, Any]] = []
            for key, legal in seed.parents:
                parent = world.parents.get(key)
                parents.append(
                    {
                        "name": str(parent_user_id(world, key)),
                        "title": _full_name(parent) if parent is not None else "",
                        "phone": parent.phone if parent is not None else "",
                        "email": parent.email if parent is not None else f"{key}@example.test",
                        "rel": "parent" if legal else "relative",
                    }
                )
            card = {
                **self._student_card(seed),
                "title": _full_name(seed.person),
                "birthday": seed.person.birth_date.isoformat(),
                "groups": [
                    {"id": str(g.id), "name": g.subject, "subject_id": str(g.subject_id)}
                    for g in world.groups_of_class(seed.class_id)
                ],
                "parents": parents,
            }
            return {"students": {str(seed.id): card}}

        return self._serve(build)

    # -- the diary ---------------------------------------------------------------------

    def getdiary(
        self,
        *,
        devkey: str,
        vendor: str,
        auth_token: str,
        student: str,
        days: str,
        rings: str = "no",
    ) -> Envelope:
        """``students{id}.days{YYYYMMDD}{name, title, items{num: lesson}}``."""

        def build() -> dict[str, Any]:
            seed = self._readable_student(devkey, vendor, auth_token, student)
            return self._by_student(
                seed, days=self._diary_days(seed, self._days(days), _flag(rings))
            )

        return self._serve(build)

    def getmarks(
        self, *, devkey: str, vendor: str, auth_token: str, student: str, days: str
    ) -> Envelope:
        """``students{id}.lessons[{name, lesson_id, average, averageConvert, marks[]}]``.

        ``lesson_id`` of a subject entry is the subject's id; a mark's ``lesson_id`` is
        the lesson's. Absences («н», «Н») are in ``marks`` too.
        """

        def build() -> dict[str, Any]:
            seed = self._readable_student(devkey, vendor, auth_token, student)
            world = self.world
            subjects: dict[str, dict[str, Any]] = {}
            for day in self._days(days):
                lessons = world.lessons(seed.class_id, day)
                marks = [m for m in world.marks(seed.class_id, day) if m.student_id == seed.id]
                absences = [
                    a for a in world.absences(seed.class_id, day) if a.student_id == seed.id
                ]
                for lesson in lessons:
                    entries = self._assessments(lesson, marks, absences)
                    if not entries:
                        continue
                    subject = subjects.setdefault(
                        lesson.subject,
                        {
                            "name": lesson.subject,
                            "lesson_id": str(lesson.subject_id),
                            "color_hex": None,
                            "marks": [],
                        },
                    )
                    for entry in entries:
                        entry["lesson_comment"] = None
                        entry["max_mark"] = MAX_BALLS
                        if "control_type" in entry:
                            control = entry.pop("control_type")
                            entry["mtype"] = {
                                "id": CONTROL_TYPE_IDS.get(control, 0),
                                "short": entry.pop("control_type_short"),
                                "type": control,
                            }
                        subject["marks"].append(entry)
            lessons_out: list[dict[str, Any]] = []
            for name in sorted(subjects):
                subject = subjects[name]
                counted = [(m["convert"], m["weight"]) for m in subject["marks"] if m["count"]]
                weights = sum(w for _, w in counted)
                average = sum(v * w for v, w in counted) / weights if weights else 0.0
                subject["average"] = f"{average:.2f}"
                subject["averageConvert"] = round(average, 2)
                lessons_out.append(subject)
            return self._by_student(seed, lessons=lessons_out)

        return self._serve(build)

    def gethomework(
        self, *, devkey: str, vendor: str, auth_token: str, student: str, days: str
    ) -> Envelope:
        """``students{id}.days{YYYYMMDD}.items{subject}{name, homework{id: {…}}, files[]}``.

        Keyed by the day the homework is due, as ЭлЖур's homework list is.
        """

        def build() -> dict[str, Any]:
            seed = self._readable_student(devkey, vendor, auth_token, student)
            wanted = self._days(days)
            first, last = wanted[0], wanted[-1]
            rendered: dict[str, Any] = {}
            day = first - timedelta(days=14)
            while day <= last:
                for item in self.world.homework(seed.class_id, day):
                    if not first <= item.due_on <= last:
                        continue
                    key = _day_key(item.due_on)
                    entry = rendered.setdefault(
                        key,
                        {"name": key, "title": WEEKDAYS[item.due_on.weekday()], "items": {}},
                    )
                    subject = entry["items"].setdefault(
                        item.subject, {"name": item.subject, "homework": {}, "files": []}
                    )
                    homework, files = self._homework([item], seed.school_id)
                    subject["homework"].update(homework)
                    subject["files"].extend(files)
                day += timedelta(days=1)
            return self._by_student(seed, days=dict(sorted(rendered.items())))

        return self._serve(build)

    def getperiods(
        self,
        *,
        devkey: str,
        vendor: str,
        auth_token: str,
        student: str,
        weeks: str = "no",
        show_disabled: str = "no",
    ) -> Envelope:
        """The school year's quarters: ``periods[{name, fullname, start, end, weeks[]}]``."""

        def build() -> dict[str, Any]:
            seed = self._readable_student(devkey, vendor, auth_token, student)
            calendar = self.world.calendar(seed.school_id)
            year = calendar.year
            quarters = [(term.starts_on, term.ends_on) for term in calendar.terms]
            periods: list[dict[str, Any]] = []
            for n, (start, end) in enumerate(quarters, start=1):
                period: dict[str, Any] = {
                    "name": f"{n} четверть",
                    "fullname": f"{n} четверть {year}/{year + 1}",
                    "start": _day_key(start),
                    "end": _day_key(end),
                    "disabled": False,
                    "ambigious": False,
                }
                if _flag(weeks):
                    monday = start - timedelta(days=start.weekday())
                    period["weeks"] = []
                    while monday <= end:
                        sunday = monday + timedelta(days=6)
                        period["weeks"].append(
                            {
                                "start": _day_key(max(monday, start)),
                                "end": _day_key(min(sunday, end)),
                                "title": f"{max(monday, start):%d.%m} — {min(sunday, end):%d.%m}",
                            }
                        )
                        monday += timedelta(days=7)
                periods.append(period)
            return self._by_student(seed, periods=periods)

        return self._serve(build)

    def getupdates(
        self,
        *,
        devkey: str,
        vendor: str,
        auth_token: str,
        student: str,
        limit: str = "20",
        page: str = "1",
    ) -> Envelope:
        """The feed of new marks and homework, newest first: ``updates[]`` and ``has_more``."""

        def build() -> dict[str, Any]:
            seed = self._readable_student(devkey, vendor, auth_token, student)
            size = self._int(limit, "limit", low=1, high=200)
            number = self._int(page, "page", low=1, high=1000)
            wanted = size * number + 1
            world = self.world
            found: list[tuple[datetime, str, dict[str, Any]]] = []
            day = world.today
            start = school_year_start(world.today)
            while day >= start and len(found) < wanted:
                for mark in world.marks(seed.class_id, day):
                    if mark.student_id != seed.id:
                        continue
                    ten = ten_point_value(world, mark)
                    found.append(
                        (
                            mark.created_at,
                            f"m{mark.id}",
                            {
                                "id": f"m{mark.id}",
                                "type": "mark",
                                "action": "new",
                                "date": _fmt_dt(mark.created_at),
                                "student": str(seed.id),
                                "lesson": mark.subject,
                                "lesson_date": mark.day.isoformat(),
                                "value": PASS_VALUE if ten is None else str(ten),
                                "old_value": None,
                                "text": None,
                            },
                        )
                    )
                now = world.now()
                for item in world.homework(seed.class_id, day):
                    set_at = world.find_lesson(item.lesson_id)
                    ends = set_at.ends if set_at is not None else time(15, 0)
                    created = datetime.combine(item.assigned_on, ends)
                    if created > now:
                        continue  # set at a lesson still to come: not news yet
                    found.append(
                        (
                            created,
                            f"h{item.id}",
                            {
                                "id": f"h{item.id}",
                                "type": "homework",
                                "action": "new",
                                "date": _fmt_dt(created),
                                "student": str(seed.id),
                                "lesson": item.subject,
                                "lesson_date": item.assigned_on.isoformat(),
                                "value": None,
                                "old_value": None,
                                "text": item.text,
                            },
                        )
                    )
                day -= timedelta(days=1)
            found.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
            chunk = found[size * (number - 1) : size * number]
            return {
                "updates": [entry for _, _, entry in chunk],
                "page": number,
                "limit": size,
                "has_more": len(found) > size * number,
            }

        return self._serve(build)

    # -- the teacher's journal ---------------------------------------------------------

    def getjournal(
        self, *, devkey: str, vendor: str, auth_token: str, group: str, days: str
    ) -> Envelope:
        """A subject group's journal page (staff only).

        ``result.journal{group{…}, students[…], lessons[{…, assessments{student: […]}}]}``.
        Teachers see the groups they teach, a class teacher every group of their class,
        an administrator every group of the school; others get ``state`` 403.
        """

        def build() -> dict[str, Any]:
            user, token = self._authorize(devkey, vendor, auth_token)
            world = self.world
            seed = world.groups.get(int(group)) if group.strip().isdigit() else None
            if seed is None or (token.school_id is not None and seed.school_id != token.school_id):
                raise _Fail(404, "Группа не найдена")
            if not self._may_keep_journal(user, seed):
                raise _Fail(403, "Нет доступа к журналу группы")
            wanted = self._days(days)
            students = world.class_students(seed.class_id)
            cls = world.classes[seed.class_id]
            lessons: list[dict[str, Any]] = []
            for day in wanted:
                marks = world.marks(seed.class_id, day)
                absences = world.absences(seed.class_id, day)
                for lesson in world.lessons(seed.class_id, day):
                    if lesson.group_id != seed.id:
                        continue
                    starts, ends = lesson.starts, lesson.ends
                    assessments: dict[str, Any] = {}
                    for student in students:
                        entries = self._assessments(
                            lesson,
                            (m for m in marks if m.student_id == student.id),
                            (a for a in absences if a.student_id == student.id),
                        )
                        if entries:
                            assessments[str(student.id)] = entries
                    lessons.append(
                        {
                            "lesson_id": str(lesson.id),
                            "date": _day_key(day),
                            "num": str(lesson.number),
                            "starttime": _fmt_time(starts),
                            "endtime": _fmt_time(ends),
                            "topic": lesson.topic,
                            "room": lesson.room,
                            "teacher_id": str(lesson.teacher_id),
                            "is_cancelled": lesson.cancelled,
                            "is_replaced": lesson.replaced,
                            "is_distant": lesson.remote,
                            "assessments": assessments,
                        }
                    )
            group_ids = [str(g.id) for g in world.groups_of_class(seed.class_id)]
            return {
                "journal": {
                    "group": {
                        "id": str(seed.id),
                        "name": seed.name,
                        "subject": seed.subject,
                        "subject_id": str(seed.subject_id),
                        "class": cls.name,
                        "class_id": str(cls.id),
                        "vendor_id": seed.school_id,
                        "teachers": [str(seed.teacher_id)],
                        "balls": MAX_BALLS,
                    },
                    "students": [
                        {
                            **self._student_card(s),
                            "title": _full_name(s.person),
                            "birthday": s.person.birth_date.isoformat(),
                            "groups": group_ids,
                        }
                        for s in students
                    ],
                    "lessons": lessons,
                }
            }

        return self._serve(build)

    # -- messages, board notices, parent meetings --------------------------------------
    # Messages live in this object (sent ones, read marks and meeting answers are kept
    # until ``reset_conversation``); notices and meetings are seeded per class relative to
    # ``world.today``. See the module docstring for which parts are ЭлЖур's and which ours.

    def _seed_conversation(self) -> None:
        world = self.world
        self._messages: dict[int, _Message] = {}
        self._responses: dict[tuple[int, int], str] = {}
        self._next_message = world.base * 10 + 1
        canonical = world.students[world.canonical_student_id]
        leader = world.classes[canonical.class_id].class_teacher_id
        teacher = world.teacher_persona_group().teacher_id
        parent = parent_user_id(world, "parent")
        today = world.today
        school = canonical.school_id

        def at(days_back: int, hour: int, minute: int) -> datetime:
            return datetime.combine(today - timedelta(days=days_back), time(hour, minute))

        first = self._store(
            leader, (parent,), "Экскурсия в музей", _SEED_TEXTS[0], at(3, 15, 40), school
        )
        first.read[parent] = at(3, 19, 5)
        answer = self._store(
            parent,
            (leader,),
            "Re: Экскурсия в музей",
            _SEED_TEXTS[1],
            at(3, 19, 10),
            school,
            replyto=first,
        )
        answer.read[leader] = at(2, 8, 2)
        self._store(
            leader,
            (parent,),
            "Re: Экскурсия в музей",
            _SEED_TEXTS[2],
            at(2, 8, 15),
            school,
            replyto=answer,
        )
        other = self._store(
            teacher, (parent,), "Контрольная работа", _SEED_TEXTS[3], at(6, 14, 20), school
        )
        other.read[parent] = at(6, 20, 0)

    def reset_conversation(self) -> None:
        """Forget sent messages, read marks and meeting answers (back to the seed)."""
        self._seed_conversation()

    def reset(self) -> None:
        """Revoke every token and go back to the seeded messages (``/__admin/reset``)."""
        self.expire_tokens()
        self.reset_conversation()

    def _store(
        self,
        author: int,
        recipients: tuple[int, ...],
        subject: str,
        text: str,
        sent_at: datetime,
        school_id: int,
        *,
        replyto: _Message | None = None,
        files: tuple[tuple[str, str], ...] = (),
    ) -> _Message:
        message = _Message(
            id=self._next_message,
            root=replyto.root if replyto is not None else self._next_message,
            replyto=replyto.id if replyto is not None else None,
            author=author,
            recipients=recipients,
            subject=subject,
            text=text,
            sent_at=sent_at,
            school_id=school_id,
            files=files,
        )
        self._next_message += 1
        self._messages[message.id] = message
        return message

    def _schools_of(self, user: _User, token: _Token) -> tuple[int, ...]:
        return (token.school_id,) if token.school_id is not None else user.school_ids

    def _user_card(self, user_id: int) -> dict[str, Any]:
        user = self._users.get(user_id)
        person = user.person if user is not None else None
        if person is not None:
            last, first, middle = person.last_name, person.first_name, person.middle_name
        else:  # a parent the world does not name: known by the child
            key = user.key if user is not None else ""
            child = next(
                (s for s in self.world.students.values() if any(k == key for k, _ in s.parents)),
                None,
            )
            last = child.person.last_name if child is not None else ""
            first, middle = "Представитель", ""
        return {
            "name": str(user_id),
            "title": " ".join(x for x in (last, first, middle) if x),
            "lastname": last,
            "firstname": first,
            "middlename": middle,
        }

    def _receivers(self, user: _User, schools: tuple[int, ...]) -> dict[int, tuple[str, set[str]]]:
        """Whom ``user`` may write to: user id → (role to them, subjects they teach)."""
        world = self.world
        found: dict[int, tuple[str, set[str]]] = {}

        def add(user_id: int, role: str, subject: str | None = None) -> None:
            if user_id == user.id:
                return
            old_role, subjects = found.get(user_id, (role, set()))
            best = min(old_role, role, key=_RECEIVER_ROLES.index)
            if subject is not None:
                subjects.add(subject)
            found[user_id] = (best, subjects)

        own_classes: set[int] = set()
        if "student" in user.roles:
            own_classes.add(world.students[user.id].class_id)
        if "parent" in user.roles:
            own_classes.update(child.class_id for child, _ in world.children_of(user.key))
        for class_id in own_classes:
            cls = world.classes[class_id]
            if cls.school_id not in schools:
                continue
            add(cls.class_teacher_id, "class_teacher")
            for group in world.groups_of_class(class_id):
                add(group.teacher_id, "teacher", group.subject)
            add(admin_user_id(cls.school_id), "admin")
        staff_classes: set[int] = set()
        if "administrator" in user.roles:
            staff_classes.update(c.id for c in world.classes.values() if c.school_id in schools)
            for teacher in world.teachers.values():
                if teacher.school_id in schools:
                    add(teacher.id, "teacher")
        elif {"teacher", "hometeacher"} & set(user.roles):
            for cls in world.classes.values():
                if cls.school_id in schools and (
                    cls.class_teacher_id == user.id or self._teaches_class(user, cls.id)
                ):
                    staff_classes.add(cls.id)
            for school_id in schools:
                if school_id in user.school_ids:
                    add(admin_user_id(school_id), "admin")
        for class_id in staff_classes:
            for student in world.class_students(class_id):
                for key, _legal in student.parents:
                    add(parent_user_id(world, key), "parent")
        return found

    def _message_entry(self, message: _Message, viewer: int) -> dict[str, Any]:
        return {
            "id": str(message.id),
            "subject": message.subject,
            "short_text": message.text[:SHORT_TEXT],
            "date": _fmt_dt(message.sent_at),
            "unread": viewer in message.recipients and viewer not in message.read,
            "with_files": bool(message.files),
            "user_from": self._user_card(message.author),
            "user_to": [self._user_card(r) for r in message.recipients],
            "replyto": str(message.replyto) if message.replyto is not None else None,
            "thread": str(message.root),
        }

    def _message_info(self, message: _Message, viewer: int) -> dict[str, Any]:
        sender = viewer == message.author
        entry = self._message_entry(message, viewer)
        entry["text"] = message.text
        entry["files"] = [{"filename": name, "link": link} for name, link in message.files]
        entry["user_to"] = [
            {
                **self._user_card(r),
                "read_date": (_fmt_dt(message.read[r]) if sender and r in message.read else None),
            }
            for r in message.recipients
        ]
        return entry

    def _visible_message(self, user: _User, token: _Token, raw_id: str) -> _Message:
        message = self._messages.get(int(raw_id)) if raw_id.strip().isdigit() else None
        if (
            message is None
            or (user.id != message.author and user.id not in message.recipients)
            or message.school_id not in self._schools_of(user, token)
        ):
            raise _Fail(404, "Сообщение не найдено")
        return message

    def _checked_text(self, text: str) -> str:
        if not text.strip():
            raise _Fail(422, "Текст сообщения не может быть пустым", field="text")
        if len(text) > MAX_MESSAGE:
            raise _Fail(422, f"Текст сообщения длиннее {MAX_MESSAGE} символов", field="text")
        return text

    def getmessages(
        self,
        *,
        devkey: str,
        vendor: str,
        auth_token: str,
        folder: str = "inbox",
        unreadonly: str = "no",
        limit: str = "20",
        page: str = "1",
    ) -> Envelope:
        """One page of the caller's ``inbox`` or ``sent`` folder, newest first:
        ``{messages[{id, subject, short_text, date, unread, user_from, with_files, …}],
        count, total}``."""

        def build() -> dict[str, Any]:
            user, token = self._authorize(devkey, vendor, auth_token)
            if folder not in ("inbox", "sent"):
                raise _Fail(400, "Неверный параметр folder")
            size = self._int(limit, "limit", low=1, high=500)
            number = self._int(page, "page", low=1, high=1000)
            schools = self._schools_of(user, token)
            found = [
                m
                for m in self._messages.values()
                if m.school_id in schools
                and (user.id in m.recipients if folder == "inbox" else m.author == user.id)
                and (not _flag(unreadonly) or (user.id in m.recipients and user.id not in m.read))
            ]
            found.sort(key=lambda m: (m.sent_at, m.id), reverse=True)
            chunk = found[size * (number - 1) : size * number]
            return {
                "messages": [self._message_entry(m, user.id) for m in chunk],
                "count": len(chunk),
                "total": len(found),
            }

        return self._serve(build)

    def getmessageinfo(
        self, *, devkey: str, vendor: str, auth_token: str, id: str, markread: str = "yes"
    ) -> Envelope:
        """One message with its text, recipients and files; a recipient's reading marks it
        read (``markread=no``, ours, only looks). The sender sees each recipient's
        ``read_date``."""

        def build() -> dict[str, Any]:
            user, token = self._authorize(devkey, vendor, auth_token)
            message = self._visible_message(user, token, id)
            if _flag(markread) and user.id in message.recipients:
                message.read.setdefault(user.id, self.world.now())
            return {"message": self._message_info(message, user.id)}

        return self._serve(build)

    def getmessagereceivers(self, *, devkey: str, vendor: str, auth_token: str) -> Envelope:
        """Whom the caller may write to, by kind: ``groups[{key, name, users[]}]``."""

        def build() -> dict[str, Any]:
            user, token = self._authorize(devkey, vendor, auth_token)
            found = self._receivers(user, self._schools_of(user, token))
            groups: list[dict[str, Any]] = []
            for role in _RECEIVER_ROLES:
                users = [
                    {**self._user_card(uid), "subjects": sorted(subjects)}
                    for uid, (kind, subjects) in sorted(found.items())
                    if kind == role
                ]
                if users:
                    key, name = _RECEIVER_GROUPS[role]
                    groups.append({"key": key, "name": name, "users": users})
            return {"groups": groups}

        return self._serve(build)

    def sendmessage(
        self,
        *,
        devkey: str,
        vendor: str,
        auth_token: str,
        subject: str,
        text: str,
        users_to: str,
        files: str = "",
    ) -> Envelope:
        """A new message to ``users_to`` (user ids, comma-separated): the caller may write
        only to whom :meth:`getmessagereceivers` lists (others: ``state`` 403); an empty or
        too long text or subject is refused with ``state`` 422 and the ``field`` (ours).
        ``files`` (ours: the real API attaches files uploaded to ``uploadFileUrl``) is a JSON
        list of ``{"filename", "link"}`` linked files."""

        def build() -> dict[str, Any]:
            user, token = self._authorize(devkey, vendor, auth_token)
            self._checked_text(text)
            if not subject.strip():
                raise _Fail(422, "Не указана тема сообщения", field="subject")
            if len(subject) > MAX_SUBJECT:
                raise _Fail(422, f"Тема длиннее {MAX_SUBJECT} символов", field="subject")
            raw = [part.strip() for part in users_to.split(",") if part.strip()]
            if not raw or not all(part.isdigit() for part in raw):
                raise _Fail(422, "Не указаны получатели", field="users_to")
            schools = self._schools_of(user, token)
            allowed = self._receivers(user, schools)
            recipients = tuple(dict.fromkeys(int(part) for part in raw))
            if any(r not in allowed for r in recipients):
                raise _Fail(403, "Нельзя отправить сообщение этому пользователю")
            school = token.school_id if token.school_id is not None else schools[0]
            linked = _linked_files(files)
            message = self._store(
                user.id, recipients, subject, text, self.world.now(), school, files=linked
            )
            return {"message": self._message_info(message, user.id)}

        return self._serve(build)

    def sendreplymessage(
        self, *, devkey: str, vendor: str, auth_token: str, replyto: str, text: str, files: str = ""
    ) -> Envelope:
        """A reply to a message the caller wrote or received: to its author, or (the
        author following up) to its recipients; others' messages are ``state`` 404."""

        def build() -> dict[str, Any]:
            user, token = self._authorize(devkey, vendor, auth_token)
            previous = self._visible_message(user, token, replyto)
            self._checked_text(text)
            recipients = previous.recipients if previous.author == user.id else (previous.author,)
            root = self._messages[previous.root]
            subject = root.subject if root.subject.startswith("Re:") else f"Re: {root.subject}"
            message = self._store(
                user.id,
                recipients,
                subject,
                text,
                self.world.now(),
                previous.school_id,
                replyto=previous,
                files=_linked_files(files),
            )
            return {"message": self._message_info(message, user.id)}

        return self._serve(build)

    # board notices

    def _related_classes(self, user: _User, schools: tuple[int, ...]) -> set[int]:
        """The classes whose notices and meetings ``user`` sees."""
        world = self.world
        found: set[int] = set()
        if "student" in user.roles:
            found.add(world.students[user.id].class_id)
        if "parent" in user.roles:
            found.update(child.class_id for child, _ in world.children_of(user.key))
        for cls in world.classes.values():
            if cls.school_id not in user.school_ids:
                continue
            if (
                "administrator" in user.roles
                or cls.class_teacher_id == user.id
                or self._teaches_class(user, cls.id)
            ):
                found.add(cls.id)
        return {c for c in found if world.classes[c].school_id in schools}

    def _notices(self, class_id: int) -> list[dict[str, Any]]:
        world = self.world
        cls = world.classes[class_id]
        notices = []
        for k, (days_back, hour, title, text) in enumerate(_NOTICES, start=1):
            posted = datetime.combine(world.today - timedelta(days=days_back), time(hour, 0))
            body = text.format(cls=cls.name)
            notices.append(
                {
                    "id": str(class_id * 10 + k),
                    "title": title,
                    "short_text": body[:SHORT_TEXT],
                    "text": body,
                    "date": _fmt_dt(posted),
                    "author": self._user_card(cls.class_teacher_id),
                    "class_id": str(class_id),
                    "class": cls.name,
                    "files": [],
                }
            )
        return notices

    def getboardnotices(
        self,
        *,
        devkey: str,
        vendor: str,
        auth_token: str,
        limit: str = "20",
        page: str = "1",
        student: str = "",
    ) -> Envelope:
        """Class teachers' notices to their classes, newest first:
        ``{notices[{id, title, short_text, text, date, author, class_id, class, files}],
        count, total}``; ``student`` (ours) keeps the notices of that student's class."""

        def build() -> dict[str, Any]:
            user, token = self._authorize(devkey, vendor, auth_token)
            size = self._int(limit, "limit", low=1, high=200)
            number = self._int(page, "page", low=1, high=1000)
            if student.strip():
                seed = self._readable_student(devkey, vendor, auth_token, student)
                classes = {seed.class_id}
            else:
                classes = self._related_classes(user, self._schools_of(user, token))
            found = [n for c in sorted(classes) for n in self._notices(c)]
            found.sort(key=lambda n: (n["date"], n["id"]), reverse=True)
            chunk = found[size * (number - 1) : size * number]
            return {"notices": chunk, "count": len(chunk), "total": len(found)}

        return self._serve(build)

    def getboardnoticeinfo(self, *, devkey: str, vendor: str, auth_token: str, id: str) -> Envelope:
        """One notice of a class the caller relates to: ``{notice{…}}``."""

        def build() -> dict[str, Any]:
            user, token = self._authorize(devkey, vendor, auth_token)
            raw = int(id) if id.strip().isdigit() else 0
            class_id = raw // 10
            if class_id not in self._related_classes(user, self._schools_of(user, token)):
                raise _Fail(404, "Объявление не найдено")
            for notice in self._notices(class_id):
                if notice["id"] == str(raw):
                    return {"notice": notice}
            raise _Fail(404, "Объявление не найдено")

        return self._serve(build)

    # parent meetings (ours: not in ЭлЖур's public API)

    def _meeting_times(self, class_id: int) -> list[tuple[int, datetime, datetime, bool]]:
        """(id, start, end, online) of a class's meetings: one on a Thursday 8–14 days
        back, one on a Thursday 7–13 days ahead, one online four weeks after it."""
        today = self.world.today
        ahead = today + timedelta(days=7)
        ahead += timedelta(days=(3 - ahead.weekday()) % 7)
        days = [
            (ahead - timedelta(days=21), False),
            (ahead, False),
            (ahead + timedelta(days=28), True),
        ]
        return [
            (
                class_id * 10 + k,
                datetime.combine(day, time(18, 30)),
                datetime.combine(day, time(19, 30)),
                online,
            )
            for k, (day, online) in enumerate(days, start=1)
        ]

    def _meeting(self, class_id: int, meeting_id: int, viewer: int) -> dict[str, Any]:
        cls = self.world.classes[class_id]
        for number, starts, ends, online in self._meeting_times(class_id):
            if number != meeting_id:
                continue
            return {
                "id": str(number),
                "class_id": str(class_id),
                "class": cls.name,
                "title": f"Родительское собрание {cls.name}",
                "date": _fmt_dt(starts),
                "date_end": _fmt_dt(ends),
                "place": None if online else f"Кабинет {100 + cls.level * 10}",
                "link": f"https://meet.eljur.example/{number}" if online else None,
                "agenda": list(_AGENDA),
                "organizer": self._user_card(cls.class_teacher_id),
                "response": self._responses.get((number, viewer)),
            }
        raise _Fail(404, "Собрание не найдено")

    def getmeetings(self, *, devkey: str, vendor: str, auth_token: str, student: str) -> Envelope:
        """(ours) The parent meetings of a student's class, the earliest first, with the
        caller's ``response`` (``yes``, ``no``, ``maybe`` or ``null``)."""

        def build() -> dict[str, Any]:
            user, _token = self._authorize(devkey, vendor, auth_token)
            seed = self._readable_student(devkey, vendor, auth_token, student)
            return {
                "meetings": [
                    self._meeting(seed.class_id, number, user.id)
                    for number, _s, _e, _o in self._meeting_times(seed.class_id)
                ]
            }

        return self._serve(build)

    def setmeetingresponse(
        self, *, devkey: str, vendor: str, auth_token: str, id: str, response: str
    ) -> Envelope:
        """(ours) A parent's answer to a meeting of their child's class (``yes``, ``no``,
        ``maybe``; a later one replaces it): ``{meeting{…}}``. Others' meetings are
        ``state`` 403, a meeting that has begun or a bad answer 422."""

        def build() -> dict[str, Any]:
            user, token = self._authorize(devkey, vendor, auth_token)
            raw = int(id) if id.strip().isdigit() else 0
            class_id = raw // 10
            if class_id not in self.world.classes:
                raise _Fail(404, "Собрание не найдено")
            meeting = self._meeting(class_id, raw, user.id)
            children = (
                {c.class_id for c, _ in self.world.children_of(user.key)}
                if "parent" in user.roles
                else set()
            )
            if class_id not in children or self.world.classes[class_id].school_id not in (
                self._schools_of(user, token)
            ):
                raise _Fail(403, "Ответить может только родитель ученика класса")
            if response not in ("yes", "no", "maybe"):
                raise _Fail(422, "Ответ должен быть yes, no или maybe", field="response")
            if datetime.fromisoformat(meeting["date"]) <= self.world.now():
                raise _Fail(422, "Собрание уже началось", field="response")
            self._responses[(raw, user.id)] = response
            return {"meeting": self._meeting(class_id, raw, user.id)}

        return self._serve(build)


def _linked_files(raw: str) -> tuple[tuple[str, str], ...]:
    """``files`` of a message (a JSON list of ``{"filename", "link"}``): up to 10 https
    links with names, else ``state`` 422 naming ``files``."""
    if not raw:
        return ()
    try:
        entries = json.loads(raw)
        linked = tuple((str(e["filename"]), str(e["link"])) for e in entries)
    except (ValueError, TypeError, KeyError):
        raise _Fail(422, "Неверный список файлов", field="files") from None
    if len(linked) > 10 or any(
        not name.strip() or not link.startswith("https://") for name, link in linked
    ):
        raise _Fail(422, "Неверный список файлов", field="files")
    return linked
