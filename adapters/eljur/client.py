"""ЭлЖур's API calls over the injected ``httpx.AsyncClient``: ``/apiv3/<method>``.

Every call carries ``devkey``, ``vendor`` and ``out_format=json`` as query parameters, and
``auth_token`` when it is about a user's data; ``auth`` posts the login and password as
form fields (never in a URL). Answers come in the envelope ``{"response": {"state",
"error", "result"}}``: :class:`adapters.transport.JsonClient` maps error statuses, and a
``state`` other than 200 (under any HTTP status) maps the same way, with the envelope's
``error`` as the message. Each call answers the ``result``. Tokens are never logged.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.errors import error_for_status
from adapters.paths import provider_path
from adapters.transport import JsonClient

from . import parsing
from .config import ElJurConfig

__all__ = ["ElJurClient"]


class _EnvelopeClient(JsonClient):
    """:class:`JsonClient` for answers wrapped in ЭлЖур's ``response`` envelope."""

    def error_detail(self, document: Any) -> str:
        response = document.get("response") if isinstance(document, dict) else None
        if isinstance(response, dict) and isinstance(response.get("error"), str):
            return str(response["error"])[:200]
        return super().error_detail(document)

    def unwrap(self, document: Any) -> Any:
        state, error, result = parsing.parse_envelope(document)
        if state != 200:
            raise error_for_status(state, provider=self.provider, detail=error or "")
        return result


class ElJurClient:
    """One method per ЭлЖур call used; each returns the envelope's ``result``."""

    def __init__(self, http: httpx.AsyncClient, config: ElJurConfig, *, provider: str) -> None:
        self._config = config
        self._json = _EnvelopeClient(http, config.base_url, provider=provider)

    def _params(self, vendor: str, token: str | None, params: dict[str, str]) -> dict[str, str]:
        query = {"devkey": self._config.devkey, "vendor": vendor, "out_format": "json"}
        if token is not None:
            query["auth_token"] = token
        return {**query, **params}

    async def call(
        self, method: str, *, vendor: str, token: str | None = None, **params: str
    ) -> Any:
        """``GET /apiv3/<method>``: the ``result`` of a successful answer.

        Raises:
            AdapterError: an error status or a non-200 ``state`` (see the module).
        """
        return await self._json.get(
            provider_path("apiv3", method), params=self._params(vendor, token, params)
        )

    async def users_vendors(self, *, vendor: str, v_token: str) -> Any:
        """``POST /apiv3/getusersvendors``: a national SSO token (``v_token``, a form field:
        never in a URL) for one ЭлЖур token per school of the person."""
        return await self._json.post(
            provider_path("apiv3", "getusersvendors"),
            params=self._params(vendor, None, {}),
            form={"v_token": v_token},
        )

    async def auth(self, *, vendor: str, login: str, password: str) -> Any:
        """``POST /apiv3/auth``: a school login's token (``result{token, expires}``)."""
        return await self._json.post(
            provider_path("apiv3", "auth"),
            params=self._params(vendor, None, {}),
            form={"login": login, "password": password},
        )
