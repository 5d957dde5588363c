"""Deterministic demo data shared by the mock providers and the Moscow emulator."""

from __future__ import annotations

from .canonical import (
    CANONICAL_STUDENT,
    CANONICAL_WEEK,
    CanonicalAbsence,
    CanonicalHomework,
    CanonicalLesson,
    CanonicalMark,
)
from .world import (
    BELLS,
    PERSONA_KEYS,
    REASONS,
    SUBJECTS,
    SeedAbsence,
    SeedClass,
    SeedGroup,
    SeedHomework,
    SeedLesson,
    SeedMark,
    SeedPerson,
    SeedSchool,
    SeedStudent,
    SeedTeacher,
    World,
    national_id,
    school_year_start,
)

__all__ = [
    "BELLS",
    "CANONICAL_STUDENT",
    "CANONICAL_WEEK",
    "PERSONA_KEYS",
    "REASONS",
    "SUBJECTS",
    "CanonicalAbsence",
    "CanonicalHomework",
    "CanonicalLesson",
    "CanonicalMark",
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
