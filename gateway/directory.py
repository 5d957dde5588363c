"""Public links for the national portal: ``GET /go/{region}[/{school}]`` redirects."""

from __future__ import annotations

import html

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from adapters import AdapterError, AdapterRegistry

__all__ = ["go_to_region"]


def _not_found(registry: AdapterRegistry, what: str) -> Response:
    items = "".join(
        f'<li><a href="/go/{html.escape(code)}">{html.escape(code)} — '
        f"{html.escape(adapter.region.name)} ({html.escape(adapter.diary_system)})</a></li>"
        for code, adapter in sorted(registry.items())
    )
    body = (
        "<!doctype html><meta charset=utf-8><title>Not found</title>"
        f"<h1>{html.escape(what)}</h1><p>Known regions:</p><ul>{items}</ul>"
    )
    return HTMLResponse(body, status_code=404)


async def go_to_region(request: Request) -> Response:
    """Redirect to the region's own diary site (a school's page where the region has one)."""
    registry: AdapterRegistry = request.app.state.registry
    code = request.path_params["region"]
    if code not in registry:
        return _not_found(registry, f"Unknown region {code!r}")
    adapter = registry[code]
    school = request.path_params.get("school")
    url = adapter.region.diary_url
    if school is not None:
        try:
            schools = await adapter.list_schools()
        except AdapterError:
            schools = []
        if not any(s.id == school for s in schools):
            return _not_found(registry, f"Unknown school {school!r} in region {code}")
        url = f"{url.rstrip('/')}/?school={school}"
    return RedirectResponse(url, status_code=302)
