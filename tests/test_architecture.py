"""Dependency direction and public names, checked over the source with ``ast``."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"adapters": {"schema", "gateway"}, "schema": {"gateway"}}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_downwards(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in _imports(path) & FORBIDDEN[package]
    ]
    assert offenders == []


def test_no_utils_modules() -> None:
    assert not [p for p in ROOT.glob("*/**/utils.py") if ".venv" not in p.parts]


@pytest.mark.parametrize("package", ["adapters", "schema", "gateway"])
def test_public_names_are_exported_and_sorted(package: str) -> None:
    module = importlib.import_module(package)
    names = list(module.__all__)
    # isort style: CONSTANTS, then Classes, then functions, each alphabetical
    assert names == sorted(
        names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n)
    )
    for name in names:
        assert hasattr(module, name), name
