"""A deterministic, realistic school world for one demo region, in neutral form.

The mock providers and the Moscow emulator render this world into their own native JSON
shapes; it is never handed to the schema directly. Everything is derived from the region
code and "today", so the current week always has lessons and two runs agree:

* two schools per region, two classes of 25 students per school (a 9th and a 5th form);
* a weekly timetable per class on the common bells, one subject group per subject;
* marks (five-point quality, weights, control forms, comments, «зачёт» in P.E.), homework
  with attachments, absences with reasons, cancelled / replaced / remote lessons;
* the personas' people: a parent with the canonical student, a parent who is not a legal
  representative, a student, a subject teacher, a class teacher and a school admin.

Lessons, marks and homework of a class day are generated on demand and memoised, so a
year of data costs nothing until somebody reads it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from .canonical import CANONICAL_STUDENT, CANONICAL_WEEK, CanonicalLesson

__all__ = [
    "BELLS",
    "PERSONA_KEYS",
    "REASONS",
    "SUBJECTS",
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
    "national_id",
    "school_year_start",
]

BELLS: tuple[tuple[int, time, time], ...] = (
    (1, time(8, 30), time(9, 15)),
    (2, time(9, 25), time(10, 10)),
    (3, time(10, 30), time(11, 15)),
    (4, time(11, 35), time(12, 20)),
    (5, time(12, 30), time(13, 15)),
    (6, time(13, 25), time(14, 10)),
)
"""Lesson number, start and end (local time): the same bells in every demo school."""

SUBJECTS: tuple[str, ...] = (
    "Алгебра",
    "Геометрия",
    "Русский язык",
    "Литература",
    "История",
    "Физика",
    "Химия",
    "Биология",
    "География",
    "Английский язык",
    "Информатика",
    "Физическая культура",
)
PASS_FAIL_SUBJECTS = frozenset({"Физическая культура"})

REASONS: dict[int, tuple[str, bool]] = {
    1: ("Болезнь", True),
    2: ("Семейные обстоятельства", True),
    6: ("Без причины", False),
}
"""Absence reason id → (name, excused), as МЭШ numbers them."""

PERSONA_KEYS = (
    "parent",
    "parent-not-representative",
    "student",
    "teacher",
    "class-teacher",
    "school-admin",
)


def national_id(persona: str, region: str) -> str:
    """The national SSO person id (``sub``) of a persona's person in a region.

    The ``parent`` and ``parent-not-representative`` are one person across regions.
    """
    if persona in ("parent", "parent-not-representative"):
        return f"esia-{persona}"
    return f"esia-{persona}-{region}"


def school_year_start(today: date) -> date:
    """September 1st of the school year that contains ``today``."""
    return date(today.year if today.month >= 9 else today.year - 1, 9, 1)


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
    """Local time, no zone (as МЭШ gives ``created_at``)."""


@dataclass(frozen=True, slots=True)
class SeedHomework:
    id: int
    lesson_id: int
    class_id: int
    subject: str
    subject_id: int
    assigned_on: date
    due_on: date
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


@dataclass(eq=False)
class World:
    """One region's demo world. Build it with :meth:`World.build`."""

    region: str
    today: date
    schools: list[SeedSchool] = field(default_factory=list)
    teachers: dict[int, SeedTeacher] = field(default_factory=dict)
    classes: dict[int, SeedClass] = field(default_factory=dict)
    groups: dict[int, SeedGroup] = field(default_factory=dict)
    students: dict[int, SeedStudent] = field(default_factory=dict)
    parents: dict[str, SeedPerson] = field(default_factory=dict)
    admins: dict[int, SeedPerson] = field(default_factory=dict)
    """School id → its admin."""
    timetables: dict[int, dict[int, tuple[str, ...]]] = field(default_factory=dict)
    """Class id → weekday → subjects by lesson number."""
    homework_done: set[tuple[int, int]] = field(default_factory=set)
    """(student id, homework id) pairs marked done: the provider's mutable state."""
    canonical_student_id: int = 0
    base: int = 0
    subject_ids: dict[str, int] = field(default_factory=dict)

    # -- construction ------------------------------------------------------------------

    @classmethod
    def build(cls, region: str, today: date | None = None) -> World:
        """The deterministic world of ``region`` as seen on ``today``."""
        world = cls(region=region, today=today or date.today())
        world._populate()
        return world

    def _person(self, key: str, rng: random.Random, *, female: bool, age: int) -> SeedPerson:
        last = rng.choice(_LAST_M)
        middle = rng.choice(_MIDDLE)
        if female:
            last, middle, first = last + "а", middle + "на", rng.choice(_FIRST_F)
        else:
            middle, first = middle + "ич", rng.choice(_FIRST_M)
        birth = date(self.today.year - age, rng.randint(1, 12), rng.randint(1, 28))
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

    def _populate(self) -> None:
        region = self.region
        rng = _rng("world", region)
        self.base = int(region) * 100_000
        base = self.base
        subject_ids = {name: base + 100 + i for i, name in enumerate(SUBJECTS)}
        self.subject_ids = subject_ids
        teacher_seq = base + 1000
        for s in range(2):
            school_id = base + 1 + s
            number = 10 + int(region) % 50 + 7 * s
            self.schools.append(
                SeedSchool(
                    school_id,
                    f"Школа № {number}",
                    f"ГБОУ Школа № {number}",
                    f"ул. Школьная, д. {number}",
                    f"school{number}",
                )
            )
            # teachers: one per two subjects, plus the admin
            school_teachers: dict[str, int] = {}
            for i in range(0, len(SUBJECTS), 2):
                teacher_seq += 1
                subjects = SUBJECTS[i : i + 2]
                female = rng.random() < 0.7
                person = self._person(
                    f"t{teacher_seq}", rng, female=female, age=rng.randint(28, 60)
                )
                if s == 0 and i == 0:
                    person = _with_nid(person, national_id("teacher", region))
                self.teachers[teacher_seq] = SeedTeacher(teacher_seq, person, school_id, subjects)
                for subject in subjects:
                    school_teachers[subject] = teacher_seq
            admin = self._person(f"a{school_id}", rng, female=True, age=50)
            if s == 0:
                admin = _with_nid(admin, national_id("school-admin", region))
            self.admins[school_id] = admin
            for c, (level, letter) in enumerate(((9, "А"), (5, "Б"))):
                class_id = base + 10 * (s + 1) + c
                # the class teacher teaches one of the class's subjects
                teacher_ids = sorted(set(school_teachers.values()))
                class_teacher = teacher_ids[(2 + c + s) % len(teacher_ids)]
                if s == 0 and c == 0:
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
                for subject in SUBJECTS:
                    gid = class_id * 100 + SUBJECTS.index(subject)
                    self.groups[gid] = SeedGroup(
                        gid,
                        class_id,
                        school_id,
                        subject,
                        subject_ids[subject],
                        school_teachers[subject],
                    )
                self.timetables[class_id] = self._timetable(rng, canonical=s == 0 and c == 0)
                for n in range(25):
                    sid = class_id * 100 + n + 1
                    female = rng.random() < 0.5
                    person = self._person(f"s{sid}", rng, female=female, age=level + 6)
                    parents: tuple[tuple[str, bool], ...] = ()
                    if s == 0 and c == 0 and n == 0:
                        last, first, middle = CANONICAL_STUDENT
                        person = SeedPerson(
                            person.key,
                            last,
                            first,
                            middle,
                            "female",
                            person.birth_date,
                            person.phone,
                            person.email,
                        )
                        parents = (("parent", True), ("parent-not-representative", False))
                        self.canonical_student_id = sid
                    elif s == 0 and c == 0 and n == 1:
                        person = _with_nid(person, national_id("student", region))
                    else:
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
        parent = self._person("parent", _rng("parent"), female=True, age=41)
        self.parents["parent"] = _with_nid(parent, national_id("parent", region))
        other = self._person("parent-not-representative", _rng("pnr"), female=False, age=44)
        self.parents["parent-not-representative"] = _with_nid(
            other, national_id("parent-not-representative", region)
        )

    def _timetable(self, rng: random.Random, *, canonical: bool) -> dict[int, tuple[str, ...]]:
        if canonical:
            days: dict[int, list[str]] = {d: [] for d in range(5)}
            for lesson in CANONICAL_WEEK:
                days[lesson.weekday].append(lesson.subject)
            return {d: tuple(v) for d, v in days.items()}
        table: dict[int, tuple[str, ...]] = {}
        for weekday in range(5):
            count = rng.randint(5, 6)
            table[weekday] = tuple(rng.sample(SUBJECTS, count))
        return table

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

    # -- the school days ---------------------------------------------------------------

    def week_start(self) -> date:
        """Monday of the week that contains today (the canonical week)."""
        return self.today - timedelta(days=self.today.weekday())

    def lessons(self, class_id: int, day: date) -> tuple[SeedLesson, ...]:
        """The class's lessons of ``day`` (none at weekends or before the school year)."""
        return _class_day(self, class_id, day)[0]

    def marks(self, class_id: int, day: date) -> tuple[SeedMark, ...]:
        """Marks given in the class's lessons of ``day`` (only for days up to today)."""
        return _class_day(self, class_id, day)[1]

    def homework(self, class_id: int, day: date) -> tuple[SeedHomework, ...]:
        """Homework set in the class's lessons of ``day``."""
        return _class_day(self, class_id, day)[2]

    def absences(self, class_id: int, day: date) -> tuple[SeedAbsence, ...]:
        """Absences in the class's lessons of ``day`` (only for days up to today)."""
        return _class_day(self, class_id, day)[3]

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


def _canonical(world: World, class_id: int, day: date) -> dict[int, CanonicalLesson] | None:
    if class_id != world.students[world.canonical_student_id].class_id:
        return None
    if not (world.week_start() <= day < world.week_start() + timedelta(days=5)):
        return None
    return {le.number: le for le in CANONICAL_WEEK if le.weekday == day.weekday()}


@lru_cache(maxsize=4096)
def _class_day(
    world: World, class_id: int, day: date
) -> tuple[
    tuple[SeedLesson, ...], tuple[SeedMark, ...], tuple[SeedHomework, ...], tuple[SeedAbsence, ...]
]:
    if day.weekday() >= 5 or day < school_year_start(world.today):
        return (), (), (), ()
    rng = _rng(world.region, class_id, day.isoformat())
    canonical = _canonical(world, class_id, day)
    subjects = world.timetables[class_id][day.weekday()]
    groups = {g.subject: g for g in world.groups_of_class(class_id)}
    students = world.class_students(class_id)
    lessons: list[SeedLesson] = []
    marks: list[SeedMark] = []
    homework: list[SeedHomework] = []
    absences: list[SeedAbsence] = []
    past = day <= world.today
    for number, subject in enumerate(subjects, start=1):
        group = groups[subject]
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
            cancelled, replaced, remote = roll < 0.02, 0.02 <= roll < 0.05, 0.05 <= roll < 0.07
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
            )
        )
        created = datetime.combine(day, BELLS[number - 1][2]) + timedelta(
            minutes=rng.randint(5, 300)
        )
        # homework
        if spec is not None:
            if spec.homework is not None:
                homework.append(
                    SeedHomework(
                        lesson_id * 10 + 1,
                        lesson_id,
                        class_id,
                        subject,
                        group.subject_id,
                        day,
                        day + timedelta(days=spec.homework.due_in_days),
                        spec.homework.text,
                        (spec.homework.attachment,) if spec.homework.attachment else (),
                    )
                )
        elif canonical is None and not cancelled and rng.random() < 0.6:
            text = rng.choice(_HOMEWORK).format(n=rng.randint(1, 300), m=rng.randint(1, 300))
            attachments = ("задание.pdf",) if rng.random() < 0.15 else ()
            homework.append(
                SeedHomework(
                    lesson_id * 10 + 1,
                    lesson_id,
                    class_id,
                    subject,
                    group.subject_id,
                    day,
                    day + timedelta(days=rng.choice((1, 2, 7))),
                    text,
                    attachments,
                )
            )
        if not past or cancelled:
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
            if rng.random() < 0.04:
                absences.append(SeedAbsence(student.id, lesson_id, day, rng.choice((1, 1, 2, 6))))
                continue
            if rng.random() < 0.18:
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
    return tuple(lessons), tuple(marks), tuple(homework), tuple(absences)
