"""The contract plugin from an adapter's own repository: a package built outside this one.

A minimal parent-only region (profiles and the schedule, one persona) is written into a
temporary directory as its own project — ``pyproject.toml`` with the
``diary_gateway.adapters`` and ``diary_gateway.contract_harnesses`` entry points, the
adapter, a harness subclassing :class:`adapters.contract.Harness`, its pytest settings
opting in to the plugin — packed as a wheel (by hand: no build backend, offline) and
installed with ``pip install --no-deps --target``, and its own
``pytest`` run in a subprocess finds the plugin through the gateway's ``pytest11`` entry
point and runs the contract: the checks that apply pass, the others are skipped with why.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "diary-region-parentonly"
version = "0.1.0"

[project.entry-points."diary_gateway.adapters"]
parentonly = "parentonly_region:ParentOnlyAdapter"

[project.entry-points."diary_gateway.contract_harnesses"]
parentonly = "parentonly_region.harness:Harness"

[tool.setuptools]
packages = ["parentonly_region"]

[tool.pytest.ini_options]
diary_gateway_contract = true
asyncio_mode = "auto"
asyncio_default_fixture_loop_scope = "function"
addopts = "-p no:cacheprovider"
"""

ADAPTER = '''\
"""A parent-only region: profiles and the schedule of the canonical week, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from adapters import (
    AccessDeniedError,
    AdapterError,
    Capability,
    Caller,
    Child,
    DateRange,
    DiaryAdapter,
    Lesson,
    NotFoundError,
    Person,
    RegionProfile,
    Role,
    RoleGrant,
    School,
    Student,
    Subject,
)
from adapters.native_ids import DIGITS, IdKind
from diary_gateway_demo.seed import CANONICAL_WEEK

PARENT = "parent-subject"
CHILD = Student(
    id="501",
    person=Person(id="9001", last_name="Ребёнкова", first_name="Вера", middle_name="Петровна"),
    school_id="1",
    class_unit_id="11",
    class_name="9-А",
)
MONDAY = date(2025, 10, 13)


@dataclass(frozen=True)
class ParentOnlyConfig:
    pass


class ParentOnlyAdapter(DiaryAdapter):
    slug = "parentonly"
    diary_system = "Родительский дневник"
    capabilities = frozenset({Capability.PROFILE, Capability.SCHEDULE})
    config_model = ParentOnlyConfig
    native_ids = {IdKind.STUDENT: DIGITS, IdKind.SCHOOL: DIGITS}

    async def _list_schools(self) -> list[School]:
        return [School(id="1", name="Школа № 1")]

    async def _fetch_profile(self, caller: Caller) -> RegionProfile | None:
        if caller.person_id != PARENT:
            return None
        return RegionProfile(
            person=Person(id="8001", last_name="Родителева", first_name="Анна"),
            roles=(RoleGrant(role=Role.PARENT),),
            children=(Child(student=CHILD, is_legal_representative=True),),
        )

    def _mine(self, caller: Caller, student_id: str) -> AdapterError | None:
        if student_id != CHILD.id:
            return NotFoundError("no such student", provider=self.slug)
        if caller.person_id != PARENT:
            return AccessDeniedError("not your child", provider=self.slug)
        return None

    async def _fetch_students(self, caller: Caller, student_ids: list[str]) -> list[Any]:
        return [self._mine(caller, sid) or CHILD for sid in student_ids]

    async def _fetch_diaries(
        self, caller: Caller, student_ids: list[str], days: DateRange
    ) -> list[Any]:
        zone = self.region.timezone
        lessons = []
        for c in CANONICAL_WEEK:
            day = MONDAY + timedelta(days=c.weekday)
            if day not in days:
                continue
            minutes = 55 * (c.number - 1)
            start = datetime.combine(day, time(8, 30), zone) + timedelta(minutes=minutes)
            lessons.append(
                Lesson(
                    id=f"{day:%Y%m%d}{c.number}",
                    date=day,
                    number=c.number,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=45),
                    subject=Subject(id=c.subject, name=c.subject),
                    topic=c.topic,
                    cancelled=c.cancelled,
                    replaced=c.replaced,
                    remote=c.remote,
                )
            )
        return [self._mine(caller, sid) or list(lessons) for sid in student_ids]
'''

HARNESS = '''\
"""The parent-only region's contract harness: the standard Harness, one persona, no faults."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from adapters import AdapterDeps, Caller, Clock, DiaryAdapter, DirectRunner, RegionInfo
from adapters.contract import Harness as StandardHarness

from . import CHILD, PARENT, ParentOnlyAdapter, ParentOnlyConfig


class Harness(StandardHarness):
    slug = "parentonly"
    region = "99"
    personas = frozenset({"parent"})
    supports_faults = False

    async def start(self, clock: Clock) -> DiaryAdapter:
        self.adapter = ParentOnlyAdapter(
            region=RegionInfo(
                code=self.region,
                name="Родительская область",
                timezone=ZoneInfo("Asia/Yekaterinburg"),
                diary_url="https://parents.example",
            ),
            config=ParentOnlyConfig(),
            deps=AdapterDeps(runner=DirectRunner(timeout=1.0), clock=clock),
        )
        return self.adapter

    def caller(self, persona: str) -> Caller:
        return Caller(person_id=PARENT if persona == "parent" else f"nobody-{persona}")

    def canonical_student_id(self) -> str:
        return CHILD.id

    def canonical_child_name(self) -> str | None:
        return "Ребёнкова Вера Петровна"
'''

OWN_TEST = """\
from importlib.metadata import entry_points


def test_installed_by_entry_point() -> None:
    names = {ep.name for ep in entry_points(group="diary_gateway.adapters")}
    assert "parentonly" in names
"""


def _wheel(project: Path, out: Path) -> Path:
    """A wheel of the project's package and entry points, built by hand (no build backend:
    the test runs offline and the environment has no ``wheel``)."""
    name, version = "diary_region_parentonly", "0.1.0"
    info = f"{name}-{version}.dist-info"
    files = {
        str(p.relative_to(project)): p.read_bytes()
        for p in sorted((project / "parentonly_region").rglob("*.py"))
    }
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: diary-region-parentonly\nVersion: {version}\n"
    ).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/entry_points.txt"] = (
        b"[diary_gateway.adapters]\nparentonly = parentonly_region:ParentOnlyAdapter\n\n"
        b"[diary_gateway.contract_harnesses]\nparentonly = parentonly_region.harness:Harness\n"
    )

    def digest(data: bytes) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    record = [f"{path},sha256={digest(data)},{len(data)}" for path, data in files.items()]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    wheel = out / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.mark.slow  # an external toolchain's long run (CI: pytest -m slow)
def test_an_adapter_package_outside_the_repository_runs_the_contract_plugin(
    tmp_path: Path,
) -> None:
    project = tmp_path / "parentonly"
    _write(
        project,
        {
            "pyproject.toml": PYPROJECT,
            "parentonly_region/__init__.py": ADAPTER,
            "parentonly_region/harness.py": HARNESS,
            "tests/test_own.py": OWN_TEST,
        },
    )
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    wheel = _wheel(project, tmp_path)
    subprocess.run(
        [*pip, "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert list(site.glob("diary_region_parentonly-*.dist-info"))
    # the adapter repository's tests, not its sources: only the installed package is used
    (project / "parentonly_region").rename(tmp_path / "sources-moved-away")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", "-p", "no:xdist", "tests"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    passed = [
        "test_installed_by_entry_point",
        "TestContract::test_declares_slug_capabilities_and_config[parentonly]",
        "TestContract::test_parent_profile_lists_the_canonical_child[parentonly]",
        "TestContract::test_canonical_week_schedule[parentonly]",
        "TestContract::test_unknown_student_fails_only_its_slot[parentonly]",
        "TestContract::test_results_hold_only_unified_models[parentonly]",
    ]
    verbose = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:xdist", "tests"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    ).stdout
    for name in passed:
        assert any(name in line and "PASSED" in line for line in verbose.splitlines()), (
            name,
            verbose,
        )
    # what does not apply is skipped, saying why; nothing fails
    assert "does not declare marks" in out
    assert "the harness offers no persona" in out
    assert "the harness cannot switch faults" in out
    assert " failed" not in out
    assert "[eljur]" not in verbose  # only the installed adapter's harness runs here


@pytest.mark.parametrize("flag", [[], ["--contract"]])
def test_the_plugin_is_inert_until_a_project_opts_in(tmp_path: Path, flag: list[str]) -> None:
    (tmp_path / "test_one.py").write_text("def test_one() -> None:\n    pass\n", encoding="utf-8")
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
        "contract_harnesses = tests.adapters.harnesses.{slug}:Harness\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    env.pop("PYTEST_ADDOPTS", None)
    args = ["-p", "no:cacheprovider", "-p", "no:xdist", "-q", "--collect-only", *flag]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    collected = [line for line in run.stdout.splitlines() if "::" in line]
    if not flag:
        assert collected == ["test_one.py::test_one"]
    else:
        assert "test_one.py::test_one" in collected
        assert any("TestContract::test_canonical_week_schedule[moscow]" in c for c in collected)
