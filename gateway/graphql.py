"""The GraphQL endpoint: GraphQL over HTTP, the gateway's request context, and its guards.

:class:`GatewayGraphQL` is Strawberry's ASGI view with its own HTTP handling, following the
GraphQL over HTTP specification (https://graphql.github.io/graphql-over-http/):

* **Methods.** ``POST`` runs queries and mutations; ``GET`` runs queries only (a mutation via
  GET gets ``405`` with ``Allow: POST``); other methods get ``405`` with ``Allow: GET, POST``.
* **Request media type.** A POST body must be ``application/json`` (UTF-8): anything else,
  or no ``Content-Type`` at all, gets ``415`` — so no ``text/plain`` or form post, which a
  browser could send cross-site without a preflight (CSRF), and no multipart.
* **Response media type.** ``Accept: application/graphql-response+json`` is honoured:
  the response has that type, and a request error (parse, validation, variable coercion) is
  ``400`` without a ``data`` entry. With ``application/json`` (also for ``*/*`` or no
  ``Accept``) every well-formed request gets ``200``, per the spec's legacy rules. An
  ``Accept`` with no supported type gets ``406``.
* **Parameters.** ``query`` a string, ``operationName`` a string, ``variables`` and
  ``extensions`` objects (JSON-encoded in a GET's query string), each may be null. A missing
  or empty query, a JSON array (batching is off), malformed JSON or a string that is not
  Unicode (an unpaired surrogate such as ``"\\ud800"``) gets ``400``. Whatever the body, the
  answer is a GraphQL-shaped JSON error (an unexpected failure too: ``500`` with
  ``INTERNAL_SERVER_ERROR`` and ``requestId``), never a plain-text page.
* **Persisted operations** (:mod:`gateway.persisted`) resolve the query from
  ``extensions.persistedQuery``.
* **Cost limits** (:mod:`gateway.ratelimit`): the operation's cost (fields selected) per
  person and per address; a refusal is ``429`` with ``Retry-After`` and
  ``extensions.code = "RATE_LIMITED"``. Request counts are limited by
  :class:`gateway.ratelimit.RateLimitMiddleware`, in front of the view.

Every error in a response has ``extensions.code``: parse, validation and other request
errors without one get ``BAD_USER_INPUT``; an error about one variable (a value that
cannot be coerced to its type, a missing required variable) also names it in
``extensions.variable`` (``400`` under ``graphql-response+json``). Masked unexpected errors
(``INTERNAL_SERVER_ERROR``) get ``extensions.requestId``, the id under which the real error
was logged (see :mod:`gateway.middleware`). With introspection off, graphql-core's "Did you
mean …?" suggestions are cut from error messages, so they cannot be used to rebuild the
schema.
"""

from __future__ import annotations

import json
import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationType,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from adapters import SYSTEM_CLOCK, AdapterRegistry, Caller, Clock
from schema import (
    ErrorCode,
    GatewayContext,
    Limits,
    QueryLimits,
    argument_error,
    validation_rules,
)
from schema.limits import fan_out_error

from .audit import AuditLog
from .identity import AuthenticationFailed, TokenVerifier
from .middleware import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    BodyTooLarge,
    current_request_id,
    error_body,
    negotiate,
)
from .persisted import PersistedOperations, PersistedQueryError, ResolvedQuery
from .ratelimit import RateLimited, RateLimits, operation_cost, person_key
from .responses import ResponseCache
from .sessions import SessionService, SessionStore
from .upstream import operation_budget

__all__ = ["GatewayGraphQL", "strip_suggestions"]

logger = logging.getLogger(__name__)

_SUGGESTION = re.compile(r"\s*Did you mean\b.*$", re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")
_VARIABLE = re.compile(r"""^Variable ['"]\$([_A-Za-z][_0-9A-Za-z]*)['"]""")
"""A request error about one variable (coercion: wrong type, missing, bad date)."""
_QUERY_TYPES = frozenset({StrawberryOperationType.QUERY})
_ALL_TYPES = frozenset({StrawberryOperationType.QUERY, StrawberryOperationType.MUTATION})


def strip_suggestions(message: str) -> str:
    """``message`` without graphql-core's trailing "Did you mean …?" suggestion."""
    return _SUGGESTION.sub("", message)


class _Refusal(Exception):
    """A request refused before (or instead of) execution, answered as a request error."""

    def __init__(
        self,
        status: int,
        message: str,
        code: ErrorCode = ErrorCode.BAD_USER_INPUT,
        *,
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})


def _rate_limited(refusal: RateLimited) -> _Refusal:
    return _Refusal(
        429,
        f"too many requests: try again in {refusal.retry_after} s",
        ErrorCode.RATE_LIMITED,
        headers={"Retry-After": str(refusal.retry_after)},
        extensions={"retryAfter": refusal.retry_after},
    )


class _Shape(NamedTuple):
    """What the view needs to know of a document before executing it (memoised)."""

    operation: OperationType
    cost: int
    valid: bool
    document: DocumentNode


class _Identity(NamedTuple):
    caller: Caller | None
    auth_error: str | None
    session_region: str | None


def _has_lone_surrogate(value: object) -> bool:
    """Whether a string anywhere in a JSON value (keys included) has an unpaired surrogate.

    JSON's ``\\ud800`` escapes decode to such strings, which are not Unicode: they cannot be
    encoded as UTF-8, so every later step (hashing, caching, answering) would fail on them.
    Iterative, so however deep the value, no recursion limit is reached.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _is_request_error(result: ExecutionResult) -> bool:
    """Errors raised before execution (parse, validation, variables): no ``data`` at all."""
    errors = result.errors or ()
    return result.data is None and bool(errors) and all(e.path is None for e in errors)


class GatewayGraphQL(GraphQL[GatewayContext, None]):
    """Serves GraphQL over HTTP; builds a :class:`GatewayContext` per request.

    Args:
        schema: the Strawberry schema.
        registry, verifier, audit, sessions, limits, history_days, on_mutation: what the
            request context carries (see :class:`GatewayContext`).
        graphiql: serve the GraphiQL IDE to browsers on ``GET`` without a query.
        introspection: whether the schema answers introspection; when not, "Did you
            mean …?" suggestions are removed from error messages.
        persisted: automatic persisted queries and the allow-list (``None``: neither).
        rate_limits: the limits whose cost budgets the view enforces (``None``: none).
        responses: the whole-response cache for repeated queries (``None``: off).
        operation_budget: seconds one operation may wait for providers in all.
        query_limits: the limits the schema enforces (the view checks them before caching).
    """

    def __init__(
        self,
        schema: Any,
        *,
        registry: AdapterRegistry,
        verifier: TokenVerifier,
        audit: AuditLog,
        sessions: SessionService | None,
        limits: Limits,
        history_days: dict[str, int],
        graphiql: bool,
        on_mutation: Callable[[str, str], Awaitable[None]] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        introspection: bool = False,
        persisted: PersistedOperations | None = None,
        rate_limits: RateLimits | None = None,
        responses: ResponseCache | None = None,
        operation_budget: float = 15.0,
        query_limits: QueryLimits | None = None,
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
            subscription_protocols=(),
        )
        self.registry = registry
        self.verifier = verifier
        self.audit = audit
        self.sessions = sessions
        self.limits = limits
        self.history_days = history_days
        self.on_mutation = on_mutation
        self.clock = clock
        self.hide_suggestions = not introspection
        self.persisted = persisted
        self.rate_limits = rate_limits
        self.responses = responses
        self.operation_budget = operation_budget
        self.query_limits = query_limits or QueryLimits()
        self._shapes: OrderedDict[tuple[str, str | None], _Shape | None] = OrderedDict()
        self._limits_checked: dict[tuple[str, str | None, str], bool] = {}
        """(document, operation, variables) → within the argument caps (bounded memo: a
        repeated query on the response-cache path is checked once)."""

    async def aclose(self) -> None:
        """Release the connections of the persisted-query store and the rate limiter."""
        if self.persisted is not None:
            await self.persisted.aclose()
        if self.rate_limits is not None:
            await self.rate_limits.close()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GatewayContext:
        return self._context(request, await self._identify(request))

    async def _identify(self, request: Request | WebSocket) -> _Identity:
        """Who is asking: the verified bearer token, a school-login session, or nobody."""
        caller: Caller | None = None
        auth_error: str | None = None
        session_region: str | None = None
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            bearer = scheme.lower() == "bearer" and token.strip()
            remembered = self.verifier.remembered(token.strip()) if bearer else None
            if remembered is not None:  # verified before: skip the session check and parse
                caller = Caller(person_id=remembered.person_id, sso_token=remembered.token)
            elif scheme.lower() != "bearer" or not token.strip():
                auth_error = "malformed Authorization header"
            elif self.sessions is not None and SessionStore.is_session_token(token.strip()):
                resolved = await self.sessions.resolve(token.strip())
                if resolved is None:
                    auth_error = "the session has expired or is not valid"
                else:
                    session_region, provider_session = resolved
                    caller = Caller(person_id=None, session=provider_session)
            else:
                try:
                    identity = await self.verifier.verify(token.strip())
                except AuthenticationFailed as exc:
                    auth_error = exc.message
                else:
                    caller = Caller(person_id=identity.person_id, sso_token=identity.token)
        return _Identity(caller, auth_error, session_region)

    def _context(self, request: Request | WebSocket, identity: _Identity) -> GatewayContext:
        caller, auth_error, session_region = identity
        extra: dict[str, Any] = {}
        request_id = current_request_id()
        if request_id is not None:
            extra["request_id"] = request_id
        context = GatewayContext(
            registry=self.registry,
            caller=caller,
            auth_error=auth_error,
            session_region=session_region,
            sessions=self.sessions,
            client_address=request.client.host if request.client else None,
            limits=self.limits,
            audit=self.audit,
            history_days=self.history_days,
            on_mutation=self.on_mutation,
            clock=self.clock,
            **extra,
        )
        if isinstance(request, Request):
            request.state.gateway_context = context  # the response cache reads what was read
        return context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        """Answer one HTTP request to the GraphQL endpoint."""
        if request.method not in ("GET", "POST"):
            return self._refusal_response(
                _Refusal(
                    405,
                    "GraphQL is served over GET (queries) and POST",
                    headers={"Allow": "GET, POST"},
                ),
                JSON,
            )
        if (
            request.method == "GET"
            and self.graphql_ide
            and "query" not in request.query_params
            and "text/html" in request.headers.get("accept", "")
        ):
            return HTMLResponse(self.graphql_ide_html)
        media = negotiate(request.headers.get("accept"))
        if media is None:
            refusal = _Refusal(
                406,
                f"accepted response types: {GRAPHQL_RESPONSE_JSON}, {JSON}",
                ErrorCode.BAD_USER_INPUT,
            )
            return self._refusal_response(refusal, JSON)
        try:
            with operation_budget(self.operation_budget):
                return await self._serve(request, media)
        except _Refusal as refusal:
            return self._refusal_response(refusal, media)
        except PersistedQueryError as exc:
            return self._refusal_response(
                _Refusal(exc.status, exc.message, exc.code, extensions=exc.extensions), media
            )
        except BodyTooLarge:
            raise  # the body-size middleware answers 413
        except Exception:  # a bug: still a GraphQL-shaped answer, never a plain-text 500
            request_id = current_request_id() or "-"
            logging.getLogger("gateway.errors").exception("unexpected error serving a request")
            return self._refusal_response(
                _Refusal(
                    500,
                    "internal error",
                    ErrorCode.INTERNAL_SERVER_ERROR,
                    extensions={"requestId": request_id},
                ),
                media,
            )

    async def _serve(self, request: Request, media: str) -> Response:
        params = await self._read_params(request)
        query, operation_name, variables, extensions = self._checked_params(params)
        resolved = ResolvedQuery(query)
        if self.persisted is not None:
            resolved = await self.persisted.resolve(query, extensions)
        query = resolved.query
        if query is None or not query.strip():
            raise _Refusal(400, "no GraphQL query in the request (`query` is missing or empty)")

        identity = await self._identify(request)
        if self.persisted is not None and resolved.register is not None:
            resolved = await self.persisted.admit(
                resolved,
                address=request.client.host if request.client else None,
                anonymous=identity.caller is None,
            )
        cost, is_query = self._check_operation(request.method, query, operation_name)
        if self.rate_limits is not None and cost:
            person = person_key(identity.caller, identity.session_region)
            budget = self.rate_limits.over_budget(cost, person=person)
            if budget is not None:
                raise _Refusal(
                    400,
                    f"the operation selects too many fields ({cost}) for the budget of "
                    f"{budget} per window",
                )
            limited = await self.rate_limits.hit_cost(
                cost, person=person, address=request.client.host if request.client else None
            )
            if limited is not None:
                raise _rate_limited(limited)

        key = None
        cacheable = (
            self.responses is not None
            and is_query
            and identity.auth_error is None
            and self._passes_limits(query, operation_name, variables)
        )
        if self.responses is not None and cacheable:
            key = await self.responses.key(
                query=query,
                operation_name=operation_name,
                variables=variables,
                media=media,
                caller=identity.caller,
                session_region=identity.session_region,
            )
            if key is not None:
                hit = await self.responses.lookup(key)
                if hit is not None:  # served from stored bytes: no context, no execution
                    return hit
        context = self._context(request, identity)

        async def execute() -> Response:
            assert query is not None
            return await self._execute(
                request, media, query, operation_name, variables, extensions, context, resolved
            )

        if self.responses is not None and key is not None:
            return await self.responses.serve(key, context, execute)
        return await execute()

    def _passes_limits(
        self, query: str, operation_name: str | None, variables: dict[str, Any] | None
    ) -> bool:
        """Whether the operation is valid and within the argument caps.

        Only such operations go through the response cache: a hostile one goes straight to
        execution, which refuses it before anything (not even a scope version) reaches a
        provider.
        """
        memo_key = (
            query,
            operation_name,
            json.dumps(variables, sort_keys=True, ensure_ascii=False) if variables else "",
        )
        known = self._limits_checked.get(memo_key)
        if known is not None:
            return known
        shape = self._shape(query, operation_name)
        if shape is None or not shape.valid:
            passes = False
        else:
            error = argument_error(
                shape.document, operation_name, variables or {}, self.query_limits
            )
            passes = error is None
        if len(self._limits_checked) >= 2_000:
            self._limits_checked.pop(next(iter(self._limits_checked)))
        self._limits_checked[memo_key] = passes
        return passes

    async def _execute(
        self,
        request: Request,
        media: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        extensions: dict[str, Any] | None,
        context: GatewayContext,
        resolved: ResolvedQuery,
    ) -> Response:
        try:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                root_value=None,
                operation_name=operation_name,
                allowed_operation_types=_QUERY_TYPES if request.method == "GET" else _ALL_TYPES,
                operation_extensions=extensions,
            )
        except CannotGetOperationTypeError as exc:
            raise _Refusal(400, exc.as_http_error_reason()) from None
        except InvalidOperationTypeError:
            raise _Refusal(
                405, "only queries may be sent with GET", headers={"Allow": "POST"}
            ) from None
        except MissingQueryError:
            raise _Refusal(400, "no GraphQL query in the request") from None

        response = self._result_response(result, media, context.request_id)
        if (
            self.persisted is not None
            and resolved.register is not None
            and not _is_request_error(result)
        ):
            await self.persisted.register(resolved.register, query)
        return response

    async def _read_params(self, request: Request) -> dict[str, Any]:
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            for name in ("variables", "extensions"):
                raw = params.get(name)
                if raw is None or raw == "":
                    params[name] = None
                    continue
                try:
                    params[name] = json.loads(raw)
                except (ValueError, RecursionError):
                    raise _Refusal(400, f"`{name}` is not valid JSON") from None
            return params
        content_type = request.headers.get("content-type")
        if content_type is None:
            raise _Refusal(415, "send the operation as JSON: Content-Type: application/json")
        media, _, raw_params = content_type.partition(";")
        if media.strip().lower() != JSON:
            raise _Refusal(415, "send the operation as JSON: Content-Type: application/json")
        for param in raw_params.split(";"):
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
                "utf-8",
                "utf8",
            ):
                raise _Refusal(415, "the request body must be UTF-8")
        body = await request.body()
        if not body.strip():
            raise _Refusal(400, "the request body is empty")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise _Refusal(400, "the request body is not valid JSON") from None
        if isinstance(data, list):
            raise _Refusal(400, "batched operations (a JSON array) are not supported")
        if not isinstance(data, dict):
            raise _Refusal(400, "the request body must be a JSON object")
        return data

    @staticmethod
    def _checked_params(
        params: Mapping[str, Any],
    ) -> tuple[str | None, str | None, dict[str, Any] | None, dict[str, Any] | None]:
        query = params.get("query")
        if query is not None and not isinstance(query, str):
            raise _Refusal(400, "`query` must be a string")
        operation_name = params.get("operationName")
        if operation_name is not None and not isinstance(operation_name, str):
            raise _Refusal(400, "`operationName` must be a string")
        variables = params.get("variables")
        if variables is not None and not isinstance(variables, dict):
            raise _Refusal(400, "`variables` must be an object")
        extensions = params.get("extensions")
        if extensions is not None and not isinstance(extensions, dict):
            raise _Refusal(400, "`extensions` must be an object")
        for name, value in (
            ("query", query),
            ("operationName", operation_name),
            ("variables", variables),
            ("extensions", extensions),
        ):
            if _has_lone_surrogate(value):
                raise _Refusal(400, f"`{name}` is not valid Unicode (it has an unpaired surrogate)")
        return query, operation_name, variables, extensions

    def _shape(self, query: str, operation_name: str | None) -> _Shape | None:
        """Parse, validate (with the query limits) and cost a document, once per document."""
        memo_key = (query, operation_name)
        if memo_key in self._shapes:
            self._shapes.move_to_end(memo_key)
            return self._shapes[memo_key]
        shape: _Shape | None = None
        try:
            document = parse(query, max_tokens=self.query_limits.tokens)
        except (GraphQLError, RecursionError):
            document = None
        operation = get_operation_ast(document, operation_name) if document else None
        if document is not None and operation is not None:
            # The cheapest refusal first: fragment fan-out, before graphql-core's rules
            # (overlapping-field merging is itself costly on such documents).
            errors: list[GraphQLError] = []
            fan_out = fan_out_error(document, self.query_limits)
            if fan_out is not None:
                errors = [fan_out]
            else:
                rules = [*specified_rules, *validation_rules(self.query_limits)]
                graphql_schema = self.schema._schema  # type: ignore[attr-defined]
                errors = validate(graphql_schema, document, rules)
            shape = _Shape(
                operation.operation, operation_cost(document, operation), not errors, document
            )
        self._shapes[memo_key] = shape
        if len(self._shapes) > 2_000:
            self._shapes.popitem(last=False)
        return shape

    def _check_operation(
        self, method: str, query: str, operation_name: str | None
    ) -> tuple[int, bool]:
        """Refuse a non-query over GET; return the operation's cost and whether it is a query.

        A document that does not parse, or names no single operation, costs 0 and is not a
        query here: execution reports the error.
        """
        shape = self._shape(query, operation_name)
        if shape is None:
            return 0, False
        operation_type, cost = shape.operation, shape.cost
        if method == "GET" and operation_type is not OperationType.QUERY:
            raise _Refusal(
                405,
                f"a {operation_type.value} cannot be sent with GET: use POST",
                headers={"Allow": "POST"},
            )
        return cost, operation_type is OperationType.QUERY

    def _format_error(self, error: GraphQLError, request_id: str) -> dict[str, Any]:
        formatted: dict[str, Any] = dict(error.formatted)
        extensions = dict(formatted.get("extensions") or {})
        if self.hide_suggestions:
            formatted["message"] = strip_suggestions(str(formatted.get("message", "")))
        if "code" not in extensions:
            code = (
                ErrorCode.BAD_USER_INPUT if error.path is None else ErrorCode.INTERNAL_SERVER_ERROR
            )
            extensions["code"] = code.value
        if error.path is None and "variable" not in extensions:
            named = _VARIABLE.match(error.message)
            if named is not None:  # the client sees which variable to fix
                extensions["variable"] = named.group(1)
        if extensions["code"] == ErrorCode.INTERNAL_SERVER_ERROR.value:
            extensions["requestId"] = request_id
        formatted["extensions"] = extensions
        return formatted

    def _result_response(self, result: ExecutionResult, media: str, request_id: str) -> Response:
        errors = [self._format_error(e, request_id) for e in result.errors or ()]
        request_error = _is_request_error(result)
        body: dict[str, Any] = {} if request_error else {"data": result.data}
        if errors:
            body["errors"] = errors
        if result.extensions:
            body["extensions"] = result.extensions
        status = 200
        if request_error and media == GRAPHQL_RESPONSE_JSON:
            internal = any(
                e["extensions"]["code"] == ErrorCode.INTERNAL_SERVER_ERROR.value for e in errors
            )
            status = 500 if internal else 400
        return self._json_response(
            json.dumps(body, ensure_ascii=False).encode("utf-8"), status, media
        )

    def _refusal_response(self, refusal: _Refusal, media: str) -> Response:
        body = error_body(refusal.message, refusal.code, **refusal.extensions)
        return self._json_response(body, refusal.status, media, refusal.headers)

    @staticmethod
    def _json_response(
        body: bytes, status: int, media: str, headers: Mapping[str, str] | None = None
    ) -> Response:
        response = Response(body, status_code=status, headers=dict(headers or {}))
        response.headers["content-type"] = f"{media}; charset=utf-8"
        response.headers["vary"] = "Accept"
        return response
