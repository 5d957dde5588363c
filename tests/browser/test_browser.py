"""Headless Chromium against a demo gateway (tests/browser/run.mjs, one browser session).

* ``landing``: the demo's ``/`` names the personas and links GraphiQL and the example.
* ``graphiql``: ``GET /graphql`` renders GraphiQL from the gateway's own assets, the persona
  picker puts the ``parent`` token into the headers, the example query runs and shows data.
* ``parent-week``: ``/example/`` shows every child the API lists for the parent, each with
  their week and marks, and a homework toggle calls ``setHomeworkDone``.

Every request the pages make is recorded and must stay on loopback (anything else is also
refused by the browser context): GraphiQL works with no CDN. Debian's ``chromium`` is driven
by playwright-core (``tests/browser/package-lock.json``, ``npm ci`` once); skipped with the
reason when Chromium, Node or the npm packages are missing, unless ``REQUIRE_CHROMIUM=1`` /
``REQUIRE_NODE=1`` (CI) turn the skip into a failure. ``scripts/browser-tests`` runs the same
checks by hand; ``scripts/screenshots`` takes the README's pictures with them.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters import Clock
from diary_gateway_demo.demo import build_demo_app
from gateway.pages import GRAPHIQL_DIR, GRAPHIQL_HTML
from tests.chromium import chromium_or_skip
from tests.clock import MOSCOW
from tests.node import install_or_skip
from tests.servers import free_port, serve_app

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "browser-tests"
RUNNER = ROOT / "tests" / "browser" / "run.mjs"

CHECKS = ["landing", "graphiql", "parent-week"]

# A Friday afternoon in term time: the week has lessons, marks and comments whatever today is.
DEMO_NOW = datetime(2026, 11, 27, 16, 0, tzinfo=MOSCOW)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every check's result from one run of run.mjs against a fresh demo."""
    chromium = chromium_or_skip()
    install_or_skip(SCRIPT, "the browser tests")
    key = tmp_path_factory.mktemp("browser") / "issuer" / "key.json"
    port = free_port()
    app = build_demo_app(port=port, key_path=key, clock=Clock.shifted(DEMO_NOW))
    with serve_app(app, port=port) as url:
        run = subprocess.run(
            ["node", str(RUNNER)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            env={**os.environ, "BROWSER_URL": url, "CHROMIUM": chromium},
            check=False,
        )
    found: dict[str, dict[str, Any]] = {}
    for line in run.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
            found[result["check"]] = result
    assert found or run.returncode == 0, f"run.mjs exited {run.returncode}:\n{run.stderr}"
    return found


@pytest.mark.parametrize("check", CHECKS)
def test_browser(check: str, results: dict[str, dict[str, Any]]) -> None:
    assert check in results, f"{check} did not run: {sorted(results)}"
    assert results[check]["ok"], results[check]["detail"]


def test_graphiql_page_references_only_same_origin_assets_that_ship() -> None:
    """No browser needed: every src/href of the page is relative and the file is packaged."""
    import re

    urls = re.findall(r'(?:src|href)="([^"]+)"', GRAPHIQL_HTML)
    assert urls
    for url in urls:
        if url.startswith("data:"):
            continue
        assert "//" not in url, url
        assert not url.startswith("/"), url
        assert url.startswith("static/graphiql/"), url
        assert (GRAPHIQL_DIR / url.removeprefix("static/graphiql/")).is_file(), url
    pins = json.loads((ROOT / "web" / "graphiql" / "package.json").read_text())["dependencies"]
    shipped = json.loads((GRAPHIQL_DIR / "versions.json").read_text())
    assert shipped == pins, "scripts/graphiql-assets copies the pinned versions"


def test_tokens_are_served_by_the_demo_only(tmp_path: Path) -> None:
    """``serve`` with GraphiQL on serves its assets but no landing page, example or tokens."""
    from diary_gateway_demo.demo import demo_settings
    from gateway.app import create_app

    with serve_app(create_app(demo_settings())) as url:
        page = httpx.get(f"{url}/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "static/graphiql/setup.js" in page.text
        assert httpx.get(f"{url}/static/graphiql/setup.js").status_code == 200
        for path in ("/", "/demo/personas.json", "/example/"):
            assert httpx.get(f"{url}{path}").status_code == 404, path
    with serve_app(build_demo_app(key_path=tmp_path / "key.json")) as url:
        personas = httpx.get(f"{url}/demo/personas.json")
        assert personas.headers["cache-control"] == "no-store"
        assert {p["name"] for p in personas.json()["personas"]} >= {"parent", "teacher@77"}
        assert httpx.get(f"{url}/example/").headers["content-type"].startswith("text/html")
        assert "GraphiQL" in httpx.get(f"{url}/").text
