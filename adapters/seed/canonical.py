"""The canonical week: the same student's same week, rendered by every provider.

Every mock provider and the Moscow emulator place this week, in their own native shapes,
in the diary of the ``parent`` persona's child (the canonical student) for the week that
contains "today". The shared adapter contract suite reads it back through each adapter and
asserts the normalized values, which proves the translation instead of assuming it.

Marks are given here on the five-point scale; a provider whose teachers grade on another
scale renders them with its own table (ЭлЖур: ten-point, twice the five-point value).
``None`` as a mark's ``five`` means «зачёт» (a pass with no numeric meaning).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CANONICAL_STUDENT",
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
    due_in_days: int = 1
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


CANONICAL_STUDENT = ("Соколова", "Мария", "Андреевна")
"""The canonical student's name (last, first, middle) in every region."""

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
        homework=CanonicalHomework("№ 245, 247", due_in_days=2),
    ),
    CanonicalLesson(0, 2, "Русский язык", "Сложноподчинённые предложения"),
    CanonicalLesson(0, 3, "История", "Реформы Петра I", cancelled=True),
    CanonicalLesson(0, 4, "Физическая культура", "Лёгкая атлетика", marks=(CanonicalMark(None),)),
    CanonicalLesson(
        1,
        1,
        "Литература",
        "«Капитанская дочка»",
        marks=(CanonicalMark(4),),
        homework=CanonicalHomework(
            "Прочитать «Капитанскую дочку», главы 1–3", due_in_days=2, attachment="plan.pdf"
        ),
    ),
    CanonicalLesson(1, 2, "Физика", "Закон Ома", absence=CanonicalAbsence("Болезнь", excused=True)),
    CanonicalLesson(1, 3, "Алгебра", "Теорема Виета"),
    CanonicalLesson(
        2,
        1,
        "Геометрия",
        "Теорема Пифагора",
        marks=(CanonicalMark(3, comment="Повторить доказательство"),),
    ),
    CanonicalLesson(2, 2, "Английский язык", "Present Perfect", remote=True),
    CanonicalLesson(2, 3, "Химия", "Периодический закон", replaced=True),
    CanonicalLesson(
        3,
        1,
        "Алгебра",
        "Решение задач",
        marks=(CanonicalMark(4), CanonicalMark(2, control_form="Самостоятельная работа")),
    ),
    CanonicalLesson(3, 2, "Биология", "Клетка"),
    CanonicalLesson(4, 1, "Русский язык", "Диктант", homework=CanonicalHomework("Упр. 112")),
    CanonicalLesson(
        4, 2, "История", "Северная война", absence=CanonicalAbsence("Без причины", excused=False)
    ),
    CanonicalLesson(4, 3, "Информатика", "Алгоритмы"),
)
