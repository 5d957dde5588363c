"""The ASGI entry point: ``/graphql`` straight to its endpoint, everything else through
Starlette.

A GraphQL request is the hot path: :class:`GatewayApp` serves it without Starlette's
error and exception middleware, its router and the middleware wrappers, doing inline what
they do for it — the client address behind trusted proxies (:mod:`gateway.proxies`), a
fresh request id in the context and the ``X-Request-ID`` header
(:mod:`gateway.middleware`), the body-size limit (``413`` before reading a declared
oversize body, or as soon as a streamed one goes over) — and the endpoint masks every
error itself (:mod:`gateway.graphql`). A request the middleware stack must see takes the
stack: one with an ``Origin`` header when CORS is configured (CORS answers it), a mounted
``root_path``, ``/graphql/``, every other path, WebSocket and lifespan events.

Middleware added to the Starlette stack does not see a dispatched ``/graphql`` request:
give it a place here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .middleware import (
    REQUEST_ID_SCOPE_KEY,
    BodyTooLarge,
    bind_request_id,
    install_request_id_logging,
    new_request_id,
    refuse_too_large,
    unbind_request_id,
    with_header,
)
from .proxies import TrustedProxies

__all__ = ["GRAPHQL_PATH", "GatewayApp"]

GRAPHQL_PATH = "/graphql"
_REQUEST_ID = b"x-request-id"


class GatewayApp(Starlette):
    """Starlette, with ``/graphql`` dispatched to ``graphql`` directly (see the module doc).

    Args:
        graphql: the GraphQL endpoint (also routed in the stack, for requests it must see).
        trusted_proxies: as :class:`gateway.proxies.ClientAddressMiddleware`'s.
        max_body_bytes: as :class:`gateway.middleware.BodySizeLimitMiddleware`'s.
        cors: CORS is configured: requests with an ``Origin`` header take the stack.
        log_to: loggers whose records get the request id (as
            :class:`gateway.middleware.RequestIdMiddleware`'s, installed now: the stack's
            own is built at its first request, which may come after GraphQL's).
        **kwargs: Starlette's own.
    """

    def __init__(
        self,
        *,
        graphql: ASGIApp,
        trusted_proxies: Iterable[str] = (),
        max_body_bytes: int,
        cors: bool,
        log_to: tuple[str, ...] = ("gateway.errors",),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        install_request_id_logging(*log_to)
        self.graphql = graphql
        self.trusted = TrustedProxies(trusted_proxies)
        self.max_body_bytes = max_body_bytes
        self.cors = cors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == GRAPHQL_PATH
            and not scope.get("root_path")
            and not (self.cors and _has_origin(scope))
        ):
            scope["app"] = self
            await self._dispatch(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.trusted:
            client = scope.get("client")
            if client:
                address = self.trusted.client(str(client[0]), scope.get("headers") or ())
                if address != client[0]:
                    scope["client"] = (address, 0)
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (_REQUEST_ID, request_id.encode("latin-1"))
        scope[REQUEST_ID_SCOPE_KEY] = header  # the endpoint sends it with its answer
        limit = self.max_body_bytes
        token = bind_request_id(request_id)
        try:
            if limit <= 0:
                await self.graphql(scope, receive, send)
                return
            declared = _declared_length(scope)
            if declared > limit:
                await refuse_too_large(with_header(send, header), limit)
                return
            if declared >= 0:  # the server delivers no more than Content-Length says
                await self.graphql(scope, receive, send)
                return
            received = 0
            started = False

            async def tracked_send(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise BodyTooLarge
                return message

            try:
                await self.graphql(scope, limited_receive, tracked_send)
            except BodyTooLarge:
                if not started:  # the endpoint answered before reading everything: done
                    await refuse_too_large(with_header(send, header), limit)
        finally:
            unbind_request_id(token)


def _has_origin(scope: Scope) -> bool:
    return any(name == b"origin" for name, _ in scope["headers"])


def _declared_length(scope: Scope) -> int:
    """``Content-Length`` (``-1``: none, malformed — the server refuses that itself — or sent
    beside ``Transfer-Encoding``, when the length does not frame the body)."""
    length = -1
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                return -1
        elif name == b"transfer-encoding":
            return -1
    return length
