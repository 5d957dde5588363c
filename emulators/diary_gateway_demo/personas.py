"""The demo personas: who they are in the demo regions, and their national SSO ids."""

from __future__ import annotations

from dataclasses import dataclass

from diary_gateway_demo.seed import national_id

__all__ = ["DEMO_REGIONS", "PERSONAS", "Persona", "find_persona"]

DEMO_REGIONS = ("74", "11", "77")
"""«Сетевой город»-style (Челябинская), ЭлЖур-style (Коми), МЭШ-style (Москва)."""


@dataclass(frozen=True, slots=True)
class Persona:
    """A demo persona: a name to ask for a token by, and the person behind it."""

    name: str
    subject: str
    """The national SSO person id (JWT ``sub``)."""
    description: str


def _personas() -> tuple[Persona, ...]:
    found = [
        Persona(
            "parent",
            national_id("parent", ""),
            "legal representative of four children: siblings in 74 and 11, "
            "twins in one class in 77",
        ),
        Persona(
            "other-parent",
            national_id("other-parent", ""),
            "a parent whose child is a classmate of the parent's child in region 74",
        ),
        Persona(
            "parent-not-representative",
            national_id("parent-not-representative", ""),
            "a parent linked to the same children who is not their legal representative",
        ),
    ]
    for code in DEMO_REGIONS:
        found += [
            Persona(
                f"student@{code}",
                national_id("student", code),
                f"a student in the parent's child's class, region {code}",
            ),
            Persona(
                f"teacher@{code}", national_id("teacher", code), f"a subject teacher, region {code}"
            ),
            Persona(
                f"class-teacher@{code}",
                national_id("class-teacher", code),
                f"the class teacher of the parent's child's class, region {code}",
            ),
            Persona(
                f"school-admin@{code}",
                national_id("school-admin", code),
                f"an admin of the first school, region {code}",
            ),
        ]
    return tuple(found)


PERSONAS: tuple[Persona, ...] = _personas()


def find_persona(name: str) -> Persona:
    """A persona by name; ``KeyError`` listing the known names otherwise."""
    for persona in PERSONAS:
        if persona.name == name:
            return persona
    raise KeyError(f"unknown persona {name!r}; known: {', '.join(p.name for p in PERSONAS)}")
