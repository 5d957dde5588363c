"""The Starlette app of an emulator: its routes behind the fault middleware, plus the admin API.

Admin endpoints for tests and demos (never counted, never faulted):
``GET``/``POST /__admin/faults`` (the current :class:`~.faults.EmulatorFaults`; a POST
replaces them, fields missing from the body default), ``GET /__admin/stats``
(``{total, paths}``: requests served per path) and ``POST /__admin/reset`` (the initial
faults, counts cleared, plus the emulator's own ``reset``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ExceptionHandler

from .faults import EmulatorFaults, FaultAnswers, FaultControls, FaultMiddleware

__all__ = ["admin_routes", "build_emulator_app"]


def admin_routes(
    controls: FaultControls,
    *,
    reset: Callable[[], None] | None = None,
    refuse: Callable[[str], Exception] | None = None,
) -> list[Route]:
    """The ``/__admin`` routes over ``controls``.

    Args:
        reset: the emulator's own reset, run by ``POST /__admin/reset`` (its data, tokens).
        refuse: the exception a bad faults body raises (the emulator's own error, so it
            answers in its shape); by default a 400 ``{"error", "message"}``.
    """

    async def faults(request: Request) -> Response:
        if request.method == "POST":
            try:
                document = json.loads(await request.body() or b"{}")
                controls.set(EmulatorFaults.from_json(document))
            except ValueError as exc:
                if refuse is not None:
                    raise refuse(str(exc)) from None
                return JSONResponse({"error": "bad_request", "message": str(exc)}, 400)
        return JSONResponse(controls.faults.as_json())

    async def stats(request: Request) -> Response:
        return JSONResponse(controls.stats())

    async def reset_all(request: Request) -> Response:
        controls.reset()
        if reset is not None:
            reset()
        return JSONResponse({"success": True})

    return [
        Route("/__admin/faults", faults, methods=["GET", "POST"]),
        Route("/__admin/stats", stats),
        Route("/__admin/reset", reset_all, methods=["POST"]),
    ]


def build_emulator_app(
    routes: Sequence[BaseRoute],
    *,
    controls: FaultControls,
    answers: FaultAnswers | None = None,
    reset: Callable[[], None] | None = None,
    refuse: Callable[[str], Exception] | None = None,
    exception_handlers: Mapping[Any, ExceptionHandler] | None = None,
) -> Starlette:
    """``routes`` plus :func:`admin_routes`, behind :class:`~.faults.FaultMiddleware`."""
    return Starlette(
        routes=[*routes, *admin_routes(controls, reset=reset, refuse=refuse)],
        middleware=[Middleware(FaultMiddleware, controls=controls, answers=answers)],
        exception_handlers=dict(exception_handlers or {}),
    )
