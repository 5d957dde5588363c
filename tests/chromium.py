"""Headless Chromium for the browser tests: Debian's ``chromium``, never a downloaded browser.

``CHROMIUM`` names the executable (default: ``/usr/bin/chromium``, else ``chromium`` on
``PATH``). When there is none the browser tests are skipped with the reason, unless
``REQUIRE_CHROMIUM=1`` (CI, like ``REQUIRE_NODE``), which turns the skip into a failure.
``scripts/test`` installs the package with apt-get where the machine allows it
(``scripts/install-chromium``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

__all__ = ["chromium_or_skip"]

DEFAULT = Path("/usr/bin/chromium")


def chromium_or_skip() -> str:
    """The Chromium executable's path; skip (or fail under ``REQUIRE_CHROMIUM=1``) if none."""
    named = os.environ.get("CHROMIUM")
    if named:
        found = shutil.which(named)
    elif DEFAULT.exists():
        found = str(DEFAULT)
    else:
        found = shutil.which("chromium")
    if found is None:
        reason = (
            f"no Chromium at {named or DEFAULT} (Debian: apt-get install chromium; "
            "scripts/test installs it when run as root with apt)"
        )
        if os.environ.get("REQUIRE_CHROMIUM") == "1":
            pytest.fail(f"REQUIRE_CHROMIUM=1 but {reason}")
        pytest.skip(reason)
    return found
