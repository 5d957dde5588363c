"""The JSON client of REST adapters: one request, its error answer mapped, its JSON decoded.

:class:`JsonClient` sends a request over the injected ``httpx.AsyncClient`` to
``base_url`` + a :func:`~adapters.paths.provider_path`, and answers the decoded JSON of a
successful reply (``None`` for an empty one). An error reply becomes an
:mod:`adapters.errors` error through :func:`~adapters.errors.error_for_status`: 401 →
``AuthenticationError``, 403 → ``AccessDeniedError``, 404 → ``NotFoundError``, 429 →
``ProviderUnavailableError`` with ``retry_after`` from the ``Retry-After`` header, 5xx →
``ProviderUnavailableError``; the message is the provider's own words
(:meth:`JsonClient.error_detail`), and a body that is not JSON never crashes anything. A 403
that is not JSON comes from a gateway in front of the system (a WAF page), not from the
system: it is ``ProviderUnavailableError``. A truncated success raises
``json.JSONDecodeError``, which the adapter base maps to ``ProviderResponseError``;
transport errors are left to it too. Tokens and bodies are never logged.

Subclass it for a provider: override :meth:`~JsonClient.error_detail` where the provider
words its errors under another key, :meth:`~JsonClient.unwrap` where answers come in an
envelope (which may carry an error under a 200), and add one method per call.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from .errors import AdapterError, ProviderUnavailableError, error_for_status
from .paths import ProviderPath

__all__ = ["JsonClient", "Params"]

Params = Mapping[str, str | int]
"""Query parameters (or form fields) of a request."""

_DETAIL_KEYS = ("description", "message", "error", "detail")
_DETAIL_LENGTH = 200


class JsonClient:
    """JSON requests to one provider installation, error answers mapped to the adapter tree.

    Args:
        http: the shared client (its timeouts are connect-only; the runner bounds a call).
        base_url: where the API lives; every path is appended to it (a trailing ``/`` is
            dropped).
        provider: the adapter's slug, carried by every error.
        headers: headers sent with every request (``Accept: application/json`` is added).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        provider: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.provider = provider
        self.headers = {"Accept": "application/json", **(headers or {})}

    async def request(
        self,
        method: str,
        path: ProviderPath,
        *,
        params: Params | None = None,
        json_body: Any = None,
        form: Params | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send one request; answer its decoded JSON (``None`` for an empty body).

        Raises:
            AdapterError: the provider answered an error status (see the module).
            json.JSONDecodeError: a success whose body is not JSON.
        """
        response = await self.http.request(
            method,
            self.base_url + path,
            params=dict(params) if params is not None else None,
            json=json_body,
            data=dict(form) if form is not None else None,
            headers={**self.headers, **(headers or {})},
        )
        if response.status_code >= 400:
            raise self.error(response)
        if not response.content:
            return None
        return self.unwrap(json.loads(response.content))

    async def get(
        self,
        path: ProviderPath,
        *,
        params: Params | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """``GET`` :meth:`request`."""
        return await self.request("GET", path, params=params, headers=headers)

    async def post(
        self,
        path: ProviderPath,
        *,
        params: Params | None = None,
        json_body: Any = None,
        form: Params | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """``POST`` :meth:`request` with a JSON body or form fields."""
        return await self.request(
            "POST", path, params=params, json_body=json_body, form=form, headers=headers
        )

    # -- hooks a provider may override ---------------------------------------------------

    def error_detail(self, document: Any) -> str:
        """The provider's own words in an error body (``""``: none): by default the first
        string under ``description``, ``message``, ``error`` or ``detail``."""
        if not isinstance(document, dict):
            return ""
        for key in _DETAIL_KEYS:
            value = document.get(key)
            if isinstance(value, str) and value:
                return value[:_DETAIL_LENGTH]
        return ""

    def unwrap(self, document: Any) -> Any:
        """The payload of a successful answer (by default the document itself); raise an
        :class:`~adapters.errors.AdapterError` here for an error carried under a 200."""
        return document

    def error(self, response: httpx.Response) -> AdapterError:
        """The adapter error for an error answer."""
        status = response.status_code
        try:
            document = json.loads(response.content)
        except ValueError:
            document = None
        if document is None and status == 403:
            return ProviderUnavailableError(
                "the provider's gateway refused the request (HTTP 403, not JSON)",
                provider=self.provider,
            )
        detail = self.error_detail(document)
        if not detail and document is None:
            detail = f"provider answered HTTP {status} (not JSON)"
        return error_for_status(
            status,
            provider=self.provider,
            detail=detail,
            retry_after=response.headers.get("Retry-After"),
        )
