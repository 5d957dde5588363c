"""The data of the «Сетевой город» emulator: the demo world in NetSchool ``webapi`` shapes.

:class:`NetCityData` renders an :class:`diary_gateway_demo.seed.World` into the native NetSchool
shapes (``/work/shared/reference/regional-diary-apis.md`` §2) as JSON bytes, one async
method per endpoint (:mod:`.app` serves them over HTTP). Like the real system it issues an
access token (``at``) per signed-in person, answers a bad login with 409 ``{"message"}``,
and refuses with 403 what the person may not see (:class:`NetCityError`).

Where the reference is silent the shapes are invented in the spirit of СГО; the package
README lists them (``theme``, ``teacher``/``replacement``, ``isCanceled``,
``isDistanceLesson``, ``attendance``, ``mark.markText``/``markDate``, ``isDone``, the
student cards, the teacher's groups and journal grid, the bells).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from adapters.clock import SYSTEM_CLOCK, Clock
from adapters.payload import JsonObject
from diary_gateway_demo.emulation import PersonaTokens
from diary_gateway_demo.seed import (
    SeedGroup,
    SeedHomework,
    SeedLesson,
    SeedMark,
    SeedPerson,
    SeedStudent,
    World,
)

__all__ = [
    "ASSIGNMENT_TYPES",
    "ATTENDANCE_CODES",
    "HOMEWORK_TYPE_ID",
    "MAX_RANGE_DAYS",
    "PASS_MARK_TEXT",
    "TOKEN_TIMEOUT_MS",
    "NetCityData",
    "NetCityError",
]


ASSIGNMENT_TYPES: tuple[tuple[int, str, str], ...] = (
    (1, "Ответ на уроке", "О"),
    (2, "Самостоятельная работа", "С"),
    (3, "Домашнее задание", "Д"),
    (4, "Контрольная работа", "К"),
    (5, "Диктант", "Дк"),
    (6, "Домашняя работа", "ДР"),
    (7, "Практическая работа", "П"),
)
"""``grade/assignment/types``: (id, name, abbr); the order is the list order."""
HOMEWORK_TYPE_ID = 3
PASS_MARK_TEXT = "зачёт"  # noqa: S105 -- a pass mark, not a password
"""``mark.markText`` of a pass in a subject graded without marks (P.E.)."""
ATTENDANCE_CODES: dict[int, str] = {1: "Б", 2: "УП", 6: "Н"}
"""Seed absence reason id → the lesson's ``attendance`` code (болел, уважительная, не был)."""
MAX_RANGE_DAYS = 400
"""The longest ``weekStart``..``weekEnd`` range served (the real diary is weekly)."""
TOKEN_TIMEOUT_MS = 2_700_000
PRODUCT_NAME = "Сетевой Город. Образование"

_TYPE_BY_NAME = {name: type_id for type_id, name, _ in ASSIGNMENT_TYPES}
_STAFF_ROLES = frozenset({"Teacher", "Administrator"})


@dataclass(frozen=True, slots=True)
class _Account:
    """A user of the diary: who signs in and what they are to the school."""

    user_id: int
    person: SeedPerson
    roles: tuple[str, ...]
    school_id: int | None
    student_id: int | None = None
    teacher_id: int | None = None
    parent_key: str | None = None


class NetCityError(Exception):
    """An error answer: ``{"message"}`` with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _refuse(status: int, message: str) -> NetCityError:
    return NetCityError(status, message)


def _day(day: date) -> str:
    return f"{day.isoformat()}T00:00:00"


def _moment(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _clock(moment: time) -> str:
    return moment.strftime("%H:%M")


def _fio(person: SeedPerson) -> str:
    return f"{person.last_name} {person.first_name} {person.middle_name}"


def _short_name(person: SeedPerson) -> str:
    return f"{person.last_name} {person.first_name[0]}. {person.middle_name[0]}."


def _query_day(text: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _refuse(400, "Неверный формат даты") from None


def _term_name(day: date) -> str:
    if day.month in (9, 10):
        return "1 четверть"
    if day.month in (11, 12):
        return "2 четверть"
    if day.month in (1, 2, 3):
        return "3 четверть"
    return "4 четверть"


class NetCityData:
    """The «Сетевой город» of one demo region's school year.

    Attributes:
        world: the demo world rendered (its ``homework_done`` is the mutable state).
        requests: calls served per endpoint name.
    """

    def __init__(
        self, world: World, *, calls_per_token: int | None = None, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.world = world
        self.requests: Counter[str] = Counter()
        self._sessions: PersonaTokens[int] = PersonaTokens(
            lifetime=TOKEN_TIMEOUT_MS / 1000, calls_per_token=calls_per_token, clock=clock
        )
        self._accounts: dict[int, _Account] = {}
        self._parent_user_ids: dict[str, int] = {}
        self._build_accounts()
        self._by_national_id = {
            a.person.national_id: a.user_id for a in self._accounts.values() if a.person.national_id
        }
        self._bound: dict[str, list[tuple[SeedStudent, bool]]] = defaultdict(list)
        """Parent key → children whose legal representative's record an SSO identity was
        bound to (``esia_bind``: invitations redeemed through the gateway)."""

    # -- accounts ----------------------------------------------------------------------

    def _build_accounts(self) -> None:
        world = self.world
        leads = {c.class_teacher_id for c in world.classes.values()}
        for student in world.students.values():
            self._add(
                _Account(student.id, student.person, ("Student",), student.school_id, student.id)
            )
        for teacher in world.teachers.values():
            roles = ("Teacher", "ClassTeacher") if teacher.id in leads else ("Teacher",)
            self._add(
                _Account(
                    teacher.id, teacher.person, roles, teacher.school_id, teacher_id=teacher.id
                )
            )
        for school_id, admin in world.admins.items():
            user_id = world.base + 9_000 + school_id % 1_000
            self._add(_Account(user_id, admin, ("Administrator",), school_id))
        for index, key in enumerate(sorted(world.parents)):
            user_id = world.base + 90_001 + index
            children = world.children_of(key)
            first_school = children[0][0].school_id if children else None
            self._parent_user_ids[key] = user_id
            self._add(
                _Account(user_id, world.parents[key], ("Parent",), first_school, parent_key=key)
            )

    def _add(self, account: _Account) -> None:
        self._accounts[account.user_id] = account

    def _session(self, at: str) -> _Account:
        user_id = self._sessions.resolve(at) if at else None
        if user_id is None:
            raise _refuse(401, "Сессия завершена. Войдите в систему заново")
        return self._accounts[user_id]

    def _open_session(self, account: _Account) -> JsonObject:
        at = self._sessions.issue(account.user_id)
        return {"at": at, "timeOut": TOKEN_TIMEOUT_MS, "code": None}

    def logout(self, at: str) -> None:
        """``POST auth/logout``: end the token."""
        self._sessions.revoke(at)

    def _children(self, account: _Account) -> list[tuple[SeedStudent, bool]]:
        if account.parent_key is None:
            return []
        return self.world.children_of(account.parent_key) + self._bound.get(account.parent_key, [])

    def _student(self, student_id: int) -> SeedStudent:
        student = self.world.students.get(student_id)
        if student is None:
            raise _refuse(404, "Ученик не найден")
        return student

    def _may_read(self, account: _Account, student: SeedStudent) -> bool:
        if account.student_id == student.id:
            return True
        if any(child.id == student.id for child, _ in self._children(account)):
            return True
        return bool(_STAFF_ROLES & set(account.roles)) and account.school_id == student.school_id

    def _may_write(self, account: _Account, student: SeedStudent) -> bool:
        if account.student_id == student.id:
            return True
        return any(child.id == student.id and legal for child, legal in self._children(account))

    # -- serving -----------------------------------------------------------------------

    async def _serve(
        self, endpoint: str, render: Callable[[], Any], commit: Callable[[], None] | None = None
    ) -> bytes:
        """Render the answer (a refusal raises :class:`NetCityError`), then apply any write."""
        self.requests[endpoint] += 1
        body = json.dumps(render(), ensure_ascii=False).encode()
        if commit is not None:
            commit()
        return body

    # -- auth --------------------------------------------------------------------------

    async def login(self, school: str | None, un: str, matches: Callable[[str], bool]) -> bytes:
        """``POST webapi/login``: a school login (``scid`` or the school's login code).

        ``school`` may be ``None`` here (the real form requires it): logins are unique in
        the region. A wrong school, login or password gives the same 409.
        """

        def render() -> JsonObject:
            student = next((s for s in self.world.students.values() if s.login == un), None)
            if student is None or not matches(student.password):
                raise _refuse(409, "Неправильный пароль или имя пользователя")
            if school is not None:
                own = next(s for s in self.world.schools if s.id == student.school_id)
                if school not in (str(own.id), own.login_code):
                    raise _refuse(409, "Неправильный пароль или имя пользователя")
            return self._open_session(self._accounts[student.id])

        return await self._serve("login", render)

    async def esia_login(self, national_person_id: str) -> bytes:
        """The partner token exchange for a person the national SSO has verified.

        Answers ``{at, timeOut}``; a person without an account here gives 409.
        """

        def render() -> JsonObject:
            user_id = self._by_national_id.get(national_person_id)
            if user_id is None:
                raise _refuse(409, "Пользователь ЕСИА не связан с учётной записью")
            return self._open_session(self._accounts[user_id])

        return await self._serve("esia_login", render)

    async def esia_bind(self, national_person_id: str, student_id: int) -> bytes:
        """``POST sso/esia/bind`` ``{studentId}`` (ours): bind a national SSO identity to the
        student's legal representative's record — the parent redeems a school's invitation.

        A person the diary does not know gets a parent account of their own; a parent it
        knows gets the child added; staff and students are refused (409).
        """
        student = self._student(student_id)
        user_id = self._by_national_id.get(national_person_id)
        account = self._accounts.get(user_id) if user_id is not None else None
        if account is not None and account.parent_key is None:
            raise _refuse(409, "Учётная запись ЕСИА принадлежит не родителю")

        def render() -> JsonObject:
            return {"studentId": student.id, "bound": True}

        def commit() -> None:
            nonlocal account
            if account is None:
                new_id = self.world.base + 95_000 + len(self._bound)
                person = SeedPerson(
                    key=f"bound-{new_id}",
                    last_name=student.person.last_name,
                    first_name="Законный",
                    middle_name="Представитель",
                    sex="",
                    birth_date=date(1985, 1, 1),
                    phone="",
                    email="",
                    national_id=national_person_id,
                )
                account = _Account(
                    new_id, person, ("Parent",), student.school_id, parent_key=person.key
                )
                self._add(account)
                self._by_national_id[national_person_id] = new_id
            key = account.parent_key or f"bound-{account.user_id}"
            if all(child.id != student.id for child, _ in self._children(account)):
                self._bound[key].append((student, True))

        return await self._serve("esia_bind", render, commit)

    # -- directories -------------------------------------------------------------------

    async def assignment_types(self) -> bytes:
        """``GET grade/assignment/types?all=false`` → ``[{id, name, abbr, order}]``."""
        return await self._serve(
            "assignment_types",
            lambda: [
                {"id": type_id, "name": name, "abbr": abbr, "order": order}
                for order, (type_id, name, abbr) in enumerate(ASSIGNMENT_TYPES)
            ],
        )

    def _school_json(self, school_id: int) -> JsonObject:
        school = next(s for s in self.world.schools if s.id == school_id)
        return {
            "id": school.id,
            "name": school.name,
            "shortName": school.short_name,
            "addressString": school.address,
        }

    async def login_form_schools(self) -> bytes:
        """The login form's school step (public): ``{items: [school]}`` of the region."""
        return await self._serve(
            "login_form_schools",
            lambda: {"items": [self._school_json(s.id) for s in self.world.schools]},
        )

    async def schools_search(self, name: str | None) -> bytes:
        """``GET schools/search?name=``: a name fragment is required (403 without one)."""

        def render() -> list[JsonObject]:
            if not name or not name.strip():
                raise _refuse(403, "Доступ запрещён")
            fragment = name.strip().casefold()
            return [
                self._school_json(s.id)
                for s in self.world.schools
                if fragment in s.name.casefold() or fragment in s.short_name.casefold()
            ]

        return await self._serve("schools_search", render)

    async def bell_schedule(self, school_id: int) -> bytes:
        """``GET schools/{id}/bells`` (public) → ``{schoolId, bells: [{number, ...}]}``."""

        def render() -> JsonObject:
            if all(s.id != school_id for s in self.world.schools):
                raise _refuse(404, "Школа не найдена")
            return {
                "schoolId": school_id,
                "bells": [
                    {"number": n, "startTime": _clock(starts), "endTime": _clock(ends)}
                    for n, starts, ends in self.world.bells(school_id)
                ],
            }

        return await self._serve("bell_schedule", render)

    # -- the signed-in user ------------------------------------------------------------

    async def context(self, at: str) -> bytes:
        """``GET context``: who the token's user is, their roles, classes and students."""

        def render() -> JsonObject:
            account = self._session(at)
            world = self.world
            person = account.person
            if account.student_id is not None:
                students = [world.students[account.student_id]]
            else:
                students = [child for child, _ in self._children(account)]
            classes = [
                {"id": c.id, "name": c.name}
                for c in world.classes.values()
                if account.teacher_id is not None and c.class_teacher_id == account.teacher_id
            ]
            year_start = date(world.year, 9, 1)
            year_end = date(year_start.year + 1, 8, 31)
            return {
                "userId": account.user_id,
                "schoolId": account.school_id,
                "funcType": "School",
                "productName": PRODUCT_NAME,
                "roles": list(account.roles),
                "user": {
                    "id": account.user_id,
                    "name": _short_name(person),
                    "lastName": person.last_name,
                    "firstName": person.first_name,
                    "middleName": person.middle_name,
                    "classes": classes,
                    "students": [{"id": s.id, "name": _short_name(s.person)} for s in students],
                },
                "organization": (
                    None
                    if account.school_id is None
                    else {
                        "id": account.school_id,
                        "name": self._school_json(account.school_id)["name"],
                    }
                ),
                "schoolyear": {
                    "id": world.base + year_start.year,
                    "name": f"{year_start.year}/{year_end.year}",
                    "startDate": _day(year_start),
                    "endDate": _day(year_end),
                },
            }

        return await self._serve("context", render)

    async def diary_init(self, at: str) -> bytes:
        """``GET student/diary/init`` → ``{students, currentStudentId, weekStart}``."""

        def render() -> JsonObject:
            account = self._session(at)
            world = self.world
            if account.student_id is not None:
                students = [world.students[account.student_id]]
            else:
                students = [child for child, _ in self._children(account)]
            return {
                "students": [
                    {
                        "studentId": s.id,
                        "nickName": f"{s.person.last_name} {s.person.first_name}",
                        "className": world.classes[s.class_id].name,
                        "classId": s.class_id,
                    }
                    for s in students
                ],
                "currentStudentId": students[0].id if students else None,
                "weekStart": _day(world.week_start()),
            }

        return await self._serve("diary_init", render)

    def _card(self, student: SeedStudent, *, with_parents: bool) -> JsonObject:
        world = self.world
        person = student.person
        card: JsonObject = {
            "studentId": student.id,
            "lastName": person.last_name,
            "firstName": person.first_name,
            "middleName": person.middle_name,
            "birthDate": _day(person.birth_date),
            "schoolId": student.school_id,
            "classId": student.class_id,
            "className": world.classes[student.class_id].name,
            "subjectGroups": [
                {"id": g.id, "name": g.name} for g in world.groups_of_class(student.class_id)
            ],
        }
        if with_parents:
            card["parents"] = [
                {
                    "userId": self._parent_user_ids[key],
                    "fio": _fio(world.parents[key]),
                    "mobilePhone": world.parents[key].phone,
                    "email": world.parents[key].email,
                    "isLegalRepresentative": legal,
                }
                for key, legal in student.parents
                if key in world.parents
            ]
            for account in self._accounts.values():  # identities bound by invitations
                if account.parent_key is not None and any(
                    child.id == student.id for child, _ in self._bound.get(account.parent_key, [])
                ):
                    card["parents"].append(
                        {
                            "userId": account.user_id,
                            "fio": _fio(account.person),
                            "mobilePhone": account.person.phone,
                            "email": account.person.email,
                            "isLegalRepresentative": True,
                        }
                    )
        return card

    async def student_cards(self, at: str, student_ids: list[int]) -> bytes:
        """Students' cards: ``{students: [card], notFound: [id], forbidden: [id]}``.

        A parent sees their children, a student themself, staff their school's students.
        """

        def render() -> JsonObject:
            account = self._session(at)
            cards: list[JsonObject] = []
            missing: list[int] = []
            forbidden: list[int] = []
            for student_id in student_ids:
                student = self.world.students.get(student_id)
                if student is None:
                    missing.append(student_id)
                elif not self._may_read(account, student):
                    forbidden.append(student_id)
                else:
                    cards.append(self._card(student, with_parents=True))
            return {"students": cards, "notFound": missing, "forbidden": forbidden}

        return await self._serve("student_cards", render)

    # -- the diary ---------------------------------------------------------------------

    def _teacher_json(self, teacher_id: int) -> JsonObject:
        teacher = self.world.teachers[teacher_id]
        return {"id": teacher.id, "fio": _fio(teacher.person)}

    def _mark_json(self, mark: SeedMark, topic: str) -> JsonObject:
        return {
            "id": mark.id,
            "typeId": _TYPE_BY_NAME[mark.control_form],
            "assignmentName": topic,
            "dueDate": _day(mark.day),
            "classMeetingId": mark.lesson_id,
            "weight": mark.weight,
            "isExam": mark.is_exam,
            "mark": {
                "assignmentId": mark.id,
                "studentId": mark.student_id,
                "mark": mark.five,
                "markText": PASS_MARK_TEXT if mark.five is None else None,
                "dutyMark": False,
                "markDate": _moment(mark.created_at),
            },
            "markComment": None if mark.comment is None else {"id": mark.id, "name": mark.comment},
            "attachments": [],
            "answerFiles": [],
        }

    def _homework_json(
        self, homework: SeedHomework, lesson: SeedLesson, student_id: int
    ) -> JsonObject:
        return {
            "id": homework.id,
            "typeId": HOMEWORK_TYPE_ID,
            "assignmentName": homework.text,
            "dueDate": _day(homework.due_on),
            "assignDate": _moment(datetime.combine(lesson.day, lesson.starts)),
            "classMeetingId": homework.lesson_id,
            "weight": 1,
            "mark": None,
            "markComment": None,
            "attachments": [
                {"id": homework.id * 10 + i, "originalFileName": name, "description": None}
                for i, name in enumerate(homework.attachments, start=1)
            ],
            "answerFiles": [],
            "isDone": (student_id, homework.id) in self.world.homework_done,
        }

    def _lesson_json(
        self,
        lesson: SeedLesson,
        student: SeedStudent,
        homework: list[SeedHomework],
        marks: list[SeedMark],
        attendance: str | None,
    ) -> JsonObject:
        group = self.world.groups[lesson.group_id]
        starts, ends = lesson.starts, lesson.ends
        return {
            "classmeetingId": lesson.id,
            "day": _day(lesson.day),
            "number": lesson.number,
            "relay": 1,
            "startTime": _clock(starts),
            "endTime": _clock(ends),
            "subjectId": lesson.subject_id,
            "subjectName": lesson.subject,
            "subjectGroup": {"id": group.id, "name": group.name},
            "room": lesson.room or None,
            "theme": lesson.topic,
            "teacher": self._teacher_json(group.teacher_id),
            "replacement": (
                {"teacher": self._teacher_json(lesson.teacher_id)} if lesson.replaced else None
            ),
            "isCanceled": lesson.cancelled,
            "isDistanceLesson": lesson.remote,
            "attendance": attendance,
            "assignments": [
                *(self._homework_json(h, lesson, student.id) for h in homework),
                *(self._mark_json(m, lesson.topic) for m in marks),
            ],
        }

    def _range(self, week_start: str, week_end: str) -> tuple[date, date]:
        start, end = _query_day(week_start), _query_day(week_end)
        if end < start or (end - start).days >= MAX_RANGE_DAYS:
            raise _refuse(400, "Неверный период")
        return start, end

    async def student_diary(
        self, at: str, student_id: int, week_start: str, week_end: str
    ) -> bytes:
        """``GET student/diary?studentId&weekStart&weekEnd`` (YYYY-MM-DD): the diary.

        Any range up to :data:`MAX_RANGE_DAYS` days is served in one answer; days without
        lessons are left out of ``weekDays``.
        """

        def render() -> JsonObject:
            account = self._session(at)
            student = self._student(student_id)
            if not self._may_read(account, student):
                raise _refuse(403, "Доступ запрещён")
            start, end = self._range(week_start, week_end)
            world = self.world
            days: list[JsonObject] = []
            for day in world.days(start, end):
                lessons = world.lessons(student.class_id, day)
                if not lessons:
                    continue
                homework: dict[int, list[SeedHomework]] = defaultdict(list)
                for item in world.homework(student.class_id, day):
                    homework[item.lesson_id].append(item)
                marks: dict[int, list[SeedMark]] = defaultdict(list)
                for mark in world.marks(student.class_id, day):
                    if mark.student_id == student.id:
                        marks[mark.lesson_id].append(mark)
                absent = {
                    a.lesson_id: ATTENDANCE_CODES[a.reason_id]
                    for a in world.absences(student.class_id, day)
                    if a.student_id == student.id
                }
                days.append(
                    {
                        "date": _day(day),
                        "lessons": [
                            self._lesson_json(
                                lesson,
                                student,
                                homework[lesson.id],
                                marks[lesson.id],
                                absent.get(lesson.id),
                            )
                            for lesson in lessons
                        ],
                    }
                )
            return {
                "weekStart": _day(start),
                "weekEnd": _day(end),
                "termName": _term_name(start),
                "className": world.classes[student.class_id].name,
                "studentId": student.id,
                "weekDays": days,
                "laAssigns": [],
            }

        return await self._serve("student_diary", render)

    async def student_remarks(
        self, at: str, student_id: int, week_start: str, week_end: str
    ) -> bytes:
        """``GET student/remarks?studentId&weekStart&weekEnd`` (ours): remarks and praise.

        NetSchool shows teachers' remarks beside the diary; the web API the gateway speaks
        has no call for them, so this one is the emulator's own (marked so in the README).
        """

        def render() -> JsonObject:
            account = self._session(at)
            student = self._student(student_id)
            if not self._may_read(account, student):
                raise _refuse(403, "Доступ запрещён")
            start, end = self._range(week_start, week_end)
            items: list[JsonObject] = []
            for day in self.world.days(start, end):
                for remark in self.world.remarks(student.class_id, day):
                    if remark.student_id != student.id:
                        continue
                    items.append(
                        {
                            "id": remark.id,
                            "studentId": remark.student_id,
                            "date": _day(remark.day),
                            "kind": "Похвала" if remark.kind == "praise" else "Замечание",
                            "text": remark.text,
                            "teacher": self._teacher_json(remark.author_id),
                            "subjectId": remark.subject_id,
                            "subjectName": remark.subject,
                            "classMeetingId": remark.lesson_id,
                            "created": _moment(remark.created_at),
                        }
                    )
            return {"studentId": student.id, "remarks": items}

        return await self._serve("student_remarks", render)

    async def set_assignment_done(
        self, at: str, student_id: int, assignment_id: int, done: bool
    ) -> bytes:
        """``POST student/diary/assigns/{id}/done?studentId=`` ``{done}``: tick homework.

        The student or a legal representative only (403 otherwise). Answers the
        assignment as it now is, with ``subjectId``/``subjectName``/``studentId``.
        """
        world = self.world

        def render() -> JsonObject:
            account = self._session(at)
            student = self._student(student_id)
            if not self._may_write(account, student):
                raise _refuse(403, "Доступ запрещён")
            homework = world.find_homework(assignment_id)
            lesson = None if homework is None else world.find_lesson(homework.lesson_id)
            if homework is None or lesson is None or homework.class_id != student.class_id:
                raise _refuse(404, "Задание не найдено")
            answer = self._homework_json(homework, lesson, student.id)
            answer.update(
                isDone=done,
                subjectId=homework.subject_id,
                subjectName=homework.subject,
                studentId=student.id,
            )
            return answer

        def commit() -> None:
            if done:
                world.homework_done.add((student_id, assignment_id))
            else:
                world.homework_done.discard((student_id, assignment_id))

        return await self._serve("set_assignment_done", render, commit)

    # -- the teacher's side ------------------------------------------------------------

    def _group_json(self, group: SeedGroup) -> JsonObject:
        world = self.world
        return {
            "id": group.id,
            "name": group.name,
            "subjectId": group.subject_id,
            "subjectName": group.subject,
            "classId": group.class_id,
            "className": world.classes[group.class_id].name,
            "schoolId": group.school_id,
            "teachers": [self._teacher_json(group.teacher_id)],
            "studentIds": [s.id for s in world.class_students(group.class_id)],
        }

    async def teacher_groups(self, at: str) -> bytes:
        """The subject groups the token's teacher teaches, with their students' ids."""

        def render() -> list[JsonObject]:
            account = self._session(at)
            if account.teacher_id is None:
                raise _refuse(403, "Доступ запрещён")
            return [self._group_json(g) for g in self.world.groups_of_teacher(account.teacher_id)]

        return await self._serve("teacher_groups", render)

    async def school_classes(self, at: str) -> bytes:
        """The classes and subject groups a member of staff may read, with their students.

        A class teacher their classes, a teacher the classes of their groups, an
        administrator every class and group of the school; others are refused.
        """

        def render() -> JsonObject:
            account = self._session(at)
            world = self.world
            if not _STAFF_ROLES & set(account.roles):
                raise _refuse(403, "Доступ запрещён")
            admin = "Administrator" in account.roles
            groups = [
                g
                for g in world.groups.values()
                if g.school_id == account.school_id
                and (
                    admin or (account.teacher_id is not None and g.teacher_id == account.teacher_id)
                )
            ]
            class_ids = {g.class_id for g in groups}
            classes = [
                c
                for c in world.classes.values()
                if c.school_id == account.school_id
                and (
                    admin
                    or c.id in class_ids
                    or (account.teacher_id is not None and c.class_teacher_id == account.teacher_id)
                )
            ]
            return {
                "classes": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "grade": c.level,
                        "schoolId": c.school_id,
                        "studentIds": [s.id for s in world.class_students(c.id)],
                    }
                    for c in classes
                ],
                "groups": [self._group_json(g) for g in groups],
            }

        return await self._serve("school_classes", render)

    async def journal(self, at: str, group_id: int, start: str, end: str) -> bytes:
        """The class journal of a subject group over a range: the class meeting grid.

        ``{subjectGroup, students, classMeetings, assignments (marked), attendance}``.
        Open to the group's teacher, the class teacher and the school's administrator.
        """

        def render() -> JsonObject:
            account = self._session(at)
            world = self.world
            group = world.groups.get(group_id)
            if group is None:
                raise _refuse(404, "Группа не найдена")
            lead = world.classes[group.class_id].class_teacher_id
            admin = "Administrator" in account.roles and account.school_id == group.school_id
            if account.teacher_id not in (group.teacher_id, lead) and not admin:
                raise _refuse(403, "Доступ запрещён")
            first, last = self._range(start, end)
            meetings: list[JsonObject] = []
            assignments: list[JsonObject] = []
            attendance: list[JsonObject] = []
            for day in world.days(first, last):
                lessons = {
                    le.id: le
                    for le in world.lessons(group.class_id, day)
                    if le.group_id == group.id
                }
                for lesson in lessons.values():
                    starts, ends = lesson.starts, lesson.ends
                    meetings.append(
                        {
                            "classmeetingId": lesson.id,
                            "day": _day(day),
                            "number": lesson.number,
                            "startTime": _clock(starts),
                            "endTime": _clock(ends),
                            "theme": lesson.topic,
                            "room": lesson.room or None,
                            "isCanceled": lesson.cancelled,
                        }
                    )
                assignments.extend(
                    self._mark_json(m, lessons[m.lesson_id].topic)
                    for m in world.marks(group.class_id, day)
                    if m.lesson_id in lessons
                )
                attendance.extend(
                    {
                        "classmeetingId": a.lesson_id,
                        "studentId": a.student_id,
                        "attendance": ATTENDANCE_CODES[a.reason_id],
                    }
                    for a in world.absences(group.class_id, day)
                    if a.lesson_id in lessons
                )
            return {
                "subjectGroup": self._group_json(group),
                "students": [
                    self._card(s, with_parents=False) for s in world.class_students(group.class_id)
                ],
                "classMeetings": meetings,
                "assignments": assignments,
                "attendance": attendance,
            }

        return await self._serve("journal", render)
