"""The МЭШ HTTP calls of ``moscow-protocol.md`` over the injected ``httpx.AsyncClient``.

The client knows URLs, headers and query conventions; :class:`adapters.transport.JsonClient`
sends the requests, maps error answers (the JSON error body's ``description`` becomes the
message) and decodes the JSON. A write the provider's validation refuses (400 or 422 with a
JSON body) is :class:`~adapters.errors.ProviderRejectedError` with the provider's words and
the field it names (``details.field``). Writes send the caller's ``Idempotency-Key``. Tokens
are never logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from adapters.errors import AdapterError, ProviderRejectedError
from adapters.paths import ProviderPath, provider_path
from adapters.transport import JsonClient

from .config import MoscowConfig

__all__ = ["Credentials", "MoscowClient"]

_FAMILY = ("api", "family", "mobile", "v1")
_TEACHER = ("api", "ej", "core", "teacher", "v1")
_PAGE_SIZE = 200
_MAX_PAGES = 50
_REJECTIONS = frozenset({400, 422})
"""Statuses of a write the provider's own validation refused."""


class _MesJson(JsonClient):
    """:class:`JsonClient` that reads a refused write (400/422 with a JSON body to a
    ``POST``/``PUT``/``DELETE``) as :class:`ProviderRejectedError`."""

    def error(self, response: httpx.Response) -> AdapterError:
        if response.status_code in _REJECTIONS and response.request.method != "GET":
            try:
                document = json.loads(response.content)
            except ValueError:
                document = None
            if isinstance(document, dict):
                details = document.get("details")
                field = details.get("field") if isinstance(details, dict) else None
                return ProviderRejectedError(
                    self.error_detail(document) or f"refused (HTTP {response.status_code})",
                    provider=self.provider,
                    field=field if isinstance(field, str) and field else None,
                )
        return super().error(response)


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
        self._config = config
        self._json = _MesJson(
            http, config.base_url, provider=provider, headers={"client-type": config.client_type}
        )

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
        idempotency_key: str | None = None,
    ) -> Any:
        headers: dict[str, str] = {}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
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
        return await self._json.request(
            method, path, params=params, json_body=body, headers=headers
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

    async def remarks(self, creds: Credentials, student_id: str, start: date, end: date) -> Any:
        params = {"student_id": student_id, **self._range(start, end)}
        return await self._request(
            "GET", provider_path(*_FAMILY, "remarks"), creds=creds, family=True, params=params
        )

    async def acknowledge_week(
        self, creds: Credentials, student_id: str, week_of: date, content_hash: str, receipt: str
    ) -> Any:
        body = {
            "student_id": int(student_id),
            "week_of": week_of.isoformat(),
            "content_hash": content_hash,
            "receipt": receipt,
        }
        return await self._request(
            "POST",
            provider_path(*_FAMILY, "diary_acknowledgements"),
            creds=creds,
            family=True,
            body=body,
        )

    async def notify_absence(
        self, creds: Credentials, body: dict[str, Any], idempotency_key: str
    ) -> Any:
        """``POST /api/family/mobile/v1/attendance``: a parent's planned absence."""
        return await self._request(
            "POST",
            provider_path(*_FAMILY, "attendance"),
            creds=creds,
            family=True,
            body=body,
            idempotency_key=idempotency_key,
        )

    async def absence_notices(self, creds: Credentials, student_id: str) -> Any:
        """``GET /api/family/mobile/v1/attendance/notifications`` (the emulator's; see the
        README): a student's advance absence notices."""
        return await self._request(
            "GET",
            provider_path(*_FAMILY, "attendance", "notifications"),
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

    async def create_mark(
        self, creds: Credentials, body: dict[str, Any], idempotency_key: str
    ) -> Any:
        """Call 15: ``POST /api/ej/core/teacher/v1/marks``."""
        return await self._request(
            "POST",
            provider_path(*_TEACHER, "marks"),
            creds=creds,
            body=body,
            idempotency_key=idempotency_key,
        )

    async def correct_mark(
        self, creds: Credentials, mark_id: str, body: dict[str, Any], idempotency_key: str
    ) -> Any:
        """``PUT /api/ej/core/teacher/v1/marks/{id}`` (call 15's body)."""
        return await self._request(
            "PUT",
            provider_path(*_TEACHER, "marks", mark_id),
            creds=creds,
            body=body,
            idempotency_key=idempotency_key,
        )
