"""Check, offline, that the lock files still satisfy pyproject.toml.

Every runtime dependency must be pinned in requirements.lock and requirements-dev.lock,
every dependency of the `test` extra in requirements-dev.lock, each at a version its
specifier allows, and the two locks must agree on the versions they share. The simulators'
distribution (emulators/pyproject.toml, installed with --no-deps beside the gateway) may
need only what the runtime lock pins, besides diary-gateway itself. Run by
scripts/check; on failure, `scripts/lock` regenerates the locks.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def pins(lock: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        pinned = re.match(r"([A-Za-z0-9_.-]+)==([^\s;\\]+)", line)
        if pinned is not None:
            found[canonicalize_name(pinned[1])] = pinned[2]
    return found


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = pins(ROOT / "requirements.lock")
    dev = pins(ROOT / "requirements-dev.lock")
    wanted = [(spec, ("requirements.lock", runtime)) for spec in project["dependencies"]]
    wanted += [(spec, ("requirements-dev.lock", dev)) for spec in project["dependencies"]]
    wanted += [
        (spec, ("requirements-dev.lock", dev)) for spec in project["optional-dependencies"]["test"]
    ]
    demo = tomllib.loads((ROOT / "emulators" / "pyproject.toml").read_text(encoding="utf-8"))
    for spec in demo["project"]["dependencies"]:
        if canonicalize_name(Requirement(spec).name) != canonicalize_name(project["name"]):
            wanted += [
                (spec, ("requirements.lock", runtime)),
                (spec, ("requirements-dev.lock", dev)),
            ]
    problems = []
    for spec, (lock_name, locked) in wanted:
        requirement = Requirement(spec)
        version = locked.get(canonicalize_name(requirement.name))
        if version is None:
            problems.append(f"{lock_name}: {requirement.name} is not locked")
        elif not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{lock_name}: {requirement.name}=={version} is outside {spec!r}")
    for name in sorted(runtime.keys() & dev.keys()):
        if runtime[name] != dev[name]:
            problems.append(f"{name}: {runtime[name]} in requirements.lock, {dev[name]} in dev")
    for problem in problems:
        print(f"lock-check: {problem}", file=sys.stderr)
    if problems:
        print("lock-check: the locks are stale: run scripts/lock and commit them", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
