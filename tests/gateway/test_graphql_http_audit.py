"""The demo gateway passes every graphql-http server audit (GraphQL over HTTP spec).

Runs ``scripts/audit-graphql-http`` (Node.js, the ``graphql-http`` package pinned in
``tests/http_audit``) against the session's demo gateway. Skipped, with the reason, when
``node`` is missing or when graphql-http cannot be installed (npm missing, registry
unreachable, package lock missing, install timed out), unless ``REQUIRE_NODE=1`` (CI), which
turns the skip into a failure. Once installed, any audit problem is a failure.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.gateway.conftest import DemoGateway
from tests.node import install_or_skip

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "audit-graphql-http"


def test_graphql_over_http_audit_has_no_failures_or_warnings(demo: DemoGateway) -> None:
    install_or_skip(SCRIPT, "the graphql-http audit", timeout=200)
    run = subprocess.run(
        [str(SCRIPT), f"{demo.url}/graphql", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
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
