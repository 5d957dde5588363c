"""The schema-change check: released SDL vs current, breaking changes announced in CHANGELOG.md."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from graphql import build_schema, print_schema

from gateway.cli import main
from gateway.schema_check import (
    CHANGELOG,
    RELEASED_SDL,
    ChangelogError,
    announced_breaking_changes,
    check,
    check_files,
    cut_release,
)

RELEASED = RELEASED_SDL.read_text(encoding="utf-8")

HEADER = "# Changelog\n\nFormat: see the real one.\n\n"

SMALL = """
type Query {
  "A student."
  student(id: ID!): Student
}

"A student."
type Student {
  id: ID!
  fullName: String!
  className: String!
  kind: Kind!
}

enum Kind { PUPIL GRADUATE }
"""


def _without_field(sdl: str, type_name: str, field_name: str) -> str:
    """``sdl`` with one field removed (through the AST, so nothing else changes)."""
    schema = build_schema(sdl)
    object_type = schema.type_map[type_name]
    del object_type.fields[field_name]  # type: ignore[attr-defined]
    return print_schema(schema)


def test_released_sdl_is_the_last_release_and_every_change_since_is_announced() -> None:
    """What CI runs: released → current, every breaking change in '## Unreleased'."""
    result = check_files()
    assert result.ok, result.report()


def test_changelog_documents_its_format_and_has_an_unreleased_section() -> None:
    text = CHANGELOG.read_text(encoding="utf-8")
    assert "- BREAKING: `<coordinate>` <graphql-core's description>" in text
    assert "diary-gateway schema --release VERSION" in text
    announced_breaking_changes(text)  # raises without '## Unreleased'


def test_removing_a_field_fails_the_check_until_the_changelog_announces_it() -> None:
    current = _without_field(RELEASED, "Student", "className")
    unannounced = check(RELEASED, current, HEADER + "## Unreleased\n\n### Added\n- nothing\n")
    assert not unannounced.ok
    assert [c.coordinate for c in unannounced.unannounced] == ["Student.className"]
    line = unannounced.unannounced[0].changelog_line
    assert line == "- BREAKING: `Student.className` Field Student.className was removed."
    assert line in unannounced.report()

    changelog = HEADER + f"## Unreleased\n\n{line} Read `Student.classUnit.name`.\n"
    announced = check(RELEASED, current, changelog)
    assert announced.ok, announced.report()
    assert [c.coordinate for c in announced.breaking] == ["Student.className"]


def test_an_announcement_in_a_released_section_does_not_count() -> None:
    current = _without_field(SMALL, "Student", "className")
    line = "- BREAKING: `Student.className` Field Student.className was removed."
    changelog = HEADER + f"## Unreleased\n\n## 0.1.0 — 2026-01-01\n\n{line}\n"
    result = check(SMALL, current, changelog)
    assert [c.coordinate for c in result.unannounced] == ["Student.className"]


def test_the_announcement_must_name_the_change_not_only_the_coordinate() -> None:
    current = SMALL.replace("className: String!", "className: Int!")
    wrong = "- BREAKING: `Student.className` Field Student.className was removed.\n"
    result = check(SMALL, current, HEADER + "## Unreleased\n\n" + wrong)
    assert [c.kind for c in result.unannounced] == ["FIELD_CHANGED_KIND"]
    assert result.stale == [wrong.strip()]
    right = result.unannounced[0].changelog_line
    assert right == (
        "- BREAKING: `Student.className` Field Student.className changed type from String! to Int!."
    )
    assert check(SMALL, current, HEADER + "## Unreleased\n\n" + right + "\n").ok


def test_a_stale_announcement_fails_the_check() -> None:
    line = "- BREAKING: `Student.fullName` Field Student.fullName was removed."
    result = check(SMALL, SMALL, HEADER + f"## Unreleased\n\n{line}\n")
    assert not result.ok
    assert result.stale == [line]


@pytest.mark.parametrize(
    ("current", "coordinate", "kind"),
    [
        (
            SMALL.replace("enum Kind { PUPIL GRADUATE }", "enum Kind { PUPIL }"),
            "Kind.GRADUATE",
            "VALUE_REMOVED_FROM_ENUM",
        ),
        (
            SMALL.replace("student(id: ID!)", "student(id: ID!, region: String!)"),
            "Query.student(region:)",
            "REQUIRED_ARG_ADDED",
        ),
        (SMALL.replace("student(id: ID!)", "student"), "Query.student(id:)", "ARG_REMOVED"),
        (
            SMALL.replace('"A student."\ntype Student', '"A student."\ninterface Student'),
            "Student",
            "TYPE_CHANGED_KIND",
        ),
    ],
)
def test_coordinates_of_other_breaking_changes(current: str, coordinate: str, kind: str) -> None:
    result = check(SMALL, current, HEADER + "## Unreleased\n")
    assert [(c.coordinate, c.kind) for c in result.unannounced] == [(coordinate, kind)]
    fixed = HEADER + "## Unreleased\n\n" + result.unannounced[0].changelog_line + "\n"
    assert check(SMALL, current, fixed).ok


def test_dangerous_changes_are_reported_but_do_not_fail() -> None:
    current = SMALL.replace("enum Kind { PUPIL GRADUATE }", "enum Kind { PUPIL GRADUATE EXPELLED }")
    result = check(SMALL, current, HEADER + "## Unreleased\n")
    assert result.ok
    assert [(c.coordinate, c.kind) for c in result.dangerous] == [
        ("Kind.EXPELLED", "VALUE_ADDED_TO_ENUM")
    ]
    assert "Kind.EXPELLED" in result.report()


def test_a_changelog_without_an_unreleased_section_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ChangelogError):
        check(SMALL, SMALL, HEADER + "## 0.1.0\n")
    with pytest.raises(ChangelogError):
        check_files(changelog=tmp_path / "missing.md")


def test_cutting_a_release_moves_the_entries_and_the_sdl(tmp_path: Path) -> None:
    released = tmp_path / "released.graphql"
    released.write_text(SMALL, encoding="utf-8")
    changelog = tmp_path / "CHANGELOG.md"
    current = _without_field(SMALL, "Student", "className")
    changelog.write_text(HEADER + "## Unreleased\n", encoding="utf-8")

    refused = cut_release("0.2.0", released=released, changelog=changelog, current=current)
    assert not refused.ok
    assert released.read_text(encoding="utf-8") == SMALL  # nothing written

    line = refused.unannounced[0].changelog_line
    changelog.write_text(HEADER + f"## Unreleased\n\n{line}\n", encoding="utf-8")
    cut = cut_release(
        "0.2.0", released=released, changelog=changelog, current=current, today=date(2026, 9, 1)
    )
    assert cut.ok, cut.report()
    assert released.read_text(encoding="utf-8") == current
    text = changelog.read_text(encoding="utf-8")
    assert text == HEADER + f"## Unreleased\n\n## 0.2.0 — 2026-09-01\n\n{line}\n"
    # the next check starts from the new release: nothing to announce
    assert check_files(released=released, changelog=changelog, current=released).ok
    with pytest.raises(ChangelogError):
        cut_release("0.2.0", released=released, changelog=changelog, current=current)


def test_the_cli_check_exits_non_zero_on_an_unannounced_breaking_change(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import gateway.schema_check as schema_check

    released = tmp_path / "released.graphql"
    released.write_text(SMALL, encoding="utf-8")
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(HEADER + "## Unreleased\n", encoding="utf-8")
    monkeypatch.setattr(
        schema_check, "current_sdl", lambda: _without_field(SMALL, "Student", "kind")
    )
    monkeypatch.setattr(schema_check, "RELEASED_SDL", released)
    monkeypatch.setattr(schema_check, "CHANGELOG", changelog)
    assert main(["schema", "--check"]) == 1
    assert "- BREAKING: `Student.kind` Field Student.kind was removed." in capsys.readouterr().out
