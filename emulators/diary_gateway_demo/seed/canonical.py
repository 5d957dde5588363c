"""The canonical week: the same student's same week, rendered by every provider.

Every mock provider and the Moscow emulator place this week, in their own native shapes,
in the diary of the ``parent`` persona's child in the region's first class (the canonical
student). The week is the canonical class's timetable, and its marks, homework and
absences are this file's for one fixed week of each school year (the week of the first
Monday on or after 11 October, see :meth:`World.canonical_week_start`), so every earlier
and later week stays generated and nothing moves when the clock does. The shared adapter
contract suite reads it back through each adapter and asserts the normalized values, which
proves the translation instead of assuming it.

The subjects suit forms 8–11 (the canonical classes are 9-А in region 74, 8-А in 11 and
11-Б in 77): 32 lessons over five days, as a Russian 9th form has. Homework is due at the
next lesson of the same subject in the timetable, computed by the world, not written here.

Marks are given here on the five-point scale; a provider whose teachers grade on another
scale renders them with its own table (ЭлЖур: ten-point, twice the five-point value).
``None`` as a mark's ``five`` means «зачёт» (a pass with no numeric meaning).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CANONICAL_WEEK",
    "CanonicalAbsence",
    "CanonicalHomework",
    "CanonicalLesson",
    "CanonicalMark",
]


@dataclass(frozen=True, slots=True)
class CanonicalMark:
    five: int | None
    weight: int = 1
    control_form: str = "Ответ на уроке"
    comment: str | None = None
    is_exam: bool = False


@dataclass(frozen=True, slots=True)
class CanonicalHomework:
    text: str
    attachment: str | None = None


@dataclass(frozen=True, slots=True)
class CanonicalAbsence:
    reason: str
    excused: bool


@dataclass(frozen=True, slots=True)
class CanonicalLesson:
    weekday: int
    """0 = Monday."""
    number: int
    subject: str
    topic: str
    cancelled: bool = False
    replaced: bool = False
    remote: bool = False
    marks: tuple[CanonicalMark, ...] = ()
    homework: CanonicalHomework | None = None
    absence: CanonicalAbsence | None = None


CANONICAL_WEEK: tuple[CanonicalLesson, ...] = (
    CanonicalLesson(
        0,
        1,
        "Алгебра",
        "Квадратные уравнения",
        marks=(
            CanonicalMark(
                5, weight=2, control_form="Контрольная работа", comment="Отличная работа"
            ),
        ),
        homework=CanonicalHomework("№ 245, 247"),
    ),
    CanonicalLesson(0, 2, "Русский язык", "Сложноподчинённые предложения"),
    CanonicalLesson(0, 3, "История", "Реформы Петра I", cancelled=True),
    CanonicalLesson(0, 4, "Физическая культура", "Лёгкая атлетика", marks=(CanonicalMark(None),)),
    CanonicalLesson(0, 5, "Английский язык", "Future Simple"),
    CanonicalLesson(0, 6, "Биология", "Строение клетки"),
    CanonicalLesson(0, 7, "Обществознание", "Право и его роль в жизни общества"),
    CanonicalLesson(
        1,
        1,
        "Литература",
        "«Капитанская дочка»",
        marks=(CanonicalMark(4),),
        homework=CanonicalHomework(
            "Прочитать «Капитанскую дочку», главы 1–3", attachment="plan.pdf"
        ),
    ),
    CanonicalLesson(1, 2, "Физика", "Закон Ома", absence=CanonicalAbsence("Болезнь", excused=True)),
    CanonicalLesson(1, 3, "Алгебра", "Теорема Виета"),
    CanonicalLesson(1, 4, "Английский язык", "Reported Speech"),
    CanonicalLesson(1, 5, "География", "Хозяйство Урала"),
    CanonicalLesson(1, 6, "Химия", "Электролитическая диссоциация"),
    CanonicalLesson(
        2,
        1,
        "Геометрия",
        "Теорема Пифагора",
        marks=(CanonicalMark(3, comment="Повторить доказательство"),),
    ),
    CanonicalLesson(2, 2, "Английский язык", "Present Perfect", remote=True),
    CanonicalLesson(2, 3, "Химия", "Периодический закон", replaced=True),
    CanonicalLesson(2, 4, "Русский язык", "Бессоюзные предложения"),
    CanonicalLesson(2, 5, "Физика", "Сопротивление проводника"),
    CanonicalLesson(2, 6, "ОБЗР", "Первая помощь"),
    CanonicalLesson(2, 7, "Физическая культура", "Баскетбол"),
    CanonicalLesson(
        3,
        1,
        "Алгебра",
        "Решение задач",
        marks=(CanonicalMark(4), CanonicalMark(2, control_form="Самостоятельная работа")),
    ),
    CanonicalLesson(3, 2, "Биология", "Клетка"),
    CanonicalLesson(3, 3, "Литература", "«Капитанская дочка»: образ Гринёва"),
    CanonicalLesson(3, 4, "Русский язык", "Знаки препинания"),
    CanonicalLesson(3, 5, "Вероятность и статистика", "Случайные события"),
    CanonicalLesson(3, 6, "География", "Население России"),
    CanonicalLesson(4, 1, "Русский язык", "Диктант", homework=CanonicalHomework("Упр. 112")),
    CanonicalLesson(
        4, 2, "История", "Северная война", absence=CanonicalAbsence("Без причины", excused=False)
    ),
    CanonicalLesson(4, 3, "Информатика", "Алгоритмы"),
    CanonicalLesson(4, 4, "Геометрия", "Площадь треугольника"),
    CanonicalLesson(4, 5, "Физика", "Работа и мощность тока"),
    CanonicalLesson(4, 6, "Литература", "Сочинение по повести"),
)
