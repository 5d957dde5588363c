"""JSON log lines for ``serve`` and the demo: one object per line, with the request and
trace ids of the request being served.

Every line has ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
``message``, ``request_id`` (``X-Request-ID``), ``trace_id`` and ``span_id`` (hex, as the
OTLP collector shows them; ``null`` outside a request or with tracing off), then the
record's own scalar fields (``region``, ``provider``, ``resource``, ``error_class``…) and,
for an exception, ``exception`` (its traceback). uvicorn's loggers go through the same
handler; its access log is off, replaced by one ``gateway.access`` line per request
(:class:`AccessLogMiddleware`) that names the route, never the query string.
"""

from __future__ import annotations

import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any, Final, TextIO

import orjson
from opentelemetry.trace import get_current_span
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .middleware import current_request_id

__all__ = ["QUIET_LOGGERS", "AccessLogMiddleware", "JsonFormatter", "configure_json_logging"]

QUIET_LOGGERS: Final = ("httpx", "httpcore")
"""Libraries that log every request's full URL at INFO: kept at WARNING."""

_STANDARD: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "request_id", "taskName"}
)
"""Attributes every record has: not repeated as extra fields."""


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module doc)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id is not None and getattr(record, "_request_id_stamped", False):
            # RequestIdLogFilter's "[request_id=…]" suffix: a field of its own here
            message = message.removesuffix(f" [request_id={request_id}]")
        context = get_current_span().get_span_context()
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
            "request_id": request_id,
            "trace_id": f"{context.trace_id:032x}" if context.is_valid else None,
            "span_id": f"{context.span_id:016x}" if context.is_valid else None,
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD or key.startswith("_") or key in line:
                continue
            if value is None or isinstance(value, str | int | float | bool):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        return orjson.dumps(line).decode()


def configure_json_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Every logger through one JSON-lines handler on stderr (``serve``, the demo).

    uvicorn's own loggers propagate to it (run uvicorn with ``log_config=None`` and
    ``access_log=False``; :class:`AccessLogMiddleware` writes the access lines).
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # it logs query strings
    for name in QUIET_LOGGERS:  # they log full provider URLs (student ids) at INFO
        logging.getLogger(name).setLevel(logging.WARNING)


_access = logging.getLogger("gateway.access")


class AccessLogMiddleware:
    """One ``gateway.access`` INFO line per HTTP request, written as its last body part is
    sent (so inside the request's context: its request id and span): ``method``, ``route``
    (the matched route's template, e.g. ``/go/{region}/{school}``; ``/graphql``; never a
    query string or an id from a path), ``status`` and ``duration_ms``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _access.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]
        logged = [False]

        async def logging_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                logged[0] = True
                _log(scope, status[0], started)

        try:
            await self.app(scope, receive, logging_send)
        finally:
            if not logged[0]:
                _log(scope, status[0], started)


def _route(scope: Scope) -> str:
    """The route template of a request (its path's first segment when none matched)."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if isinstance(route, Mount):  # a mounted app that names no route of its own
        return f"{template}/…"
    if isinstance(template, str):
        return f"{scope.get('root_path', '')}{template}"
    path: str = scope.get("path", "")
    first, _, rest = path.lstrip("/").partition("/")
    return f"/{first}/…" if rest else f"/{first}"


def _log(scope: Scope, status: int, started: float) -> None:
    method = scope.get("method", "")
    route = _route(scope)
    _access.info(
        "%s %s %d",
        method,
        route,
        status,
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
