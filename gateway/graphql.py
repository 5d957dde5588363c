"""The GraphQL endpoint: GraphQL over HTTP (https://graphql.github.io/graphql-over-http/)
as a plain ASGI app that runs :class:`gateway.pipeline.Pipeline`.

* **Methods.** ``POST`` runs queries and mutations; ``GET`` runs queries only (a mutation via
  GET gets ``405`` with ``Allow: POST``); other methods get ``405`` with ``Allow: GET, POST``.
* **Media types.** Requests: see :mod:`gateway.pipeline.body`. Responses: see
  :mod:`gateway.pipeline.negotiate`; under ``application/graphql-response+json`` a request
  error (parse, validation, variable coercion) is ``400`` without ``data``; under
  ``application/json`` every well-formed request gets ``200``. No supported type: ``406``.
* Whatever goes wrong, the answer is a GraphQL-shaped JSON error with ``extensions.code``
  (an unexpected failure too: ``500`` with ``INTERNAL_SERVER_ERROR`` and ``requestId``),
  never a plain-text page.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema import ErrorCode

from .metrics import Metrics
from .middleware import REQUEST_ID_SCOPE_KEY, BodyTooLarge, current_request_id, with_header
from .pages import GRAPHIQL_HTML
from .persisted import PersistedOperations, PersistedQueryError
from .pipeline import (
    JSON,
    Answer,
    Pipeline,
    Refusal,
    check_content_type,
    from_query_params,
    negotiate,
    refusal_answer,
)
from .pipeline.negotiate import GRAPHQL_RESPONSE_JSON
from .sessions import SessionService

__all__ = ["GatewayGraphQL"]

_errors = logging.getLogger("gateway.errors")
_CONTENT_TYPE = {
    JSON: b"application/json; charset=utf-8",
    GRAPHQL_RESPONSE_JSON: b"application/graphql-response+json; charset=utf-8",
}


class GatewayGraphQL:
    """Serves GraphQL over HTTP at one path.

    Args:
        pipeline: the steps of a request.
        graphiql: serve the GraphiQL IDE to browsers on ``GET`` without a query.
    """

    def __init__(
        self, pipeline: Pipeline, *, graphiql: bool = False, metrics: Metrics | None = None
    ) -> None:
        self.pipeline = pipeline
        self.graphiql_html = GRAPHIQL_HTML if graphiql else None  # same-origin assets
        self.metrics = metrics
        self.streams: ASGIApp | None = None
        """The HTTP subscription transport (``Accept: text/event-stream``,
        :mod:`gateway.live`); ``None``: such requests get ``406``."""

    @property
    def persisted(self) -> PersistedOperations | None:
        return self.pipeline.persisted

    @property
    def sessions(self) -> SessionService | None:
        return self.pipeline.executor.sessions

    async def aclose(self) -> None:
        """Release the connections of the persisted-query store and the rate limiter."""
        if self.pipeline.persisted is not None:
            await self.pipeline.persisted.aclose()
        if self.pipeline.rate_limits is not None:
            await self.pipeline.rate_limits.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # WebSocket: routed to gateway.live by the app
            return
        accept = content_type = authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"accept":
                accept = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value.decode("latin-1")
        client = scope.get("client")
        address = client[0] if client else None
        media = negotiate(accept)
        request_id: tuple[bytes, bytes] | None = scope.get(REQUEST_ID_SCOPE_KEY)
        if media is None and self.streams is not None and "text/event-stream" in (accept or ""):
            if request_id is not None:
                send = with_header(send, request_id)
            await self.streams(scope, receive, send)  # a subscription over HTTP (SSE)
            return
        metrics = self.metrics
        started = time.perf_counter() if metrics is not None else 0.0
        operation: list[str | None] = [None]
        try:
            answer = await self._serve(
                scope, receive, accept, media, content_type, authorization, address, operation
            )
        except Refusal as refused:
            answer = refusal_answer(refused, media or JSON)
        except PersistedQueryError as exc:
            persisted = Refusal(exc.status, exc.message, exc.code, extensions=exc.extensions)
            answer = refusal_answer(persisted, media or JSON)
        except BodyTooLarge:
            raise  # the body-size middleware answers 413
        except Exception:  # a bug: still a GraphQL-shaped answer, never a plain-text 500
            _errors.exception("unexpected error serving a request")
            internal = Refusal(
                500,
                "internal error",
                ErrorCode.INTERNAL_SERVER_ERROR,
                extensions={"requestId": current_request_id() or "-"},
            )
            answer = refusal_answer(internal, media or JSON)
        await _write(send, answer, request_id)
        if metrics is not None:
            metrics.observe_request(
                operation[0],
                status=answer.status,
                has_data=answer.has_data,
                has_errors=answer.has_errors,
                seconds=time.perf_counter() - started,
            )

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        accept: str | None,
        media: str | None,
        content_type: str | None,
        authorization: str | None,
        address: str | None,
        operation: list[str | None],
    ) -> Answer:
        method = scope["method"]
        identity = await self.pipeline.admit(authorization, address=address)
        if method not in ("GET", "POST"):
            raise Refusal(
                405, "GraphQL is served over GET (queries) and POST", headers={"Allow": "GET, POST"}
            )
        params = QueryParams(scope["query_string"]) if method == "GET" else None
        if params is not None and self.graphiql_html is not None and "query" not in params:
            if "text/html" in (accept or ""):
                return Answer(200, "text/html", self.graphiql_html.encode("utf-8"))
        if media is None:
            raise Refusal(406, f"accepted response types: {GRAPHQL_RESPONSE_JSON}, {JSON}")
        if params is None:
            check_content_type(content_type)
            answer, operation[0] = await self.pipeline.answer_body(
                await _read_body(receive),
                identity,
                media=media,
                address=address,
                request_id=current_request_id(),
            )
            return answer
        request = from_query_params(params)
        operation[0] = request.operation_name
        return await self.pipeline.answer(
            request,
            identity,
            media=media,
            method=method,
            address=address,
            request_id=current_request_id(),
        )


async def _read_body(receive: Receive) -> bytes:
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        return body
    chunks = [body]
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _write(send: Send, answer: Answer, request_id: tuple[bytes, bytes] | None) -> None:
    content_type = _CONTENT_TYPE.get(answer.media)
    if content_type is None:
        content_type = f"{answer.media}; charset=utf-8".encode("latin-1")
    headers: list[tuple[bytes, bytes]] = [
        (b"content-type", content_type),
        (b"content-length", str(len(answer.body)).encode("latin-1")),
        (b"vary", b"Accept"),
    ]
    for name, value in answer.headers.items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    if request_id is not None:
        headers.append(request_id)
    start: Message = {"type": "http.response.start", "status": answer.status, "headers": headers}
    await send(start)
    body: dict[str, Any] = {"type": "http.response.body", "body": answer.body}
    await send(body)
