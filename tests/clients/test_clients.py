"""Frontend clients against a running demo gateway (Node.js, tests/clients).

``tests/clients/run.mjs`` drives Apollo Client 3's InMemoryCache and relay-runtime against a
demo served here (``make_demo``), compiles refetchable fragments on Lesson, Mark and Student
with relay-compiler and runs their refetch queries, and type-checks GraphQL Code Generator's
output (typescript + typescript-operations) with ``tsc --strict``. One test per check.

The packages are pinned in ``tests/clients/package-lock.json`` and installed once with
``npm ci`` (``scripts/client-tests --install-only``). Skipped, with the reason, when ``node``
is missing or the install is not possible, unless ``REQUIRE_NODE=1`` (CI), which turns the
skip into a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.clock import school_week
from tests.gateway.conftest import make_demo
from tests.node import install_or_skip

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "client-tests"
RUNNER = ROOT / "tests" / "clients" / "run.mjs"

CHECKS = [
    "apollo-twins",
    "relay-compile",
    "relay-twins",
    "relay-refetch",
    "codegen",
    "tsc-strict",
]


def _install() -> None:
    install_or_skip(SCRIPT, "the client tests")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every check's result from one run of run.mjs against a fresh demo gateway."""
    _install()
    work = tmp_path_factory.mktemp("clients")
    week = school_week()
    with make_demo(work / "issuer" / "key.json") as demo:
        env = {
            **os.environ,
            "CLIENTS_URL": f"{demo.url}/graphql",
            "CLIENTS_TOKEN": demo.token("parent"),
            "CLIENTS_FROM": week["from"],
            "CLIENTS_TO": week["to"],
            "CLIENTS_WORK": str(work / "run"),
        }
        run = subprocess.run(
            ["node", str(RUNNER)],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=ROOT,
            env=env,
            check=False,
        )
    found: dict[str, dict[str, Any]] = {}
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            found[result["check"]] = result
    assert run.returncode == 0, f"run.mjs exited {run.returncode}:\n{run.stderr}\n{run.stdout}"
    return found


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.slow  # an external toolchain's long run (CI: pytest -m slow)
def test_client(check: str, results: dict[str, dict[str, Any]]) -> None:
    assert check in results, f"{check} did not run: {sorted(results)}"
    assert results[check]["ok"], results[check]["detail"]


def test_the_readme_documents_every_custom_scalar_as_codegen_maps_it() -> None:
    """The README's codegen mapping, the config the client test runs and the schema agree."""
    import re

    from graphql import GraphQLScalarType, specified_scalar_types

    from schema import build_schema
    from schema.documents import graphql_schema

    custom = {
        name
        for name, kind in graphql_schema(build_schema()).type_map.items()
        if isinstance(kind, GraphQLScalarType)
        and name not in specified_scalar_types
        and not name.startswith("__")
    }
    config = (ROOT / "tests" / "clients" / "codegen.config.mjs").read_text(encoding="utf-8")
    mapped = dict(re.findall(r"(\w+): '(\w+)'", config.split("export const scalars", 1)[1]))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `(\w+)` \| `(\w+)` \|", readme, flags=re.MULTILINE))
    assert custom, (mapped, custom)
    assert set(mapped) == custom, (mapped, custom)
    assert {k: table.get(k) for k in custom} == {k: mapped[k] for k in custom}
