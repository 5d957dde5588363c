"""The request pipeline: each step once, in one visible order, for any transport.

``admit`` (before the operation is read): request count per address → identity (once) →
request count per person. ``answer``: persisted query lookup → parse and validate (once per
distinct document, :class:`schema.documents.DocumentCache`) → limits and cost → cost rate
limits → response cache → execute → encode. The HTTP endpoint (:mod:`gateway.graphql`)
negotiates the media type and reads the body around them; another transport (WebSocket,
SSE) calls the same two methods.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING

from opentelemetry.trace import get_current_span
from strawberry.types import ExecutionResult

from ..persisted import ResolvedQuery
from ..upstream import operation_budget
from .body import GraphQLRequest, from_json_body
from .encode import Answer, is_request_error, result_answer
from .errors import Refusal
from .repeats import Repeat, Repeats

if TYPE_CHECKING:
    from schema.documents import DocumentCache

    from ..persisted import PersistedOperations
    from ..ratelimit import RateLimits
    from ..responses import ResponseCache
    from ..telemetry import Telemetry
    from .execute import Executor
    from .identity import Identity, IdentityResolver
    from .limits import OperationCheck, OperationLimits

__all__ = ["Pipeline"]


class Pipeline:
    """The steps of one GraphQL request (see the module doc).

    Args:
        identify: the identity step.
        documents: the parse-and-validate cache the schema shares.
        limits: the limits-and-cost step.
        executor: the execute step.
        persisted: automatic persisted queries and the allow-list (``None``: neither).
        rate_limits: request and cost limits (``None``: none).
        responses: the whole-response cache (``None``: off).
        hide_suggestions: strip "Did you mean …?" from error messages.
    """

    def __init__(
        self,
        *,
        identify: IdentityResolver,
        documents: DocumentCache,
        limits: OperationLimits,
        executor: Executor,
        persisted: PersistedOperations | None = None,
        rate_limits: RateLimits | None = None,
        responses: ResponseCache | None = None,
        hide_suggestions: bool = True,
    ) -> None:
        self.identify = identify
        self.documents = documents
        self.limits = limits
        self.executor = executor
        self.persisted = persisted
        self.rate_limits = rate_limits
        self.responses = responses
        self.hide_suggestions = hide_suggestions
        self.telemetry: Telemetry | None = None
        """Tracing (:mod:`gateway.telemetry`): a span per operation; ``None``: off."""
        self.repeats = Repeats()
        """POST bodies answered before (:mod:`.repeats`)."""

    async def admit(self, authorization: str | None, *, address: str | None) -> Identity:
        """Count the request per address, resolve who is asking, count it per person.

        Raises:
            Refusal: ``429`` past a request limit.
        """
        limits = self.rate_limits
        if limits is not None:
            refused = await limits.hit_request(person=None, address=address)
            if refused is not None:
                raise Refusal.rate_limited(refused.retry_after)
        identity = await self.identify.resolve(authorization)
        if limits is not None:
            person = identity.person
            if person is not None:
                refused = await limits.hit_request(person=person, address=None)
                if refused is not None:
                    raise Refusal.rate_limited(refused.retry_after)
        return identity

    async def answer_body(
        self,
        body: bytes,
        identity: Identity,
        *,
        media: str,
        address: str | None,
        request_id: str | None,
    ) -> tuple[Answer, str | None]:
        """Run a POST's JSON body (its ``Content-Type`` checked): the answer and the
        operation's name.

        A body answered before (:mod:`.repeats`) is looked up in the response cache at
        once; a miss, or a body not seen before, takes every step.

        Raises:
            Refusal: as :meth:`answer`.
        """
        repeat = self.repeats.get(body, media)
        if repeat is None or identity.auth_error is not None:
            request = from_json_body(body)
            answer = await self.answer(
                request,
                identity,
                media=media,
                method="POST",
                address=address,
                request_id=request_id,
                body=body,
            )
            return answer, request.operation_name
        repeated = self._repeated(
            repeat, body, identity, media=media, address=address, request_id=request_id
        )
        return await self._in_operation_span(repeat.operation_name, repeated), (
            repeat.operation_name
        )

    async def _repeated(
        self,
        repeat: Repeat,
        body: bytes,
        identity: Identity,
        *,
        media: str,
        address: str | None,
        request_id: str | None,
    ) -> Answer:
        """A repeated body's stored response, its cost charged; on a miss, or with a cost
        over the person's whole budget (which that path refuses), every step."""
        responses = self.responses
        if responses is not None:
            with operation_budget(self.executor.budget):  # a scope version may ask regions
                key = await responses.viewer_key(
                    repeat.request_part, identity.caller, identity.session_region
                )
                stored = await responses.peek(key) if key is not None else None
            limits = self.rate_limits
            person = identity.person
            if stored is not None and (
                limits is None
                or not repeat.cost
                or limits.over_budget(repeat.cost, person=person) is None
            ):
                telemetry = self.telemetry
                if telemetry is not None and telemetry.traced():
                    span = get_current_span()  # the operation's
                    telemetry.operation_kind(span, "query", repeat.operation_name)
                    span.set_attribute("gateway.response_cache", "hit")
                if limits is not None and repeat.cost:
                    limited = await limits.hit_cost(repeat.cost, person=person, address=address)
                    if limited is not None:
                        raise Refusal.rate_limited(limited.retry_after)
                return await responses.hit(stored)
        return await self._answer(
            from_json_body(body),
            identity,
            media=media,
            method="POST",
            address=address,
            request_id=request_id,
            body=body,
        )

    async def answer(
        self,
        request: GraphQLRequest,
        identity: Identity,
        *,
        media: str,
        method: str,
        address: str | None,
        request_id: str | None,
        body: bytes | None = None,
    ) -> Answer:
        """Run one operation from its parameters to the encoded answer.

        Args:
            body: the POST body ``request`` was read from: remembered when the answer is
                cacheable (:mod:`.repeats`).

        Raises:
            Refusal: the request is refused (persisted-query errors come as
                :class:`gateway.persisted.PersistedQueryError`).
        """
        answering = self._answer(
            request,
            identity,
            media=media,
            method=method,
            address=address,
            request_id=request_id,
            body=body,
        )
        return await self._in_operation_span(request.operation_name, answering)

    async def _in_operation_span(self, name: str | None, answering: Awaitable[Answer]) -> Answer:
        """``answering``, in the operation's span when the request is traced."""
        telemetry = self.telemetry
        if telemetry is None or not telemetry.traced():  # off, or not this request
            return await answering
        with telemetry.operation_span(name) as span:
            try:
                answer = await answering
            except Refusal as refused:
                telemetry.refused(span, refused, refused.status)
                raise
            except Exception as exc:
                telemetry.refused(span, exc, getattr(exc, "status", 500))
                raise
            telemetry.answered(span, answer)
            return answer

    async def _answer(
        self,
        request: GraphQLRequest,
        identity: Identity,
        *,
        media: str,
        method: str,
        address: str | None,
        request_id: str | None,
        body: bytes | None,
    ) -> Answer:
        resolved = ResolvedQuery(request.query)
        if self.persisted is not None:
            resolved = await self.persisted.resolve(request.query, request.extensions)
        query = resolved.query
        if query is None or not query.strip():
            raise Refusal(400, "no GraphQL query in the request (`query` is missing or empty)")
        if query is not request.query:
            request = GraphQLRequest(
                query, request.operation_name, request.variables, request.extensions
            )
        if self.persisted is not None and resolved.register is not None:
            resolved = await self.persisted.admit(
                resolved, address=address, anonymous=identity.caller is None
            )
            body = None  # a registration: not the same request when repeated

        compiled = self.documents.get(query)
        person = identity.person
        check = self.limits.check(compiled, request, method=method, person=person)
        if self.telemetry is not None:
            kind = "query" if check.is_query else "mutation"
            self.telemetry.operation_kind(get_current_span(), kind, request.operation_name)
        if self.rate_limits is not None and check.cost:
            limited = await self.rate_limits.hit_cost(check.cost, person=person, address=address)
            if limited is not None:
                raise Refusal.rate_limited(limited.retry_after)
        if check.argument_error is not None:
            result = ExecutionResult(data=None, errors=[check.argument_error])
            return result_answer(
                result, media, request_id=request_id or "-", hide_suggestions=self.hide_suggestions
            )

        with operation_budget(self.executor.budget):  # provider calls from here on
            return await self._cached_or_executed(
                request,
                identity,
                query,
                check,
                resolved,
                media=media,
                method=method,
                address=address,
                request_id=request_id,
                body=body,
            )

    async def _cached_or_executed(
        self,
        request: GraphQLRequest,
        identity: Identity,
        query: str,
        check: OperationCheck,
        resolved: ResolvedQuery,
        *,
        media: str,
        method: str,
        address: str | None,
        request_id: str | None,
        body: bytes | None,
    ) -> Answer:
        compiled_valid = check.valid
        key = None
        responses = self.responses
        if (
            responses is not None
            and check.is_query
            and compiled_valid
            and identity.auth_error is None
        ):
            part = responses.request_part(query, request.operation_name, request.variables, media)
            if body is not None:  # every check of the bytes passed: a repeat may skip them
                self.repeats.learn(body, media, Repeat(request.operation_name, check.cost, part))
            key = await responses.viewer_key(part, identity.caller, identity.session_region)
            if key is not None:
                hit = await responses.lookup(key)
                if self.telemetry is not None:
                    cached = "hit" if hit is not None else "miss"
                    get_current_span().set_attribute("gateway.response_cache", cached)
                if hit is not None:  # stored bytes: no context, no execution
                    return hit

        context = self.executor.context(identity, address=address, request_id=request_id)

        async def execute() -> Answer:
            if self.telemetry is not None:
                result = await self.telemetry.execute(
                    self.executor, request, context, queries_only=method == "GET"
                )
            else:
                result = await self.executor.execute(request, context, queries_only=method == "GET")
            answer = result_answer(
                result,
                media,
                request_id=context.request_id,
                hide_suggestions=self.hide_suggestions,
            )
            if self.persisted is not None and resolved.register is not None:
                if not is_request_error(result):
                    await self.persisted.register(resolved.register, query)
            return answer

        if responses is not None and key is not None:
            return await responses.serve(key, context, execute)
        return await execute()
