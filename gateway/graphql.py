"""The GraphQL endpoint: Strawberry's ASGI view with the gateway's request context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from adapters import AdapterRegistry, Caller
from schema import GatewayContext, Limits

from .audit import AuditLog
from .identity import AuthenticationFailed, TokenVerifier
from .sessions import SessionService, SessionStore

__all__ = ["GatewayGraphQL"]


class GatewayGraphQL(GraphQL[GatewayContext, None]):
    """Builds a :class:`GatewayContext` per request from the bearer token and app state."""

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
    ) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,
            multipart_uploads_enabled=False,
        )
        self.registry = registry
        self.verifier = verifier
        self.audit = audit
        self.sessions = sessions
        self.limits = limits
        self.history_days = history_days
        self.on_mutation = on_mutation

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> GatewayContext:
        caller: Caller | None = None
        auth_error: str | None = None
        session_region: str | None = None
        header = request.headers.get("authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
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
        return GatewayContext(
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
        )
