"""The МЭШ emulator: a Starlette app serving every call of ``moscow-protocol.md``.

Data come from :class:`~diary_gateway_demo.seed.World` (region 77) rendered by
:class:`~diary_gateway_demo.moscow.render.MoscowData`. The app checks what the real system
checks — the token (``Auth-Token`` or ``Authorization: Bearer``), ``X-Mes-Subsystem``,
``Profile-Id`` on ``/api/family/...``, ``X-Mes-Role`` on the event calendar — and refuses
what it refuses: an expired token (401 «Предыдущая сессия работы в ЭЖД завершена…»), a
student who is not the caller's (403), a journal of a group the caller may not read (403).

Routes, faults, the admin API (``/__admin/faults``, ``/__admin/stats``,
``/__admin/reset``) and tokens come from :mod:`diary_gateway_demo.emulation`;
``POST /__admin/marks`` (ours) adds or changes a mark, ``POST /__admin/absences`` (ours)
marks a student absent from a lesson and ``POST /__admin/lessons`` (ours) changes a lesson
(room, cancelled, topic, teacher, times), and ``POST /__admin/families`` (ours) takes a
student off their parents' profiles, for the live-update tests.

Writes: a teacher creates (``POST …/teacher/v1/marks``) and corrects (``PUT
…/teacher/v1/marks/{id}``) marks of the groups they teach; a legal representative notifies
a planned absence (``POST /api/family/mobile/v1/attendance``, withdrawn day by day with
``DELETE``), listed by ``GET …/attendance/notifications`` (ours). The mark writes and the
notice honour an ``Idempotency-Key`` header: the same key and body from the same profile
get the first answer again and change nothing; the same key with another body is refused
(422). A write the provider's validation refuses answers 400 in МЭШ's error shape plus
``message`` and ``details.field``.

``POST /__admin/faults {"messy": true}`` switches the messy mode (:mod:`.messy`) on.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from datetime import date, time, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from adapters.clock import SYSTEM_CLOCK, Clock
from diary_gateway_demo.emulation import (
    EmulatorFaults,
    FaultControls,
    PersonaTokens,
    SsoVerifier,
    build_emulator_app,
)
from diary_gateway_demo.seed import REASONS, SeedGroup, SeedStudent, World, Worlds

from .faults import EXPIRED_MESSAGE, MES_FAULTS, TOKEN_ISSUERS, mes_error
from .messy import Messiness
from .render import (
    CONTROL_FORMS,
    GRADE_SYSTEMS,
    MOSCOW,
    MesProfile,
    MoscowData,
    NativeMark,
)

__all__ = ["create_emulator"]

REGION = "77"
TOKEN_LIFETIME = 24 * 3600
"""Seconds a token lives (``expires_in``), unless ``token_ttl_calls`` ends it sooner."""
MAX_RANGE_DAYS = 400
MAX_TOKENS = 10_000
_SCALES = {system_id: system for system, (system_id, _, _) in GRADE_SYSTEMS.items()}
_SCALE_BOUNDS = {"five": (1, 5), "ten": (1, 10), "hundred": (0, 100)}
_SCALE_NAMES = {system: name for system, (_, name, _) in GRADE_SYSTEMS.items()}
MAX_NOTICE_DAYS = 31
"""The most days one absence notice may name."""
MAX_DESCRIPTION = 500
MAX_KEPT_ANSWERS = 10_000
"""Answers kept for idempotency keys (the oldest key is forgotten first)."""


class MesError(Exception):
    """An error answer: ``{"type", "description", "details"}`` with an HTTP status."""

    def __init__(self, status: int, kind: str, description: str, details: Any = None) -> None:
        super().__init__(description)
        self.status = status
        self.kind = kind
        self.description = description
        self.details = details


class MesRejection(MesError):
    """A write the provider's validation refuses: МЭШ's error document plus ``message``
    (the same words as ``description``) and ``details.field`` (the input at fault)."""

    def __init__(self, description: str, *, field: str | None = None, status: int = 400) -> None:
        kind = "bad_request" if status == 400 else "unprocessable_entity"
        super().__init__(status, kind, description, {"field": field} if field else None)


def _rejected(description: str, field: str | None = None) -> MesRejection:
    return MesRejection(description, field=field)


def _bad_request(description: str) -> MesError:
    return MesError(400, "bad_request", description)


def _forbidden() -> MesError:
    return MesError(403, "access_denied", "Доступ запрещён")


def _not_found(what: str) -> MesError:
    return MesError(404, "not_found", f"Не найдено: {what}")


class Emulator:
    """The emulator's state and request handlers (one per app)."""

    def __init__(
        self,
        world: World | Worlds,
        *,
        sso: SsoVerifier | None,
        controls: FaultControls,
        token_ttl_calls: int | None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._worlds = world
        self.clock = clock
        self.acknowledgements: list[dict[str, object]] = []
        """Weeks legal representatives acknowledged (``diary_acknowledgements``)."""
        self._data: MoscowData | None = None
        self.sso = sso
        self.controls = controls
        self.token_ttl_calls = token_ttl_calls
        self.tokens: PersonaTokens[int] = PersonaTokens(
            lifetime=TOKEN_LIFETIME,
            calls_per_token=token_ttl_calls,
            capacity=MAX_TOKENS,
            clock=clock,
        )
        """Issued token → profile id."""
        self._messiness = Messiness()

    @property
    def messy(self) -> Messiness | None:
        """The messy renderer while messy mode is on (``/__admin/faults``), else ``None``."""
        return self._messiness if self.controls.faults.messy else None

    def _strangers(self, student: SeedStudent) -> list[SeedStudent]:
        """For a feed that ignores its filter: the student's siblings and one stranger."""
        world = self.world
        family = {s.id for key, _ in student.parents for s, _ in world.children_of(key)}
        siblings = [world.students[i] for i in sorted(family - {student.id})]
        stranger = next(
            (
                s
                for s in world.students.values()
                if s.class_id != student.class_id and s.id not in family
            ),
            None,
        )
        return [*siblings, *([stranger] if stranger is not None else [])]

    @property
    def world(self) -> World:
        """The world of the school year the clock is in (a fixed world if one was given)."""
        worlds = self._worlds
        return worlds if isinstance(worlds, World) else worlds.current()

    @property
    def data(self) -> MoscowData:
        """The current world as МЭШ renders it (rebuilt when a new school year starts)."""
        world = self.world
        if self._data is None or self._data.world is not world:
            self._data = MoscowData(world)
        return self._data

    # -- helpers -----------------------------------------------------------------------

    def _issue(self, profile: MesProfile) -> str:
        return self.tokens.issue(profile.id)

    def _authenticate(
        self, request: Request, *, family: bool = False, role: bool = False
    ) -> MesProfile:
        headers = request.headers
        token = headers.get("auth-token")
        if not token:
            scheme, _, value = headers.get("authorization", "").partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else ""
        if not token:
            raise MesError(401, "authentication_error", "Требуется авторизация")
        profile_id = self.tokens.resolve(token)
        if profile_id is None:
            raise MesError(401, "authentication_error", EXPIRED_MESSAGE)
        profile = self.data.profiles[profile_id]
        if not headers.get("x-mes-subsystem"):
            raise _bad_request("Не передан заголовок X-Mes-Subsystem")
        if family:
            raw = headers.get("profile-id")
            if not raw:
                raise _bad_request("Не передан заголовок Profile-Id")
            if raw.strip() != str(profile.id):
                raise _forbidden()
        if role:
            mes_role = headers.get("x-mes-role")
            if not mes_role:
                raise _bad_request("Не передан заголовок X-Mes-Role")
            if mes_role.strip().lower() != profile.type:
                raise _forbidden()
        return profile

    @staticmethod
    def _int(request: Request, name: str, *, required: bool = True) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            if required:
                raise _bad_request(f"Не передан параметр {name}")
            return None
        try:
            return int(raw)
        except ValueError:
            raise _bad_request(f"Неверное значение параметра {name}") from None

    def _required_int(self, request: Request, name: str) -> int:
        value = self._int(request, name)
        assert value is not None
        return value

    @staticmethod
    def _range(request: Request, first: str, last: str) -> tuple[date, date]:
        try:
            start = date.fromisoformat(request.query_params[first])
            end = date.fromisoformat(request.query_params[last])
        except KeyError as exc:
            raise _bad_request(f"Не передан параметр {exc.args[0]}") from None
        except ValueError:
            raise _bad_request("Даты передаются как ГГГГ-ММ-ДД") from None
        if end < start or (end - start).days > MAX_RANGE_DAYS:
            raise _bad_request("Неверный период")
        return start, end

    def _student(self, request: Request, profile: MesProfile) -> SeedStudent:
        student = self.world.students.get(self._required_int(request, "student_id"))
        if student is None:
            raise _not_found("ученик")
        if not self.data.may_read_student(profile, student):
            raise _forbidden()
        return student

    def _group(self, request: Request, profile: MesProfile) -> SeedGroup:
        group = self.world.groups.get(self._required_int(request, "group_id"))
        if group is None:
            raise _not_found("группа")
        if not self.data.may_read_group(profile, group):
            raise _forbidden()
        return group

    # -- identity ----------------------------------------------------------------------

    async def sessions(self, request: Request) -> Response:
        body = await _json_body(request)
        login, password = body.get("login"), body.get("password_plain")
        if not isinstance(login, str) or not isinstance(password, str):
            raise _bad_request("Нужны login и password_plain")
        student = self.data.student_by_login(login)
        # the same answer for a wrong login and a wrong password
        if student is None or not secrets.compare_digest(
            student.password.encode(), password.encode()
        ):
            raise MesError(401, "authentication_error", "Неверный логин или пароль")
        token = self._issue(self.data.profiles[student.id])
        return JSONResponse(self.data.session_user(student, token))

    async def sudir_auth(self, request: Request) -> Response:
        scheme, _, bearer = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not bearer.strip():
            raise MesError(401, "authentication_error", "Требуется токен mos.ru")
        if self.sso is None:
            raise MesError(401, "authentication_error", "Вход через mos.ru не настроен")
        subject = await self.sso.subject(bearer.strip())
        if subject is None:
            raise MesError(401, "authentication_error", "Недействительный токен mos.ru")
        profile = self.data.profile_for_national_id(subject)
        if profile is None:
            raise MesError(401, "authentication_error", "Пользователь не найден")
        return JSONResponse(
            {
                "token": self._issue(profile),
                "expires_in": TOKEN_LIFETIME,
                "profile_id": profile.id,
                "profile_type": profile.type,
            }
        )

    async def schools(self, request: Request) -> Response:
        """The public school directory (no token): not on the protocol page, see README."""
        return JSONResponse(self.data.schools())

    async def profile_info(self, request: Request) -> Response:
        return JSONResponse(self.data.profile_info(self._authenticate(request)))

    # -- family API --------------------------------------------------------------------

    async def family_profile(self, request: Request) -> Response:
        profile = self._authenticate(request, family=True)
        body = self.data.family_profile(profile)
        messy = self.messy
        return JSONResponse(body if messy is None else messy.family_profile(body))

    async def marks(self, request: Request) -> Response:
        profile = self._authenticate(request, family=True)
        student = self._student(request, profile)
        start, end = self._range(request, "from", "to")
        marks = self.data.student_marks(student, start, end)
        body = {"payload": [self.data.mark_json(m) for m in marks]}
        messy = self.messy
        return JSONResponse(body if messy is None else messy.marks(body))

    async def homeworks_short(self, request: Request) -> Response:
        profile = self._authenticate(request, family=True)
        student = self._student(request, profile)
        start, end = self._range(request, "from", "to")
        body = {"payload": self.data.homeworks_short(student, start, end)}
        messy = self.messy
        return JSONResponse(body if messy is None else messy.homeworks_short(body))

    async def homework_done(self, request: Request) -> Response:
        profile = self._authenticate(request, family=True)
        found = self.data.find_homework_entry(int(request.path_params["entry_id"]))
        if found is None:
            raise _not_found("домашнее задание")
        student, homework = found
        if not self.data.may_write_homework(profile, student):
            raise _forbidden()  # the student themself or a legal representative only
        if request.method == "POST":
            self.world.homework_done.add((student.id, homework.id))
        else:
            self.world.homework_done.discard((student.id, homework.id))
        return JSONResponse({"success": True})

    async def remarks(self, request: Request) -> Response:
        profile = self._authenticate(request, family=True)
        student = self._student(request, profile)
        start, end = self._range(request, "from", "to")
        return JSONResponse({"payload": self.data.remarks_json(student, start, end)})

    async def diary_acknowledgement(self, request: Request) -> Response:
        """A legal representative signs the week («ознакомлен»); ours, like ``remarks``."""
        profile = self._authenticate(request, family=True)
        body = await _json_body(request)
        student = self.world.students.get(body.get("student_id"))  # type: ignore[arg-type]
        if student is None:
            raise _not_found("ученик")
        if profile.type != "parent" or not self.data.may_write_homework(profile, student):
            raise _forbidden()  # the legal representative only
        week, digest, receipt = body.get("week_of"), body.get("content_hash"), body.get("receipt")
        if not all(isinstance(v, str) and v for v in (week, digest, receipt)):
            raise _bad_request("Нужны week_of, content_hash и receipt")
        self.acknowledgements.append(
            {"student_id": student.id, "week_of": week, "content_hash": digest, "receipt": receipt}
        )
        return JSONResponse({"success": True})

    async def diary_acknowledgements(self, request: Request) -> Response:
        profile = self._authenticate(request, family=True)
        student = self._student(request, profile)
        own = [a for a in self.acknowledgements if a["student_id"] == student.id]
        return JSONResponse({"payload": own})

    async def events(self, request: Request) -> Response:
        profile = self._authenticate(request, role=True)
        guids = [
            guid.strip()
            for raw in request.query_params.getlist("person_ids")
            for guid in raw.split(",")
            if guid.strip()
        ]
        if not guids:
            raise _bad_request("Не передан параметр person_ids")
        start, end = self._range(request, "begin_date", "end_date")
        expand = {
            part.strip()
            for raw in request.query_params.getlist("expand")
            for part in raw.split(",")
        }
        students: list[SeedStudent] = []
        for guid in guids:
            student = self.data.student_by_guid(guid)
            if student is None:
                raise _not_found("ученик")
            if not self.data.may_read_student(profile, student):
                raise _forbidden()
            students.append(student)
        events = [e for s in students for e in self.data.events(s, start, end, expand)]
        events.sort(key=lambda e: str(e["start_at"]))
        body = {"total_count": len(events), "errors": None, "response": events}
        messy = self.messy
        if messy is not None:
            missed = {
                a.lesson_id
                for s in students
                for day in self.world.days(start, end)
                for a in self.data.absences(s.class_id, day)
                if a.student_id == s.id
            }
            body = messy.events(body, missed)
        return JSONResponse(body)

    async def attendance(self, request: Request) -> Response:
        profile = self._authenticate(request, family=True)
        student = self._student(request, profile)
        start, end = self._range(request, "from", "to")
        body = self.data.attendance(student, start, end)
        messy = self.messy
        return JSONResponse(body if messy is None else messy.attendance(body))

    async def nonattendance_reasons(self, request: Request) -> Response:
        self._authenticate(request)
        return JSONResponse(self.data.nonattendance_reasons())

    async def subject_marks_short(self, request: Request) -> Response:
        profile = self._authenticate(request, family=True)
        student = self._student(request, profile)
        payload = self.data.subject_marks_short(student)
        messy = self.messy
        return JSONResponse(
            {"payload": payload if messy is None else messy.subject_marks_short(payload)}
        )

    async def notifications(self, request: Request) -> Response:
        profile = self._authenticate(request, family=True)
        student = self._student(request, profile)
        own = self.data.notifications(student)
        messy = self.messy
        if messy is None:
            return JSONResponse(own)
        others = [self.data.notifications(s) for s in self._strangers(student)]
        return JSONResponse(messy.notifications(own, others))

    async def school_info(self, request: Request) -> Response:
        self._authenticate(request, family=True)
        school_id = self._required_int(request, "school_id")
        info = self.data.school_info(school_id, self._int(request, "class_unit_id", required=False))
        if info is None:
            raise _not_found("школа")
        return JSONResponse(info)

    # -- teacher API -------------------------------------------------------------------

    async def class_profiles(self, request: Request) -> Response:
        profile = self._authenticate(request)
        class_id = self._required_int(request, "class_unit_id")
        if class_id not in self.world.classes:
            raise _not_found("класс")
        if not (
            self.data.may_read_class(profile, class_id) or self.data.is_classmate(profile, class_id)
        ):
            raise _forbidden()
        types = request.query_params.get("types", "student")
        per_page = max(1, min(1000, self._int(request, "per_page", required=False) or 50))
        page = max(1, self._int(request, "page", required=False) or 1)
        members = self.data.class_list(class_id) if "student" in types.split(",") else []
        return JSONResponse(members[(page - 1) * per_page : page * per_page])

    async def teacher_groups(self, request: Request) -> Response:
        """Call 12; ``class_unit_id`` or ``school_id`` widen it to groups the caller may read."""
        profile = self._authenticate(request)
        if profile.type != "teacher":
            raise _forbidden()
        class_id = self._int(request, "class_unit_id", required=False)
        school_id = self._int(request, "school_id", required=False)
        groups = list(self.world.groups.values())
        if class_id is not None:
            if class_id not in self.world.classes:
                raise _not_found("класс")
            if not self.data.may_read_class(profile, class_id):
                raise _forbidden()
            chosen = [
                g for g in groups if g.class_id == class_id and self.data.may_read_group(profile, g)
            ]
        elif school_id is not None:
            if profile.school_id != school_id:
                raise _forbidden()
            chosen = [
                g
                for g in groups
                if g.school_id == school_id and self.data.may_read_group(profile, g)
            ]
        else:
            chosen = [g for g in groups if g.teacher_id == profile.teacher_id]
        return JSONResponse([self.data.group_json(g) for g in chosen])

    async def teacher_marks(self, request: Request) -> Response:
        profile = self._authenticate(request)
        group = self._group(request, profile)
        start, end = self._range(request, "from", "to")
        marks = self.data.group_marks(group, start, end)
        return JSONResponse([self.data.teacher_mark_json(m) for m in marks])

    async def schedule_items(self, request: Request) -> Response:
        profile = self._authenticate(request)
        group = self._group(request, profile)
        start, end = self._range(request, "from", "to")
        lessons = self.data.group_lessons(group, start, end)
        return JSONResponse([self.data.schedule_item_json(le) for le in lessons])

    def _mark_fields(
        self, body: dict[str, Any], lesson: Any, current: NativeMark | None = None
    ) -> dict[str, Any]:
        """The mark a create or correct body describes, checked against the lesson's scale
        (400 with ``details.field`` otherwise); a correction without ``control_form_id``
        keeps the ``current`` mark's form."""
        try:
            (origin_spec,) = body["grade_origins"]
            origin = str(origin_spec["grade_origin"]).strip()
            system_id = int(origin_spec["grade_system_id"])
        except (KeyError, TypeError, ValueError):
            raise _rejected(
                "grade_origins: одна отметка {grade_origin, grade_system_id}", "grade_origins"
            ) from None
        system = _SCALES.get(system_id)
        if system is None:
            raise _rejected(f"Неизвестная система оценивания {system_id}", "grade_system_id")
        wanted = self.data.lesson_scale(lesson)
        if system != wanted:
            raise _rejected(
                f"Урок оценивается по шкале «{_SCALE_NAMES[wanted]}»", "grade_system_id"
            )
        low, high = _SCALE_BOUNDS[system]
        if not origin.isdigit() or not low <= int(origin) <= high:
            raise _rejected(
                f"Отметка «{origin}» вне шкалы «{_SCALE_NAMES[system]}» ({low}–{high})",
                "grade_origins",
            )
        try:
            if current is not None and body.get("control_form_id") is None:
                control_form = current.control_form
            else:
                control_form = CONTROL_FORMS[int(body["control_form_id"])]
        except (KeyError, TypeError, ValueError):
            raise _rejected("Неизвестная форма контроля", "control_form_id") from None
        weight = body.get("weight", 1)
        if weight is None:
            weight = 1
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 10:
            raise _rejected("Вес отметки — целое число от 1 до 10", "weight")
        comment = body.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise _rejected("comment: строка", "comment")
        is_exam = body.get("is_exam", False)
        if not isinstance(is_exam, bool):
            raise _rejected("is_exam: true или false", "is_exam")
        return {
            "origin": origin,
            "system": system,
            "weight": weight,
            "control_form": control_form,
            "comment": comment.strip() or None if isinstance(comment, str) else None,
            "is_exam": is_exam,
        }

    async def _idempotent(
        self,
        request: Request,
        profile: MesProfile,
        body: dict[str, Any],
        write: Callable[[], Awaitable[tuple[int, Any]]],
    ) -> Response:
        """Run ``write`` once per ``Idempotency-Key`` of a profile: the same key and request
        again get the first answer (nothing written twice); another request under a used key
        is refused (422). Without the header every request writes. Refusals (4xx) are not
        kept: a corrected request under the same key may still succeed."""
        key = request.headers.get("idempotency-key", "").strip()
        if not key:
            status, answer = await write()
            return JSONResponse(answer, status_code=status)
        if len(key) > 255:
            raise _rejected("Idempotency-Key длиннее 255 символов", "Idempotency-Key")
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False)
        fingerprint = hashlib.sha256(
            f"{request.method} {request.url.path}\n{canonical}".encode()
        ).hexdigest()
        kept = self.data.idempotent_answers.get((profile.id, key))
        if kept is not None:
            if kept[0] != fingerprint:
                raise MesRejection(
                    "Ключ идемпотентности уже использован для другого запроса",
                    field="Idempotency-Key",
                    status=422,
                )
            return JSONResponse(kept[2], status_code=kept[1])
        status, answer = await write()
        kept_answers = self.data.idempotent_answers
        if len(kept_answers) >= MAX_KEPT_ANSWERS:  # the oldest key is forgotten first
            del kept_answers[next(iter(kept_answers))]
        kept_answers[(profile.id, key)] = (fingerprint, status, answer)
        return JSONResponse(answer, status_code=status)

    def _writable_lesson(self, profile: MesProfile, lesson_id: int) -> Any:
        """The lesson a teacher may mark: 404 unknown, 403 not their group's."""
        try:
            lesson = self.world.find_lesson(lesson_id)
        except (OverflowError, ValueError):
            lesson = None
        if lesson is None:
            raise _not_found("урок")
        if not self.data.may_write_group(profile, self.world.groups[lesson.group_id]):
            raise _forbidden()
        return lesson

    async def create_mark(self, request: Request) -> Response:
        """Call 15: a teacher gives a mark on a lesson of a group they teach."""
        profile = self._authenticate(request)
        body = await _json_body(request)
        try:
            student_id = int(body["student_profile_id"])
            lesson_id = int(body["schedule_item_id"])
        except (KeyError, TypeError, ValueError):
            raise _bad_request("Нужны student_profile_id и schedule_item_id") from None
        lesson = self._writable_lesson(profile, lesson_id)
        student = self.world.students.get(student_id)
        if student is None or student.class_id != lesson.class_id:
            raise _not_found("ученик")
        fields = self._mark_fields(body, lesson)

        async def write() -> tuple[int, Any]:
            mark = self.data.create_mark(student=student, lesson=lesson, **fields)
            return 201, self.data.teacher_mark_json(mark)

        return await self._idempotent(request, profile, body, write)

    async def correct_mark(self, request: Request) -> Response:
        """``PUT …/teacher/v1/marks/{id}`` (ours, in call 15's shape): the teacher of the
        mark's group corrects it (value, weight, control form, comment, exam); the change
        feed reports ``update_mark`` with the old and the new value."""
        profile = self._authenticate(request)
        body = await _json_body(request)
        mark: NativeMark | None = self.data.find_mark(int(request.path_params["mark_id"]))
        if mark is None:
            raise _not_found("отметка")
        lesson = self._writable_lesson(profile, mark.lesson.id)
        if "student_profile_id" in body and str(body["student_profile_id"]) != str(mark.student_id):
            raise _rejected("Отметка поставлена другому ученику", "student_profile_id")
        if "schedule_item_id" in body and str(body["schedule_item_id"]) != str(lesson.id):
            raise _rejected("Отметка поставлена за другой урок", "schedule_item_id")
        fields = self._mark_fields(body, lesson, mark)

        async def write() -> tuple[int, Any]:
            origin = fields.pop("origin")
            changed = self.data.change_mark(mark.id, origin, **fields)
            if changed is None:  # pragma: no cover - found above, nothing awaits between
                raise _not_found("отметка")
            return 200, self.data.teacher_mark_json(changed)

        return await self._idempotent(request, profile, body, write)

    # -- advance absence notices ---------------------------------------------------------

    def _notice_fields(self, body: dict[str, Any]) -> tuple[tuple[date, ...], int, str | None]:
        """The dates, reason and description of a notice body (400 otherwise): every date
        today or later in the school's zone, one reason a parent may give."""
        items = body.get("notifications")
        if not isinstance(items, list) or not items:
            raise _rejected("notifications: непустой список {date, reason_id}", "notifications")
        if len(items) > MAX_NOTICE_DAYS:
            raise _rejected(f"Не больше {MAX_NOTICE_DAYS} дней в одном уведомлении", "dates")
        today = self.world.today
        dates: list[date] = []
        reasons: set[int] = set()
        descriptions: set[str] = set()
        for item in items:
            if not isinstance(item, dict):
                raise _rejected("notifications: объекты {date, reason_id}", "notifications")
            try:
                day = date.fromisoformat(str(item["date"]))
            except (KeyError, ValueError):
                raise _rejected("date: дата ГГГГ-ММ-ДД", "dates") from None
            if day < today:
                raise _rejected(
                    f"Нельзя сообщить об отсутствии за прошедший день {day.isoformat()}", "dates"
                )
            reason = item.get("reason_id")
            if isinstance(reason, bool) or not isinstance(reason, int) or reason not in REASONS:
                raise _rejected("Неизвестная причина отсутствия", "reason_id")
            if not REASONS[reason][1]:
                raise _rejected("Эту причину родитель указать не может", "reason_id")
            text = item.get("description")
            if text is not None and not isinstance(text, str):
                raise _rejected("description: строка", "description")
            if text and len(text) > MAX_DESCRIPTION:
                raise _rejected(f"description: не длиннее {MAX_DESCRIPTION}", "description")
            dates.append(day)
            reasons.add(reason)
            descriptions.add((text or "").strip())
        if len(reasons) > 1:
            raise _rejected("Одна причина на уведомление", "reason_id")
        (reason_id,) = reasons
        description = sorted(descriptions)[-1] or None
        return tuple(sorted(set(dates))), reason_id, description

    async def _representative_request(
        self, request: Request
    ) -> tuple[MesProfile, dict[str, Any], SeedStudent]:
        """An attendance write's caller, JSON body and student: a legal representative of
        that student only (others 403; no such student 404)."""
        profile = self._authenticate(request, family=True)
        body = await _json_body(request)
        try:
            student = self.world.students.get(int(body["student_id"]))
        except (KeyError, TypeError, ValueError):
            raise _bad_request("Не передан student_id") from None
        if student is None:
            raise _not_found("ученик")
        if profile.type != "parent" or not self.data.may_write_homework(profile, student):
            raise _forbidden()  # a legal representative only
        return profile, body, student

    async def notify_absence(self, request: Request) -> Response:
        """``POST /api/family/mobile/v1/attendance`` (regional-diary-apis §МЭШ row 19):
        ``{student_id, notifications: [{date, reason_id, description}]}`` — a legal
        representative tells the school the student will be absent on those days (today
        or later). Answers the notice recorded (its shape is ours)."""
        profile, body, student = await self._representative_request(request)
        dates, reason_id, description = self._notice_fields(body)

        async def write() -> tuple[int, Any]:
            notice = self.data.add_absence_notice(
                student=student,
                dates=dates,
                reason_id=reason_id,
                description=description,
                author=profile,
            )
            return 201, self.data.absence_notice_json(notice)

        return await self._idempotent(request, profile, body, write)

    async def withdraw_absence(self, request: Request) -> Response:
        """``DELETE /api/family/mobile/v1/attendance`` (row 19): ``{student_id,
        notifications: [{date}]}`` — a legal representative withdraws those days (today or
        later) of the student's notices; a notice left without days goes. Answers
        ``{"success": true, "removed": <days taken out>}`` (``removed`` is ours)."""
        _, body, student = await self._representative_request(request)
        items = body.get("notifications")
        if not isinstance(items, list) or not items:
            raise _rejected("notifications: непустой список {date}", "notifications")
        dates: set[date] = set()
        for item in items:
            try:
                day = date.fromisoformat(str(item["date"]))
            except (KeyError, TypeError, ValueError):
                raise _rejected("date: дата ГГГГ-ММ-ДД", "dates") from None
            if day < self.world.today:
                raise _rejected(
                    f"Нельзя отозвать уведомление за прошедший день {day.isoformat()}", "dates"
                )
            dates.add(day)
        removed = self.data.withdraw_absence(student, dates)
        return JSONResponse({"success": True, "removed": removed})

    async def absence_notices(self, request: Request) -> Response:
        """``GET /api/family/mobile/v1/attendance/notifications?student_id=`` (ours: МЭШ
        shows them in its apps, no documented call lists them): the student's advance
        absence notices, the earliest first day first, as ``{"payload": [...]}``. For the
        student's legal representatives and the class teacher of the student's class."""
        profile = self._authenticate(request, family=True)
        student = self.world.students.get(self._required_int(request, "student_id"))
        if student is None:
            raise _not_found("ученик")
        representative = profile.type == "parent" and self.data.may_write_homework(profile, student)
        if not representative and student.class_id not in profile.class_unit_ids:
            raise _forbidden()
        notices = sorted(
            self.data.absence_notices.get(student.id, ()), key=lambda n: (n.dates[0], n.id)
        )
        return JSONResponse({"payload": [self.data.absence_notice_json(n) for n in notices]})

    async def admin_marks(self, request: Request) -> Response:
        """``POST /__admin/marks`` (ours, for tests and demos): add a mark, or change one.

        ``{"student_id": 7700…, "value": "5"}`` adds a mark on the student's latest lesson
        before today (``"subject"`` picks the subject, ``"day"`` an ISO date to start
        looking back from); ``{"mark_id": …, "value": "4"}`` changes a mark (any, by id).
        Answers the mark: ``{"mark_id", "student_id", "subject", "lesson_date", "value"}``.
        """
        body = await _json_body(request)
        value = str(body.get("value", "")).strip()
        if not value.isdigit() or not 1 <= int(value) <= 5:
            raise _bad_request("value: a mark from 1 to 5")
        if "mark_id" in body:
            try:
                changed = self.data.change_mark(int(body["mark_id"]), value)
            except (TypeError, ValueError):
                raise _bad_request("mark_id: an integer") from None
            if changed is None:
                raise _not_found("отметка")
            return JSONResponse(_admin_mark(changed))
        try:
            student = self.world.students.get(int(body["student_id"]))
            start = date.fromisoformat(body["day"]) if body.get("day") else None
        except (KeyError, TypeError, ValueError):
            raise _bad_request("student_id: an integer; day: an ISO date") from None
        if student is None:
            raise _not_found("ученик")
        subject = body.get("subject")
        day = start or self.world.today - timedelta(days=1)
        for _ in range(60):  # the latest school day with such a lesson
            lessons = [
                le
                for le in self.data.lessons(student.class_id, day)
                if not le.cancelled and (subject is None or le.subject == subject)
            ]
            if lessons:
                break
            day -= timedelta(days=1)
        else:
            raise _not_found("урок")
        mark = self.data.create_mark(
            student=student,
            lesson=lessons[0],
            origin=value,
            system="five",
            weight=1,
            control_form=CONTROL_FORMS[4600001],
            comment=None,
            is_exam=False,
        )
        return JSONResponse(_admin_mark(mark), status_code=201)

    def _admin_lesson(self, body: dict[str, Any]) -> tuple[SeedStudent | None, Any]:
        """The lesson a body names: ``lesson_id``, or ``student_id`` with ``day`` (ISO date,
        default today) and ``subject`` (default the day's first lesson)."""
        try:
            if "lesson_id" in body:
                lesson = self.world.find_lesson(int(body["lesson_id"]))
                student = (
                    self.world.students.get(int(body["student_id"]))
                    if "student_id" in body
                    else None
                )
                if lesson is None:
                    raise _not_found("урок")
                return student, lesson
            student = self.world.students.get(int(body["student_id"]))
            day = date.fromisoformat(body["day"]) if body.get("day") else None
        except (KeyError, TypeError, ValueError):
            raise _bad_request("lesson_id or student_id: integers; day: an ISO date") from None
        if student is None:
            raise _not_found("ученик")
        subject = body.get("subject")
        for offset in range(1 if day is not None else 14):  # no day: today or the next one
            lessons = [
                le
                for le in self.data.lessons(
                    student.class_id, (day or self.world.today) + timedelta(days=offset)
                )
                if subject is None or le.subject == subject
            ]
            if lessons:
                return student, lessons[0]
        raise _not_found("урок")

    async def admin_absences(self, request: Request) -> Response:
        """``POST /__admin/absences`` (ours, for tests and demos): mark a student absent.

        ``{"student_id": 7700…, "day": "2026-…", "subject": "…", "reason_id": 1}`` (or
        ``"lesson_id"``) marks the student absent from that lesson (the day's first lesson of
        the subject; without ``day``, today's or the next school day's); again with another
        ``reason_id`` changes it. Answers ``{"student_id", "lesson_id", "day", "subject",
        "reason_id"}``.
        """
        body = await _json_body(request)
        student, lesson = self._admin_lesson(body)
        if student is None:
            raise _bad_request("student_id: the absent student")
        reason_id = body.get("reason_id", 1)
        if not isinstance(reason_id, int) or reason_id not in REASONS:
            raise _bad_request(f"reason_id: one of {sorted(REASONS)}")
        absence = self.data.add_absence(student, lesson, reason_id)
        return JSONResponse(
            {
                "student_id": absence.student_id,
                "lesson_id": absence.lesson_id,
                "day": absence.day.isoformat(),
                "subject": lesson.subject,
                "reason_id": absence.reason_id,
            },
            status_code=201,
        )

    async def admin_lessons(self, request: Request) -> Response:
        """``POST /__admin/lessons`` (ours, for tests and demos): change a lesson.

        Names the lesson as ``/__admin/absences`` does, with any of ``"room"`` (text),
        ``"cancelled"``, ``"replaced"`` (booleans), ``"topic"`` (text), ``"teacher_id"``,
        ``"starts"``, ``"ends"`` (``"HH:MM"``). Answers ``{"lesson_id", "day", "subject",
        "room", "cancelled", "teacher_id", "starts", "ends"}``.
        """
        body = await _json_body(request)
        _, lesson = self._admin_lesson(body)
        changes: dict[str, object] = {}
        try:
            for key in ("room", "topic"):
                if key in body:
                    changes[key] = str(body[key])
            for key in ("cancelled", "replaced"):
                if key in body:
                    changes[key] = bool(body[key])
            if "teacher_id" in body:
                teacher = int(body["teacher_id"])
                if teacher not in self.world.teachers:
                    raise _not_found("учитель")
                changes["teacher_id"] = teacher
            for key in ("starts", "ends"):
                if key in body:
                    changes[key] = time.fromisoformat(str(body[key]))
        except (TypeError, ValueError):
            raise _bad_request("teacher_id: an integer; starts, ends: HH:MM") from None
        changed = self.data.change_lesson(lesson, **changes)
        return JSONResponse(
            {
                "lesson_id": changed.id,
                "day": changed.day.isoformat(),
                "subject": changed.subject,
                "room": changed.room,
                "cancelled": changed.cancelled,
                "teacher_id": changed.teacher_id,
                "starts": changed.starts.isoformat(timespec="minutes"),
                "ends": changed.ends.isoformat(timespec="minutes"),
            }
        )

    async def admin_families(self, request: Request) -> Response:
        """``POST /__admin/families`` (ours, for tests and demos): ``{"student_id": 7700…,
        "linked": false}`` takes the student off every parent's profile (the family's link
        ended); ``"linked": true`` puts them back. Answers ``{"student_id", "linked"}``."""
        body = await _json_body(request)
        try:
            student = self.world.students.get(int(body["student_id"]))
        except (KeyError, TypeError, ValueError):
            raise _bad_request("student_id: an integer") from None
        if student is None:
            raise _not_found("ученик")
        linked = bool(body.get("linked", False))
        if linked:
            self.data.unlinked.discard(student.id)
        else:
            self.data.unlinked.add(student.id)
        return JSONResponse({"student_id": student.id, "linked": linked})

    # -- the app -----------------------------------------------------------------------

    def routes(self) -> list[Route]:
        family = "/api/family/mobile/v1"
        teacher = "/api/ej/core/teacher/v1"
        return [
            Route("/lms/api/sessions", self.sessions, methods=["POST"]),
            Route("/v3/auth/sudir/auth", self.sudir_auth, methods=["POST"]),
            Route("/core/api/schools", self.schools),
            Route("/acl/api/users/profile_info", self.profile_info),
            Route(f"{family}/profile", self.family_profile),
            Route(f"{family}/marks", self.marks),
            Route(f"{family}/homeworks/short", self.homeworks_short),
            Route(
                f"{family}/homeworks/{{entry_id:int}}/done",
                self.homework_done,
                methods=["POST", "DELETE"],
            ),
            Route("/api/eventcalendar/v1/api/events", self.events),
            Route(f"{family}/attendance", self.attendance),
            Route(f"{family}/attendance", self.notify_absence, methods=["POST"]),
            Route(f"{family}/attendance", self.withdraw_absence, methods=["DELETE"]),
            Route(f"{family}/attendance/notifications", self.absence_notices),
            Route("/api/ej/core/family/v1/nonattendance_reasons", self.nonattendance_reasons),
            Route(f"{family}/subject_marks/short", self.subject_marks_short),
            Route(f"{family}/notifications/search", self.notifications),
            Route(f"{family}/school_info", self.school_info),
            Route(f"{family}/remarks", self.remarks),
            Route(f"{family}/diary_acknowledgements", self.diary_acknowledgements),
            Route(f"{family}/diary_acknowledgements", self.diary_acknowledgement, methods=["POST"]),
            Route("/core/api/profiles", self.class_profiles),
            Route(f"{teacher}/groups", self.teacher_groups),
            Route(f"{teacher}/marks", self.teacher_marks),
            Route(f"{teacher}/marks", self.create_mark, methods=["POST"]),
            Route(f"{teacher}/marks/{{mark_id:int}}", self.correct_mark, methods=["PUT"]),
            Route(f"{teacher}/schedule_items", self.schedule_items),
            Route("/__admin/marks", self.admin_marks, methods=["POST"]),
            Route("/__admin/absences", self.admin_absences, methods=["POST"]),
            Route("/__admin/lessons", self.admin_lessons, methods=["POST"]),
            Route("/__admin/families", self.admin_families, methods=["POST"]),
        ]


def _admin_mark(mark: Any) -> dict[str, Any]:
    return {
        "mark_id": mark.id,
        "student_id": mark.student_id,
        "subject": mark.lesson.subject,
        "lesson_date": mark.lesson.day.isoformat(),
        "value": mark.origin,
    }


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise _bad_request("Тело запроса не JSON") from None
    if not isinstance(body, dict):
        raise _bad_request("Тело запроса должно быть объектом")
    return body


def _error_response(status: int, kind: str, description: str, details: Any = None) -> Response:
    return JSONResponse(mes_error(kind, description, details), status_code=status)


async def _on_mes_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MesError)
    if isinstance(exc, MesRejection):
        document = {**mes_error(exc.kind, exc.description, exc.details), "message": exc.description}
        return JSONResponse(document, status_code=exc.status)
    return _error_response(exc.status, exc.kind, exc.description, exc.details)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return _error_response(exc.status_code, kind, str(exc.detail))


async def _on_crash(request: Request, exc: Exception) -> Response:
    return _error_response(500, "internal_error", "Внутренняя ошибка сервера")


def create_emulator(
    *,
    world: World | None = None,
    clock: Clock = SYSTEM_CLOCK,
    sso_jwks_url: str | None = None,
    faults: EmulatorFaults | None = None,
    token_ttl_calls: int | None = None,
) -> Starlette:
    """The emulator app.

    Args:
        world: a fixed demo world to serve (default: region 77's world of whatever school
            year ``clock`` is in, moving to the next year by itself).
        clock: the clock of the default world (default: the system clock).
        sso_jwks_url: the JWKS URL of the trusted national SSO issuer; without it the
            ``/v3/auth/sudir/auth`` exchange answers 401.
        faults: the faults to start with (also what ``/__admin/reset`` goes back to).
        token_ttl_calls: if set, a token is refused (401, session ended) after this many calls.
    """
    if token_ttl_calls is not None and token_ttl_calls < 1:
        raise ValueError("token_ttl_calls must be at least 1")
    worlds: World | Worlds = (
        world if world is not None else Worlds(REGION, clock=clock, zone=MOSCOW)
    )
    controls = FaultControls(initial=faults or EmulatorFaults(), spared=TOKEN_ISSUERS)
    emulator = Emulator(
        worlds,
        sso=SsoVerifier(sso_jwks_url) if sso_jwks_url else None,
        controls=controls,
        token_ttl_calls=token_ttl_calls,
        clock=clock,
    )
    app = build_emulator_app(
        emulator.routes(),
        controls=controls,
        answers=MES_FAULTS,
        reset=lambda: emulator.data.reset(),
        refuse=_bad_request,
        exception_handlers={
            MesError: _on_mes_error,
            HTTPException: _on_http_error,
            Exception: _on_crash,
        },
    )
    app.state.emulator = emulator
    return app
