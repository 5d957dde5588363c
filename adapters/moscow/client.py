"""The МЭШ HTTP calls of ``moscow-protocol.md`` over the injected ``httpx.AsyncClient``.

The client knows URLs, headers and query conventions, and turns error answers into
:mod:`adapters.errors`: the JSON error body's ``description`` becomes the message; a body
that is not JSON never crashes anything. Successful answers are returned as decoded JSON
(a truncated body raises ``json.JSONDecodeError``, which the adapter base maps to
:class:`~adapters.errors.ProviderResponseError`). Tokens are never logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from adapters.errors import AdapterError, ProviderUnavailableError, error_for_status
from adapters.paths import ProviderPath, provider_path

from .config import MoscowConfig

__all__ = ["Credentials", "MoscowClient"]

_FAMILY = ("api", "family", "mobile", "v1")
_TEACHER = ("api", "ej", "core", "teacher", "v1")
_PAGE_SIZE = 200
_MAX_PAGES = 50


@dataclass(frozen=True, slots=True)
class Credentials:
    """An МЭШ token and the profile it acts as."""

    token: str
    profile_id: str
    role: str
    """The profile type: ``parent``, ``student`` or ``teacher`` (sent as ``X-Mes-Role``)."""

    def __repr__(self) -> str:
        return f"Credentials(profile_id={self.profile_id!r}, role={self.role!r})"


class MoscowClient:
    """Typed МЭШ calls; each returns the decoded JSON of a successful answer."""

    def __init__(self, http: httpx.AsyncClient, config: MoscowConfig, *, provider: str) -> None:
        self._http = http
        self._config = config
        self._base = config.base_url.rstrip("/")
        self._provider = provider

    # -- plumbing ----------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: ProviderPath,
        *,
        creds: Credentials | None = None,
        family: bool = False,
        role: bool = False,
        bearer: str | None = None,
        params: dict[str, str | int] | None = None,
        body: dict[str, Any] | None = None,
    ) -> Any:
        headers = {"Accept": "application/json", "client-type": self._config.client_type}
        if creds is not None:
            headers["Auth-Token"] = creds.token
            headers["Authorization"] = f"Bearer {creds.token}"
            headers["X-Mes-Subsystem"] = self._config.subsystem
            if family:
                headers["Profile-Id"] = creds.profile_id
            if role:
                headers["X-Mes-Role"] = creds.role
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        response = await self._http.request(
            method,
            self._base + path,
            params=params,
            json=body,
            headers=headers,
        )  # the client's timeouts (connect only); the runner bounds the whole call
        if response.status_code >= 400:
            raise self._error(response)
        if not response.content:
            return None
        return json.loads(response.content)

    def _error(self, response: httpx.Response) -> AdapterError:
        status = response.status_code
        try:
            document = json.loads(response.content)
        except ValueError:
            document = None
        if document is None and status == 403:
            # The system's own refusals are JSON; an HTML 403 comes from a gateway in front.
            return ProviderUnavailableError(
                "the provider's gateway refused the request (HTTP 403, not JSON)",
                provider=self._provider,
            )
        description = document.get("description") if isinstance(document, dict) else None
        detail = str(description)[:200] if description else ""
        if not detail and status >= 400 and document is None:
            detail = f"provider answered HTTP {status} (not JSON)"
        return error_for_status(
            status,
            provider=self._provider,
            detail=detail,
            retry_after=response.headers.get("Retry-After"),
        )

    @staticmethod
    def _range(start: date, end: date) -> dict[str, str | int]:
        return {"from": start.isoformat(), "to": end.isoformat()}

    # -- identity ----------------------------------------------------------------------

    async def login(self, login: str, password: str) -> Any:
        """``POST /lms/api/sessions``: a student's school-issued login."""
        return await self._request(
            "POST",
            provider_path("lms", "api", "sessions"),
            body={"login": login, "password_plain": password},
        )

    async def exchange(self, sso_token: str) -> Any:
        """``POST /v3/auth/sudir/auth``: a national SSO token for an МЭШ token."""
        return await self._request(
            "POST", provider_path("v3", "auth", "sudir", "auth"), bearer=sso_token
        )

    async def schools(self) -> Any:
        """``GET /core/api/schools``: the public school directory, where a server has one."""
        return await self._request("GET", provider_path("core", "api", "schools"))

    async def profile_info(self, creds: Credentials) -> Any:
        return await self._request(
            "GET", provider_path("acl", "api", "users", "profile_info"), creds=creds
        )

    # -- family API --------------------------------------------------------------------

    async def family_profile(self, creds: Credentials) -> Any:
        return await self._request(
            "GET", provider_path(*_FAMILY, "profile"), creds=creds, family=True
        )

    async def marks(self, creds: Credentials, student_id: str, start: date, end: date) -> Any:
        params = {"student_id": student_id, **self._range(start, end)}
        return await self._request(
            "GET", provider_path(*_FAMILY, "marks"), creds=creds, family=True, params=params
        )

    async def homeworks_short(
        self, creds: Credentials, student_id: str, start: date, end: date
    ) -> Any:
        params = {"student_id": student_id, **self._range(start, end)}
        return await self._request(
            "GET",
            provider_path(*_FAMILY, "homeworks", "short"),
            creds=creds,
            family=True,
            params=params,
        )

    async def set_homework_done(self, creds: Credentials, entry_id: str, done: bool) -> Any:
        return await self._request(
            "POST" if done else "DELETE",
            provider_path(*_FAMILY, "homeworks", entry_id, "done"),
            creds=creds,
            family=True,
        )

    async def events(self, creds: Credentials, guid: str, start: date, end: date) -> Any:
        params: dict[str, str | int] = {
            "person_ids": guid,
            "begin_date": start.isoformat(),
            "end_date": end.isoformat(),
            "expand": "marks,homework,absence_reason_id",
        }
        return await self._request(
            "GET",
            provider_path("api", "eventcalendar", "v1", "api", "events"),
            creds=creds,
            role=True,
            params=params,
        )

    async def attendance(self, creds: Credentials, student_id: str, start: date, end: date) -> Any:
        params = {"student_id": student_id, **self._range(start, end)}
        return await self._request(
            "GET", provider_path(*_FAMILY, "attendance"), creds=creds, family=True, params=params
        )

    async def nonattendance_reasons(self, creds: Credentials) -> Any:
        return await self._request(
            "GET",
            provider_path("api", "ej", "core", "family", "v1", "nonattendance_reasons"),
            creds=creds,
        )

    async def subject_marks_short(self, creds: Credentials, student_id: str) -> Any:
        return await self._request(
            "GET",
            provider_path(*_FAMILY, "subject_marks", "short"),
            creds=creds,
            family=True,
            params={"student_id": student_id},
        )

    async def notifications(self, creds: Credentials, student_id: str) -> Any:
        return await self._request(
            "GET",
            provider_path(*_FAMILY, "notifications", "search"),
            creds=creds,
            family=True,
            params={"student_id": student_id},
        )

    async def school_info(
        self, creds: Credentials, school_id: str, class_unit_id: str | None = None
    ) -> Any:
        params: dict[str, str | int] = {"school_id": school_id}
        if class_unit_id:
            params["class_unit_id"] = class_unit_id
        return await self._request(
            "GET", provider_path(*_FAMILY, "school_info"), creds=creds, family=True, params=params
        )

    # -- teacher API -------------------------------------------------------------------

    async def class_members(self, creds: Credentials, class_unit_id: str) -> list[Any]:
        """``/core/api/profiles``: every page of a class list."""
        members: list[Any] = []
        for page in range(1, _MAX_PAGES + 1):
            params: dict[str, str | int] = {
                "class_unit_id": class_unit_id,
                "types": "student",
                "per_page": _PAGE_SIZE,
                "page": page,
            }
            chunk = await self._request(
                "GET", provider_path("core", "api", "profiles"), creds=creds, params=params
            )
            if not isinstance(chunk, list):
                raise ValueError("a class list is not an array")
            members.extend(chunk)
            if len(chunk) < _PAGE_SIZE:
                break
        return members

    async def teacher_groups(
        self,
        creds: Credentials,
        *,
        class_unit_id: str | None = None,
        school_id: str | None = None,
    ) -> Any:
        """Call 12: the caller's groups; with a class or school, the groups they may read."""
        params: dict[str, str | int] = {}
        if class_unit_id is not None:
            params["class_unit_id"] = class_unit_id
        elif school_id is not None:
            params["school_id"] = school_id
        return await self._request(
            "GET", provider_path(*_TEACHER, "groups"), creds=creds, params=params
        )

    async def teacher_marks(self, creds: Credentials, group_id: str, start: date, end: date) -> Any:
        params = {"group_id": group_id, **self._range(start, end)}
        return await self._request(
            "GET", provider_path(*_TEACHER, "marks"), creds=creds, params=params
        )

    async def schedule_items(
        self, creds: Credentials, group_id: str, start: date, end: date
    ) -> Any:
        params = {"group_id": group_id, **self._range(start, end)}
        return await self._request(
            "GET", provider_path(*_TEACHER, "schedule_items"), creds=creds, params=params
        )
