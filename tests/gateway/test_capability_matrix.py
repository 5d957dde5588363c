"""The README's capability matrix is what ``diary-gateway capabilities`` generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.capabilities import Capability
from adapters.registry import ADAPTERS, get_adapter_class
from gateway.capability_matrix import END, START, matrix_markdown, replace_matrix
from gateway.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_is_the_generated_one() -> None:
    text = README.read_text(encoding="utf-8")
    assert replace_matrix(text, matrix_markdown()) == text, (
        "README.md's capability matrix is stale: run `diary-gateway capabilities --write README.md`"
    )


def test_the_table_follows_the_declarations() -> None:
    lines = matrix_markdown().splitlines()
    header = lines[0]
    slugs = sorted(ADAPTERS)
    assert all(f"`{slug}`" in header for slug in slugs)
    for capability in Capability:
        (row,) = [line for line in lines if line.startswith(f"| `{capability.value}` |")]
        cells = [cell.strip() for cell in row.strip("|").split("|")][1:]
        expected = [
            "✓" if capability in get_adapter_class(slug).capabilities else "" for slug in slugs
        ]
        assert cells == expected, capability


def test_check_fails_on_a_stale_table_and_write_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{START}\n| stale |\n{END}\n\nrest\n", encoding="utf-8")
    assert main(["capabilities", "--check", str(readme)]) == 1
    assert "stale" in capsys.readouterr().err
    assert main(["capabilities", "--write", str(readme)]) == 0
    assert main(["capabilities", "--check", str(readme)]) == 0
    assert readme.read_text(encoding="utf-8").endswith(f"{END}\n\nrest\n")
    (tmp_path / "bare.md").write_text("no markers\n", encoding="utf-8")
    assert main(["capabilities", "--check", str(tmp_path / "bare.md")]) == 2
