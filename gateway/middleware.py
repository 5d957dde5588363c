"""Plain ASGI middleware: a request id for every request, and a streamed body-size limit.

:class:`RequestIdMiddleware` gives each HTTP request a fresh random id, keeps it in a
context variable (:func:`current_request_id`) for the code that serves the request, and
returns it in the ``X-Request-ID`` response header. The id of a client is never trusted:
it would let a caller forge the correlation between its errors and the server's log.
:class:`RequestIdLogFilter` stamps that id on log records, so that the log line of a masked
error can be found from the ``extensions.requestId`` its client received.

:class:`BodySizeLimitMiddleware` refuses request bodies larger than a limit with ``413``:
at once when ``Content-Length`` announces too much, otherwise as soon as the streamed body
goes over it — the body is never read whole first.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
import uuid
from typing import Final

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema import ErrorCode

__all__ = [
    "REQUEST_ID_HEADER",
    "REQUEST_ID_SCOPE_KEY",
    "BodySizeLimitMiddleware",
    "BodyTooLarge",
    "RequestIdLogFilter",
    "RequestIdMiddleware",
    "bind_request_id",
    "current_request_id",
    "install_request_id_logging",
    "new_request_id",
    "refuse_too_large",
    "unbind_request_id",
    "with_header",
]

REQUEST_ID_HEADER: Final = "X-Request-ID"
"""The response header carrying the request id."""

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "diary_gateway_request_id", default=None
)


def current_request_id() -> str | None:
    """The id of the request being served (``None`` outside :class:`RequestIdMiddleware`)."""
    return _request_id.get()


def bind_request_id(request_id: str) -> contextvars.Token[str | None]:
    """Make ``request_id`` the current one (:class:`RequestIdMiddleware` and the GraphQL
    dispatcher of :mod:`gateway.dispatch`); undo with :func:`unbind_request_id`."""
    return _request_id.set(request_id)


REQUEST_ID_SCOPE_KEY: Final = "gateway.request_id_header"
"""Scope key of the ``X-Request-ID`` header (name and value, bytes) of a request that
:class:`gateway.dispatch.GatewayApp` dispatched past this stack: the endpoint adds it to
what it sends (:class:`RequestIdMiddleware` does that for requests the stack sees)."""


def with_header(send: Send, header: tuple[bytes, bytes]) -> Send:
    """``send``, adding ``header`` to the response start."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), header]
        await send(message)

    return sending


def unbind_request_id(token: contextvars.Token[str | None]) -> None:
    """Undo :func:`bind_request_id`."""
    _request_id.reset(token)


_ID_PREFIX = uuid.uuid4().hex[:8]
_ID_COUNTER = itertools.count(1)


def new_request_id() -> str:
    """A fresh request id, unique across instances: a random per-process prefix + a counter.

    (16 hex digits; cheaper than drawing random bytes for every request.)
    """
    return f"{_ID_PREFIX}{next(_ID_COUNTER) & 0xFFFFFFFF:08x}"


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` to every record, and ``[request_id=…]`` to its message.

    Outside a request the attribute is ``None`` and the message is left alone.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id()
        record.request_id = request_id
        if request_id is not None and not getattr(record, "_request_id_stamped", False):
            try:
                message = record.getMessage()
            except (TypeError, ValueError):  # a malformed call: the handler reports it
                return True
            record.msg = f"{message} [request_id={request_id}]"
            record.args = ()
            record._request_id_stamped = True
        return True


def install_request_id_logging(*names: str) -> None:
    """Attach one :class:`RequestIdLogFilter` to each named logger (idempotent)."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RequestIdLogFilter) for f in logger.filters):
            logger.addFilter(RequestIdLogFilter())


class RequestIdMiddleware:
    """Gives each HTTP request an id: in a context variable, ``scope["state"]`` and a header.

    Args:
        app: the wrapped application.
        log_to: loggers whose records get the id (see :class:`RequestIdLogFilter`); by
            default ``gateway.errors``, where unexpected (masked) errors are logged.
    """

    def __init__(self, app: ASGIApp, *, log_to: tuple[str, ...] = ("gateway.errors",)) -> None:
        self.app = app
        install_request_id_logging(*log_to)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (REQUEST_ID_HEADER.lower().encode("latin-1"), request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        token = _request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)


class BodyTooLarge(Exception):
    """Raised by the body-size limit's ``receive`` (the middleware answers ``413``): let it go."""


class BodySizeLimitMiddleware:
    """Refuses HTTP request bodies over ``max_body_bytes`` with ``413 Content Too Large``.

    The answer is a GraphQL-shaped JSON error with ``extensions.code = "BAD_USER_INPUT"``.
    ``max_body_bytes <= 0`` turns the limit off.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.max_body_bytes <= 0:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None:
            try:
                too_large = int(declared) > self.max_body_bytes
            except ValueError:
                too_large = False  # the server rejects a malformed length itself
            if too_large:
                await self._refuse(send)
                return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if started:  # the app answered before reading everything: nothing more to say
                return
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        await refuse_too_large(send, self.max_body_bytes)


async def refuse_too_large(send: Send, max_body_bytes: int) -> None:
    """Answer ``413`` with a GraphQL-shaped ``BAD_USER_INPUT`` error and close."""
    from .pipeline.encode import error_body  # the pipeline imports this module's users

    body = error_body(
        f"the request body is larger than {max_body_bytes} bytes", ErrorCode.BAD_USER_INPUT
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode("latin-1")),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
