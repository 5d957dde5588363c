"""The schema-change check: released SDL against the current one, announced in CHANGELOG.md.

``schema/released.graphql`` is the SDL of the last release. It changes only when a release
is cut (``diary-gateway schema --release VERSION``, see :func:`cut_release`). The check
classifies the difference from the current SDL with graphql-core's ``find_breaking_changes``
and ``find_dangerous_changes`` and fails when

- a breaking change is not announced in the ``## Unreleased`` section of ``CHANGELOG.md``, or
- that section announces a breaking change the diff does not contain (a stale announcement).

An announcement is one line of the section::

    - BREAKING: `<coordinate>` <graphql-core's description> [free text: why, what to use]

``<coordinate>`` is the GraphQL schema coordinate of what changed (``Type``, ``Type.field``,
``Type.field(arg:)``, ``Enum.VALUE``, ``@directive``, ``@directive(arg:)``) and the
description is graphql-core's, verbatim (``Field Lesson.marks was removed.``): the check
prints the exact line for each unannounced change, to paste and complete. Dangerous changes
(an enum value or an optional argument added, a default changed) are reported, never fatal;
they may be listed as ``- DANGEROUS: …`` lines, which the check does not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date
from pathlib import Path

from graphql import (
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    find_dangerous_changes,
)

from adapters import SYSTEM_CLOCK

__all__ = [
    "CHANGELOG",
    "RELEASED_SDL",
    "Change",
    "ChangelogError",
    "CheckResult",
    "announced_breaking_changes",
    "check",
    "check_files",
    "current_sdl",
    "cut_release",
    "schema_changes",
]

ROOT = Path(__file__).resolve().parents[1]
RELEASED_SDL = ROOT / "schema" / "released.graphql"
"""The SDL of the last release (``schema/released.graphql``)."""
CHANGELOG = ROOT / "CHANGELOG.md"

UNRELEASED = "## Unreleased"
ANNOUNCEMENT = re.compile(r"^- BREAKING: `(?P<coordinate>[^`]+)`\s+(?P<text>.+)$")

_NAME = r"[_A-Za-z][_0-9A-Za-z]*"
_COORDINATE = re.compile(rf"@?{_NAME}(?:\.{_NAME})?(?:\({_NAME}:\))?")
# Where graphql-core's description names the changed element somewhere other than first.
_COORDINATE_AFTER = {
    "TYPE_REMOVED_FROM_UNION": re.compile(rf"union type ({_NAME})"),
    "TYPE_ADDED_TO_UNION": re.compile(rf"union type ({_NAME})"),
    "IMPLEMENTED_INTERFACE_ADDED": re.compile(rf"implemented by ({_NAME})"),
    "DIRECTIVE_LOCATION_REMOVED": re.compile(rf"(@{_NAME})"),
}
_LEADING_WORDS = re.compile(
    r"^(?:Field |Argument |Enum value |Standard scalar |An? (?:required|optional) "
    r"(?:field|argument) |Repeatable flag was removed from |Directive )"
)


class ChangelogError(ValueError):
    """CHANGELOG.md is missing or has no ``## Unreleased`` section."""


@dataclass(frozen=True)
class Change:
    """One difference between the released and the current schema."""

    kind: str
    """graphql-core's change type name, e.g. ``FIELD_REMOVED``."""
    description: str
    """graphql-core's description, e.g. ``Field Lesson.marks was removed.``"""
    coordinate: str
    """The schema coordinate of what changed, e.g. ``Lesson.marks``."""
    breaking: bool

    @property
    def changelog_line(self) -> str:
        """The CHANGELOG line that announces this change (to complete with a reason)."""
        return f"- BREAKING: `{self.coordinate}` {self.description}"


@dataclass
class CheckResult:
    """What the check found; ``ok`` when every breaking change is announced and none is stale."""

    breaking: list[Change] = field(default_factory=list)
    dangerous: list[Change] = field(default_factory=list)
    unannounced: list[Change] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    """Announcement lines that match no breaking change of the diff."""

    @property
    def ok(self) -> bool:
        return not self.unannounced and not self.stale

    def report(self) -> str:
        """A human-readable report (what `diary-gateway schema --check` prints)."""
        lines = [
            f"schema check: {len(self.breaking)} breaking, {len(self.dangerous)} dangerous "
            "change(s) since schema/released.graphql"
        ]
        announced = [c for c in self.breaking if c not in self.unannounced]
        if announced:
            lines.append("Breaking, announced in CHANGELOG.md:")
            lines += [f"  {c.coordinate}: {c.description}" for c in announced]
        if self.dangerous:
            lines.append("Dangerous (not fatal; clients may need to handle new values):")
            lines += [f"  {c.coordinate}: {c.description}" for c in self.dangerous]
        if self.unannounced:
            lines.append(
                "FAIL: breaking changes CHANGELOG.md does not announce. Add these lines under "
                f"'{UNRELEASED}' (and say what clients should use instead):"
            )
            lines += [f"{c.changelog_line}" for c in self.unannounced]
        if self.stale:
            lines.append(
                f"FAIL: '{UNRELEASED}' in CHANGELOG.md announces breaking changes the schema "
                "does not make (remove or correct them):"
            )
            lines += self.stale
        if self.ok:
            lines.append("OK")
        return "\n".join(lines)


def _coordinate(kind: str, description: str) -> str:
    after = _COORDINATE_AFTER.get(kind)
    if after is not None and (found := after.search(description)):
        return found.group(1)
    found = _COORDINATE.match(_LEADING_WORDS.sub("", description))
    return found.group(0) if found else description


def schema_changes(released: GraphQLSchema, current: GraphQLSchema) -> list[Change]:
    """Breaking and dangerous changes from ``released`` to ``current`` (graphql-core's)."""
    changes = [
        Change(c.type.name, c.description, _coordinate(c.type.name, c.description), True)
        for c in find_breaking_changes(released, current)
    ]
    changes += [
        Change(c.type.name, c.description, _coordinate(c.type.name, c.description), False)
        for c in find_dangerous_changes(released, current)
    ]
    return changes


def announced_breaking_changes(changelog: str) -> list[tuple[str, str, str]]:
    """``(line, coordinate, text)`` of every ``- BREAKING:`` line under ``## Unreleased``."""
    lines = changelog.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == UNRELEASED)
    except StopIteration:
        raise ChangelogError(f"CHANGELOG.md has no '{UNRELEASED}' section") from None
    found = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        match = ANNOUNCEMENT.match(line.strip())
        if match:
            found.append((line.strip(), match["coordinate"], match["text"]))
    return found


def check(released_sdl: str, current_sdl: str, changelog: str) -> CheckResult:
    """Classify released → current and match the breaking changes against the CHANGELOG."""
    changes = schema_changes(build_schema(released_sdl), build_schema(current_sdl))
    result = CheckResult(
        breaking=[c for c in changes if c.breaking],
        dangerous=[c for c in changes if not c.breaking],
    )
    announcements = announced_breaking_changes(changelog)
    used: set[str] = set()
    for change in result.breaking:
        match = next(
            (
                line
                for line, coordinate, text in announcements
                if coordinate == change.coordinate and change.description in text
            ),
            None,
        )
        if match is None:
            result.unannounced.append(change)
        else:
            used.add(match)
    result.stale = [line for line, _, _ in announcements if line not in used]
    return result


def current_sdl() -> str:
    """The SDL of the schema the code builds (what ``diary-gateway schema`` prints)."""
    from schema import build_schema as build_gateway_schema

    return build_gateway_schema().as_str() + "\n"


def check_files(
    released: Path | None = None, changelog: Path | None = None, current: Path | None = None
) -> CheckResult:
    """The check over files: ``RELEASED_SDL``, ``CHANGELOG`` and the schema the code builds."""
    released = released or RELEASED_SDL
    changelog = changelog or CHANGELOG
    if not changelog.exists():
        raise ChangelogError(f"{changelog} does not exist")
    return check(
        released.read_text(encoding="utf-8"),
        current.read_text(encoding="utf-8") if current is not None else current_sdl(),
        changelog.read_text(encoding="utf-8"),
    )


def cut_release(
    version: str,
    *,
    released: Path | None = None,
    changelog: Path | None = None,
    current: str | None = None,
    today: date | None = None,
) -> CheckResult:
    """Cut a release: the check must pass; then ``## Unreleased`` becomes ``## VERSION — DATE``
    (a new empty ``## Unreleased`` above it) and the current SDL becomes the released one.

    Returns the check's result; when it fails, nothing is written.
    """
    released = released or RELEASED_SDL
    changelog = changelog or CHANGELOG
    sdl = current if current is not None else current_sdl()
    text = changelog.read_text(encoding="utf-8")
    result = check(released.read_text(encoding="utf-8"), sdl, text)
    if not result.ok:
        return result
    if f"\n## {version} " in text or f"\n## {version}\n" in text:
        raise ChangelogError(f"CHANGELOG.md already has a '## {version}' section")
    day = (today or SYSTEM_CLOCK.today(UTC)).isoformat()
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.strip() == UNRELEASED)
    lines[at : at + 1] = [f"{UNRELEASED}\n", "\n", f"## {version} — {day}\n"]
    changelog.write_text("".join(lines), encoding="utf-8")
    released.write_text(sdl, encoding="utf-8")
    return result
