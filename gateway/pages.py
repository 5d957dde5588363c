"""Browser pages the gateway serves itself: GraphiQL's assets, and the demo's own pages.

Every script and stylesheet comes from this server (package data under ``gateway/static/``),
never from a CDN, so GraphiQL works on networks that reach nothing but the gateway.

* :data:`GRAPHIQL_HTML`: the IDE page ``GET /graphql`` answers browsers with (when
  ``[server] graphiql``); it references only same-origin, relative URLs.
* :func:`graphiql_asset_routes`: ``/static/graphiql/…``, GraphiQL 3, React 18 and ReactDOM as
  pinned in ``web/graphiql/package-lock.json`` (``scripts/graphiql-assets`` copies them), and
  the page's own ``setup.js``.
* :func:`demo_routes`: **the demo only** (``diary_gateway_demo.demo`` adds them, with its
  personas): ``/`` (a landing page), ``/example/`` (the built example frontend,
  ``examples/parent-week/``) and ``/demo/personas.json`` (each persona with a fresh
  dev-issuer token, the example query and week), which GraphiQL's persona picker and the
  example frontend read. Nothing outside the demo serves a token.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Protocol

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .dev_issuer import DevIssuer

__all__ = [
    "EXAMPLE_DIR",
    "GRAPHIQL_DIR",
    "GRAPHIQL_HTML",
    "STATIC_DIR",
    "PagePersona",
    "demo_routes",
    "graphiql_asset_routes",
    "landing_html",
]

STATIC_DIR = Path(__file__).resolve().parent / "static"
GRAPHIQL_DIR = STATIC_DIR / "graphiql"
EXAMPLE_DIR = STATIC_DIR / "parent-week"
"""The built example frontend (``examples/parent-week``, ``npm run build`` writes here)."""

GRAPHIQL_HTML = (STATIC_DIR / "graphiql.html").read_text(encoding="utf-8")
"""GraphiQL's page: relative URLs under ``static/graphiql/`` beside the endpoint."""

DEFAULT_PERSONA = "parent"


class PagePersona(Protocol):
    """A persona the demo's pages list (``diary_gateway_demo.personas.Persona``)."""

    @property
    def name(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def description(self) -> str: ...


# Tokens are minted per request: never kept by a browser or proxy cache.
_NO_STORE = {"Cache-Control": "no-store"}


def graphiql_asset_routes() -> list[BaseRoute]:
    """``/static/graphiql/…``: the IDE's scripts and stylesheets (mounted with the IDE)."""
    return [Mount("/static/graphiql", app=StaticFiles(directory=GRAPHIQL_DIR), name="graphiql")]


def landing_html(personas: Sequence[PagePersona]) -> str:
    """The demo's ``/``: what this is, the personas, links to GraphiQL and the example."""
    rows = "\n".join(
        f"<tr><td><code>{html.escape(p.name)}</code></td><td>{html.escape(p.description)}</td></tr>"
        for p in personas
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>diary-gateway demo</title>
<link rel="icon" href="data:,">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em;
  line-height: 1.5; color: #1d2733; }}
h1 {{ margin-bottom: 0.2em; }}
.links a {{ display: inline-block; margin: 0.3em 1em 0.3em 0; padding: 0.5em 1em;
  background: #0b3b5c; color: #fff; border-radius: 6px; text-decoration: none; }}
table {{ border-collapse: collapse; width: 100%; }}
td {{ border-top: 1px solid #dde3ea; padding: 0.3em 0.6em 0.3em 0; vertical-align: top; }}
</style>
</head>
<body>
<h1>diary-gateway</h1>
<p>One GraphQL API over the school electronic diaries of many Russian regions. This demo
answers for three regions, each through its own kind of system: <b>74</b> («Сетевой
город»-style), <b>11</b> (ЭлЖур-style, 10-point marks) and <b>77</b> (МЭШ-style, a real
HTTP emulator of the Moscow protocol). A parent signs in once through the national SSO (here
a development issuer) and sees every child's week, wherever the child studies.</p>
<p class="links">
<a href="graphql">GraphiQL</a>
<a href="example/">The example frontend: a parent's week</a>
</p>
<h2>Personas</h2>
<p>Pick one in GraphiQL's persona bar (it sets the <code>Authorization</code> header), or
print a token with <code>.venv/bin/diary-gateway token --persona NAME</code>.
<code>CODE</code> is 74, 11 or 77.</p>
<table>
{rows}
</table>
<p>Endpoints: <code>POST /graphql</code> (the API; GraphiQL on <code>GET</code> in a
browser), <code>/example/</code>, <code>/healthz</code>, <code>/go/REGION</code>,
<code>/.well-known/dev-sso/jwks.json</code> (the development issuer's keys).</p>
</body>
</html>
"""


def demo_routes(
    issuer: DevIssuer,
    *,
    personas: Sequence[PagePersona],
    query: str,
    week: Callable[[], tuple[date, date, str | None]],
) -> list[BaseRoute]:
    """The demo's pages: ``/``, ``/example/`` and ``/demo/personas.json``.

    Args:
        issuer: the demo's development issuer, which mints each persona's token.
        personas: the personas listed (each with a fresh token), ``parent`` among them.
        query: the example query GraphiQL opens with.
        week: the example week (Monday, Sunday, why not this week), read on each request.
    """
    landing = landing_html(personas)

    async def _landing(request: Request) -> Response:
        return HTMLResponse(landing)

    async def _personas(request: Request) -> Response:
        monday, sunday, note = week()
        return JSONResponse(
            {
                "default": DEFAULT_PERSONA,
                "personas": [
                    {
                        "name": p.name,
                        "description": p.description,
                        "token": issuer.mint(p.subject),
                    }
                    for p in personas
                ],
                "query": query,
                "variables": {"from": monday.isoformat(), "to": sunday.isoformat()},
                "note": note,
            },
            headers=_NO_STORE,
        )

    return [
        Route("/", _landing),
        Route("/demo/personas.json", _personas),
        Mount("/example", app=StaticFiles(directory=EXAMPLE_DIR, html=True), name="example"),
    ]
