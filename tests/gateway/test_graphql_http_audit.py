"""The demo gateway passes every graphql-http server audit (GraphQL over HTTP spec).

Runs ``scripts/audit-graphql-http`` (Node.js, the ``graphql-http`` package pinned in
``tests/http_audit``) against the session's demo gateway. Skipped when ``node`` is missing,
or when graphql-http cannot be installed (npm offline), unless ``REQUIRE_NODE=1``, which
turns the skip into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.gateway.conftest import DemoGateway

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "audit-graphql-http"


def _need_node() -> None:
    installed = (ROOT / "tests" / "http_audit" / "node_modules" / "graphql-http").is_dir()
    tools = ("node",) if installed else ("node", "npm")  # npm installs graphql-http once
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    _skip_or_fail(f"{' and '.join(missing)} not found: the graphql-http audit needs Node.js >= 18")


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("REQUIRE_NODE") == "1":
        pytest.fail(f"REQUIRE_NODE=1 but {reason}")
    pytest.skip(reason)


def test_graphql_over_http_audit_has_no_failures_or_warnings(demo: DemoGateway) -> None:
    _need_node()
    run = subprocess.run(
        [str(SCRIPT), f"{demo.url}/graphql", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    if run.returncode == 3:  # npm could not install graphql-http (offline?)
        _skip_or_fail(run.stderr.strip() or "graphql-http could not be installed")
    lines = run.stdout.strip().splitlines()
    assert lines, f"no audit output (exit {run.returncode}): {run.stderr}"
    counts = json.loads(lines[-1])
    report = "\n".join(line for line in lines if not line.startswith("OK "))
    assert counts["total"] >= 60, report  # the whole suite ran
    assert counts["error"] == 0, report
    assert counts["warn"] == 0, report
    assert counts["notice"] == 0, report
    assert counts["ok"] == counts["total"]
    assert run.returncode == 0, run.stderr
