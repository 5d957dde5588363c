"""A deterministic, believable school world for one demo region, in neutral form.

The mock providers and the Moscow emulator render this world into their own native JSON
shapes; it is never handed to the schema directly. A world is one region's school year:

* two schools per region, each with its own name, address, bell schedule and a five- or
  six-day week, two classes of 25 students each (levels differ by school, e.g. 9-А and 5-Б);
* a Russian school calendar (:mod:`diary_gateway_demo.seed.calendar`): quarters, the autumn, winter
  and spring breaks and public holidays have no lessons;
* a weekly timetable per class from the federal curriculum's hours (Математика in 5–6,
  Алгебра and Геометрия from 7, Химия from 8; 6–7 lessons a day in the 9th form, fewer in
  the 5th), one subject group per subject;
* marks (five-point quality, weights, control forms, comments, «зачёт» in P.E.) created after
  their lesson, homework due at the next lesson of the same subject, absences with reasons,
  cancelled / replaced / remote lessons;
* the personas' people: the ``parent`` with a different child in every region (siblings,
  and twins in one class in region 77), ``other-parent`` with a classmate of the region-74
  child, a parent who is not a legal representative, a student, a subject teacher, a class
  teacher and a school admin.

Everything is derived from the region code and the school year, so past days, their ids and
marks never change across midnight or restarts. What *time* it is only decides what has
happened yet: a mark exists once its ``created_at`` has passed, an absence once its lesson
has begun. That time comes from the world's :class:`~adapters.clock.Clock`, read on every
call, so a demo running past midnight moves to the new day by itself. Lessons, marks and
homework of a class day are generated on demand and memoised.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from adapters.clock import SYSTEM_CLOCK, Clock

from .calendar import SchoolCalendar, last_school_week, school_year_of
from .canonical import CANONICAL_WEEK, CanonicalLesson

__all__ = [
    "DEMO_ZONES",
    "PERSONA_KEYS",
    "REASONS",
    "SUBJECTS",
    "Bells",
    "SeedAbsence",
    "SeedClass",
    "SeedGroup",
    "SeedHomework",
    "SeedLesson",
    "SeedMark",
    "SeedPerson",
    "SeedSchool",
    "SeedStudent",
    "SeedTeacher",
    "World",
    "Worlds",
    "national_id",
    "school_year_start",
]

Bells = tuple[tuple[int, time, time], ...]
"""Lesson number, start and end (local time)."""


def _bells(*pairs: tuple[str, str]) -> Bells:
    return tuple(
        (n, time.fromisoformat(a), time.fromisoformat(b)) for n, (a, b) in enumerate(pairs, 1)
    )


BELLS_0830 = _bells(
    ("08:30", "09:15"),
    ("09:25", "10:10"),
    ("10:30", "11:15"),
    ("11:35", "12:20"),
    ("12:30", "13:15"),
    ("13:25", "14:10"),
    ("14:20", "15:05"),
    ("15:15", "16:00"),
)
"""The common day (and МЭШ's): first lesson at 8:30, long breaks after the 2nd and 3rd."""
BELLS_0800 = _bells(
    ("08:00", "08:40"),
    ("08:50", "09:30"),
    ("09:45", "10:25"),
    ("10:45", "11:25"),
    ("11:40", "12:20"),
    ("12:30", "13:10"),
    ("13:20", "14:00"),
    ("14:10", "14:50"),
)
"""Forty-minute lessons from 8:00 (lyceums and six-day schools)."""
BELLS_0900 = _bells(
    ("09:00", "09:45"),
    ("09:55", "10:40"),
    ("11:00", "11:45"),
    ("12:05", "12:50"),
    ("13:00", "13:45"),
    ("13:55", "14:40"),
    ("14:50", "15:35"),
    ("15:45", "16:30"),
)

DEMO_ZONES: dict[str, str] = {
    "74": "Asia/Yekaterinburg",
    "11": "Europe/Moscow",
    "77": "Europe/Moscow",
}
"""The demo regions' time zones (Челябинская область is UTC+5)."""

SUBJECTS: tuple[str, ...] = (
    "Русский язык",
    "Литература",
    "Английский язык",
    "Математика",
    "Алгебра",
    "Геометрия",
    "Вероятность и статистика",
    "Информатика",
    "История",
    "Обществознание",
    "География",
    "Биология",
    "Физика",
    "Химия",
    "Музыка",
    "Изобразительное искусство",
    "Труд (технология)",
    "Физическая культура",
    "ОБЗР",
    "ОДНКНР",
    "Индивидуальный проект",
    "Элективный курс",
)
"""Every subject of the demo schools; a subject's id is its position (plus the region base)."""

PASS_FAIL_SUBJECTS = frozenset({"Физическая культура"})
_NO_HOMEWORK = frozenset(
    {"Физическая культура", "Музыка", "Изобразительное искусство", "Труд (технология)", "ОБЗР"}
)

_CURRICULUM: dict[int, tuple[tuple[str, int], ...]] = {
    5: (
        ("Русский язык", 5),
        ("Литература", 3),
        ("Английский язык", 3),
        ("Математика", 5),
        ("История", 2),
        ("География", 1),
        ("Биология", 1),
        ("Музыка", 1),
        ("Изобразительное искусство", 1),
        ("Труд (технология)", 2),
        ("Физическая культура", 2),
        ("ОДНКНР", 1),
    ),
    6: (
        ("Русский язык", 6),
        ("Литература", 3),
        ("Английский язык", 3),
        ("Математика", 5),
        ("История", 2),
        ("Обществознание", 1),
        ("География", 1),
        ("Биология", 1),
        ("Музыка", 1),
        ("Изобразительное искусство", 1),
        ("Труд (технология)", 2),
        ("Физическая культура", 2),
    ),
    7: (
        ("Русский язык", 4),
        ("Литература", 2),
        ("Английский язык", 3),
        ("Алгебра", 3),
        ("Геометрия", 2),
        ("Вероятность и статистика", 1),
        ("Информатика", 1),
        ("История", 2),
        ("Обществознание", 1),
        ("География", 2),
        ("Биология", 1),
        ("Физика", 2),
        ("Музыка", 1),
        ("Изобразительное искусство", 1),
        ("Труд (технология)", 2),
        ("Физическая культура", 2),
    ),
    8: (
        ("Русский язык", 3),
        ("Литература", 2),
        ("Английский язык", 3),
        ("Алгебра", 3),
        ("Геометрия", 2),
        ("Вероятность и статистика", 1),
        ("Информатика", 1),
        ("История", 2),
        ("Обществознание", 1),
        ("География", 2),
        ("Биология", 2),
        ("Физика", 2),
        ("Химия", 2),
        ("Музыка", 1),
        ("Труд (технология)", 1),
        ("Физическая культура", 2),
        ("ОБЗР", 1),
    ),
    9: (
        ("Русский язык", 3),
        ("Литература", 3),
        ("Английский язык", 3),
        ("Алгебра", 3),
        ("Геометрия", 2),
        ("Вероятность и статистика", 1),
        ("Информатика", 1),
        ("История", 2),
        ("Обществознание", 1),
        ("География", 2),
        ("Биология", 2),
        ("Физика", 3),
        ("Химия", 2),
        ("Физическая культура", 2),
        ("ОБЗР", 1),
    ),
    10: (
        ("Русский язык", 2),
        ("Литература", 3),
        ("Английский язык", 3),
        ("Алгебра", 4),
        ("Геометрия", 3),
        ("Вероятность и статистика", 1),
        ("Информатика", 1),
        ("История", 2),
        ("Обществознание", 2),
        ("География", 1),
        ("Биология", 1),
        ("Физика", 2),
        ("Химия", 1),
        ("Физическая культура", 2),
        ("ОБЗР", 1),
        ("Индивидуальный проект", 1),
    ),
}
"""Weekly hours per subject by form (the federal curriculum, five-day week)."""
_CURRICULUM[11] = _CURRICULUM[10]
_SIX_DAY_EXTRA: tuple[tuple[str, int], ...] = (
    ("Элективный курс", 2),
    ("Русский язык", 1),
    ("Алгебра", 1),
    ("Физическая культура", 1),
)
"""What a six-day school adds for forms 7 and up (36 hours instead of 31)."""

_SPECIALTIES: tuple[tuple[str, ...], ...] = (
    ("Алгебра", "Геометрия", "Вероятность и статистика", "Математика"),
    ("Русский язык", "Литература"),
    ("Русский язык", "Литература"),
    ("Информатика", "Элективный курс"),
    ("Английский язык",),
    ("История", "Обществознание", "ОДНКНР"),
    ("География",),
    ("Биология", "Химия"),
    ("Физика", "Индивидуальный проект"),
    ("Музыка", "Изобразительное искусство"),
    ("Труд (технология)", "ОБЗР"),
    ("Физическая культура",),
)
"""The subjects each teacher of a school teaches (the first is the ``teacher`` persona's)."""

REASONS: dict[int, tuple[str, bool]] = {
    1: ("Болезнь", True),
    2: ("Семейные обстоятельства", True),
    6: ("Без причины", False),
}
"""Absence reason id → (name, excused), as МЭШ numbers them."""

PERSONA_KEYS = (
    "parent",
    "other-parent",
    "parent-not-representative",
    "student",
    "teacher",
    "class-teacher",
    "school-admin",
)

_FAMILY_PARENTS = ("parent", "other-parent", "parent-not-representative")
"""Personas who are one person across regions (one national id)."""


@dataclass(frozen=True, slots=True)
class _SchoolSpec:
    name: str
    short_name: str
    address: str
    login_code: str
    bells: Bells
    six_day_week: bool
    classes: tuple[tuple[int, str], ...]


_SCHOOLS: dict[str, tuple[_SchoolSpec, ...]] = {
    "74": (
        _SchoolSpec(
            "Муниципальное автономное общеобразовательное учреждение «Средняя "
            "общеобразовательная школа № 104 г. Челябинска»",
            "МАОУ «СОШ № 104 г. Челябинска»",
            "454091, г. Челябинск, ул. Кирова, д. 161",
            "sosh104",
            BELLS_0830,
            False,
            ((9, "А"), (5, "Б")),
        ),
        _SchoolSpec(
            "Муниципальное бюджетное общеобразовательное учреждение «Лицей № 77 г. Челябинска»",
            "МБОУ «Лицей № 77 г. Челябинска»",
            "454048, г. Челябинск, ул. Энгельса, д. 46",
            "lyceum77",
            BELLS_0800,
            True,
            ((10, "А"), (6, "В")),
        ),
    ),
    "11": (
        _SchoolSpec(
            "Муниципальное автономное общеобразовательное учреждение «Средняя "
            "общеобразовательная школа № 25» г. Сыктывкара",
            "МАОУ «СОШ № 25» г. Сыктывкара",
            "167000, Республика Коми, г. Сыктывкар, ул. Коммунистическая, д. 52",
            "sosh25",
            BELLS_0830,
            False,
            ((8, "А"), (5, "А")),
        ),
        _SchoolSpec(
            "Муниципальное автономное общеобразовательное учреждение «Гимназия № 3» г. Сыктывкара",
            "МАОУ «Гимназия № 3» г. Сыктывкара",
            "167023, Республика Коми, г. Сыктывкар, ул. Петрозаводская, д. 17",
            "gym3",
            BELLS_0800,
            True,
            ((9, "Б"), (7, "А")),
        ),
    ),
    "77": (
        _SchoolSpec(
            "Государственное бюджетное общеобразовательное учреждение города Москвы «Школа № 1583»",
            "ГБОУ Школа № 1583",
            "125480, г. Москва, ул. Героев Панфиловцев, д. 11",
            "school1583",
            BELLS_0830,
            False,
            ((11, "Б"), (6, "А")),
        ),
        _SchoolSpec(
            "Государственное бюджетное общеобразовательное учреждение города Москвы «Школа № 2098»",
            "ГБОУ Школа № 2098",
            "123098, г. Москва, ул. Маршала Василевского, д. 5",
            "school2098",
            BELLS_0900,
            False,
            ((9, "В"), (5, "Г")),
        ),
    ),
}
"""The demo regions' schools; any other region code gets two generic ones."""


@dataclass(frozen=True, slots=True)
class _Child:
    key: str
    """``sibling`` or ``twin``: which of the family's children."""
    last_name: str
    first_name: str
    middle_name: str
    sex: str
    born: tuple[int, int, int]
    """(years before the school year's start, month, day)."""


_FAMILY: dict[str, tuple[_Child, ...]] = {
    "74": (_Child("sibling", "Соколова", "Мария", "Андреевна", "female", (15, 3, 14)),),
    "11": (_Child("sibling", "Соколов", "Илья", "Андреевич", "male", (14, 6, 2)),),
    "77": (
        _Child("twin", "Соколова", "Анна", "Андреевна", "female", (17, 4, 8)),
        _Child("twin", "Соколов", "Михаил", "Андреевич", "male", (17, 4, 8)),
    ),
}
"""The ``parent`` persona's children (siblings; twins in one class in region 77)."""

_CLASSMATE_74 = _Child("classmate", "Кузнецов", "Артём", "Игоревич", "male", (15, 9, 27))
"""``other-parent``'s child: in the same class as the ``parent``'s child in region 74."""


def national_id(persona: str, region: str) -> str:
    """The national SSO person id (``sub``) of a persona's person in a region.

    The family parents (``parent``, ``other-parent``, ``parent-not-representative``) are one
    person across regions.
    """
    if persona in _FAMILY_PARENTS:
        return f"esia-{persona}"
    return f"esia-{persona}-{region}"


def school_year_start(today: date) -> date:
    """September 1st of the school year that contains ``today``."""
    return date(school_year_of(today), 9, 1)


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_LAST_M = (
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Новиков",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Андреев",
    "Макаров",
    "Захаров",
)
_FIRST_M = (
    "Александр",
    "Дмитрий",
    "Максим",
    "Иван",
    "Артём",
    "Никита",
    "Михаил",
    "Егор",
    "Матвей",
    "Кирилл",
    "Илья",
    "Андрей",
    "Тимофей",
    "Роман",
    "Даниил",
)
_FIRST_F = (
    "Анна",
    "Мария",
    "Софья",
    "Алиса",
    "Виктория",
    "Полина",
    "Елизавета",
    "Дарья",
    "Варвара",
    "Ксения",
    "Екатерина",
    "Вероника",
    "Арина",
    "Ульяна",
    "Ева",
)
_MIDDLE = (
    "Александров",
    "Дмитриев",
    "Сергеев",
    "Андреев",
    "Игорев",
    "Олегов",
    "Викторов",
    "Павлов",
    "Николаев",
    "Евгеньев",
)
_TOPICS = (
    "Повторение",
    "Новая тема",
    "Практическая работа",
    "Решение задач",
    "Контрольная работа",
    "Работа над ошибками",
    "Лабораторная работа",
    "Обобщение",
)
_HOMEWORK = (
    "Параграф {n}, вопросы 1–4",
    "Упр. {n}",
    "№ {n}, {m}",
    "Выучить правило на с. {n}",
    "Подготовить сообщение",
    "Повторить параграфы {n}–{m}",
    "Сделать конспект",
)
_COMMENTS = (
    "Молодец!",
    "Хорошая работа",
    "Есть ошибки в оформлении",
    "Не готов(а) к уроку",
    "Отличный ответ",
    "Повторить тему",
)
_FORMS = (
    ("Ответ на уроке", 1),
    ("Самостоятельная работа", 2),
    ("Домашняя работа", 1),
    ("Контрольная работа", 3),
    ("Диктант", 2),
)


@dataclass(frozen=True, slots=True)
class SeedPerson:
    key: str
    last_name: str
    first_name: str
    middle_name: str
    sex: str
    birth_date: date
    phone: str
    email: str
    national_id: str | None = None


@dataclass(frozen=True, slots=True)
class SeedSchool:
    id: int
    name: str
    short_name: str
    address: str
    login_code: str
    bells: Bells = BELLS_0830
    six_day_week: bool = False

    @property
    def calendar_kind(self) -> str:
        return "six-day" if self.six_day_week else "five-day"


@dataclass(frozen=True, slots=True)
class SeedTeacher:
    id: int
    person: SeedPerson
    school_id: int
    subjects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SeedClass:
    id: int
    school_id: int
    name: str
    level: int
    class_teacher_id: int


@dataclass(frozen=True, slots=True)
class SeedGroup:
    id: int
    class_id: int
    school_id: int
    subject: str
    subject_id: int
    teacher_id: int

    @property
    def name(self) -> str:
        return self.subject


@dataclass(frozen=True, slots=True)
class SeedStudent:
    id: int
    guid: str
    person: SeedPerson
    class_id: int
    school_id: int
    login: str
    password: str
    parents: tuple[tuple[str, bool], ...] = ()
    """(parent person key, is legal representative)."""


@dataclass(frozen=True, slots=True)
class SeedLesson:
    id: int
    class_id: int
    group_id: int
    day: date
    number: int
    subject: str
    subject_id: int
    teacher_id: int
    room: str
    topic: str
    cancelled: bool = False
    replaced: bool = False
    remote: bool = False
    starts: time = time(8, 30)
    """Local start time (the school's bells)."""
    ends: time = time(9, 15)


@dataclass(frozen=True, slots=True)
class SeedMark:
    id: int
    student_id: int
    lesson_id: int
    day: date
    subject: str
    subject_id: int
    five: int | None
    """Quality on the five-point scale, ``None`` for «зачёт»."""
    weight: int
    control_form: str
    comment: str | None
    is_exam: bool
    created_at: datetime
    """Local time, no zone (as МЭШ gives ``created_at``): after the lesson, the same day."""


@dataclass(frozen=True, slots=True)
class SeedHomework:
    id: int
    lesson_id: int
    class_id: int
    subject: str
    subject_id: int
    assigned_on: date
    due_on: date
    """The next lesson of the same subject in the class's timetable."""
    text: str
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SeedAbsence:
    student_id: int
    lesson_id: int
    day: date
    reason_id: int

    @property
    def reason(self) -> str:
        return REASONS[self.reason_id][0]

    @property
    def excused(self) -> bool:
        return REASONS[self.reason_id][1]


@dataclass(frozen=True, slots=True)
class SeedRemark:
    """A teacher's remark or praise about a student on a day (in a lesson, or not)."""

    id: int
    student_id: int
    day: date
    kind: str
    """``"praise"`` or ``"remark"``."""
    text: str
    author_id: int
    """The teacher who wrote it."""
    lesson_id: int | None
    subject: str | None
    subject_id: int | None
    created_at: datetime
    """Local time, no zone: after the lesson (or the school day)."""


_PRAISES = (
    "Активно работал(а) на уроке",
    "Отличный ответ у доски",
    "Помог(ла) однокласснику разобраться с заданием",
    "Победа в школьной олимпиаде",
)
_REMARKS = (
    "Не готов(а) к уроку: нет тетради",
    "Разговаривал(а) на уроке",
    "Опоздал(а) на урок",
    "Не выполнил(а) домашнее задание",
)


@dataclass(frozen=True, slots=True)
class _ClassDay:
    lessons: tuple[SeedLesson, ...]
    marks: tuple[SeedMark, ...]
    homework: tuple[SeedHomework, ...]
    absences: tuple[SeedAbsence, ...]


_EMPTY_DAY = _ClassDay((), (), (), ())


@dataclass(eq=False)
class World:
    """One region's demo world for one school year. Build it with :meth:`World.build`.

    Its people, classes and timetables are fixed for the year; ``clock`` only decides which
    of the year's marks and absences have happened yet and what "today" is.
    """

    region: str
    year: int
    """The school year's first calendar year (2026 for 2026/27)."""
    clock: Clock = SYSTEM_CLOCK
    zone: tzinfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))
    schools: list[SeedSchool] = field(default_factory=list)
    teachers: dict[int, SeedTeacher] = field(default_factory=dict)
    classes: dict[int, SeedClass] = field(default_factory=dict)
    groups: dict[int, SeedGroup] = field(default_factory=dict)
    students: dict[int, SeedStudent] = field(default_factory=dict)
    parents: dict[str, SeedPerson] = field(default_factory=dict)
    """The family personas' people who have a child in this region, by persona key."""
    admins: dict[int, SeedPerson] = field(default_factory=dict)
    """School id → its admin."""
    timetables: dict[int, dict[int, tuple[str, ...]]] = field(default_factory=dict)
    """Class id → weekday → subjects by lesson number."""
    homework_done: set[tuple[int, int]] = field(default_factory=set)
    """(student id, homework id) pairs marked done: the provider's mutable state."""
    canonical_student_id: int = 0
    """The ``parent`` persona's child in the region's first class (in 77 the first twin)."""
    base: int = 0
    subject_ids: dict[str, int] = field(default_factory=dict)

    # -- construction ------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        region: str,
        *,
        clock: Clock = SYSTEM_CLOCK,
        zone: tzinfo | None = None,
        year: int | None = None,
    ) -> World:
        """The world of ``region`` for ``year`` (default: the school year of today there)."""
        where = zone or ZoneInfo(DEMO_ZONES.get(region, "Europe/Moscow"))
        world = cls(
            region=region,
            year=year if year is not None else school_year_of(clock.today(where)),
            clock=clock,
            zone=where,
        )
        world._populate()
        return world

    @property
    def today(self) -> date:
        """The region's local date now."""
        return self.clock.today(self.zone)

    def now(self) -> datetime:
        """The region's local wall-clock time now (naive, like the world's timestamps)."""
        return self.clock.local_now(self.zone)

    def _person(
        self, key: str, rng: random.Random, *, female: bool, age: int, level: int | None = None
    ) -> SeedPerson:
        last = rng.choice(_LAST_M)
        middle = rng.choice(_MIDDLE)
        if female:
            last, middle, first = last + "а", middle + "на", rng.choice(_FIRST_F)
        else:
            middle, first = middle + "ич", rng.choice(_FIRST_M)
        if level is not None:
            # the school-starting cohort: born September (year - level - 7) … August after
            birth = date(self.year - level - 7, 9, 1) + timedelta(days=rng.randint(0, 364))
        else:
            birth = date(self.year - age, rng.randint(1, 12), rng.randint(1, 28))
        digits = [
            rng.randint(10, 99),
            rng.randint(100, 999),
            rng.randint(10, 99),
            rng.randint(10, 99),
        ]
        phone = "+7 9{} {}-{}-{}".format(*digits)
        return SeedPerson(
            key,
            last,
            first,
            middle,
            "female" if female else "male",
            birth,
            phone,
            f"{key}@example.test",
        )

    def _child(self, key: str, spec: _Child, rng: random.Random) -> SeedPerson:
        years, month, day = spec.born
        base = self._person(key, rng, female=spec.sex == "female", age=years)
        return SeedPerson(
            key,
            spec.last_name,
            spec.first_name,
            spec.middle_name,
            spec.sex,
            date(self.year - years, month, day),
            base.phone,
            base.email,
        )

    def _populate(self) -> None:
        region = self.region
        rng = _rng("world", region, self.year)
        self.base = int(region) * 100_000
        base = self.base
        subject_ids = {name: base + 100 + i for i, name in enumerate(SUBJECTS)}
        self.subject_ids = subject_ids
        teacher_seq = base + 1000
        specs = _SCHOOLS.get(region) or _generic_schools(region)
        family = _FAMILY.get(region, ())
        for s, spec in enumerate(specs):
            school_id = base + 1 + s
            self.schools.append(
                SeedSchool(
                    school_id,
                    spec.name,
                    spec.short_name,
                    spec.address,
                    spec.login_code,
                    spec.bells,
                    spec.six_day_week,
                )
            )
            staff: list[tuple[int, tuple[str, ...]]] = []
            for i, subjects in enumerate(_SPECIALTIES):
                teacher_seq += 1
                female = rng.random() < 0.75
                person = self._person(
                    f"t{teacher_seq}", rng, female=female, age=rng.randint(26, 62)
                )
                if s == 0 and i == 0:
                    person = _with_nid(person, national_id("teacher", region))
                self.teachers[teacher_seq] = SeedTeacher(teacher_seq, person, school_id, subjects)
                staff.append((teacher_seq, subjects))
            admin = self._person(f"a{school_id}", rng, female=True, age=rng.randint(45, 58))
            if s == 0:
                admin = _with_nid(admin, national_id("school-admin", region))
            self.admins[school_id] = admin
            for c, (level, letter) in enumerate(spec.classes):
                class_id = base + 10 * (s + 1) + c
                canonical_class = s == 0 and c == 0

                def teacher_of(
                    subject: str, c: int = c, staff: list[tuple[int, tuple[str, ...]]] = staff
                ) -> int:
                    able = [tid for tid, subjects in staff if subject in subjects]
                    # two Russian teachers share the school's classes; the first also
                    # teaches literature everywhere
                    return able[c % len(able)] if subject == "Русский язык" else able[0]

                # the class teacher teaches the class its Russian (first class) or history
                class_teacher = teacher_of("Русский язык" if c == 0 else "История")
                if canonical_class:
                    person = self.teachers[class_teacher].person
                    self.teachers[class_teacher] = SeedTeacher(
                        class_teacher,
                        _with_nid(person, national_id("class-teacher", region)),
                        school_id,
                        self.teachers[class_teacher].subjects,
                    )
                self.classes[class_id] = SeedClass(
                    class_id, school_id, f"{level}-{letter}", level, class_teacher
                )
                table = (
                    _canonical_timetable()
                    if canonical_class
                    else _timetable(_rng("timetable", region, class_id, self.year), level, spec)
                )
                self.timetables[class_id] = table
                for subject in sorted({name for day in table.values() for name in day}):
                    gid = class_id * 100 + SUBJECTS.index(subject)
                    self.groups[gid] = SeedGroup(
                        gid,
                        class_id,
                        school_id,
                        subject,
                        subject_ids[subject],
                        teacher_of(subject),
                    )
                special: dict[int, tuple[SeedPerson, tuple[tuple[str, bool], ...]]] = {}
                if canonical_class:
                    for n, child in enumerate(family):
                        person = self._child(f"s{class_id * 100 + n + 1}", child, rng)
                        legal = (("parent", True), ("parent-not-representative", False))
                        special[n] = (person, legal if n == 0 else (("parent", True),))
                    if region == "74":
                        n = len(special) + 1
                        person = self._child(f"s{class_id * 100 + n + 1}", _CLASSMATE_74, rng)
                        special[n] = (person, (("other-parent", True),))
                for n in range(25):
                    sid = class_id * 100 + n + 1
                    female = rng.random() < 0.5
                    person = self._person(f"s{sid}", rng, female=female, age=0, level=level)
                    parents: tuple[tuple[str, bool], ...] = ((f"p{sid}", True),)
                    if n in special:
                        person, parents = special[n]
                        if n == 0:
                            self.canonical_student_id = sid
                    elif canonical_class and n == len(family):
                        person = _with_nid(person, national_id("student", region))
                        parents = ((f"p{sid}", True),)
                    self.students[sid] = SeedStudent(
                        sid,
                        str(_uuid(region, sid)),
                        person,
                        class_id,
                        school_id,
                        login=f"{person.key}@{region}",
                        password=f"pass-{sid}",
                        parents=parents,
                    )
        wanted = {key for s in self.students.values() for key, _ in s.parents}
        family_people = {
            "parent": ("Соколова", "Елена", "Викторовна", True, date(1981, 5, 19)),
            "other-parent": ("Кузнецова", "Ольга", "Сергеевна", True, date(1984, 11, 2)),
            "parent-not-representative": (
                "Соколов",
                "Виктор",
                "Павлович",
                False,
                date(1955, 1, 23),
            ),
        }
        for key, (last, first, middle, female, born) in family_people.items():
            if key not in wanted:
                continue
            base_person = self._person(key, _rng("family", key), female=female, age=40)
            self.parents[key] = SeedPerson(
                key,
                last,
                first,
                middle,
                "female" if female else "male",
                born,
                base_person.phone,
                base_person.email,
                national_id(key, region),
            )

    # -- persona helpers ---------------------------------------------------------------

    def persona_student(self, persona: str) -> SeedStudent:
        """The student a persona is about: the canonical student or the student persona."""
        if persona == "student":
            return next(s for s in self.students.values() if s.person.national_id)
        return self.students[self.canonical_student_id]

    def teacher_persona_group(self) -> SeedGroup:
        """The group the ``teacher`` persona teaches in the canonical student's class."""
        teacher = next(
            t
            for t in self.teachers.values()
            if t.person.national_id == national_id("teacher", self.region)
        )
        canonical_class = self.students[self.canonical_student_id].class_id
        return next(g for g in self.groups_of_teacher(teacher.id) if g.class_id == canonical_class)

    def people_by_national_id(self) -> dict[str, SeedPerson]:
        """Every person of this world who can sign in through the national SSO."""
        found: dict[str, SeedPerson] = {}
        candidates: Iterable[SeedPerson] = [
            *self.parents.values(),
            *(t.person for t in self.teachers.values()),
            *self.admins.values(),
            *(s.person for s in self.students.values()),
        ]
        for person in candidates:
            if person.national_id:
                found[person.national_id] = person
        return found

    def children_of(self, parent_key: str) -> list[tuple[SeedStudent, bool]]:
        """(student, is legal representative) for a parent's children."""
        return [
            (student, legal)
            for student in self.students.values()
            for key, legal in student.parents
            if key == parent_key
        ]

    def class_students(self, class_id: int) -> list[SeedStudent]:
        return [s for s in self.students.values() if s.class_id == class_id]

    def groups_of_class(self, class_id: int) -> list[SeedGroup]:
        return [g for g in self.groups.values() if g.class_id == class_id]

    def groups_of_teacher(self, teacher_id: int) -> list[SeedGroup]:
        return [g for g in self.groups.values() if g.teacher_id == teacher_id]

    def teacher_by_person_key(self, key: str) -> SeedTeacher | None:
        return next((t for t in self.teachers.values() if t.person.key == key), None)

    def school(self, school_id: int) -> SeedSchool:
        return next(s for s in self.schools if s.id == school_id)

    def bells(self, school_id: int) -> Bells:
        """The school's bell schedule."""
        return self.school(school_id).bells

    def calendar(self, school_id: int, day: date | None = None) -> SchoolCalendar:
        """The school's calendar for the school year of ``day`` (default: this world's)."""
        year = self.year if day is None else school_year_of(day)
        return SchoolCalendar.for_year(year, six_day_week=self.school(school_id).six_day_week)

    # -- the school days ---------------------------------------------------------------

    def week_start(self) -> date:
        """Monday of the week that contains today."""
        today = self.today
        return today - timedelta(days=today.weekday())

    def last_school_week(self, school_id: int | None = None) -> date:
        """Monday of the latest week with a school day up to today (this week in term time)."""
        six = self.school(school_id).six_day_week if school_id is not None else False
        return last_school_week(self.today, six_day_week=six)

    def canonical_week_start(self) -> date:
        """Monday of this school year's canonical week: the first on or after 11 October."""
        day = date(self.year, 10, 11)
        return day + timedelta(days=(7 - day.weekday()) % 7)

    def in_canonical_week(self, day: date) -> bool:
        start = self.canonical_week_start()
        return start <= day < start + timedelta(days=5)

    def lessons(self, class_id: int, day: date) -> tuple[SeedLesson, ...]:
        """The class's lessons of ``day`` (none on days off, in breaks and on holidays)."""
        return _class_day(self, class_id, day).lessons

    def marks(self, class_id: int, day: date) -> tuple[SeedMark, ...]:
        """Marks given in the class's lessons of ``day`` that exist by now."""
        now = self.now()
        return tuple(m for m in _class_day(self, class_id, day).marks if m.created_at <= now)

    def homework(self, class_id: int, day: date) -> tuple[SeedHomework, ...]:
        """Homework set in the class's lessons of ``day`` (published with the timetable)."""
        return _class_day(self, class_id, day).homework

    def absences(self, class_id: int, day: date) -> tuple[SeedAbsence, ...]:
        """Absences in the class's lessons of ``day`` whose lesson has begun by now."""
        found = _class_day(self, class_id, day)
        if not found.absences:
            return ()
        now = self.now()
        begun = {le.id for le in found.lessons if datetime.combine(le.day, le.starts) <= now}
        return tuple(a for a in found.absences if a.lesson_id in begun)

    def remarks(self, class_id: int, day: date) -> tuple[SeedRemark, ...]:
        """Remarks and praise about the class's students on ``day`` that exist by now.

        The canonical student has some every school week: praise by the first lesson's
        teacher on Tuesdays, a remark by the first lesson's teacher on Thursdays, and one by
        the class teacher (no lesson, no subject) on Wednesdays; others now and then.
        """
        now = self.now()
        return tuple(r for r in _remarks(self, class_id, day) if r.created_at <= now)

    def days(self, start: date, end: date) -> list[date]:
        return [start + timedelta(days=i) for i in range((end - start).days + 1)]

    def find_homework(self, homework_id: int) -> SeedHomework | None:
        """Homework by id (ids encode the class and the day)."""
        lesson_id = homework_id // 10
        lesson = self.find_lesson(lesson_id)
        if lesson is None:
            return None
        return next(
            (h for h in self.homework(lesson.class_id, lesson.day) if h.id == homework_id), None
        )

    def find_lesson(self, lesson_id: int) -> SeedLesson | None:
        """Lesson by id (ids encode the class and the day)."""
        class_id, rest = divmod(lesson_id, 10_000_000)
        ordinal, number = divmod(rest, 10)
        if class_id not in self.classes:
            return None
        try:
            day = date.fromordinal(ordinal + 730_000)
        except ValueError:
            return None
        return next((le for le in self.lessons(class_id, day) if le.number == number), None)

    def next_lesson_day(self, class_id: int, subject: str, after: date) -> date | None:
        """The next school day after ``after`` with a lesson of ``subject`` for the class."""
        school_id = self.classes[class_id].school_id
        table = self.timetables[class_id]
        day: date | None = after
        for _ in range(60):
            assert day is not None
            calendar = self.calendar(school_id, day)
            day = calendar.next_school_day(day)
            if day is None:
                return None
            if subject in table.get(day.weekday(), ()):
                return day
        return None


class Worlds:
    """The world of a region for whatever school year the clock is in (one per year).

    Providers hold this and ask for :meth:`current` on each call: a provider running across
    31 August moves to the new school year without a restart, and each year's world (with
    its mutable state, such as homework marked done) is kept while the process lives.
    """

    def __init__(
        self, region: str, *, clock: Clock = SYSTEM_CLOCK, zone: tzinfo | None = None
    ) -> None:
        self.region = region
        self.clock = clock
        self.zone = zone or ZoneInfo(DEMO_ZONES.get(region, "Europe/Moscow"))
        self._years: dict[int, World] = {}

    def current(self) -> World:
        """The world of the school year that contains today in the region."""
        return self.for_year(school_year_of(self.clock.today(self.zone)))

    def for_year(self, year: int) -> World:
        world = self._years.get(year)
        if world is None:
            world = World.build(self.region, clock=self.clock, zone=self.zone, year=year)
            self._years[year] = world
        return world


def _with_nid(person: SeedPerson, nid: str) -> SeedPerson:
    return SeedPerson(
        person.key,
        person.last_name,
        person.first_name,
        person.middle_name,
        person.sex,
        person.birth_date,
        person.phone,
        person.email,
        nid,
    )


def _uuid(region: str, sid: int) -> str:
    h = hashlib.md5(f"{region}:{sid}".encode()).hexdigest()  # noqa: S324 - an id, not security
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def _generic_schools(region: str) -> tuple[_SchoolSpec, ...]:
    found: list[_SchoolSpec] = []
    for s in range(2):
        number = 10 + int(region) % 50 + 7 * s
        found.append(
            _SchoolSpec(
                f"Средняя общеобразовательная школа № {number}",
                f"СОШ № {number}",
                f"ул. Ленина, д. {number}",
                f"school{number}",
                BELLS_0830,
                False,
                ((9, "А"), (5, "Б")),
            )
        )
    return tuple(found)


def _canonical_timetable() -> dict[int, tuple[str, ...]]:
    days: dict[int, list[tuple[int, str]]] = {d: [] for d in range(5)}
    for lesson in CANONICAL_WEEK:
        days[lesson.weekday].append((lesson.number, lesson.subject))
    return {d: tuple(subject for _, subject in sorted(v)) for d, v in days.items()}


def _timetable(rng: random.Random, level: int, spec: _SchoolSpec) -> dict[int, tuple[str, ...]]:
    """Spread the form's weekly hours over the school's days, fullest days first."""
    hours = dict(_CURRICULUM[level])
    if spec.six_day_week and level >= 7:
        for subject, extra in _SIX_DAY_EXTRA:
            hours[subject] = hours.get(subject, 0) + extra
    weekdays = 6 if spec.six_day_week else 5
    days: list[list[str]] = [[] for _ in range(weekdays)]
    slots = sorted(hours.items(), key=lambda item: (-item[1], SUBJECTS.index(item[0])))
    for subject, count in slots:
        for _ in range(count):
            # the emptiest day that has this subject the fewest times (ties: random)
            order = list(range(weekdays))
            rng.shuffle(order)
            best = min(order, key=lambda d: (days[d].count(subject), len(days[d])))
            days[best].append(subject)
    table: dict[int, tuple[str, ...]] = {}
    for weekday, subjects in enumerate(days):
        rng.shuffle(subjects)
        # a subject taught twice that day is a double lesson: keep the two together
        first_seen = {name: subjects.index(name) for name in subjects}
        subjects.sort(key=lambda name: first_seen[name])
        table[weekday] = tuple(subjects)
    return table


def _canonical(world: World, class_id: int, day: date) -> dict[int, CanonicalLesson] | None:
    if class_id != world.students[world.canonical_student_id].class_id:
        return None
    if not world.in_canonical_week(day):
        return None
    return {le.number: le for le in CANONICAL_WEEK if le.weekday == day.weekday()}


@lru_cache(maxsize=8192)
def _class_day(world: World, class_id: int, day: date) -> _ClassDay:
    school = world.school(world.classes[class_id].school_id)
    if not world.calendar(school.id, day).is_school_day(day):
        return _EMPTY_DAY
    rng = _rng(world.region, class_id, day.isoformat())
    canonical = _canonical(world, class_id, day)
    subjects = world.timetables[class_id].get(day.weekday(), ())
    groups = {g.subject: g for g in world.groups_of_class(class_id)}
    students = world.class_students(class_id)
    lessons: list[SeedLesson] = []
    marks: list[SeedMark] = []
    homework: list[SeedHomework] = []
    absences: list[SeedAbsence] = []
    # the day's illnesses: a few students miss the whole day
    ill = {s.id for s in students if s.id != world.canonical_student_id and rng.random() < 0.03}
    for number, subject in enumerate(subjects, start=1):
        group = groups[subject]
        _, starts, ends = school.bells[number - 1]
        lesson_id = class_id * 10_000_000 + (day.toordinal() - 730_000) * 10 + number
        spec = canonical.get(number) if canonical is not None else None
        if spec is not None:
            cancelled, replaced, remote, topic = (
                spec.cancelled,
                spec.replaced,
                spec.remote,
                spec.topic,
            )
        else:
            roll = rng.random()
            cancelled, replaced, remote = roll < 0.02, 0.02 <= roll < 0.05, 0.05 <= roll < 0.06
            topic = f"{rng.choice(_TOPICS)}: {subject.lower()}"
        teacher_id = group.teacher_id
        if replaced:
            others = [
                t
                for t in world.teachers.values()
                if t.school_id == group.school_id and t.id != teacher_id
            ]
            teacher_id = rng.choice(others).id
        lessons.append(
            SeedLesson(
                lesson_id,
                class_id,
                group.id,
                day,
                number,
                subject,
                group.subject_id,
                teacher_id,
                str(100 + (class_id % 10) * 10 + rng.randint(1, 9)) if not remote else "",
                topic,
                cancelled,
                replaced,
                remote,
                starts,
                ends,
            )
        )
        created = datetime.combine(day, ends) + timedelta(minutes=rng.randint(5, 240))
        # homework: due at the next lesson of the same subject
        wanted: tuple[str, tuple[str, ...]] | None = None
        if spec is not None:
            if spec.homework is not None:
                attachment = spec.homework.attachment
                wanted = (spec.homework.text, (attachment,) if attachment else ())
        elif (
            canonical is None
            and not cancelled
            and subject not in _NO_HOMEWORK
            and rng.random() < 0.7
        ):
            text = rng.choice(_HOMEWORK).format(n=rng.randint(1, 300), m=rng.randint(1, 300))
            wanted = (text, ("задание.pdf",) if rng.random() < 0.15 else ())
        if wanted is not None:
            due = world.next_lesson_day(class_id, subject, day)
            if due is not None:
                homework.append(
                    SeedHomework(
                        lesson_id * 10 + 1,
                        lesson_id,
                        class_id,
                        subject,
                        group.subject_id,
                        day,
                        due,
                        wanted[0],
                        wanted[1],
                    )
                )
        if cancelled:
            continue
        for index, student in enumerate(students):
            mark_seq = lesson_id * 1000 + index * 10
            if spec is not None and student.id == world.canonical_student_id:
                for k, cm in enumerate(spec.marks):
                    marks.append(
                        SeedMark(
                            mark_seq + k,
                            student.id,
                            lesson_id,
                            day,
                            subject,
                            group.subject_id,
                            cm.five,
                            cm.weight,
                            cm.control_form,
                            cm.comment,
                            cm.is_exam,
                            created,
                        )
                    )
                if spec.absence is not None:
                    reason_id = next(
                        r for r, (name, _) in REASONS.items() if name == spec.absence.reason
                    )
                    absences.append(SeedAbsence(student.id, lesson_id, day, reason_id))
                continue
            if student.id in ill:
                absences.append(SeedAbsence(student.id, lesson_id, day, 1))
                continue
            if rng.random() < 0.01:
                absences.append(SeedAbsence(student.id, lesson_id, day, rng.choice((2, 6))))
                continue
            if rng.random() < 0.16:
                form, weight = rng.choice(_FORMS)
                five: int | None = rng.choices((5, 4, 3, 2), weights=(35, 40, 20, 5))[0]
                if subject in PASS_FAIL_SUBJECTS:
                    five = None
                comment = rng.choice(_COMMENTS) if rng.random() < 0.25 else None
                marks.append(
                    SeedMark(
                        mark_seq,
                        student.id,
                        lesson_id,
                        day,
                        subject,
                        group.subject_id,
                        five,
                        weight,
                        form,
                        comment,
                        form == "Контрольная работа" and rng.random() < 0.3,
                        created,
                    )
                )
    return _ClassDay(tuple(lessons), tuple(marks), tuple(homework), tuple(absences))


@lru_cache(maxsize=4096)
def _remarks(world: World, class_id: int, day: date) -> tuple[SeedRemark, ...]:
    lessons = [le for le in world.lessons(class_id, day) if not le.cancelled]
    if not lessons:
        return ()
    rng = _rng(world.region, "remarks", class_id, day.isoformat())
    found: list[SeedRemark] = []
    end_of_day = datetime.combine(day, lessons[-1].ends) + timedelta(minutes=30)

    def add(student: int, kind: str, author: int, lesson: SeedLesson | None, text: str) -> None:
        created = (
            datetime.combine(day, lesson.ends) + timedelta(minutes=10)
            if lesson is not None
            else end_of_day
        )
        found.append(
            SeedRemark(
                (class_id * 10_000_000 + (day.toordinal() - 730_000) * 10) * 100 + len(found),
                student,
                day,
                kind,
                text,
                author,
                lesson.id if lesson is not None else None,
                lesson.subject if lesson is not None else None,
                lesson.subject_id if lesson is not None else None,
                created,
            )
        )

    canonical = world.canonical_student_id
    if world.students[canonical].class_id == class_id:
        first = lessons[0]
        if day.weekday() == 1:
            add(canonical, "praise", first.teacher_id, first, _PRAISES[day.toordinal() % 4])
        elif day.weekday() == 3:
            add(canonical, "remark", first.teacher_id, first, _REMARKS[day.toordinal() % 4])
        elif day.weekday() == 2:
            teacher = world.classes[class_id].class_teacher_id
            add(canonical, "remark", teacher, None, "Забыл(а) сменную обувь")
    for student in world.class_students(class_id):
        if student.id == canonical or rng.random() >= 0.05:
            continue
        lesson = rng.choice(lessons)
        kind = rng.choice(("praise", "remark"))
        text = rng.choice(_PRAISES if kind == "praise" else _REMARKS)
        add(student.id, kind, lesson.teacher_id, lesson, text)
    return tuple(found)
