"""The two distributions, built: the gateway's wheel (``diary-gateway``) holds no simulator
code; the simulators' (``diary-gateway-demo``, ``emulators/``) holds them and needs the gateway.

Each wheel is built by pip (``pip wheel --no-deps``, setuptools in pip's isolated build
environment) from a clean copy of its sources, so that no ``build/`` left in the checkout
can smuggle old files in.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIMULATOR_NAMES = {"diary_gateway_demo", "seed", "emulation", "emulator", "emulators"}
"""Path parts that only simulator code has."""
SIMULATOR_FILES = {"personas.py", "demo.py"}


def _wheel(sources: list[Path], into: Path) -> zipfile.ZipFile:
    tree = into / "src"
    tree.mkdir(parents=True)
    for source in sources:
        target = tree / source.name
        if source.is_dir():
            shutil.copytree(
                source,
                target,
                ignore=shutil.ignore_patterns("__pycache__", "node_modules", "*.egg-info"),
            )
        else:
            shutil.copy2(source, target)
    built = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check"),
            *("--no-deps", "--wheel-dir", str(into / "dist"), str(tree)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (into / "dist").glob("*.whl")
    return zipfile.ZipFile(wheel)


@pytest.mark.slow  # an external toolchain's long run (CI: pytest -m slow)
def test_the_production_wheel_holds_no_simulator_code(tmp_path: Path) -> None:
    wheel = _wheel(
        [ROOT / name for name in ("pyproject.toml", "README.md", "gateway", "adapters", "schema")],
        tmp_path,
    )
    names = wheel.namelist()
    assert "gateway/cli.py" in names
    assert "adapters/moscow/adapter.py" in names
    assert "adapters/contract/plugin.py" in names
    offenders = [
        name
        for name in names
        if SIMULATOR_NAMES & set(Path(name).parts) or Path(name).name in SIMULATOR_FILES
    ]
    assert offenders == []


@pytest.mark.slow  # an external toolchain's long run (CI: pytest -m slow)
def test_the_demo_wheel_holds_the_simulators_and_needs_the_gateway(tmp_path: Path) -> None:
    emulators = ROOT / "emulators"
    wheel = _wheel(
        [emulators / "pyproject.toml", emulators / "README.md", emulators / "diary_gateway_demo"],
        tmp_path,
    )
    names = set(wheel.namelist())
    for module in (
        "seed/world.py",
        "emulation/faults.py",
        "moscow/app.py",
        "netcity/app.py",
        "eljur/app.py",
        "personas.py",
        "demo.py",
        "py.typed",
    ):
        assert f"diary_gateway_demo/{module}" in names, module
    assert not [n for n in names if n.split("/")[0] in ("gateway", "adapters", "schema")]
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    requires = [
        line.removeprefix("Requires-Dist: ")
        for line in wheel.read(metadata).decode("utf-8").splitlines()
        if line.startswith("Requires-Dist: ")
    ]
    assert "diary-gateway" in requires
