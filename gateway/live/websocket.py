"""``graphql-transport-ws`` (the graphql-ws library's protocol) on ``/graphql``.

https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md: the client sends
``connection_init`` (its token in the payload as ``Authorization: "Bearer …"``, or in the
upgrade request's header), the server admits it (the pipeline's rate limits and identity)
and answers ``connection_ack``; then ``subscribe`` / ``next`` / ``error`` / ``complete``
per operation id, ``ping`` / ``pong`` either way. The protocol's close codes:

* ``4400`` a malformed message, ``4401`` ``subscribe`` before the ack, ``4406`` without the
  subprotocol, ``4408`` no ``connection_init`` in time, ``4409`` an id already running,
  ``4429`` a second ``connection_init``;
* ``4403`` the token is refused at ``connection_init``, **expires** later, or the viewer's
  relation to a subscribed student ends;
* ``1013`` (try again later) a **slow subscriber** (``max_queued_events`` behind) or a
  request limit at ``connection_init``: clients reconnect and resume with ``after``;
* ``1001`` the instance is stopping.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Final

import orjson
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..middleware import new_request_id
from ..pipeline import Refusal, from_json_body
from .hub import EXPIRED, RELATION_ENDED, SHUTDOWN, SLOW, LiveClosed
from .service import Connection, LiveService

__all__ = ["CLOSE_CODES", "PROTOCOL", "GraphQLTransportWS"]

PROTOCOL: Final = "graphql-transport-ws"
INIT_TIMEOUT_SECONDS: Final = 10.0
CLOSE_TIMEOUT_SECONDS: Final = 5.0
CLOSE_CODES: Final = {SLOW: 1013, EXPIRED: 4403, RELATION_ENDED: 4403, SHUTDOWN: 1001}
"""The close code for each reason the server ends a connection."""


class _Closing(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class GraphQLTransportWS:
    """The WebSocket endpoint (an ASGI app for ``websocket`` scopes)."""

    def __init__(self, live: LiveService, *, init_timeout: float = INIT_TIMEOUT_SECONDS) -> None:
        self.live = live
        self.init_timeout = init_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        if PROTOCOL not in scope.get("subprotocols", ()):
            await websocket.accept()
            await websocket.close(4406, "Subprotocol not acceptable")
            return
        await websocket.accept(subprotocol=PROTOCOL)
        await _Socket(self, websocket).serve()


class _Socket:
    """One connection's state."""

    def __init__(self, endpoint: GraphQLTransportWS, websocket: WebSocket) -> None:
        self.live = endpoint.live
        self.init_timeout = endpoint.init_timeout
        self.websocket = websocket
        self.connection: Connection | None = None
        self.operations: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.websocket.send_text(orjson.dumps(message).decode())

    async def send_raw(self, text: str) -> None:
        async with self._send_lock:
            await self.websocket.send_text(text)

    async def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.websocket.close(code, reason), CLOSE_TIMEOUT_SECONDS)

    async def serve(self) -> None:
        expiry: asyncio.Task[None] | None = None
        try:
            await self._init()
            assert self.connection is not None  # noqa: S101 - _init sets it or raises
            expiry = asyncio.create_task(self.live.watch_expiry(self.connection))
            ended = asyncio.create_task(self.connection.session.ended.wait())
            reading = asyncio.create_task(self._read())
            done, _ = await asyncio.wait({ended, reading}, return_when=asyncio.FIRST_COMPLETED)
            if reading in done:
                ended.cancel()
                reading.result()  # raises _Closing / disconnect
                return
            reading.cancel()
            closed = self.connection.session.closed
            if closed is not None:
                self.live.closed(closed)
                await self.close(CLOSE_CODES.get(closed.reason, 4500), closed.message[:120])
        except _Closing as closing:
            await self.close(closing.code, closing.reason)
        except WebSocketDisconnect:
            pass
        finally:
            if expiry is not None:
                expiry.cancel()
            for task in self.operations.values():
                task.cancel()
            if self.operations:
                await asyncio.gather(*self.operations.values(), return_exceptions=True)
            if self.connection is not None:
                self.connection.session.close_all()

    async def _message(self) -> dict[str, Any]:
        text = await self.websocket.receive_text()
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise _Closing(4400, "Invalid message received") from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise _Closing(4400, "Invalid message received")
        return message

    async def _init(self) -> None:
        try:
            message = await asyncio.wait_for(self._message(), self.init_timeout)
        except TimeoutError:
            raise _Closing(4408, "Connection initialisation timeout") from None
        if message["type"] != "connection_init":
            if message["type"] == "subscribe":
                raise _Closing(4401, "Unauthorized")
            raise _Closing(4400, "Invalid message received")
        payload = message.get("payload") or {}
        if not isinstance(payload, dict):
            raise _Closing(4400, "Invalid message received")
        authorization = payload.get("Authorization") or payload.get("authorization")
        if authorization is None and isinstance(payload.get("token"), str):
            authorization = f"Bearer {payload['token']}"
        if authorization is None:
            authorization = self.websocket.headers.get("authorization")
        if authorization is not None and not isinstance(authorization, str):
            raise _Closing(4400, "Invalid message received")
        client = self.websocket.client
        try:
            self.connection = await self.live.connect(
                authorization, address=client.host if client else None
            )
        except Refusal as refused:
            if refused.status == 429:
                raise _Closing(1013, "Too many requests") from None
            raise _Closing(4403, "Forbidden") from None
        await self.send({"type": "connection_ack"})

    async def _read(self) -> None:
        while True:
            message = await self._message()
            kind = message["type"]
            if kind == "ping":
                await self.send({"type": "pong"})
            elif kind == "pong":
                continue
            elif kind == "connection_init":
                raise _Closing(4429, "Too many initialisation requests")
            elif kind == "subscribe":
                self._subscribe(message)
            elif kind == "complete":
                task = self.operations.pop(str(message.get("id")), None)
                if task is not None:
                    task.cancel()
            else:
                raise _Closing(4400, "Invalid message received")

    def _subscribe(self, message: dict[str, Any]) -> None:
        operation_id = message.get("id")
        payload = message.get("payload")
        if not isinstance(operation_id, str) or not operation_id or not isinstance(payload, dict):
            raise _Closing(4400, "Invalid message received")
        if operation_id in self.operations:
            raise _Closing(4409, f"Subscriber for {operation_id[:60]} already exists")
        self.operations[operation_id] = asyncio.create_task(
            self._operate(operation_id, payload), name="live-ws-operation"
        )

    async def _operate(self, operation_id: str, payload: dict[str, Any]) -> None:
        assert self.connection is not None  # noqa: S101 - operations start after the ack
        prefix = '{"id":' + orjson.dumps(operation_id).decode()
        completed = True
        try:
            request = from_json_body(orjson.dumps(payload))
            async for result in self.live.run(
                self.connection, request, request_id=new_request_id()
            ):
                body = result.body.decode()
                if result.request_error:
                    errors = orjson.loads(result.body).get("errors", [])
                    await self.send({"id": operation_id, "type": "error", "payload": errors})
                    completed = False
                    return
                await self.send_raw(prefix + ',"type":"next","payload":' + body + "}")
        except Refusal as refused:
            extensions = {"code": refused.code.value, **refused.extensions}
            error = {"message": refused.message, "extensions": extensions}
            await self.send({"id": operation_id, "type": "error", "payload": [error]})
            completed = False
        except LiveClosed:
            completed = False
        finally:
            if self.operations.get(operation_id) is asyncio.current_task():
                del self.operations[operation_id]
        if completed and self.connection.session.closed is None:
            with contextlib.suppress(Exception):
                await self.send({"id": operation_id, "type": "complete"})
