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


DEMO = "diary_gateway_demo"
"""The simulators' package (emulators/, distribution diary-gateway-demo)."""
LAZY_DEMO_IMPORTERS = {ROOT / "gateway" / "cli.py"}
"""The only production module that may import the simulators, and only inside the commands
that need them (``demo``, ``emulate``, ``personas``, ``token --persona``)."""


def _top_level_imports(path: Path) -> set[str]:
    """The packages ``path`` imports at module level (not inside a function)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    in_functions = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in in_functions:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", ["adapters", "schema", "gateway"])
def test_production_packages_never_import_the_simulators(package: str) -> None:
    """The gateway's distribution works without diary-gateway-demo installed: only the CLI's
    demo commands import it, when they run."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / package).rglob("*.py"))
        if DEMO in (_top_level_imports(path) if path in LAZY_DEMO_IMPORTERS else _imports(path))
    ]
    assert offenders == []
    assert not [p for p in (ROOT / package).rglob("*") if p.name in ("emulator", "seed")]


def test_the_cli_imports_the_simulators_only_inside_commands() -> None:
    (cli,) = LAZY_DEMO_IMPORTERS
    assert DEMO in _imports(cli)
    assert DEMO not in _top_level_imports(cli)


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


PATH_HELPER = ROOT / "adapters" / "paths.py"


def _adapter_side_modules() -> list[Path]:
    """Modules that talk to providers (the emulators live in emulators/, not here)."""
    return [path for path in sorted((ROOT / "adapters").rglob("*.py")) if path != PATH_HELPER]


def _slashed(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and "/" in node.value


def _built_paths(tree: ast.AST) -> list[ast.AST]:
    """Strings with a ``/`` built by f-string, ``+``, ``%``, ``str.format`` or ``"/".join``."""
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr) and any(_slashed(v) for v in node.values):
            found.append(node)
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Add | ast.Mod)
            and (_slashed(node.left) or _slashed(node.right))
        ):
            found.append(node)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("format", "join")
            and _slashed(node.func.value)
        ):
            found.append(node)
    return found


def test_provider_paths_are_built_by_the_one_helper_only() -> None:
    """No adapter builds a URL path itself: ``adapters.paths.provider_path`` quotes each
    segment and refuses dot segments (the fix for path injection through native ids)."""
    modules = _adapter_side_modules()
    assert ROOT / "adapters" / "moscow" / "client.py" in modules
    offenders = [
        f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}: {ast.unparse(node)[:80]}"
        for path in modules
        for node in _built_paths(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_every_provider_request_takes_its_path_from_the_helper() -> None:
    """Each ``_request(method, path, …)`` of a client passes ``provider_path(…)`` as path."""
    clients = sorted((ROOT / "adapters").glob("*/client.py"))
    assert clients
    offenders: list[str] = []
    requests = 0
    for path in clients:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "_request"
            ):
                continue
            requests += 1
            given = [k.value for k in node.keywords if k.arg == "path"] + node.args[1:2]
            ok = len(given) == 1 and (
                isinstance(given[0], ast.Call)
                and isinstance(given[0].func, ast.Name)
                and given[0].func.id == "provider_path"
            )
            if not ok:
                offenders.append(
                    f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)[:80]}"
                )
    assert requests > 10
    assert offenders == []


def test_the_path_helper_refuses_what_quoting_cannot_neutralise() -> None:
    from adapters.paths import UnsafePathSegmentError, provider_path

    assert provider_path("api", "homeworks", "1/../../__admin", "done") == (
        "/api/homeworks/1%2F..%2F..%2F__admin/done"
    )
    assert provider_path("a", "x?y#z%2F", 7) == "/a/x%3Fy%23z%252F/7"
    for bad in ("", ".", ".."):
        with pytest.raises(UnsafePathSegmentError):
            provider_path("api", bad, "done")
    with pytest.raises(UnsafePathSegmentError):
        provider_path()
