"""The NetSchool ``webapi`` calls over the injected ``httpx.AsyncClient``.

:class:`~adapters.transport.JsonClient` sends them, maps error answers (``{"message"}``
becomes the error's message) and decodes the JSON; this module knows the paths, the ``at``
header and the login form (``regional-diary-apis.md`` §2). Tokens and passwords are never
logged.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import httpx

from adapters.errors import AdapterError, ProviderResponseError
from adapters.paths import ProviderPath, provider_path
from adapters.transport import JsonClient, Params

__all__ = ["ConflictError", "NetCityClient", "password_hashes"]

_API = "webapi"


def password_hashes(password: str, salt: str) -> tuple[str, str]:
    """``(pw, pw2)`` of the login form: ``pw2 = md5(salt + md5(password in windows-1251))``,
    ``pw`` its first ``len(password)`` characters (as NetSchool's own page computes them)."""
    inner = hashlib.md5(password.encode("windows-1251", "replace")).hexdigest()  # noqa: S324
    pw2 = hashlib.md5((salt + inner).encode()).hexdigest()  # noqa: S324 -- the protocol's
    return pw2[: len(password)], pw2


class ConflictError(ProviderResponseError):
    """409 ``{message}``: a wrong login or password, or a person with no account here."""


class _NetSchoolJson(JsonClient):
    def error(self, response: httpx.Response) -> AdapterError:
        if response.status_code == 409:
            return ConflictError("the provider refused the sign-in (409)", provider=self.provider)
        return super().error(response)


class NetCityClient:
    """Typed NetSchool calls; each returns the decoded JSON of a successful answer."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, *, provider: str) -> None:
        self._json = _NetSchoolJson(http, base_url, provider=provider)

    async def _request(
        self,
        method: str,
        path: ProviderPath,
        *,
        at: str | None = None,
        bearer: str | None = None,
        params: Params | None = None,
        body: Any = None,
        form: Params | None = None,
    ) -> Any:
        headers: dict[str, str] = {}
        if at is not None:
            headers["at"] = at
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        return await self._json.request(
            method, path, params=params, json_body=body, form=form, headers=headers
        )

    # -- signing in --------------------------------------------------------------------

    async def login(self, school: str | None, login: str, password: str) -> Any:
        """The login form: ``logindata``, ``auth/getdata``, then ``login`` → ``{at, timeOut}``."""
        await self._request("GET", provider_path(_API, "logindata"))
        data = await self._request("POST", provider_path(_API, "auth", "getdata"))
        salt, lt, ver = str(data["salt"]), str(data["lt"]), str(data["ver"])
        pw, pw2 = password_hashes(password, salt)
        form: dict[str, str | int] = {
            "loginType": 1,
            "un": login,
            "pw": pw,
            "pw2": pw2,
            "lt": lt,
            "ver": ver,
        }
        if school is not None:
            form["scid"] = school
        return await self._request("POST", provider_path(_API, "login"), form=form)

    async def esia_exchange(self, sso_token: str) -> Any:
        """The partner exchange of a national SSO token for an ``at`` (invented: README)."""
        return await self._request(
            "POST", provider_path(_API, "sso", "esia", "exchange"), bearer=sso_token
        )

    async def esia_bind(self, sso_token: str, student_id: int) -> Any:
        """Bind the national SSO identity to the student's parent record (ours: README)."""
        return await self._request(
            "POST",
            provider_path(_API, "sso", "esia", "bind"),
            bearer=sso_token,
            body={"studentId": student_id},
        )

    async def diary_init(self, at: str) -> Any:
        return await self._request("GET", provider_path(_API, "student", "diary", "init"), at=at)

    # -- public ------------------------------------------------------------------------

    async def login_form_schools(self) -> Any:
        return await self._request("GET", provider_path(_API, "prepareloginform"))

    async def bells(self, school_id: int) -> Any:
        return await self._request("GET", provider_path(_API, "schools", school_id, "bells"))

    async def assignment_types(self) -> Any:
        return await self._request(
            "GET",
            provider_path(_API, "grade", "assignment", "types"),
            params={"all": "false"},
        )

    # -- the signed-in user ------------------------------------------------------------

    async def context(self, at: str) -> Any:
        return await self._request("GET", provider_path(_API, "context"), at=at)

    async def student_cards(self, at: str, student_ids: list[int]) -> Any:
        return await self._request(
            "POST", provider_path(_API, "student", "cards"), at=at, body={"studentIds": student_ids}
        )

    async def diary(self, at: str, student_id: int, start: date, end: date) -> Any:
        params: dict[str, str | int] = {
            "studentId": student_id,
            "weekStart": start.isoformat(),
            "weekEnd": end.isoformat(),
        }
        return await self._request(
            "GET", provider_path(_API, "student", "diary"), at=at, params=params
        )

    async def remarks(self, at: str, student_id: int, start: date, end: date) -> Any:
        params: dict[str, str | int] = {
            "studentId": student_id,
            "weekStart": start.isoformat(),
            "weekEnd": end.isoformat(),
        }
        return await self._request(
            "GET", provider_path(_API, "student", "remarks"), at=at, params=params
        )

    async def set_assignment_done(
        self, at: str, student_id: int, assignment_id: int, done: bool
    ) -> Any:
        return await self._request(
            "POST",
            provider_path(_API, "student", "diary", "assigns", assignment_id, "done"),
            at=at,
            params={"studentId": student_id},
            body={"done": done},
        )

    async def teacher_groups(self, at: str) -> Any:
        return await self._request("GET", provider_path(_API, "teacher", "groups"), at=at)

    async def school_classes(self, at: str) -> Any:
        return await self._request("GET", provider_path(_API, "school", "classes"), at=at)

    async def journal(self, at: str, group_id: int, start: date, end: date) -> Any:
        return await self._request(
            "GET",
            provider_path(_API, "subjectgroups", group_id, "journal"),
            at=at,
            params={"start": start.isoformat(), "end": end.isoformat()},
        )
