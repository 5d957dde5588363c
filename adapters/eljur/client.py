"""ЭлЖур's API calls over the injected ``httpx.AsyncClient``: ``/apiv3/<method>``.

Every call carries ``devkey``, ``vendor`` and ``out_format=json`` as query parameters, and
``auth_token`` when it is about a user's data; ``auth`` posts the login and password as
form fields (never in a URL). Answers come in the envelope ``{"response": {"state",
"error", "result"}}``: :class:`adapters.transport.JsonClient` maps error statuses, and a
``state`` other than 200 (under any HTTP status) maps the same way, with the envelope's
``error`` as the message; ``state`` 422 is the provider's validation refusing a write
(:class:`~adapters.errors.ProviderRejectedError`, its ``field`` named after our input: see
:data:`INPUT_FIELDS`). Each call answers the ``result``. Writes (:meth:`ElJurClient.send`)
post their parameters as form fields: a message's text never goes in a URL. Tokens and
texts are never logged.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.errors import AdapterError, ProviderRejectedError, error_for_status
from adapters.paths import provider_path
from adapters.transport import JsonClient

from . import parsing
from .config import ElJurConfig

__all__ = ["INPUT_FIELDS", "ElJurClient"]

REJECTED = 422
"""The ``state`` of a write the provider's validation refuses (the emulator's; see README)."""
INPUT_FIELDS = {"users_to": "to", "replyto": "thread_id", "response": "rsvp"}
"""ЭлЖур's parameter → the adapter's input of that name (others keep theirs)."""


def _refusal(document: Any, provider: str) -> AdapterError | None:
    """A :class:`ProviderRejectedError` for an envelope with ``state`` 422, else ``None``."""
    response = document.get("response") if isinstance(document, dict) else None
    if not isinstance(response, dict) or str(response.get("state")) != str(REJECTED):
        return None
    field = response.get("field")
    name = INPUT_FIELDS.get(str(field), str(field)) if field else None
    message = str(response.get("error") or "the provider refused the write")[:200]
    return ProviderRejectedError(message, provider=provider, field=name)


class _EnvelopeClient(JsonClient):
    """:class:`JsonClient` for answers wrapped in ЭлЖур's ``response`` envelope."""

    def error_detail(self, document: Any) -> str:
        response = document.get("response") if isinstance(document, dict) else None
        if isinstance(response, dict) and isinstance(response.get("error"), str):
            return str(response["error"])[:200]
        return super().error_detail(document)

    def error(self, response: httpx.Response) -> AdapterError:
        try:
            refusal = _refusal(response.json(), self.provider)
        except ValueError:
            refusal = None
        return refusal or super().error(response)

    def unwrap(self, document: Any) -> Any:
        refusal = _refusal(document, self.provider)
        if refusal is not None:
            raise refusal
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

    async def send(self, method: str, *, vendor: str, token: str, **form: str) -> Any:
        """``POST /apiv3/<method>`` with ``form`` as form fields (a write): its ``result``."""
        return await self._json.post(
            provider_path("apiv3", method), params=self._params(vendor, token, {}), form=form
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
