"""Node.js test tools: install a folder's npm packages (``npm ci``) or skip with the reason.

Under ``REQUIRE_NODE=1`` (set by ``.ci/run``) a missing Node.js or a failed install fails the
test instead of skipping it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["install_or_skip", "skip_or_fail"]

ROOT = Path(__file__).resolve().parents[1]


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``, or fail when the run requires Node (``REQUIRE_NODE=1``)."""
    if os.environ.get("REQUIRE_NODE") == "1":
        pytest.fail(f"REQUIRE_NODE=1 but {reason}")
    pytest.skip(reason)


def install_or_skip(script: Path, what: str, *, timeout: float = 300) -> None:
    """Run ``script --install-only`` (an ``npm ci`` under a lock); skip or fail if it cannot."""
    if shutil.which("node") is None:
        skip_or_fail(f"node not found: {what} needs Node.js >= 18")
    try:
        run = subprocess.run(
            [str(script), "--install-only"],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        skip_or_fail(f"installing the npm packages of {what} timed out")
        return
    if run.returncode != 0:
        skip_or_fail(run.stderr.strip() or f"{what} could not be installed ({run.returncode})")
