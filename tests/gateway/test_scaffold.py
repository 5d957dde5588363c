"""``diary-gateway new-adapter``: its output passes ``scripts/check``'s tools and the contract's
structural checks as generated, in a temporary copy of the checkout; bad slugs are refused."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.scaffold import ScaffoldError, scaffold

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COPIED = [
    "pyproject.toml",
    "adapters",
    "gateway",
    "schema",
    "emulators",
    "tests/__init__.py",
    "tests/servers.py",
    "tests/adapters/__init__.py",
    "tests/adapters/harnesses/__init__.py",
    "tests/adapters/harnesses/emulated.py",
    "tests/adapters/harnesses/moscow.py",
]
"""What the generated code imports or is checked with (the copy's ``adapters`` and
``diary_gateway_demo`` win)."""


def _checkout(into: Path) -> Path:
    for relative in COPIED:
        source, target = ROOT / relative, into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    return into


def _run(cwd: Path, *args: str, copy: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in ``cwd``; with ``copy`` the checkout there is imported, not this one."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if copy:
        env["PYTHONPATH"] = os.pathsep.join([str(cwd), str(cwd / "emulators")])
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.slow  # an external toolchain's long run (CI: pytest -m slow)
def test_generated_adapter_passes_the_checks_and_the_structural_contract(tmp_path: Path) -> None:
    root = _checkout(tmp_path / "checkout")
    made = _run(
        root,
        str(BIN / "diary-gateway"),
        "new-adapter",
        "dnevnik",
        "--region",
        "52",
        "--into",
        str(root),
        copy=False,
    )
    assert made.returncode == 0, made.stderr
    assert '    "dnevnik": "adapters.dnevnik:DnevnikAdapter",' in made.stdout
    assert '[regions.52]\nadapter = "dnevnik"' in made.stdout
    generated = [
        "adapters/dnevnik",
        "emulators/diary_gateway_demo/dnevnik",
        "tests/adapters/harnesses/dnevnik.py",
    ]
    for path in generated:
        assert (root / path).exists(), path
    assert (root / "emulators/diary_gateway_demo/dnevnik/app.py").is_file()
    assert not (root / "adapters/dnevnik/emulator").exists(), "simulators stay out of adapters/"
    assert (root / "adapters/dnevnik/README.md").is_file()

    for command in (
        [str(BIN / "ruff"), "format", "--check", *generated],
        [str(BIN / "ruff"), "check", *generated],
        [str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy-cache"), *generated],
    ):
        done = _run(root, *command)
        assert done.returncode == 0, f"{command[0]}:\n{done.stdout}{done.stderr}"

    contract = _run(
        root,
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--contract",
        "-o",
        "contract_harnesses=tests.adapters.harnesses.dnevnik:Harness",
        "-m",
        "contract_structure",
        "-q",
    )
    assert contract.returncode == 0, contract.stdout + contract.stderr
    assert "1 passed" in contract.stdout, contract.stdout


@pytest.mark.parametrize(
    ("slug", "why"),
    [
        ("netcity", "exists already"),
        ("Dnevnik", "invalid adapter slug"),
        ("my-region", "invalid adapter slug"),
        ("class", "invalid adapter slug"),
        ("2gis", "invalid adapter slug"),
        ("x" * 31, "invalid adapter slug"),
        ("base", "exists already"),
    ],
)
def test_refuses_a_slug_that_exists_or_is_not_an_identifier(
    tmp_path: Path, slug: str, why: str
) -> None:
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "base.py").touch()
    with pytest.raises(ScaffoldError, match=why):
        scaffold(slug, into=tmp_path)
    assert [p.name for p in (tmp_path / "adapters").iterdir()] == ["base.py"]


def test_refuses_an_existing_package_or_harness_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "adapters" / "dnevnik").mkdir(parents=True)
    done = _run(
        tmp_path, str(BIN / "diary-gateway"), "new-adapter", "dnevnik", "--into", ".", copy=False
    )
    assert done.returncode == 2
    assert "adapter 'dnevnik' exists already" in done.stderr
    harness = tmp_path / "tests" / "adapters" / "harnesses" / "ok.py"
    harness.parent.mkdir(parents=True)
    harness.touch()
    with pytest.raises(ScaffoldError, match="exists already"):
        scaffold("ok", into=tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ScaffoldError, match="no adapters/ directory"):
        scaffold("fresh", into=tmp_path / "empty")
    with pytest.raises(ScaffoldError, match="invalid region code"):
        scaffold("fresh", region="Москва", into=tmp_path)
