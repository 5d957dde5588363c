"""Subscriptions over plain HTTP: the graphql-sse protocol, "distinct connections" mode.

https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md: a ``POST`` (or ``GET``)
to ``/graphql`` with ``Accept: text/event-stream`` carries one operation; the answer is a
``text/event-stream`` of ``next`` events (each an execution result) ending with a
``complete`` event. It goes through proxies that block WebSockets. :mod:`gateway.graphql`
hands such requests here (its one hook, where negotiation already failed).

Refusals before the stream starts (no or a bad token, a limit, a document that does not
validate) are ordinary GraphQL-over-HTTP JSON answers with their status. When the server
ends the stream (a slow subscriber, the token expired, a relation ended, shutdown) the
last ``next`` carries one error whose ``extensions.code`` says why (``SLOW_SUBSCRIBER``,
``UNAUTHENTICATED``, ``FORBIDDEN``, ``SHUTTING_DOWN``), then ``complete``. A comment line
every ``KEEPALIVE_SECONDS`` keeps idle proxies from timing the stream out.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

import orjson
from starlette.datastructures import QueryParams
from starlette.types import Message, Receive, Scope, Send
from strawberry.types import ExecutionResult

from schema import ErrorCode

from ..middleware import new_request_id
from ..pipeline import (
    JSON,
    GraphQLRequest,
    Refusal,
    check_content_type,
    from_json_body,
    from_query_params,
    refusal_answer,
    result_answer,
)
from .hub import EXPIRED, RELATION_ENDED, SHUTDOWN, SLOW, LiveClosed
from .service import LiveService

__all__ = ["CLOSE_ERRORS", "GraphQLSSE"]

KEEPALIVE_SECONDS: Final = 15.0
CLOSE_TIMEOUT_SECONDS: Final = 5.0
CLOSE_ERRORS: Final = {
    SLOW: ErrorCode.SLOW_SUBSCRIBER,
    EXPIRED: ErrorCode.UNAUTHENTICATED,
    RELATION_ENDED: ErrorCode.FORBIDDEN,
    SHUTDOWN: ErrorCode.SHUTTING_DOWN,
}
"""The error code of the last ``next`` for each reason the server ends a stream."""

_HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
    (b"vary", b"Accept"),
]


class GraphQLSSE:
    """The ``text/event-stream`` side of ``/graphql`` (an ASGI app for ``http`` scopes)."""

    def __init__(self, live: LiveService, *, keepalive: float = KEEPALIVE_SECONDS) -> None:
        self.live = live
        self.keepalive = keepalive

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization = content_type = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value.decode("latin-1")
        client = scope.get("client")
        address = client[0] if client else None
        try:
            method = scope["method"]
            if method not in ("GET", "POST"):
                raise Refusal(
                    405,
                    "subscriptions are served over POST (and GET)",
                    headers={"Allow": "GET, POST"},
                )
            connection = await self.live.connect(authorization, address=address)
            request: GraphQLRequest
            if method == "GET":
                request = from_query_params(QueryParams(scope["query_string"]))
            else:
                check_content_type(content_type)
                request = from_json_body(await _read_body(receive))
            if request.query is None or not request.query.strip():
                raise Refusal(400, "no GraphQL query in the request (`query` is missing or empty)")
            compiled = self.live.pipeline.documents.get(request.query)
            if not compiled.valid:
                result = ExecutionResult(data=None, errors=list(compiled.errors))
                answer = result_answer(
                    result,
                    JSON,
                    request_id="-",
                    hide_suggestions=self.live.pipeline.hide_suggestions,
                )
                await _answer(send, 400, answer.body)
                return
        except Refusal as refused:
            answer = refusal_answer(refused, JSON)
            await _answer(send, refused.status, answer.body, dict(refused.headers))
            return
        await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
        lock = asyncio.Lock()

        async def event(chunk: bytes) -> None:
            async with lock:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})

        async def stream() -> None:
            async for result in self.live.run(connection, request, request_id=new_request_id()):
                await event(b"event: next\ndata: " + result.body + b"\n\n")

        async def keepalive() -> None:
            while True:
                await asyncio.sleep(self.keepalive)
                await event(b": keep-alive\n\n")

        session = connection.session
        tasks = {
            asyncio.create_task(stream()): "stream",
            asyncio.create_task(_disconnected(receive)): "gone",
            asyncio.create_task(session.ended.wait()): "ended",
            asyncio.create_task(keepalive()): "keepalive",
        }
        expiry = asyncio.create_task(self.live.watch_expiry(connection))
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            first = next(iter(done))
            which = tasks[first]
            if which == "gone":
                return
            if which == "stream" and first.exception() is not None:
                error = first.exception()
                if not isinstance(error, (LiveClosed, Refusal)):
                    raise error  # type: ignore[misc]
            closed = session.closed
            tail = b""
            if closed is not None:
                self.live.closed(closed)
                code = CLOSE_ERRORS.get(closed.reason, ErrorCode.INTERNAL_SERVER_ERROR)
                body = {"errors": [{"message": closed.message, "extensions": {"code": code.value}}]}
                tail = b"event: next\ndata: " + orjson.dumps(body) + b"\n\n"
            elif which == "stream" and isinstance(first.exception(), Refusal):
                refusal = first.exception()
                assert isinstance(refusal, Refusal)  # noqa: S101
                tail = b"event: next\ndata: " + refusal_answer(refusal, JSON).body + b"\n\n"
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    send(
                        {
                            "type": "http.response.body",
                            "body": tail + b"event: complete\ndata:\n\n",
                            "more_body": False,
                        }
                    ),
                    CLOSE_TIMEOUT_SECONDS,
                )
        finally:
            expiry.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(expiry, *tasks, return_exceptions=True)
            session.close_all()


async def _disconnected(receive: Receive) -> None:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(
    send: Send, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    raw = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw.extend(
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()
    )
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
